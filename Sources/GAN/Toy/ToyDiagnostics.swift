import Autograd
import NN

// Measurements of a toy GAN that lessons 04 and 05 share: how strong the generator's gradient is, what the critic
// looks like over the plane, and how much of a clipped critic sits at its bounds.

/// ‖∇_θ L_G‖: the Euclidean norm, over all of the generator's parameters θ together, of the gradient of `loss`'s
/// generator loss on the fakes G(z) made from `noise`, with the critic held fixed. This is the signal a generator
/// update gets; Arjovsky & Bottou (2017, figure 2) plot it against the discriminator's training.
public func generatorGradientNorm(generator: any Layer, critic: any Layer, loss: AdversarialLoss, noise: Tensor)
  -> Double
{
  let parameters = generator.parameters()
  let objective = loss.generatorLoss(fakeLogits: critic(generator(noise)))
  var squares = 0.0
  for g in gradients(of: objective, wrt: parameters) {
    for value in g.scalars { squares += Double(value) * Double(value) }
  }
  return squares.squareRoot()
}

/// A scalar function sampled on a grid over the plane, with its gradient: a critic's landscape.
/// `values[row * xs.count + column]` is f(xs[column], ys[row]); the gradients are stored the same way.
public struct PlaneField: Sendable {
  public let xs: [Float]
  public let ys: [Float]
  public let values: [Float]
  public let gradientX: [Float]
  public let gradientY: [Float]

  /// The gradient norm at every grid point.
  public var gradientNorms: [Float] { zip(gradientX, gradientY).map { ($0 * $0 + $1 * $1).squareRoot() } }

  /// Every `stride`-th grid point in each direction as parallel arrays (x, y, ∂f/∂x, ∂f/∂y): a sparser set of
  /// arrows for a vector plot.
  public func arrows(every stride: Int) -> (x: [Float], y: [Float], dx: [Float], dy: [Float]) {
    var result: (x: [Float], y: [Float], dx: [Float], dy: [Float]) = ([], [], [], [])
    for row in Swift.stride(from: stride / 2, to: ys.count, by: stride) {
      for column in Swift.stride(from: stride / 2, to: xs.count, by: stride) {
        let index = row * xs.count + column
        result.x.append(xs[column])
        result.y.append(ys[row])
        result.dx.append(gradientX[index])
        result.dy.append(gradientY[index])
      }
    }
    return result
  }
}

/// Evaluates `function` ([N, 2] -> [N, 1]) on a `resolution` x `resolution` grid over `x` × `y`, with its gradient
/// with respect to the input at every grid point.
public func planeField(
  of function: (Tensor) -> Tensor, x: ClosedRange<Float>, y: ClosedRange<Float>, resolution: Int
) -> PlaneField {
  precondition(resolution >= 2, "planeField: resolution must be at least 2, got \(resolution)")
  let xs = Tensor.linspace(x.lowerBound, x.upperBound, count: resolution).scalars
  let ys = Tensor.linspace(y.lowerBound, y.upperBound, count: resolution).scalars
  var points = [Float]()
  points.reserveCapacity(2 * resolution * resolution)
  for row in 0..<resolution {
    for column in 0..<resolution { points += [xs[column], ys[row]] }
  }
  let input = Tensor(shape: [resolution * resolution, 2], scalars: points, requiresGrad: true)
  let output = function(input)
  precondition(output.count == resolution * resolution, "planeField: the function must give one value per point")
  let g = gradient(of: output.sum(), wrt: input).scalars
  return PlaneField(
    xs: xs, ys: ys, values: output.scalars,
    gradientX: stride(from: 0, to: g.count, by: 2).map { g[$0] },
    gradientY: stride(from: 1, to: g.count, by: 2).map { g[$0] })
}

/// The share of `module`'s weights (parameters of rank ≥ 2; biases are left out) whose magnitude is within
/// `relativeTolerance` of `limit`: after weight clipping at c, how many weights sit at ±c.
public func fractionAtClippingBounds(of module: Module, limit: Float, relativeTolerance: Float = 0.01) -> Double {
  let values = clippableWeights(of: module)
  guard !values.isEmpty else { return 0 }
  let threshold = limit * (1 - relativeTolerance)
  return Double(values.filter { Swift.abs($0) >= threshold }.count) / Double(values.count)
}

/// Every weight of `module` (parameters of rank ≥ 2, i.e. matrices and kernels, not biases), flattened.
public func clippableWeights(of module: Module) -> [Float] {
  module.parameters().filter { $0.rank >= 2 }.flatMap(\.scalars)
}

/// Multiplies the last `Linear` layer of `network` (weight and bias) by `factor`, in place. With a factor well
/// below 1 a freshly initialized generator puts all its samples in a small blob around its output bias.
public func scaleLastLinearLayer(of network: Sequential, by factor: Float) {
  guard let last = network.layers.last(where: { $0 is Linear }) as? Linear else {
    preconditionFailure("scaleLastLinearLayer: the network has no Linear layer")
  }
  for parameter in [last.weight] + (last.bias.map { [$0] } ?? []) {
    parameter.scalars = parameter.scalars.map { $0 * factor }
  }
}
