import XCTest

@testable import GAN

/// The Dirac-GAN's engine gradients against their closed forms, the linear stability theory, and the helpers.
final class ConvergenceTests: XCTestCase {
  /// σ(−t) = f′(t) for f(t) = −log(1 + e^(−t)).
  private func slope(_ t: Float) -> Float { 1 / (1 + exp(t)) }

  func testEngineGradientsMatchTheClosedForm() {
    let gamma: Float = 0.7
    let game = DiracGAN(r1Weight: gamma)
    for (theta, psi) in [(Float(0.3), Float(-0.8)), (-1.2, 0.4), (0.05, 0.02), (0, 0.6), (0.9, 0)] {
      let g = game.gradients(theta: theta, psi: psi)
      // ∂L/∂θ = f′(ψθ)ψ; the discriminator's objective L − (γ/2)ψ² has ∂/∂ψ = f′(ψθ)θ − γψ.
      XCTAssertEqual(g.generator, slope(psi * theta) * psi, accuracy: 1e-5, "θ = \(theta), ψ = \(psi)")
      XCTAssertEqual(g.discriminator, slope(psi * theta) * theta - gamma * psi, accuracy: 1e-5, "θ = \(theta), ψ = \(psi)")
      let v = game.velocity(theta: theta, psi: psi)
      XCTAssertEqual(v.theta, -g.generator)
      XCTAssertEqual(v.psi, g.discriminator)
    }
    // On the axes ψθ = 0, where f′(0) = 1/2 must come out exactly (not a subgradient 0).
    XCTAssertEqual(DiracGAN().velocity(theta: 0, psi: 0.5).theta, -0.25, accuracy: 1e-6)
    XCTAssertEqual(DiracGAN().velocity(theta: 0.5, psi: 0).psi, 0.25, accuracy: 1e-6)
  }

  func testEigenvaluesAtTheEquilibrium() {
    let (first, second) = DiracGAN().eigenvaluesAtEquilibrium
    XCTAssertEqual(first, Complex(0, 0.5))
    XCTAssertEqual(second, Complex(0, -0.5))
    // Under- and over-damped R1: the closed form agrees with the Jacobian's characteriztic polynomial.
    for gamma: Float in [0.3, 1, 2.5] {
      let game = DiracGAN(r1Weight: gamma)
      let closed = game.eigenvaluesAtEquilibrium, matrix = game.jacobianAtEquilibrium.eigenvalues
      XCTAssertEqual(closed.0.real, matrix.0.real, accuracy: 1e-12)
      XCTAssertEqual(closed.0.imaginary, matrix.0.imaginary, accuracy: 1e-12)
      XCTAssertEqual(closed.1.real, matrix.1.real, accuracy: 1e-12)
      XCTAssertEqual(closed.1.imaginary, matrix.1.imaginary, accuracy: 1e-12)
      XCTAssertLessThan(max(closed.0.real, closed.1.real), 0, "R1 γ = \(gamma) must give negative real parts")
    }
    XCTAssertEqual(DiracGAN(r1Weight: 1).eigenvaluesAtEquilibrium.0, Complex(-0.5, 0))
  }

  func testUpdateMatrices() {
    let plain = DiracGAN()
    let h = 0.2
    // Simultaneous: I + hJ, eigenvalues 1 ± ih/2, spectral radius √(1 + h²/4).
    let simultaneous = plain.updateMatrix(rule: .simultaneous, generatorLearningRate: h, discriminatorLearningRate: h)
    XCTAssertEqual(simultaneous, Matrix2(1, -0.1, 0.1, 1))
    XCTAssertEqual(simultaneous.spectralRadius, (1 + h * h / 4).squareRoot(), accuracy: 1e-12)
    // TTUR: √(1 + h_G h_D / 4).
    let ttur = plain.updateMatrix(rule: .simultaneous, generatorLearningRate: 0.05, discriminatorLearningRate: 0.2)
    XCTAssertEqual(ttur.spectralRadius, (1 + 0.05 * 0.2 / 4).squareRoot(), accuracy: 1e-12)
    // Alternating: determinant 1 and |trace| < 2, so both eigenvalues on the unit circle.
    let alternating = plain.updateMatrix(rule: .alternating, generatorLearningRate: h, discriminatorLearningRate: h)
    XCTAssertEqual(alternating.determinant, 1, accuracy: 1e-12)
    XCTAssertEqual(alternating.spectralRadius, 1, accuracy: 1e-12)
    // R1: inside the unit circle.
    let damped = DiracGAN(r1Weight: 0.3).updateMatrix(rule: .simultaneous, generatorLearningRate: h,
                                                      discriminatorLearningRate: h)
    XCTAssertLessThan(damped.spectralRadius, 1)
  }

  func testOneStepMatchesTheUpdateMatrixNearTheEquilibrium() {
    // Near (0, 0) one engine step is the linear map, for both rules and with R1.
    let start = DiracState(theta: 1e-3, psi: -2e-3)
    for (game, rule) in [(DiracGAN(), UpdateRule.simultaneous), (DiracGAN(), .alternating),
                         (DiracGAN(r1Weight: 0.4), .simultaneous), (DiracGAN(r1Weight: 0.4), .alternating)] {
      let next = game.step(start, rule: rule, generatorLearningRate: 0.1, discriminatorLearningRate: 0.3)
      let predicted = game.updateMatrix(rule: rule, generatorLearningRate: 0.1, discriminatorLearningRate: 0.3)
        .applied(to: (Double(start.theta), Double(start.psi)))
      XCTAssertEqual(Double(next.theta), predicted.0, accuracy: 1e-8, "\(rule), γ = \(game.r1Weight)")
      XCTAssertEqual(Double(next.psi), predicted.1, accuracy: 1e-8, "\(rule), γ = \(game.r1Weight)")
    }
  }

  func testSimultaneousStepsGrowTheDistanceExactly() {
    // Unregularized simultaneous steps: ‖x_{k+1}‖² = ‖x_k‖² (1 + h² f′(ψθ)²), even far from the equilibrium.
    let game = DiracGAN()
    var state = DiracState(theta: 0.8, psi: 0.6)
    for _ in 0..<20 {
      let next = game.step(state, rule: .simultaneous, generatorLearningRate: 0.2, discriminatorLearningRate: 0.2)
      let s = Double(slope(state.psi * state.theta))
      let expected = state.distanceToEquilibrium * (1 + 0.04 * s * s).squareRoot()
      XCTAssertEqual(next.distanceToEquilibrium, expected, accuracy: 1e-6)
      state = next
    }
    let trajectory = game.trajectory(from: state, steps: 5, rule: .simultaneous, generatorLearningRate: 0.2,
                                     discriminatorLearningRate: 0.2)
    XCTAssertEqual(trajectory.count, 6)
    XCTAssertEqual(trajectory[0], state)
  }

  func testScaledDistanceGrowsExactlyUnderTwoTimeScales() {
    // θ²/h_G + ψ²/h_D grows by exactly 1 + h_G h_D f′(ψθ)² per simultaneous step.
    let game = DiracGAN()
    var state = DiracState(theta: 0.3, psi: -0.5)
    XCTAssertEqual(state.scaledDistanceToEquilibrium(generatorLearningRate: 0.1, discriminatorLearningRate: 0.1),
                   state.distanceToEquilibrium, accuracy: 1e-12)
    for _ in 0..<30 {
      let next = game.step(state, rule: .simultaneous, generatorLearningRate: 0.05, discriminatorLearningRate: 0.2)
      let s = Double(slope(state.psi * state.theta))
      let before = state.scaledDistanceToEquilibrium(generatorLearningRate: 0.05, discriminatorLearningRate: 0.2)
      let after = next.scaledDistanceToEquilibrium(generatorLearningRate: 0.05, discriminatorLearningRate: 0.2)
      XCTAssertEqual(after / before, (1 + 0.05 * 0.2 * s * s).squareRoot(), accuracy: 1e-6)
      state = next
    }
  }

  func testLogGrowthRateRecoversAGeometricRate() {
    let distances = (0..<50).map { 3 * pow(0.97, Double($0)) }
    XCTAssertEqual(logGrowthRate(distances), log(0.97), accuracy: 1e-12)
    XCTAssertEqual(logGrowthRate([2, 2, 2]), 0, accuracy: 1e-15)
  }

  func testTailSpread() {
    let spread = TailSpread([9, 9, 1, 3, 1, 3], lastFraction: 0.5)
    XCTAssertEqual(spread.tail, [3, 1, 3])
    XCTAssertEqual(spread.mean, 7.0 / 3, accuracy: 1e-12)
    XCTAssertEqual(spread.range, 2)
    XCTAssertEqual(spread.standardDeviation, (8.0 / 9).squareRoot(), accuracy: 1e-12)
    XCTAssertEqual(spread.meanAbsoluteChange, 2)
    XCTAssertEqual(spread.medianAbsoluteChange, 2)
    // One jump moves the mean, not the median.
    let jumpy = TailSpread([0, 1, 2, 3, 13, 14], lastFraction: 1)
    XCTAssertEqual(jumpy.medianAbsoluteChange, 1)
    XCTAssertEqual(jumpy.meanAbsoluteChange, 14.0 / 5, accuracy: 1e-12)
    XCTAssertEqual(TailSpread([0, 1, 3, 6], lastFraction: 1).medianAbsoluteChange, 2)
  }

  func testSpectrallyNormalizedNetworkIsOneLipschitz() {
    var rng = SeededGenerator(seed: 3)
    let network = multilayerPerceptron(sizes: [2, 16, 16, 1], activation: .leakyReLU(slope: 0.2), using: &rng)
    // Make the plain network steep, then wrap it.
    for parameter in network.parameters() { parameter.scalars = parameter.scalars.map { $0 * 5 } }
    let normalized = spectrallyNormalized(network, powerIterations: 20, using: &rng)
    XCTAssertEqual(normalized.layers.count, network.layers.count)
    XCTAssertEqual(normalized.parameters().count, network.parameters().count, "the Linear layers are shared")
    let points = Tensor.randomNormal([200, 2], using: &rng)
    _ = normalized(points)  // settle the power iteration
    let plainSlopes = inputGradientNorms(critic: { network($0) }, at: points)
    let slopes = inputGradientNorms(critic: { normalized($0) }, at: points)
    XCTAssertGreaterThan(plainSlopes.max()!, 5)
    XCTAssertLessThanOrEqual(slopes.max()!, 1.001)
  }

  /// The trajectory's measured growth rate follows the linear theory: out for simultaneous steps, in under R1; the
  /// engine's Jacobian at the equilibrium equals the closed form.
  func testDiracTrajectoryMatchesItsLinearPrediction() {
    let start = DiracState(theta: 0.1, psi: 0.05)
    let out = DiracTrajectory(DiracGAN(), rule: .simultaneous, generatorRate: 0.2, discriminatorRate: 0.2, start: start,
                              steps: 300)
    let inwards = DiracTrajectory(DiracGAN(r1Weight: 0.3), rule: .simultaneous, generatorRate: 0.2,
                                  discriminatorRate: 0.2, start: start, steps: 300)
    XCTAssertGreaterThan(out.distanceRatio, 1)
    XCTAssertLessThan(inwards.distanceRatio, 1)
    XCTAssertLessThan(out.relativeError, 0.05)
    XCTAssertLessThan(inwards.relativeError, 0.05)
    let game = DiracGAN(r1Weight: 0.3)
    XCTAssertLessThan(game.measuredJacobianAtEquilibrium().largestDifference(to: game.jacobianAtEquilibrium), 1e-3)
    XCTAssertEqual(Complex.pairText((Complex(0.5, 0.25), Complex(0.5, -0.25))), "0.5 ± 0.25i")
  }
}
