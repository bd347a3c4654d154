/// Dropout, as PyTorch's `nn.Dropout`: in training mode each value is zeroed with probability p and the survivors
/// are scaled by 1 / (1 - p), so the expected output equals the input; in evaluation mode it is the identity.
///
/// The layer draws its masks from its own generator, split from the one passed at creation, so a seed fixes them.
public final class Dropout: Module, Layer {
  public let probability: Float
  private var generator: SeededGenerator

  public init(probability: Float = 0.5, using generator: inout SeededGenerator) {
    precondition(probability >= 0 && probability <= 1, "Dropout: probability \(probability) is outside [0, 1]")
    self.probability = probability
    self.generator = SeededGenerator(seed: generator.next())
    super.init()
  }

  public func callAsFunction(_ input: Tensor) -> Tensor {
    guard isTraining && probability > 0 else { return input }
    let scale = probability < 1 ? 1 / (1 - probability) : 0
    var mask = [Float](repeating: 0, count: input.count)
    for i in 0..<mask.count where generator.nextUniform() >= probability { mask[i] = scale }
    return input * Tensor(shape: input.shape, scalars: mask)
  }
}
