import Autograd

/// A history of generated images that the discriminator trains on (Shrivastava et al. 2017, used by CycleGAN).
///
/// If D only ever sees the generator's latest output, the two can chase each other in circles: G moves to whatever D
/// currently misjudges, D forgets what G did before. Showing D a mix of the current fakes and older ones keeps it
/// from forgetting, which damps that oscillation.
///
/// The rule, applied to each image of a batch in turn, as the reference's `ImagePool.query`:
/// - while the pool holds fewer than `capacity` images, the new image is stored and returned;
/// - once full, with probability 1/2 a stored image, chosen uniformly, is returned and the new image takes its place;
///   otherwise the new image is returned and the pool is left as it was.
/// A capacity of 0 turns the pool off (every image is returned as it is).
///
/// The images are stored as detached copies, and `query` returns a tensor without a graph: what D trains on must not
/// send gradients back into G. The choices come from the pool's own seeded generator, so a seed fixes them.
public struct ImagePool: Sendable {
  /// The most images the pool keeps (50 in CycleGAN).
  public let capacity: Int
  /// The stored images, each the values of one sample (all of the same shape).
  public private(set) var images: [[Float]] = []
  /// The shape of one sample, set by the first query.
  public private(set) var sampleShape: [Int]?
  private var generator: SeededGenerator

  public init(capacity: Int = 50, seed: UInt64) {
    precondition(capacity >= 0, "ImagePool: capacity \(capacity) is negative")
    self.capacity = capacity
    generator = SeededGenerator(seed: seed)
  }

  /// The pool's choices still to come and what it holds, for a training checkpoint: a resumed run mixes in the
  /// images the uninterrupted run would have.
  public struct State: Sendable, Equatable, Codable {
    public var generator: SeededGenerator.State
    public var sampleShape: [Int]?
    public var count: Int
  }

  /// The pool's state; its images are `storedImages` (saved beside it as a tensor).
  public var state: State { State(generator: generator.state, sampleShape: sampleShape, count: images.count) }

  /// The stored images as one tensor [count, sample shape...], or nil while the pool is empty.
  public var storedImages: Tensor? {
    guard let sampleShape, !images.isEmpty else { return nil }
    return Tensor(shape: [images.count] + sampleShape, scalars: images.flatMap { $0 })
  }

  /// Continues from a saved state and its images. Returns a description of what does not fit, or nil when restored.
  public mutating func restore(_ state: State, images stored: Tensor?) -> String? {
    let size = state.sampleShape?.reduce(1, *) ?? 0
    guard state.count <= capacity, state.generator.words.count == 4 else {
      return "the pool holds \(state.count) images, more than its capacity \(capacity)"
    }
    if state.count > 0 {
      guard let stored, let shape = state.sampleShape, stored.shape == [state.count] + shape else {
        return "the pool's images do not match its recorded count \(state.count) and shape \(state.sampleShape ?? [])"
      }
      let scalars = stored.scalars
      images = (0..<state.count).map { Array(scalars[($0 * size)..<(($0 + 1) * size)]) }
    } else {
      images = []
    }
    sampleShape = state.sampleShape
    generator = SeededGenerator(state: state.generator)
    return nil
  }

  /// Whether the pool holds `capacity` images (from then on it mixes old images in).
  public var isFull: Bool { images.count >= capacity }

  /// A batch [N, ...] of the same shape as `batch`, each sample either the new one or one from the pool (see the
  /// type's description). The result has no graph.
  public mutating func query(_ batch: Tensor) -> Tensor {
    precondition(batch.rank >= 1, "ImagePool.query: expected a batch [N, ...], got shape \(batch.shape)")
    let shape = Array(batch.shape.dropFirst())
    if let sampleShape {
      precondition(shape == sampleShape,
                   "ImagePool.query: samples of shape \(shape) do not match the pool's \(sampleShape)")
    } else {
      sampleShape = shape
    }
    if capacity == 0 { return batch.detached() }
    let n = batch.shape[0], size = shape.reduce(1, *)
    var output = batch.scalars
    for i in 0..<n {
      let range = (i * size)..<((i + 1) * size)
      if images.count < capacity {
        images.append(Array(output[range]))
      } else if generator.nextUniform() > 0.5 {
        let index = generator.nextInt(below: capacity)
        let stored = images[index]
        images[index] = Array(output[range])
        output.replaceSubrange(range, with: stored)
      }
    }
    return Tensor(shape: batch.shape, scalars: output)
  }
}
