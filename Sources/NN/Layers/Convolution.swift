/// 2D convolution (cross-correlation) of x [N, inputChannels, H, W], as PyTorch's `nn.Conv2d`:
/// weight [outputChannels, inputChannels / groups, k, k], bias [outputChannels];
/// output [N, outputChannels, (H + 2·padding - k) / stride + 1, (W + 2·padding - k) / stride + 1].
///
/// Default initialization, as PyTorch: weight and bias from U(-1/√fan-in, 1/√fan-in), fan-in = inputChannels / groups · k².
public final class Conv2D: Module, WeightedLayer {
  public var weight: Tensor
  public var bias: Tensor?
  public let stride: Int
  public let padding: Int
  public let groups: Int
  public var outputAxis: Int { 0 }

  public init(
    inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0, groups: Int = 1,
    bias: Bool = true, weightInitializer: Initializer = .pyTorchDefault, biasInitializer: Initializer? = nil,
    using generator: inout SeededGenerator
  ) {
    precondition(
      inputChannels % groups == 0 && outputChannels % groups == 0,
      "Conv2D: channels \(inputChannels) -> \(outputChannels) are not divisible into \(groups) groups")
    self.stride = stride
    self.padding = padding
    self.groups = groups
    let weightShape = [outputChannels, inputChannels / groups, kernelSize, kernelSize]
    weight = weightInitializer.makeTensor(weightShape, using: &generator)
    if bias {
      self.bias = biasInitializer.map { $0.makeTensor([outputChannels], using: &generator) }
        ?? defaultBias(count: outputChannels, weightShape: weightShape, using: &generator)
    }
    super.init()
  }

  public func callAsFunction(_ input: Tensor) -> Tensor { callAsFunction(input, weight: weight) }

  public func callAsFunction(_ input: Tensor, weight: Tensor) -> Tensor {
    let output = conv2d(input, weight, stride: stride, padding: padding, groups: groups)
    guard let bias else { return output }
    return output + bias.reshaped(to: [1, bias.count, 1, 1])
  }
}

/// Transposed 2D convolution (the adjoint of a convolution, used to upsample), as PyTorch's `nn.ConvTranspose2d`:
/// weight [inputChannels, outputChannels / groups, k, k], bias [outputChannels];
/// output [N, outputChannels, (H - 1)·stride - 2·padding + k + outputPadding, ...].
/// DCGAN's generator grows 4x4 to 64x64 with kernelSize 4, stride 2, padding 1 (each layer doubles the size).
///
/// Default initialization, as PyTorch: U(-1/√fan-in, 1/√fan-in) with PyTorch's fan-in for this layout,
/// outputChannels / groups · k².
public final class ConvTranspose2D: Module, WeightedLayer {
  public var weight: Tensor
  public var bias: Tensor?
  public let stride: Int
  public let padding: Int
  public let outputPadding: Int
  public let groups: Int
  public var outputAxis: Int { 1 }

  public init(
    inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
    outputPadding: Int = 0, groups: Int = 1, bias: Bool = true, weightInitializer: Initializer = .pyTorchDefault,
    biasInitializer: Initializer? = nil, using generator: inout SeededGenerator
  ) {
    precondition(
      inputChannels % groups == 0 && outputChannels % groups == 0,
      "ConvTranspose2D: channels \(inputChannels) -> \(outputChannels) are not divisible into \(groups) groups")
    self.stride = stride
    self.padding = padding
    self.outputPadding = outputPadding
    self.groups = groups
    let weightShape = [inputChannels, outputChannels / groups, kernelSize, kernelSize]
    weight = weightInitializer.makeTensor(weightShape, using: &generator)
    if bias {
      self.bias = biasInitializer.map { $0.makeTensor([outputChannels], using: &generator) }
        ?? defaultBias(count: outputChannels, weightShape: weightShape, using: &generator)
    }
    super.init()
  }

  public func callAsFunction(_ input: Tensor) -> Tensor { callAsFunction(input, weight: weight) }

  public func callAsFunction(_ input: Tensor, weight: Tensor) -> Tensor {
    let output = convTranspose2d(
      input, weight, stride: stride, padding: padding, outputPadding: outputPadding, groups: groups)
    guard let bias else { return output }
    return output + bias.reshaped(to: [1, bias.count, 1, 1])
  }
}
