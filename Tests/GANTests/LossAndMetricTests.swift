import XCTest

@testable import GAN
import Autograd

final class LossTests: XCTestCase {
  /// At D = 1/2 everywhere (logits 0) the probabilistic discriminator loss is 2 ln 2.
  func testEquilibriumLoss() {
    let zero = Tensor.zeros([8, 1])
    XCTAssertEqual(AdversarialLoss.minimax.discriminatorLoss(real: zero, fake: zero).scalar, 2 * log(2), accuracy: 1e-6)
    XCTAssertEqual(equilibriumDiscriminatorLoss, 2 * log(2), accuracy: 1e-6)
  }

  /// The formulas, at hand-computed values.
  func testLossValues() {
    let real = Tensor(shape: [2, 1], scalars: [2, 0]), fake = Tensor(shape: [2, 1], scalars: [-1, 1])
    func softplus(_ x: Float) -> Float { log(1 + exp(x)) }
    XCTAssertEqual(AdversarialLoss.nonSaturating.generatorLoss(fakeLogits: fake).scalar,
                   (softplus(1) + softplus(-1)) / 2, accuracy: 1e-6)
    XCTAssertEqual(AdversarialLoss.minimax.generatorLoss(fakeLogits: fake).scalar,
                   -(softplus(-1) + softplus(1)) / 2, accuracy: 1e-6)
    // Wasserstein: mean(fake) - mean(real) = 0 - 1.
    XCTAssertEqual(AdversarialLoss.wasserstein.discriminatorLoss(real: real, fake: fake).scalar, -1, accuracy: 1e-6)
    // Least squares: ½[mean((2-1)², (0-1)²) + mean((-1)², 1²)] = ½(1 + 1).
    XCTAssertEqual(AdversarialLoss.leastSquares.discriminatorLoss(real: real, fake: fake).scalar, 1, accuracy: 1e-6)
    // Hinge: mean(relu(1-2), relu(1-0)) + mean(relu(1-1), relu(1+1)) = 0.5 + 1.
    XCTAssertEqual(AdversarialLoss.hinge.discriminatorLoss(real: real, fake: fake).scalar, 1.5, accuracy: 1e-6)
    // mean((-1-1)², (1-1)²) = 2.
    XCTAssertEqual(AdversarialLoss.leastSquares.generatorLoss(fakeLogits: fake).scalar, 2, accuracy: 1e-6)
  }

  /// For a linear critic f(x) = w·x the input gradient is w everywhere, so the penalty is λ(‖w‖ - 1)² exactly, and
  /// its gradient in w is 2λ(‖w‖ - 1) w/‖w‖.
  func testGradientPenaltyOfLinearCritic() {
    var rng = SeededGenerator(seed: 1)
    let w = Tensor(shape: [3, 1], scalars: [1, 2, 2], requiresGrad: true)  // ‖w‖ = 3
    let real = Tensor.randomNormal([16, 3], using: &rng), fake = Tensor.randomNormal([16, 3], using: &rng)
    let penalty = gradientPenalty(critic: { matmul($0, w) }, real: real, fake: fake, weight: 10, using: &rng)
    XCTAssertEqual(penalty.scalar, 10 * 4, accuracy: 1e-3)
    let g = gradient(of: penalty, wrt: w)
    for (i, wi) in [Float(1), 2, 2].enumerated() { XCTAssertEqual(g.scalars[i], 2 * 10 * 2 * wi / 3, accuracy: 1e-3) }
    let r1 = r1Penalty(critic: { matmul($0, w) }, real: real, gamma: 10)
    XCTAssertEqual(r1.scalar, 5 * 9, accuracy: 1e-3)
  }

  func testMinibatchStandardDeviation() {
    // Two groups of two (samples 0,2 and 1,3); features differ by 2 within group one and by 0 in group two.
    let x = Tensor(shape: [4, 1, 1, 2], scalars: [0, 0, 5, 5, 2, 2, 5, 5])
    let y = minibatchStandardDeviation(x, groupSize: 2)
    XCTAssertEqual(y.shape, [4, 2, 1, 2])
    XCTAssertEqual(y.scalars[2], 1, accuracy: 1e-3)  // std of {0, 2} = 1
    XCTAssertEqual(y.scalars[6], 0, accuracy: 1e-3)
    XCTAssertEqual(y.scalars[10], 1, accuracy: 1e-3)
    let flat = minibatchStandardDeviation(Tensor(shape: [2, 2], scalars: [1, 3, 3, 5]), groupSize: 2)
    XCTAssertEqual(flat.shape, [2, 3])
    XCTAssertEqual(flat.scalars[2], 1, accuracy: 1e-3)
  }
}

final class MetricTests: XCTestCase {
  func testModeCoverage() {
    let centers: [[Float]] = [[0, 0], [10, 0], [0, 10]]
    var points: [Float] = []
    for _ in 0..<30 { points += [0.1, 0] }  // 30 on mode 0
    for _ in 0..<25 { points += [10, 0.2] }  // 25 on mode 1
    for _ in 0..<5 { points += [0, 10] }  // 5 on mode 2: below the minimum count
    for _ in 0..<40 { points += [5, 5] }  // 40 far from every mode
    let coverage = ModeCoverage(samples: Tensor(shape: [100, 2], scalars: points), centers: centers, std: 0.1,
                                minimumCount: 20)
    XCTAssertEqual(coverage.counts, [30, 25, 5])
    XCTAssertEqual(coverage.modesCaptured, 2)
    XCTAssertEqual(coverage.highQualityFraction, 0.6, accuracy: 1e-9)
    let p = [30.0, 25, 5].map { $0 / 60 }
    XCTAssertEqual(coverage.klToUniform, p.reduce(0) { $0 + $1 * log($1 * 3) }, accuracy: 1e-9)
  }

  func testWasserstein() {
    XCTAssertEqual(wasserstein1D([0, 1, 2], [1, 2, 3]), 1, accuracy: 1e-9)
    XCTAssertEqual(wasserstein1D([0, 0], [1, 1, 1, 1]), 1, accuracy: 1e-9)
    XCTAssertEqual(wasserstein1D([0, 1], [0, 0, 1, 1]), 0, accuracy: 1e-9)
    var rng = SeededGenerator(seed: 4)
    let a = Tensor.randomNormal([500, 2], using: &rng)
    let shifted = a + Tensor([3, 0])
    // Every projection of a shift by (3, 0) moves by 3|cos θ|: the mean over directions is 3 * 2/π. The estimate's
    // standard error with 4000 directions is 3 * sd(|cos θ|) / √4000 = 3 * 0.308 / 63.2 ≈ 0.015; allow 4 of them.
    XCTAssertEqual(slicedWasserstein(a, shifted, projections: 4000, using: &rng), 3 * 2 / Double.pi, accuracy: 0.06)
    XCTAssertEqual(correlation([1, 2, 3], [2, 4, 6.5]), 1, accuracy: 1e-2)
  }
}
