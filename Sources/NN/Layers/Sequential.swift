/// Layers applied one after another. The layers live in the array `layers`, so their parameters are named by
/// position: `layers.0.weight`, `layers.0.bias`, `layers.2.weight`, ... (the layout of PyTorch's `nn.Sequential`
/// held in a `layers` attribute).
public final class Sequential: Module, Layer {
  public var layers: [any Layer]

  public init(_ layers: [any Layer]) {
    self.layers = layers
    super.init()
  }

  public convenience init(_ layers: any Layer...) { self.init(layers) }

  public func callAsFunction(_ input: Tensor) -> Tensor {
    layers.reduce(input) { x, layer in layer(x) }
  }
}
