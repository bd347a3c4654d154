import Autograd

/// WGAN-GP's gradient penalty (Gulrajani et al. 2017): λ E[(‖∇ₓ̂ f(x̂)‖ - 1)²] at x̂ = ε x + (1 - ε) x̃, one uniform
/// ε per sample. Differentiating it needs the gradient of a gradient, which the engine gives for every op.
public func gradientPenalty(
  critic: (Tensor) -> Tensor, real: Tensor, fake: Tensor, weight: Float = 10, using generator: inout SeededGenerator
) -> Tensor {
  precondition(real.shape == fake.shape, "gradientPenalty: real \(real.shape) and fake \(fake.shape) differ")
  var epsilonShape = [Int](repeating: 1, count: real.rank)
  epsilonShape[0] = real.shape[0]
  let epsilon = Tensor.randomUniform(epsilonShape, using: &generator)
  let mixed = (epsilon * real.detached() + (1 - epsilon) * fake.detached()).detached()
  mixed.requiresGrad = true
  let scores = critic(mixed)
  let g = gradient(of: scores.sum(), wrt: mixed, createGraph: true)
  return weight * pow(g.rowNorms() - 1, 2).mean()
}

/// The R1 penalty (Mescheder et al. 2018): γ/2 E[‖∇ₓ D(x)‖²] on real data only. Drives D's gradient to zero on the
/// data, which makes the Dirac-GAN converge.
public func r1Penalty(critic: (Tensor) -> Tensor, real: Tensor, gamma: Float = 10) -> Tensor {
  let x = real.detached()
  x.requiresGrad = true
  let g = gradient(of: critic(x).sum(), wrt: x, createGraph: true)
  return (gamma / 2) * pow(g.flattened(), 2).sum(squeezingAxes: 1).mean()
}

/// The norm of ∇ₓ f(x) for each sample (no graph kept): what the critic's gradient looks like where it is evaluated.
public func inputGradientNorms(critic: (Tensor) -> Tensor, at points: Tensor) -> [Float] {
  let x = points.detached()
  x.requiresGrad = true
  let g = gradient(of: critic(x).sum(), wrt: x)
  return g.rowNorms(epsilon: 0).scalars
}

/// The mean of `inputGradientNorms` over `points`: how steep a critic typically is where it is evaluated, the
/// number to hold against 1 (the slope of the best 1-Lipschitz critic along the paths the mass should take).
public func meanInputGradientNorm(critic: (Tensor) -> Tensor, at points: Tensor) -> Double {
  let norms = inputGradientNorms(critic: critic, at: points)
  return Double(norms.reduce(0, +)) / Double(norms.count)
}
