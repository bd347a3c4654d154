import Foundation
import XCTest

@testable import GAN

/// The conditional GAN of lesson 11 and the statistics of its experiment.
final class ConditionalGANTests: XCTestCase {
  // MARK: The networks

  /// Shapes, and parameter counts computed by hand from the layers (noise 64, embedding 16, width 16):
  /// G = embedding 10·16 + Linear(80 → 1568) + BN1d(1568) + ConvT(32 → 16, 4×4) + BN(16) + ConvT(16 → 1, 4×4);
  /// D = Conv(1 → 16, 4×4) + Conv(16 → 32, 4×4) + BN(32) + Linear(1568 → 1) + embedding 10·1568.
  func testShapesAndParameterCounts() {
    var rng = SeededGenerator(seed: 1)
    let g = ConditionalMNISTGenerator(noiseSize: 64, embeddingSize: 16, width: 16, using: &rng)
    let d = ProjectionMNISTDiscriminator(width: 16, using: &rng)
    XCTAssertEqual(g.parameterCount, 160 + (80 * 1568 + 1568) + 2 * 1568 + (32 * 16 * 16 + 16) + 32 + (16 * 16 + 1))
    XCTAssertEqual(d.parameterCount, (16 * 16 + 16) + (16 * 32 * 16 + 32) + 64 + 1569 + 10 * 1568)
    let images = g(Tensor.randomNormal([6, 64], using: &rng), labels: [0, 1, 2, 3, 4, 9])
    XCTAssertEqual(images.shape, [6, 1, 28, 28])
    XCTAssertTrue(images.scalars.allSatisfy { $0 >= -1 && $0 <= 1 })
    XCTAssertEqual(d(images, labels: [0, 1, 2, 3, 4, 9]).shape, [6, 1])
  }

  /// The same noise with different labels gives different images: the label reaches the output. In a batch of one
  /// label only, training-mode batch norm erases it (the documented trap); evaluation mode keeps it.
  func testTheLabelChangesTheImage() {
    var rng = SeededGenerator(seed: 2)
    let g = ConditionalMNISTGenerator(width: 8, using: &rng)
    let z = Tensor.randomNormal([4, g.noiseSize], using: &rng)
    func meanChange(_ a: [Int], _ b: [Int]) -> Float {
      let first = withoutGradients { g(z, labels: a) }.scalars
      let second = withoutGradients { g(z, labels: b) }.scalars
      return zip(first, second).map { abs($0 - $1) }.reduce(0, +) / Float(first.count)
    }
    XCTAssertGreaterThan(meanChange([3, 7, 3, 7], [7, 3, 7, 3]), 1e-3)
    XCTAssertLessThan(meanChange([3, 3, 3, 3], [7, 7, 7, 7]), 1e-5, "batch norm should erase a batch-wide label")
    g.eval()
    XCTAssertGreaterThan(meanChange([3, 3, 3, 3], [7, 7, 7, 7]), 1e-3)
  }

  /// D(x, y) − D(x, y') = ⟨E(y) − E(y'), φ(x)⟩: the label enters only through the projection.
  func testProjectionTerm() {
    var rng = SeededGenerator(seed: 3)
    let d = ProjectionMNISTDiscriminator(width: 8, using: &rng)
    let x = Tensor.randomNormal([5, 1, 28, 28], using: &rng)
    let a = [0, 1, 2, 3, 4], b = [9, 8, 7, 6, 5]
    let (logitsA, logitsB, features) = withoutGradients { (d(x, labels: a).scalars, d(x, labels: b).scalars, d.base.features(x)) }
    let table = d.embedding.weight.scalars, size = features.shape[1]
    for i in 0..<5 {
      var expected: Float = 0
      for k in 0..<size {
        expected += (table[a[i] * size + k] - table[b[i] * size + k]) * features.scalars[i * size + k]
      }
      XCTAssertEqual(logitsA[i] - logitsB[i], expected, accuracy: 1e-4 * max(1, abs(expected)))
    }
  }

  /// A few training steps: finite losses, both networks move, and D learns to separate a fixed real batch.
  func testTrainerStepsChangeBothNetworks() {
    var rng = SeededGenerator(seed: 4)
    let g = ConditionalMNISTGenerator(width: 8, using: &rng)
    let d = ProjectionMNISTDiscriminator(width: 8, using: &rng)
    let trainer = ConditionalGANTrainer(generator: g, discriminator: d, learningRate: 1e-3)
    let gBefore = g.parameters().map(\.scalars), dBefore = d.parameters().map(\.scalars)
    let real = Tensor.randomNormal([8, 1, 28, 28], std: 0.3, using: &rng)
    let labels = [0, 1, 2, 3, 4, 5, 6, 7]
    var losses: [(discriminator: Float, generator: Float)] = []
    for _ in 0..<5 { losses.append(trainer.step(real: real, labels: labels, using: &rng)) }
    XCTAssertTrue(losses.allSatisfy { $0.discriminator.isFinite && $0.generator.isFinite })
    XCTAssertNotEqual(g.parameters().map(\.scalars), gBefore)
    XCTAssertNotEqual(d.parameters().map(\.scalars), dBefore)
  }

  // MARK: The experiment's pieces

  func testBalancedSubset() {
    let labels = (0..<1000).map { ($0 * 7) % 10 }
    var rng = SeededGenerator(seed: 5)
    let subset = balancedSubsetIndices(labels: labels, perClass: 6, using: &rng)
    XCTAssertEqual(subset.count, 60)
    XCTAssertEqual(Set(subset).count, 60, "indices repeat")
    var counts = [Int](repeating: 0, count: 10)
    for index in subset { counts[labels[index]] += 1 }
    XCTAssertEqual(counts, [Int](repeating: 6, count: 10))
    var same = SeededGenerator(seed: 5), other = SeededGenerator(seed: 6)
    XCTAssertEqual(balancedSubsetIndices(labels: labels, perClass: 6, using: &same), subset)
    XCTAssertNotEqual(Set(balancedSubsetIndices(labels: labels, perClass: 6, using: &other)), Set(subset))
  }

  func testSpreadAndPairedComparison() {
    let spread = SpreadSummary([1, 2, 3, 4])
    XCTAssertEqual(spread.mean, 2.5)
    XCTAssertEqual(spread.standardDeviation, (5.0 / 3).squareRoot(), accuracy: 1e-12)
    XCTAssertEqual(spread.minimum, 1)
    XCTAssertEqual(spread.maximum, 4)
    XCTAssertEqual(spread.standardError, (5.0 / 3).squareRoot() / 2, accuracy: 1e-12)
    XCTAssertEqual(SpreadSummary([0.7]).standardDeviation, 0)
    // Big shared variation between repetitions, a small consistent effect: pairing sees it.
    let comparison = PairedComparison(baseline: [0.60, 0.80, 0.70], treatment: [0.62, 0.81, 0.73])
    XCTAssertEqual(comparison.differences[0], 0.02, accuracy: 1e-12)
    XCTAssertEqual(comparison.differenceSummary.mean, 0.02, accuracy: 1e-12)
    XCTAssertLessThan(comparison.differenceSummary.standardDeviation, comparison.baselineSummary.standardDeviation / 5)
    XCTAssertEqual(comparison.wins, 3)
    XCTAssertEqual(comparison.losses, 0)
  }

  /// The confusion counts add up, and the overall accuracy is the mean of the per-class ones.
  func testConditionalAccuracyBookkeeping() throws {
    let judge = try MNISTClassifier.pretrained()
    var rng = SeededGenerator(seed: 7)
    let g = ConditionalMNISTGenerator(width: 8, using: &rng)
    let accuracy = ConditionalAccuracy(generator: g, judge: judge, perClass: 5, using: &rng)
    XCTAssertEqual(accuracy.confusion.count, 10)
    XCTAssertTrue(accuracy.confusion.allSatisfy { $0.reduce(0, +) == 5 })
    XCTAssertEqual(accuracy.overall, accuracy.perClass.reduce(0, +) / 10, accuracy: 1e-12)
  }

  /// The classifier trainer fits a small fixed batch (the loss falls well below ln 10).
  func testClassifierTrainerFitsASmallBatch() {
    var rng = SeededGenerator(seed: 8)
    let classifier = MNISTClassifier(using: &rng)
    let trainer = ClassifierTrainer(classifier: classifier, learningRate: 1e-3, totalSteps: 30)
    let images = Tensor.randomNormal([10, 1, 28, 28], std: 0.5, using: &rng)
    let labels = Array(0..<10)
    let first = trainer.step(images: images, labels: labels)
    var last = first
    for _ in 1..<30 { last = trainer.step(images: images, labels: labels) }
    XCTAssertEqual(Double(first), log(10), accuracy: 0.5)
    XCTAssertLessThan(last, 0.2 * first)
    XCTAssertEqual(trainer.stepsTaken, 30)
  }
}

extension ConditionalGANTests {
  /// Three points on a line at 0, 3 and 5: pair distances 3, 5, 2, mean 10/3; identical images have distance 0.
  func testMeanPairwiseDistance() {
    let images = Tensor(shape: [3, 1, 1, 2], scalars: [0, 0, 3, 0, 5, 0])
    XCTAssertEqual(meanPairwiseDistance(images), 10.0 / 3, accuracy: 1e-9)
    XCTAssertEqual(meanPairwiseDistance(Tensor(shape: [2, 4], scalars: [1, 2, 3, 4, 1, 2, 3, 4])), 0)
  }
}
