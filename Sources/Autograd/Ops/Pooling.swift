// Average pooling and nearest upsampling. With the window equal to the stride they are adjoint up to a factor:
// the backward of one is the other, so both are twice (and more) differentiable.

extension Tensor {
  /// The mean over non-overlapping `size` x `size` windows of the last two axes (height and width must be
  /// multiples of `size`). Other windows and strides go through `avgPool2d(kernelSize:stride:padding:)`.
  public func avgPooled2D(_ size: Int) -> Tensor {
    guard rank >= 2, size >= 1, shape[rank - 2] % size == 0, shape[rank - 1] % size == 0 else {
      shapeFailure(ShapeError(op: "avgPool2d", "shape \(shape) is not divisible into \(size)x\(size) windows"))
    }
    if size == 1 { return self }
    let (newShape, values) = Kernels.avgPool(scalars, shape: shape, size: size)
    return Tensor.record("avgPooled2D", [self], shape: newShape, scalars: values) { g, _, _ in
      [g.upsampledNearest(size) / Float(size * size)]
    }
  }

  /// Each pixel of the last two axes repeated into a `factor` x `factor` block.
  public func upsampledNearest(_ factor: Int) -> Tensor {
    precondition(rank >= 2 && factor >= 1, "upsampleNearest: needs rank 2 or more and factor >= 1, got \(shape), \(factor)")
    if factor == 1 { return self }
    let (newShape, values) = Kernels.upsample(scalars, shape: shape, factor: factor)
    return Tensor.record("upsampledNearest", [self], shape: newShape, scalars: values) { g, _, _ in
      [g.avgPooled2D(factor) * Float(factor * factor)]
    }
  }
}

/// Average pooling of x [N, C, H, W] with any window, stride and zero padding (padding counts in the mean, as in
/// PyTorch's default). A depthwise convolution with constant weights; no rule of its own.
public func avgPool2d(_ x: Tensor, kernelSize: Int, stride: Int? = nil, padding: Int = 0) -> Tensor {
  let s = stride ?? kernelSize
  if s == kernelSize && padding == 0 && x.rank == 4 && x.shape[2] % s == 0 && x.shape[3] % s == 0 {
    return x.avgPooled2D(s)
  }
  let c = x.shape[1]
  let weight = Tensor.full([c, 1, kernelSize, kernelSize], 1 / Float(kernelSize * kernelSize))
  return conv2d(x, weight, stride: s, padding: padding, groups: c)
}
