/// A lookup table of `count` learned vectors of length `dimension`, as PyTorch's `nn.Embedding`
/// (weight [count, dimension], drawn from N(0, 1) by default). Conditional GANs embed class labels with it.
///
/// Row lookup is written as a product: with the one-hot matrix H [n, count] of the indices, the rows are H W.
/// The gradient Hᵀ G then lands exactly on the rows that were used.
public final class Embedding: Module {
  public var weight: Tensor
  public let count: Int
  public let dimension: Int

  public init(
    count: Int, dimension: Int, weightInitializer: Initializer = .normal(mean: 0, std: 1),
    using generator: inout SeededGenerator
  ) {
    self.count = count
    self.dimension = dimension
    weight = weightInitializer.makeTensor([count, dimension], using: &generator)
    super.init()
  }

  /// The rows for `indices`: [indices.count, dimension].
  public func callAsFunction(_ indices: [Int]) -> Tensor {
    var oneHot = [Float](repeating: 0, count: indices.count * count)
    for (row, index) in indices.enumerated() {
      precondition(index >= 0 && index < count, "Embedding(\(count)): index \(index) is outside 0..<\(count)")
      oneHot[row * count + index] = 1
    }
    return matmul(Tensor(shape: [indices.count, count], scalars: oneHot), weight)
  }
}
