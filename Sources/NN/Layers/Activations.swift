// The activations as layers, for `Sequential`. Each is the engine's function of the same name.

/// max(x, 0).
public final class ReLU: Module, Layer {
  public override init() { super.init() }
  public func callAsFunction(_ input: Tensor) -> Tensor { relu(input) }
}

/// x for x > 0, slope · x otherwise. The default slope is 0.2, as in DCGAN's discriminator (PyTorch's
/// `nn.LeakyReLU` defaults to 0.01: pass it explicitly to match).
public final class LeakyReLU: Module, Layer {
  public let slope: Float
  public init(slope: Float = 0.2) {
    self.slope = slope
    super.init()
  }
  public func callAsFunction(_ input: Tensor) -> Tensor { leakyReLU(input, slope: slope) }
}

/// tanh x: a generator's last layer, mapping to images in [-1, 1].
public final class Tanh: Module, Layer {
  public override init() { super.init() }
  public func callAsFunction(_ input: Tensor) -> Tensor { tanh(input) }
}

/// σ(x) = 1 / (1 + e^-x).
public final class Sigmoid: Module, Layer {
  public override init() { super.init() }
  public func callAsFunction(_ input: Tensor) -> Tensor { sigmoid(input) }
}
