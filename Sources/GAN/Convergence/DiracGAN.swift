import Autograd

/// The Dirac-GAN of Mescheder, Geiger & Nowozin (2018), "Which Training Methods for GANs do actually Converge?":
/// the smallest GAN that shows why gradient-based GAN training need not converge.
///
/// - The data is a point mass at 0.
/// - The generator is a point mass at θ (one number, its only parameter).
/// - The discriminator is linear, D_ψ(x) = ψ·x (one number ψ).
///
/// The two play L(θ, ψ) = f(D_ψ(θ)) + f(−D_ψ(0)) = f(ψθ) + f(0) with f(t) = −log(1 + e^(−t)) (the standard GAN):
/// the discriminator ascends L, the generator descends it. The unique equilibrium is θ = ψ = 0: the generator sits
/// on the data and the discriminator is flat. Training follows the vector field
///
///     v(θ, ψ) = (−∂L/∂θ, ∂L/∂ψ) = (−f′(ψθ)·ψ,  f′(ψθ)·θ),          f′(t) = 1 / (1 + e^t),  f′(0) = 1/2,
///
/// whose Jacobian at the equilibrium is [[0, −f′(0)], [f′(0), 0]], with eigenvalues ±i·f′(0): purely imaginary, so
/// the flow circles the equilibrium for ever (θ² + ψ² is conserved exactly) and no step size makes plain gradient
/// descent converge. The R1 penalty (γ/2)·‖∇ₓD(x)‖² on the data, here (γ/2)·ψ², adds −γψ to the discriminator's
/// velocity and moves the eigenvalues to −γ/2 ± √(γ²/4 − f′(0)²): into the left half plane, so small enough steps
/// converge.
///
/// Every gradient here is computed by the autodiff engine from the losses (the R1 term by double backward through
/// `r1Penalty`), not from the closed forms above; the closed forms are what the tests and the lesson compare with.
public struct DiracGAN: Sendable {
  /// The R1 weight γ (0: no regularization).
  public let r1Weight: Float

  public init(r1Weight: Float = 0) {
    precondition(r1Weight >= 0 && r1Weight.isFinite, "DiracGAN: the R1 weight must be a finite number ≥ 0, got \(r1Weight)")
    self.r1Weight = r1Weight
  }

  /// f′(0) = 1/2, the slope of f(t) = −log(1 + e^(−t)) at the equilibrium, which sets the rotation speed.
  public static let lossSlopeAtEquilibrium: Double = 0.5

  /// f(t) = −log(1 + e^(−t)) = −softplus(−t) through the engine. The Dirac-GAN lives at t = ψθ = 0 (everywhere
  /// on the axes), where a softplus built as relu(t) + log(1 + e^(−|t|)) would record the derivative 0 instead of
  /// 1/2 (the subgradients of relu and |t|); the engine's softplus is exact there (tested in the engine's tests).
  static func f(_ t: Tensor) -> Tensor { -softplus(-t) }

  /// The two players' gradients at (θ, ψ), each of its own objective, computed by the autodiff engine:
  /// `generator` = ∂L/∂θ (the generator descends L), `discriminator` = ∂/∂ψ [L − (γ/2)‖∇ₓD(0)‖²] (the
  /// discriminator ascends L minus the R1 penalty).
  public func gradients(theta: Float, psi: Float) -> (generator: Float, discriminator: Float) {
    let generatorParameter = Tensor(shape: [1, 1], scalars: [theta], requiresGrad: true)
    let discriminatorParameter = Tensor(shape: [1, 1], scalars: [psi], requiresGrad: true)
    // D_ψ(x) = ψ·x on a batch x of shape [N, 1].
    let discriminator: (Tensor) -> Tensor = { x in matmul(x, discriminatorParameter) }
    let real = Tensor.zeros([1, 1])
    // The generator's objective: only f(D(G)) depends on θ.
    let generatorLoss = Self.f(discriminator(generatorParameter)).sum()
    let generatorGradient = gradient(of: generatorLoss, wrt: generatorParameter).scalar
    // The discriminator's objective: L with the generated point held fixed, minus the R1 penalty on the data.
    var discriminatorObjective =
      Self.f(discriminator(generatorParameter.detached())).sum() + Self.f(-discriminator(real)).sum()
    if r1Weight > 0 {
      discriminatorObjective = discriminatorObjective - r1Penalty(critic: discriminator, real: real, gamma: r1Weight)
    }
    let discriminatorGradient = gradient(of: discriminatorObjective, wrt: discriminatorParameter).scalar
    return (generatorGradient, discriminatorGradient)
  }

  /// The training vector field v = (−∂L/∂θ, ∂(L − R1)/∂ψ) at (θ, ψ): where gradient descent-ascent moves per unit
  /// learning rate.
  public func velocity(theta: Float, psi: Float) -> (theta: Float, psi: Float) {
    let g = gradients(theta: theta, psi: psi)
    return (-g.generator, g.discriminator)
  }

  /// The Jacobian of `velocity` at the equilibrium (0, 0), in closed form: [[0, −f′(0)], [f′(0), −γ]].
  public var jacobianAtEquilibrium: Matrix2 {
    let slope = Self.lossSlopeAtEquilibrium
    return Matrix2(0, -slope, slope, -Double(r1Weight))
  }

  /// The eigenvalues of the Jacobian at the equilibrium, in closed form: −γ/2 ± √(γ²/4 − f′(0)²) (a complex pair
  /// ±i·f′(0) without regularization).
  public var eigenvaluesAtEquilibrium: (Complex, Complex) {
    let gamma = Double(r1Weight), slope = Self.lossSlopeAtEquilibrium
    let discriminant = gamma * gamma / 4 - slope * slope
    if discriminant >= 0 {
      let root = discriminant.squareRoot()
      return (Complex(-gamma / 2 + root, 0), Complex(-gamma / 2 - root, 0))
    }
    let root = (-discriminant).squareRoot()
    return (Complex(-gamma / 2, root), Complex(-gamma / 2, -root))
  }

  /// One training step from `state`. Simultaneous: both players step from the same point. Alternating: the
  /// discriminator steps first, then the generator steps against the updated discriminator.
  public func step(
    _ state: DiracState, rule: UpdateRule, generatorLearningRate: Float, discriminatorLearningRate: Float
  ) -> DiracState {
    switch rule {
    case .simultaneous:
      let v = velocity(theta: state.theta, psi: state.psi)
      return DiracState(theta: state.theta + generatorLearningRate * v.theta,
                        psi: state.psi + discriminatorLearningRate * v.psi)
    case .alternating:
      let psi = state.psi + discriminatorLearningRate * velocity(theta: state.theta, psi: state.psi).psi
      let theta = state.theta + generatorLearningRate * velocity(theta: state.theta, psi: psi).theta
      return DiracState(theta: theta, psi: psi)
    }
  }

  /// `steps` training steps from `start`: the `steps + 1` states visited, the start first.
  public func trajectory(
    from start: DiracState, steps: Int, rule: UpdateRule, generatorLearningRate: Float,
    discriminatorLearningRate: Float
  ) -> [DiracState] {
    precondition(steps >= 0, "DiracGAN.trajectory: steps must not be negative, got \(steps)")
    var states = [start]
    states.reserveCapacity(steps + 1)
    var state = start
    for _ in 0..<steps {
      state = step(state, rule: rule, generatorLearningRate: generatorLearningRate,
                   discriminatorLearningRate: discriminatorLearningRate)
      states.append(state)
    }
    return states
  }

  /// The linearization of one training step at the equilibrium: the matrix M with (θ, ψ)ₖ₊₁ ≈ M (θ, ψ)ₖ near (0, 0).
  /// Simultaneous steps give M = I + H·J, with H = diag(h_G, h_D) and J the Jacobian; alternating steps compose the
  /// discriminator's step (which changes ψ only) and then the generator's (θ only). The iterates shrink to the
  /// equilibrium when M's spectral radius is below 1 and move away when it is above 1; exactly 1 means they cycle.
  public func updateMatrix(rule: UpdateRule, generatorLearningRate: Double, discriminatorLearningRate: Double) -> Matrix2 {
    let j = jacobianAtEquilibrium
    let hG = generatorLearningRate, hD = discriminatorLearningRate
    switch rule {
    case .simultaneous:
      return Matrix2(1 + hG * j.a, hG * j.b, hD * j.c, 1 + hD * j.d)
    case .alternating:
      let discriminatorStep = Matrix2(1, 0, hD * j.c, 1 + hD * j.d)
      let generatorStep = Matrix2(1 + hG * j.a, hG * j.b, 0, 1)
      return generatorStep * discriminatorStep
    }
  }
}

/// A point (θ, ψ) of the Dirac-GAN's parameter plane.
public struct DiracState: Sendable, Equatable {
  public var theta: Float
  public var psi: Float
  public init(theta: Float, psi: Float) {
    self.theta = theta
    self.psi = psi
  }
  /// The Euclidean distance to the equilibrium (0, 0).
  public var distanceToEquilibrium: Double {
    (Double(theta) * Double(theta) + Double(psi) * Double(psi)).squareRoot()
  }

  /// The distance to the equilibrium with θ stretched by √(h_D / h_G): √((h_D/h_G)·θ² + ψ²), the Euclidean distance
  /// when both learning rates are equal.
  ///
  /// With two learning rates the unregularized Dirac-GAN's orbits are ellipses, not circles: the continuous flow
  /// θ′ = −h_G f′ψ, ψ′ = h_D f′θ conserves θ²/h_G + ψ²/h_D, so the Euclidean distance swings up and down within each
  /// turn. In this stretched distance every simultaneous step multiplies the distance by exactly √(1 + h_G h_D f′(ψθ)²)
  /// — the orbit's true growth, with the swing taken out.
  public func scaledDistanceToEquilibrium(generatorLearningRate: Float, discriminatorLearningRate: Float) -> Double {
    precondition(generatorLearningRate > 0 && discriminatorLearningRate > 0,
                 "DiracState.scaledDistanceToEquilibrium: learning rates must be positive")
    let stretch = Double(discriminatorLearningRate) / Double(generatorLearningRate)
    return (stretch * Double(theta) * Double(theta) + Double(psi) * Double(psi)).squareRoot()
  }
}

/// How the two players take turns.
public enum UpdateRule: String, Sendable, CaseIterable {
  /// Both step from the same parameters (simultaneous gradient descent-ascent).
  case simultaneous
  /// The discriminator steps, then the generator steps against the updated discriminator.
  case alternating
}
