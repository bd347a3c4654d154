// Convolution as three bilinear primitives that are each other's adjoints:
//   conv2d(x, w)                 y = x ⋆ w
//   conv2dInputGrad(gy, w)       the gradient of <gy, x ⋆ w> in x, which is also the transposed convolution
//   conv2dWeightGrad(x, gy)      the gradient of <gy, x ⋆ w> in w
// Each rule is written with the other two, so gradients of gradients exist to every order.

/// 2D convolution (cross-correlation, as in PyTorch) of x [N, C, H, W] with w [O, C / groups, kH, kW].
public func conv2d(_ x: Tensor, _ w: Tensor, stride: Int = 1, padding: Int = 0, groups: Int = 1) -> Tensor {
  guard x.rank == 4, w.rank == 4, groups >= 1, stride >= 1, padding >= 0, x.shape[1] == w.shape[1] * groups,
    w.shape[0] % groups == 0, x.shape[2] + 2 * padding >= w.shape[2], x.shape[3] + 2 * padding >= w.shape[3]
  else {
    shapeFailure(ShapeError(
      op: "conv2d",
      "input \(x.shape) does not fit weight \(w.shape) (stride \(stride), padding \(padding), groups \(groups)); "
        + "expected input [N, \(w.rank == 4 ? w.shape[1] * groups : -1), H, W] with H, W + 2*padding >= kernel"))
  }
  let g = ConvGeometry(
    batch: x.shape[0], inChannels: x.shape[1], height: x.shape[2], width: x.shape[3], outChannels: w.shape[0],
    kernelH: w.shape[2], kernelW: w.shape[3], stride: stride, padding: padding, groups: groups)
  return conv2d(x, w, g)
}

/// Transposed 2D convolution of x [N, C, H, W] with w [C, O / groups, kH, kW] (PyTorch's ConvTranspose2d layout):
/// output [N, O, (H - 1) * stride - 2 * padding + kH + outputPadding, ...].
public func convTranspose2d(
  _ x: Tensor, _ w: Tensor, stride: Int = 1, padding: Int = 0, outputPadding: Int = 0, groups: Int = 1
) -> Tensor {
  guard x.rank == 4, w.rank == 4, groups >= 1, stride >= 1, padding >= 0, outputPadding >= 0,
    outputPadding < stride, x.shape[1] == w.shape[0], w.shape[0] % groups == 0
  else {
    shapeFailure(ShapeError(
      op: "convTranspose2d",
      "input \(x.shape) does not fit weight \(w.shape) (stride \(stride), padding \(padding), outputPadding "
        + "\(outputPadding), groups \(groups)); expected input [N, \(w.rank == 4 ? w.shape[0] : -1), H, W]"))
  }
  let outH = (x.shape[2] - 1) * stride - 2 * padding + w.shape[2] + outputPadding
  let outW = (x.shape[3] - 1) * stride - 2 * padding + w.shape[3] + outputPadding
  guard outH > 0, outW > 0 else {
    shapeFailure(ShapeError(op: "convTranspose2d", "input \(x.shape) with weight \(w.shape) gives an empty output"))
  }
  // The convolution whose input-gradient this is: from [N, O, outH, outW] to x's shape.
  let g = ConvGeometry(
    batch: x.shape[0], inChannels: w.shape[1] * groups, height: outH, width: outW, outChannels: w.shape[0],
    kernelH: w.shape[2], kernelW: w.shape[3], stride: stride, padding: padding, groups: groups)
  return conv2dInputGrad(x, w, g)
}

/// conv2d on a geometry already checked and worked out (the primitive the public `conv2d` records).
func conv2d(_ x: Tensor, _ w: Tensor, _ g: ConvGeometry) -> Tensor {
  conv2d(x, w, g, keepingColumnsAlsoFor: false).output
}

/// conv2d(x, w), keeping its column matrices (small images only) when a gradient in w will need them, or when the
/// caller will take another weight gradient with this same x (`alsoFor`); they are returned for that.
func conv2d(_ x: Tensor, _ w: Tensor, _ g: ConvGeometry, keepingColumnsAlsoFor other: Bool)
  -> (output: Tensor, columns: SavedColumns?)
{
  let wanted = other || (GradientMode.isEnabled && w.requiresGrad)
  let keep = wanted && Kernels.keepsColumns(g) ? SavedColumns(chunks: chunkCount(cost: g.flops, items: g.batch)) : nil
  let y = Kernels.conv2d(x.scalars, w.scalars, g, keep: keep)
  let output = Tensor.record("conv2d", [x, w], shape: g.outputShape, scalars: y) { gy, _, i, needed in
    [needed[0] ? conv2dInputGrad(gy, i[1], g) : nil, needed[1] ? conv2dWeightGrad(i[0], gy, g, saved: keep) : nil]
  }
  return (output, keep)
}

func conv2dInputGrad(_ gy: Tensor, _ w: Tensor, _ g: ConvGeometry) -> Tensor {
  Tensor.record("conv2dInputGrad", [gy, w], shape: g.inputShape, scalars: Kernels.conv2dInputGrad(gy.scalars, w.scalars, g)) {
    gx, _, i, needed in
    // Both gradients unfold gx the same way: the first one's columns serve the second.
    let first = needed[0] ? conv2d(gx, i[1], g, keepingColumnsAlsoFor: needed[1]) : nil
    return [first?.output, needed[1] ? conv2dWeightGrad(gx, i[0], g, saved: first?.columns) : nil]
  }
}

func conv2dWeightGrad(_ x: Tensor, _ gy: Tensor, _ g: ConvGeometry, saved: SavedColumns? = nil) -> Tensor {
  let values = Kernels.conv2dWeightGrad(x.scalars, gy.scalars, g, saved: saved)
  return Tensor.record("conv2dWeightGrad", [x, gy], shape: g.weightShape, scalars: values) {
    gw, _, i, needed in
    [needed[0] ? conv2dInputGrad(i[1], gw, g) : nil, needed[1] ? conv2d(i[0], gw, g) : nil]
  }
}
