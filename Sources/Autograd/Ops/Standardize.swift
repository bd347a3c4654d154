// Standardization, the core of batch, instance and layer normalization: x̂ = (x - μ) / √(σ² + ε) with μ and the
// biased variance σ² taken over some axes. As a chain of element-wise ops it costs about five passes forward and a
// dozen backward (a sixth of a DCGAN step); as one primitive it is two passes each way. Its rule is the closed form
//   ∂L/∂x = (g - mean(g) - x̂ · mean(g x̂)) / √(σ² + ε),
// computed by a fused kernel for a plain backward pass and, when the backward pass is itself recorded (gradient
// penalties, Hessian-vector products), from differentiable ops, so every derivative order is still exact.

/// x̂ = (x - μ) / √(σ² + ε) over `axes`, with μ and σ² (biased) per position of the other axes, shaped like x with
/// the reduced axes kept as size 1 (the statistics are plain values, outside the graph).
public func standardize(_ x: Tensor, axes: [Int], epsilon: Float) -> (normalized: Tensor, mean: Tensor, variance: Tensor) {
  let reduced = Set(axes.map { Shape.normalize(axis: $0, rank: x.rank, op: "standardize") }).sorted()
  var statisticsShape = x.shape
  for axis in reduced { statisticsShape[axis] = 1 }
  guard let layout = StandardizeLayout(shape: x.shape, axes: reduced), layout.count > 0 else {
    // Kept axes that are not one block: the same function from element-wise ops.
    let mean = x.mean(alongAxes: reduced)
    let centered = x - mean
    let variance = (centered * centered).mean(alongAxes: reduced)
    return (centered / sqrt(variance + epsilon), mean.detached(), variance.detached())
  }
  let (values, mean, variance, inverseDeviation) = Kernels.standardize(x.scalars, layout, epsilon: epsilon)
  let normalized = Tensor.record("standardize", [x], shape: x.shape, scalars: values) { g, out, inputs in
    if !GradientMode.isEnabled {
      // A plain backward pass: the closed form in one fused kernel.
      return [Tensor(shape: g.shape, scalars: Kernels.standardizeBackward(g.scalars, out.scalars, inverseDeviation, layout))]
    }
    // A recorded backward pass: the same closed form from differentiable ops (σ again as a function of x).
    let x = inputs[0]
    let centered = x - x.mean(alongAxes: reduced)
    let deviation = sqrt((centered * centered).mean(alongAxes: reduced) + epsilon)
    let projected = g - g.mean(alongAxes: reduced) - out * (g * out).mean(alongAxes: reduced)
    return [projected / deviation]
  }
  return (normalized, Tensor(shape: statisticsShape, scalars: mean), Tensor(shape: statisticsShape, scalars: variance))
}
