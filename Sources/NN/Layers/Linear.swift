/// A layer whose forward pass is a function of one weight tensor, so a wrapper can substitute a transformed weight
/// (spectral normalization divides it by its largest singular value).
public protocol WeightedLayer: Layer {
  var weight: Tensor { get }
  /// The forward pass with `weight` in place of the stored one.
  func callAsFunction(_ input: Tensor, weight: Tensor) -> Tensor
  /// The weight axis that indexes output units: 0 for `Linear` and `Conv2D`, 1 for `ConvTranspose2D` (the axis
  /// PyTorch's `spectral_norm` keeps as the rows of the weight matrix).
  var outputAxis: Int { get }
}

/// y = x Wᵀ + b, with W of shape [outputSize, inputSize] and b of shape [outputSize], as PyTorch's `nn.Linear` (so the
/// parameter names and shapes, `weight` and `bias`, match a PyTorch state dict).
///
/// The input is [N, inputSize], or any [..., inputSize] (the leading axes are batch axes).
/// Default initialization, as PyTorch: W and b from U(-1/√inputSize, 1/√inputSize).
public final class Linear: Module, WeightedLayer {
  public var weight: Tensor
  public var bias: Tensor?
  public let inputSize: Int
  public let outputSize: Int
  public var outputAxis: Int { 0 }

  /// - Parameters:
  ///   - weightInitializer: how W is drawn (PyTorch's default unless given).
  ///   - biasInitializer: how b is drawn; nil gives PyTorch's U(-1/√inputSize, 1/√inputSize).
  public init(
    inputSize: Int, outputSize: Int, bias: Bool = true, weightInitializer: Initializer = .pyTorchDefault,
    biasInitializer: Initializer? = nil, using generator: inout SeededGenerator
  ) {
    precondition(inputSize > 0 && outputSize > 0, "Linear: sizes must be positive, got \(inputSize) -> \(outputSize)")
    self.inputSize = inputSize
    self.outputSize = outputSize
    let weightShape = [outputSize, inputSize]
    weight = weightInitializer.makeTensor(weightShape, using: &generator)
    if bias {
      self.bias = biasInitializer.map { $0.makeTensor([outputSize], using: &generator) }
        ?? defaultBias(count: outputSize, weightShape: weightShape, using: &generator)
    }
    super.init()
  }

  public func callAsFunction(_ input: Tensor) -> Tensor { callAsFunction(input, weight: weight) }

  public func callAsFunction(_ input: Tensor, weight: Tensor) -> Tensor {
    precondition(
      input.rank >= 1 && input.shape.last == inputSize,
      "Linear(\(inputSize) -> \(outputSize)): input shape \(input.shape) does not end in \(inputSize)")
    let rows = input.rank == 2 ? input : input.reshaped(to: [-1, inputSize])
    var output = matmul(rows, weight, transposeB: true)
    if let bias { output = output + bias }
    return input.rank == 2 ? output : output.reshaped(to: Array(input.shape.dropLast()) + [outputSize])
  }
}
