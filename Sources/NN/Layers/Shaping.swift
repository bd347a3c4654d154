// Layers that only move values around: padding, resizing and reshaping, for `Sequential`.

/// Reflection padding of H and W by `padding` (the border mirrors the image without repeating the edge), as
/// CycleGAN's generator uses before its 7x7 and 3x3 convolutions to avoid dark borders.
public final class ReflectionPad2D: Module, Layer {
  public let padding: Int
  public init(_ padding: Int) {
    self.padding = padding
    super.init()
  }
  public func callAsFunction(_ input: Tensor) -> Tensor { input.reflectionPadded2D(padding) }
}

/// Zero padding of H and W by `padding`.
public final class ZeroPad2D: Module, Layer {
  public let padding: Int
  public init(_ padding: Int) {
    self.padding = padding
    super.init()
  }
  public func callAsFunction(_ input: Tensor) -> Tensor { input.zeroPadded2D(padding) }
}

/// Nearest-neighbor upsampling of H and W by an integer factor: each pixel becomes a factor x factor block.
/// (Upsample followed by a convolution avoids the checkerboard artefacts of a strided transposed convolution.)
public final class Upsample: Module, Layer {
  public let scaleFactor: Int
  public init(scaleFactor: Int) {
    self.scaleFactor = scaleFactor
    super.init()
  }
  public func callAsFunction(_ input: Tensor) -> Tensor { input.upsampledNearest(scaleFactor) }
}

/// Average pooling of [N, C, H, W] over kernelSize x kernelSize windows (stride defaults to the window).
public final class AveragePool2D: Module, Layer {
  public let kernelSize: Int
  public let stride: Int
  public let padding: Int
  public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
    self.kernelSize = kernelSize
    self.stride = stride ?? kernelSize
    self.padding = padding
    super.init()
  }
  public func callAsFunction(_ input: Tensor) -> Tensor {
    avgPool2d(input, kernelSize: kernelSize, stride: stride, padding: padding)
  }
}

/// [N, ...] -> [N, product of the rest]: from convolutional features to a linear layer.
public final class Flatten: Module, Layer {
  public override init() { super.init() }
  public func callAsFunction(_ input: Tensor) -> Tensor { input.flattened() }
}

/// [N, ...] -> [N] + shape: from a linear layer's output to feature maps (DCGAN's generator reshapes its projected
/// noise to [N, C, 4, 4]). One entry of `shape` may be -1.
public final class Reshape: Module, Layer {
  public let shape: [Int]
  public init(_ shape: [Int]) {
    self.shape = shape
    super.init()
  }
  public func callAsFunction(_ input: Tensor) -> Tensor { input.reshaped(to: [input.shape[0]] + shape) }
}
