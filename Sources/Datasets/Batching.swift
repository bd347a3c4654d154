import Autograd

/// A minibatch: some examples, their labels (when the data has labels) and which examples they are.
public struct Batch: Sendable {
  /// `[B, ...]`: the selected rows of the data tensor.
  public let examples: Tensor
  /// The labels of those rows, or nil for unlabeled data.
  public let labels: [Int]?
  /// The rows' indices in the full data.
  public let indices: [Int]
}

extension Tensor {
  /// The rows `indices` along the first axis, copied into a new tensor `[indices.count, ...]`. A data operation: it
  /// is not recorded for gradients.
  public func examples(at indices: [Int]) -> Tensor {
    precondition(rank >= 1, "examples(at:): a scalar has no rows")
    let rows = shape[0]
    let rowSize = rows == 0 ? 0 : count / rows
    var values = [Float](repeating: 0, count: indices.count * rowSize)
    scalars.withUnsafeBufferPointer { source in
      values.withUnsafeMutableBufferPointer { destination in
        for (position, row) in indices.enumerated() {
          precondition(row >= 0 && row < rows, "examples(at:): row \(row) out of range for shape \(shape)")
          (destination.baseAddress! + position * rowSize)
            .update(from: source.baseAddress! + row * rowSize, count: rowSize)
        }
      }
    }
    return Tensor(shape: [indices.count] + shape.dropFirst(), scalars: values)
  }
}

/// Walks a dataset in minibatches, one epoch at a time, in a fresh seeded order each epoch (or in stored order).
///
///     var loader = DataLoader(train, batchSize: 64, seed: 1)
///     for epoch in 0..<3 {
///       for batch in loader.epoch() { ... batch.examples [64, 1, 28, 28], batch.labels ... }
///     }
///
/// The order of epoch e depends only on the seed and e, so a run repeats exactly.
public struct DataLoader: Sendable {
  /// The data, `[N, ...]`.
  public let examples: Tensor
  /// One label per row, or nil.
  public let labels: [Int]?
  public let batchSize: Int
  /// Whether each epoch draws a new random order.
  public let shuffles: Bool
  /// Whether a last batch smaller than `batchSize` is left out (GAN training wants equal batches).
  public let dropsLast: Bool
  private var generator: SeededGenerator

  public init(
    examples: Tensor, labels: [Int]? = nil, batchSize: Int, shuffle: Bool = true, dropLast: Bool = false,
    seed: UInt64
  ) {
    precondition(examples.rank >= 1, "DataLoader: examples must have a batch axis, got shape \(examples.shape)")
    precondition(batchSize >= 1, "DataLoader: batchSize must be at least 1, got \(batchSize)")
    if let labels {
      precondition(
        labels.count == examples.shape[0],
        "DataLoader: \(labels.count) labels for \(examples.shape[0]) examples")
    }
    self.examples = examples
    self.labels = labels
    self.batchSize = batchSize
    self.shuffles = shuffle
    self.dropsLast = dropLast
    self.generator = SeededGenerator(seed: seed)
  }

  /// Batches of labeled images.
  public init(_ data: LabeledImages, batchSize: Int, shuffle: Bool = true, dropLast: Bool = false, seed: UInt64) {
    self.init(
      examples: data.images, labels: data.labels, batchSize: batchSize, shuffle: shuffle, dropLast: dropLast, seed: seed)
  }

  /// The number of examples.
  public var count: Int { examples.shape[0] }

  /// The number of batches one epoch yields.
  public var batchesPerEpoch: Int { dropsLast ? count / batchSize : (count + batchSize - 1) / batchSize }

  /// The next epoch: draws its order now, builds each batch when the loop reaches it.
  public mutating func epoch() -> Epoch {
    let order = shuffles ? generator.permutation(count) : Array(0..<count)
    return Epoch(examples: examples, labels: labels, order: order, batchSize: batchSize, dropsLast: dropsLast)
  }

  /// One pass over the data in a fixed order.
  public struct Epoch: Sequence, IteratorProtocol, Sendable {
    let examples: Tensor
    let labels: [Int]?
    /// The example indices in the order this epoch visits them.
    public let order: [Int]
    let batchSize: Int
    let dropsLast: Bool
    var position = 0

    public mutating func next() -> Batch? {
      let remaining = order.count - position
      guard remaining > 0, !(dropsLast && remaining < batchSize) else { return nil }
      let indices = Array(order[position..<(position + Swift.min(batchSize, remaining))])
      position += indices.count
      return Batch(examples: examples.examples(at: indices), labels: labels.map { l in indices.map { l[$0] } }, indices: indices)
    }
  }
}

/// An endless supply of random minibatches for GAN training, where steps, not epochs, are counted.
///
/// It walks shuffled epochs back to back: within an epoch every example is used once, and the few left over at
/// the end (fewer than a batch) wait for the next epoch's order, so all batches have `batchSize` examples.
///
///     var real = InfiniteBatchSampler(train, batchSize: 64, seed: 2)
///     for step in 0..<steps { let x = real.next().examples; ... }
public struct InfiniteBatchSampler: Sendable {
  public let examples: Tensor
  public let labels: [Int]?
  public let batchSize: Int
  /// How many full passes over the data have been started (1 after the first batch).
  public private(set) var epochsStarted = 0
  private var generator: SeededGenerator
  private var order: [Int] = []
  private var position = 0

  public init(examples: Tensor, labels: [Int]? = nil, batchSize: Int, seed: UInt64) {
    precondition(examples.rank >= 1, "InfiniteBatchSampler: examples must have a batch axis, got shape \(examples.shape)")
    precondition(
      batchSize >= 1 && batchSize <= examples.shape[0],
      "InfiniteBatchSampler: batchSize \(batchSize) must be between 1 and the \(examples.shape[0]) examples")
    if let labels {
      precondition(
        labels.count == examples.shape[0],
        "InfiniteBatchSampler: \(labels.count) labels for \(examples.shape[0]) examples")
    }
    self.examples = examples
    self.labels = labels
    self.batchSize = batchSize
    self.generator = SeededGenerator(seed: seed)
  }

  public init(_ data: LabeledImages, batchSize: Int, seed: UInt64) {
    self.init(examples: data.images, labels: data.labels, batchSize: batchSize, seed: seed)
  }

  /// Where the sampler is in its walk (the shuffling generator, the current epoch's order and position), so that a
  /// resumed training run draws the batches the uninterrupted run would have drawn.
  public struct State: Sendable, Equatable, Codable {
    public var generator: SeededGenerator.State
    public var order: [Int]
    public var position: Int
    public var epochsStarted: Int
  }

  public var state: State {
    State(generator: generator.state, order: order, position: position, epochsStarted: epochsStarted)
  }

  /// Continues from a saved `state`. Throws `DatasetError.invalidState` when the state does not fit this data
  /// (another folder, or a changed one).
  public mutating func restore(_ state: State, source: String) throws {
    let count = examples.shape[0]
    guard state.order.isEmpty || (state.order.count == count && Set(state.order) == Set(0..<count)),
          state.position >= 0, state.position <= state.order.count, state.epochsStarted >= 0,
          state.generator.words.count == 4
    else {
      throw DatasetError.invalidState(
        file: source, reason: "the batch order saved there is for \(state.order.count) examples; the data has \(count)")
    }
    generator = SeededGenerator(state: state.generator)
    order = state.order
    position = state.position
    epochsStarted = state.epochsStarted
  }

  /// The next batch of `batchSize` distinct examples.
  public mutating func next() -> Batch {
    if order.count - position < batchSize {
      order = generator.permutation(examples.shape[0])
      position = 0
      epochsStarted += 1
    }
    let indices = Array(order[position..<(position + batchSize)])
    position += batchSize
    return Batch(examples: examples.examples(at: indices), labels: labels.map { l in indices.map { l[$0] } }, indices: indices)
  }
}
