import XCTest

@testable import GAN

/// The exact assignment W1, the toy trainer and the diagnostics lessons 04 and 05 share.
final class AssignmentWassersteinTests: XCTestCase {
  /// Brute force over all permutations for small clouds: the Hungarian method must find the same optimum.
  func testMatchesBruteForceOnSmallClouds() {
    var rng = SeededGenerator(seed: 11)
    for n in 1...6 {
      for _ in 0..<5 {
        let a = Tensor.randomNormal([n, 2], using: &rng), b = Tensor.randomNormal([n, 2], std: 2, using: &rng)
        var best = Double.infinity
        for permutation in permutations(Array(0..<n)) {
          var total = 0.0
          for i in 0..<n {
            let dx = Double(a.scalars[2 * i]) - Double(b.scalars[2 * permutation[i]])
            let dy = Double(a.scalars[2 * i + 1]) - Double(b.scalars[2 * permutation[i] + 1])
            total += (dx * dx + dy * dy).squareRoot()
          }
          best = min(best, total / Double(n))
        }
        XCTAssertEqual(assignmentWasserstein(a, b), best, accuracy: 1e-9, "n = \(n)")
      }
    }
  }

  /// In one dimension the optimal plan matches sorted values: the same number as `wasserstein1D`.
  func testEqualsTheSortedFormulaInOneDimension() {
    var rng = SeededGenerator(seed: 12)
    let a = Tensor.randomNormal([60, 1], using: &rng), b = Tensor.randomNormal([60, 1], mean: 1, std: 0.5, using: &rng)
    XCTAssertEqual(assignmentWasserstein(a, b), wasserstein1D(a.scalars, b.scalars), accuracy: 1e-5)
  }

  /// Shifting a cloud by t costs exactly ‖t‖: the mean moves by t (so W1 ≥ ‖t‖), and moving every point by t
  /// achieves it. A permuted copy is at distance 0.
  func testTranslationAndPermutation() {
    var rng = SeededGenerator(seed: 13)
    let a = Tensor.randomNormal([40, 2], using: &rng)
    let shifted = a + Tensor(shape: [1, 2], scalars: [0.3, -0.4])
    XCTAssertEqual(assignmentWasserstein(a, shifted), 0.5, accuracy: 1e-5)
    let order = (0..<40).reversed()
    let permuted = Tensor(shape: [40, 2], scalars: order.flatMap { [a.scalars[2 * $0], a.scalars[2 * $0 + 1]] })
    XCTAssertEqual(assignmentWasserstein(a, permuted), 0, accuracy: 1e-9)
  }

  func testAssignmentOfAKnownMatrix() {
    // Rows want columns 2, 0, 1: total 1 + 2 + 1 = 4 (any other permutation costs more).
    let cost: [Double] = [4, 5, 1,
                          2, 8, 7,
                          9, 1, 6]
    XCTAssertEqual(minimumCostAssignment(cost: cost, size: 3), [2, 0, 1])
  }

  private func permutations(_ items: [Int]) -> [[Int]] {
    guard items.count > 1 else { return [items] }
    return items.indices.flatMap { i -> [[Int]] in
      var rest = items
      let first = rest.remove(at: i)
      return permutations(rest).map { [first] + $0 }
    }
  }
}

final class ToyTrainingTests: XCTestCase {
  private func makeTrainer(constraint: CriticConstraint, loss: AdversarialLoss = .wasserstein, seed: UInt64 = 21)
    -> GANTrainer
  {
    var rng = SeededGenerator(seed: seed)
    let g = DisjointSupportStart.generator(seed: seed)
    let f = DisjointSupportStart.critic(using: &rng)
    return GANTrainer(
      generator: g, critic: f, generatorOptimizer: Adam(for: g, learningRate: 1e-3),
      criticOptimizer: Adam(for: f, learningRate: 1e-3), loss: loss, constraint: constraint, criticSteps: 2,
      batchSize: 32, noiseSize: DisjointSupportStart.noiseSize,
      sampleData: { count, rng in Tensor.randomNormal([count, 2], mean: 2, std: 0.1, using: &rng) })
  }

  /// After a critic step under clipping every critic parameter lies in [-c, c]; the generator is untouched.
  func testWeightClippingKeepsTheCriticInTheBox() {
    let trainer = makeTrainer(constraint: .weightClipping(limit: 0.01))
    let before = trainer.generator.parameters().map(\.scalars)
    var rng = SeededGenerator(seed: 1)
    trainer.criticStep(using: &rng)
    for parameter in trainer.critic.parameters() {
      XCTAssertTrue(parameter.scalars.allSatisfy { Swift.abs($0) <= 0.01 })
    }
    XCTAssertEqual(trainer.generator.parameters().map(\.scalars), before)
    XCTAssertGreaterThan(fractionAtClippingBounds(of: trainer.critic, limit: 0.01), 0.5)
  }

  /// The penalized critic reports a positive penalty; a generator step moves G and leaves the critic alone.
  /// With an averaged generator and decay 0 the average is G itself after every update, and `generate` samples from
  /// it; with decay near 1 it stays near the start while G moves. R1 adds to the reported penalty.
  func testAveragedGeneratorAndR1() {
    var rng = SeededGenerator(seed: 5)
    func makeTrainer(decay: Float) -> GANTrainer {
      let g = DisjointSupportStart.generator(seed: 5), average = DisjointSupportStart.copy(of: g)
      let f = DisjointSupportStart.critic(using: &rng)
      return GANTrainer(
        generator: g, critic: f, generatorOptimizer: Adam(for: g, learningRate: 1e-2),
        criticOptimizer: Adam(for: f, learningRate: 1e-3), loss: .nonSaturating, r1Gamma: 1, batchSize: 16,
        noiseSize: DisjointSupportStart.noiseSize, averagedGenerator: average, averageDecay: decay,
        sampleData: { count, rng in Tensor.randomNormal([count, 2], mean: 2, std: 0.1, using: &rng) })
    }
    let z = Tensor.randomNormal([8, 2], using: &rng)
    let copying = makeTrainer(decay: 0)
    for _ in 0..<3 { XCTAssertGreaterThan(copying.step(using: &rng).critic.penalty, 0) }
    XCTAssertEqual(copying.generate(from: z).scalars, withoutGradients { copying.generator(z) }.scalars)
    let slow = makeTrainer(decay: 0.999)
    let start = slow.generate(from: z).scalars
    for _ in 0..<3 { slow.step(using: &rng) }
    XCTAssertNotEqual(slow.generate(from: z).scalars, withoutGradients { slow.generator(z) }.scalars)
    XCTAssertNotEqual(slow.generate(from: z).scalars, start, "the warm-up lets the average follow early updates")
  }

  func testGradientPenaltyAndGeneratorStep() {
    let trainer = makeTrainer(constraint: .gradientPenalty(weight: 10))
    var rng = SeededGenerator(seed: 2)
    let update = trainer.criticStep(using: &rng)
    XCTAssertGreaterThan(update.penalty, 0)
    XCTAssertTrue(update.loss.isFinite && update.scoreGap.isFinite)
    let criticBefore = trainer.critic.parameters().map(\.scalars)
    let generatorBefore = trainer.generator.parameters().map(\.scalars)
    trainer.generatorStep(using: &rng)
    XCTAssertEqual(trainer.critic.parameters().map(\.scalars), criticBefore)
    XCTAssertNotEqual(trainer.generator.parameters().map(\.scalars), generatorBefore)
    let step = trainer.step(using: &rng)
    XCTAssertTrue(step.critic.loss.isFinite && step.generatorLoss.isFinite)
  }

  /// For G(z) = zW + b and a linear critic f(x) = x·v, the Wasserstein generator loss −mean f(G(z)) has gradient −v
  /// for b and −mean(z)ᵀ v for W, whatever W and b are.
  func testGeneratorGradientNormOfLinearNetworks() {
    var rng = SeededGenerator(seed: 3)
    let g = Sequential(Linear(inputSize: 2, outputSize: 2, using: &rng))
    let critic = Sequential(Linear(inputSize: 2, outputSize: 1, bias: false, using: &rng))
    let v: [Float] = (critic.layers[0] as! Linear).weight.scalars
    let z = Tensor.randomNormal([16, 2], using: &rng)
    var meanZ: [Double] = [0, 0]
    for i in 0..<16 {
      meanZ[0] += Double(z.scalars[2 * i]) / 16
      meanZ[1] += Double(z.scalars[2 * i + 1]) / 16
    }
    let vNorm2: Double = Double(v[0]) * Double(v[0]) + Double(v[1]) * Double(v[1])
    let meanZNorm2: Double = meanZ[0] * meanZ[0] + meanZ[1] * meanZ[1]
    let expected: Double = (vNorm2 + vNorm2 * meanZNorm2).squareRoot()
    let measured = generatorGradientNorm(generator: g, critic: critic, loss: .wasserstein, noise: z)
    XCTAssertEqual(measured, expected, accuracy: 1e-5)
  }

  /// A linear function's field: values a·x + c on the grid, gradient a everywhere; arrows subsample the grid.
  func testPlaneFieldOfALinearFunction() {
    let weight = Tensor(shape: [2, 1], scalars: [0.5, -2])
    let field = planeField(of: { matmul($0, weight) + 1 }, x: -1...1, y: 0...2, resolution: 5)
    XCTAssertEqual(field.xs, [-1, -0.5, 0, 0.5, 1])
    XCTAssertEqual(field.ys, [0, 0.5, 1, 1.5, 2])
    XCTAssertEqual(field.values[3 * 5 + 4], 0.5 * 1 - 2 * 1.5 + 1, accuracy: 1e-6)
    XCTAssertTrue(field.gradientX.allSatisfy { Swift.abs($0 - 0.5) < 1e-6 })
    XCTAssertTrue(field.gradientY.allSatisfy { Swift.abs($0 + 2) < 1e-6 })
    let arrows = field.arrows(every: 2)
    XCTAssertEqual(arrows.x, [-0.5, 0.5, -0.5, 0.5])
    XCTAssertEqual(arrows.y, [0.5, 0.5, 1.5, 1.5])
  }

  /// The shared start: the same seed gives the same generator; its samples sit well inside the ring; a copy computes
  /// the same function; the last layer is the fresh one scaled by `outputScale`.
  func testDisjointSupportStart() {
    let g1 = DisjointSupportStart.generator(seed: 5), g2 = DisjointSupportStart.generator(seed: 5)
    var rng = SeededGenerator(seed: 6)
    let z = Tensor.randomNormal([2000, 2], using: &rng)
    let x = withoutGradients { g1(z) }
    XCTAssertEqual(x.scalars, withoutGradients { g2(z) }.scalars)
    XCTAssertEqual(withoutGradients { DisjointSupportStart.copy(of: g1)(z) }.scalars, x.scalars)
    var largestRadius: Float = 0
    for i in 0..<2000 {
      let a: Float = x.scalars[2 * i], b: Float = x.scalars[2 * i + 1]
      largestRadius = max(largestRadius, (a * a + b * b).squareRoot())
    }
    XCTAssertLessThan(largestRadius, 1)
    var fresh = SeededGenerator(seed: 5)
    let unscaled = multilayerPerceptron(sizes: [2, 64, 64, 2], activation: .relu, using: &fresh)
    let last = g1.layers.last as! Linear, unscaledLast = unscaled.layers.last as! Linear
    for (scaled, original) in zip(last.weight.scalars, unscaledLast.weight.scalars) {
      XCTAssertEqual(scaled, original * DisjointSupportStart.outputScale, accuracy: 1e-7)
    }
  }
}
