import Foundation

/// How a weight tensor's starting values are drawn. Every draw comes from a `SeededGenerator`, so a seed fixes a
/// model's starting point.
///
/// The fans follow PyTorch: for a weight of shape [a, b, k1, k2, ...], the receptive field is r = k1·k2·...,
/// fan-in = b·r and fan-out = a·r. (For `Linear` [out, in] and `Conv2D` [out, in, k, k] that is the number of inputs
/// and outputs of one unit; for `ConvTranspose2D` [in, out, k, k] PyTorch's convention swaps them, and so do we.)
public enum Initializer: Sendable, Equatable {
  /// A constant value (BatchNorm's weight starts at 1 and its bias at 0).
  case constant(Float)
  /// U(low, high).
  case uniform(low: Float, high: Float)
  /// N(mean, std²). DCGAN initializes every convolution with N(0, 0.02²): see `Initializer.dcgan`.
  case normal(mean: Float, std: Float)
  /// Xavier/Glorot uniform: U(-a, a) with a = gain · √(6 / (fan-in + fan-out)), which keeps the variance of
  /// activations and of gradients about equal through a layer of a linear or tanh network.
  case xavierUniform(gain: Float)
  /// Xavier/Glorot normal: N(0, σ²) with σ = gain · √(2 / (fan-in + fan-out)).
  case xavierNormal(gain: Float)
  /// Kaiming/He uniform for a leaky ReLU of slope a (a = 0 for ReLU): U(-b, b) with
  /// b = gain · √(3 / fan), gain = √(2 / (1 + a²)), fan = fan-in (or fan-out with `useFanOut`).
  case kaimingUniform(negativeSlope: Float, useFanOut: Bool)
  /// Kaiming/He normal: N(0, σ²) with σ = gain / √fan, gain = √(2 / (1 + a²)).
  case kaimingNormal(negativeSlope: Float, useFanOut: Bool)

  /// PyTorch's default for `Linear` and the convolutions: Kaiming uniform with a = √5, which works out to
  /// U(-1/√fan-in, 1/√fan-in) (gain √(2/6) times √(3/fan-in)). The layers draw their bias from the same range.
  public static let pyTorchDefault = Initializer.kaimingUniform(negativeSlope: Float(5).squareRoot(), useFanOut: false)
  /// DCGAN's N(0, 0.02²).
  public static let dcgan = Initializer.normal(mean: 0, std: 0.02)
  public static let zeros = Initializer.constant(0)
  public static let ones = Initializer.constant(1)

  /// PyTorch's fan-in and fan-out of a weight shape (see the type's documentation). A rank-1 shape counts as
  /// [n, 1].
  public static func fans(of shape: [Int]) -> (fanIn: Int, fanOut: Int) {
    guard shape.count >= 2 else { return (1, shape.first ?? 1) }
    let receptiveField = shape.dropFirst(2).reduce(1, *)
    return (shape[1] * receptiveField, shape[0] * receptiveField)
  }

  /// A new parameter tensor (`requiresGrad` set) of `shape`, drawn by this rule.
  public func makeTensor(_ shape: [Int], using generator: inout SeededGenerator) -> Tensor {
    let tensor = Tensor.zeros(shape, requiresGrad: true)
    fill(tensor, using: &generator)
    return tensor
  }

  /// Overwrites `tensor`'s values in place with a fresh draw (fans from its shape).
  public func fill(_ tensor: Tensor, using generator: inout SeededGenerator) {
    let (fanIn, fanOut) = Self.fans(of: tensor.shape)
    let count = tensor.count
    func kaimingGain(_ slope: Float) -> Float { (2 / (1 + slope * slope)).squareRoot() }
    switch self {
    case .constant(let value):
      tensor.scalars = [Float](repeating: value, count: count)
    case .uniform(let low, let high):
      tensor.scalars = Self.drawUniform(count, low: low, high: high, using: &generator)
    case .normal(let mean, let std):
      tensor.scalars = Self.drawNormal(count, mean: mean, std: std, using: &generator)
    case .xavierUniform(let gain):
      let bound = gain * (6 / Float(fanIn + fanOut)).squareRoot()
      tensor.scalars = Self.drawUniform(count, low: -bound, high: bound, using: &generator)
    case .xavierNormal(let gain):
      let std = gain * (2 / Float(fanIn + fanOut)).squareRoot()
      tensor.scalars = Self.drawNormal(count, mean: 0, std: std, using: &generator)
    case .kaimingUniform(let slope, let useFanOut):
      let bound = kaimingGain(slope) * (3 / Float(useFanOut ? fanOut : fanIn)).squareRoot()
      tensor.scalars = Self.drawUniform(count, low: -bound, high: bound, using: &generator)
    case .kaimingNormal(let slope, let useFanOut):
      let std = kaimingGain(slope) / Float(useFanOut ? fanOut : fanIn).squareRoot()
      tensor.scalars = Self.drawNormal(count, mean: 0, std: std, using: &generator)
    }
  }

  private static func drawUniform(_ count: Int, low: Float, high: Float, using generator: inout SeededGenerator) -> [Float] {
    (0..<count).map { _ in low + (high - low) * generator.nextUniform() }
  }

  private static func drawNormal(_ count: Int, mean: Float, std: Float, using generator: inout SeededGenerator) -> [Float] {
    [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
      generator.fillNormal(buffer, mean: mean, std: std)
      initialized = count
    }
  }
}

/// The bias PyTorch gives `Linear` and the convolutions: U(-1/√fan-in, 1/√fan-in), fan-in from the weight.
func defaultBias(count: Int, weightShape: [Int], using generator: inout SeededGenerator) -> Tensor {
  let bound = 1 / Float(Initializer.fans(of: weightShape).fanIn).squareRoot()
  return Initializer.uniform(low: -bound, high: bound).makeTensor([count], using: &generator)
}
