// The equalized learning rate of ProGAN and StyleGAN (Karras et al.).
//
// Adam's step is about the learning rate in size for every parameter, whatever its gradient's scale. If weights are
// stored at their He scale (std √(2/fan-in)), a layer with a large fan-in moves relatively faster than one with a
// small fan-in. Storing every weight as N(0, 1) and multiplying by c = gain / √fan-in at run time makes the stored
// parameters the same scale everywhere, so one learning rate fits all layers. The learning-rate multiplier λ slows a
// layer down (StyleGAN's mapping network uses λ = 0.01): weights are stored as N(0, 1/λ²) and the runtime factor is
// c·λ, so the effective weight has the same distribution while Adam's steps move it λ times as far.

/// A linear layer with equalized learning rate: y = x (c λ W)ᵀ + λ b, c = gain / √inputSize.
/// Parameters `weight` [outputSize, inputSize] (stored N(0, 1/λ²)) and `bias` [outputSize].
public final class EqualizedLinear: Module, Layer {
  public var weight: Tensor
  public var bias: Tensor?
  /// The runtime factor c λ applied to the stored weight.
  public let weightScale: Float
  public let learningRateMultiplier: Float

  /// - Parameter biasInitial: the effective starting bias (StyleGAN's style affines start at 1); it is stored
  ///   divided by λ, so that λ b starts at this value.
  public init(
    inputSize: Int, outputSize: Int, bias: Bool = true, biasInitial: Float = 0, gain: Float = 1,
    learningRateMultiplier: Float = 1, using generator: inout SeededGenerator
  ) {
    let lambda = learningRateMultiplier
    weight = Initializer.normal(mean: 0, std: 1 / lambda).makeTensor([outputSize, inputSize], using: &generator)
    if bias { self.bias = Tensor.full([outputSize], biasInitial / lambda, requiresGrad: true) }
    weightScale = gain / Float(inputSize).squareRoot() * lambda
    self.learningRateMultiplier = lambda
    super.init()
  }

  public func callAsFunction(_ input: Tensor) -> Tensor {
    let output = matmul(input, weight * weightScale, transposeB: true)
    guard let bias else { return output }
    return output + bias * learningRateMultiplier
  }
}

/// A convolution with equalized learning rate: conv(x, c λ W) + λ b with c = gain / √(inputChannels · k²).
public final class EqualizedConv2D: Module, Layer {
  public var weight: Tensor
  public var bias: Tensor?
  public let weightScale: Float
  public let learningRateMultiplier: Float
  public let stride: Int
  public let padding: Int

  public init(
    inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0, bias: Bool = true,
    gain: Float = 1, learningRateMultiplier: Float = 1, using generator: inout SeededGenerator
  ) {
    let lambda = learningRateMultiplier
    weight = Initializer.normal(mean: 0, std: 1 / lambda).makeTensor(
      [outputChannels, inputChannels, kernelSize, kernelSize], using: &generator)
    if bias { self.bias = Tensor.zeros([outputChannels], requiresGrad: true) }
    weightScale = gain / Float(inputChannels * kernelSize * kernelSize).squareRoot() * lambda
    self.learningRateMultiplier = lambda
    self.stride = stride
    self.padding = padding
    super.init()
  }

  public func callAsFunction(_ input: Tensor) -> Tensor {
    let output = conv2d(input, weight * weightScale, stride: stride, padding: padding)
    guard let bias else { return output }
    return output + (bias * learningRateMultiplier).reshaped(to: [1, bias.count, 1, 1])
  }
}
