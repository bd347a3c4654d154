import Foundation
import XCTest

@testable import Autograd
@testable import Datasets

/// Sample statistics of the toy distributions against their definitions. Tolerances are about 5 standard errors.
final class ToyDistributionTests: XCTestCase {
  func meanAndStd(_ values: [Float]) -> (Double, Double) {
    let n = Double(values.count)
    let mean = values.reduce(0.0) { $0 + Double($1) } / n
    let variance = values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n
    return (mean, variance.squareRoot())
  }

  func testGaussian1D() {
    var rng = SeededGenerator(seed: 1)
    let gaussian = Gaussian1D(mean: 3, std: 0.5)
    let samples = gaussian.sample(count: 20000, using: &rng)
    XCTAssertEqual(samples.shape, [20000, 1])
    let (mean, std) = meanAndStd(samples.scalars)
    XCTAssertEqual(mean, 3, accuracy: 5 * 0.5 / 141)
    XCTAssertEqual(std, 0.5, accuracy: 5 * 0.5 / 200)
    XCTAssertEqual(gaussian.modeCenters, [[3]])
    XCTAssertEqual(gaussian.modeStds, [0.5])
    XCTAssertEqual(gaussian.density(at: 3), 1 / (0.5 * (2 * Float.pi).squareRoot()), accuracy: 1e-6)
  }

  func testGaussianMixture1D() {
    var rng = SeededGenerator(seed: 2)
    let mixture = GaussianMixture1D(weights: [1, 4], means: [-2, 2], stds: [0.3, 0.5])
    XCTAssertEqual(mixture.weights, [0.2, 0.8])
    XCTAssertEqual(mixture.mean, 1.2, accuracy: 1e-6)
    // Var = Σ w (σ² + μ²) - mean² = 0.2 (0.09 + 4) + 0.8 (0.25 + 4) - 1.44 = 2.778.
    XCTAssertEqual(mixture.variance, 2.778, accuracy: 1e-5)
    let n = 40000
    let samples = mixture.sample(count: n, using: &rng)
    XCTAssertEqual(samples.shape, [n, 1])
    let (mean, std) = meanAndStd(samples.scalars)
    XCTAssertEqual(mean, 1.2, accuracy: 5 * 1.667 / 200)
    XCTAssertEqual(std, Double(mixture.variance).squareRoot(), accuracy: 0.02)
    // The share below 0 is the first component's weight (the components barely overlap).
    let share = Double(samples.scalars.filter { $0 < 0 }.count) / Double(n)
    XCTAssertEqual(share, 0.2, accuracy: 5 * (0.2 * 0.8 / Double(n)).squareRoot())
    // Each component's spread, from the samples on its side.
    XCTAssertEqual(meanAndStd(samples.scalars.filter { $0 < 0 }).1, 0.3, accuracy: 0.015)
    XCTAssertEqual(meanAndStd(samples.scalars.filter { $0 >= 0 }).1, 0.5, accuracy: 0.015)
    // The density integrates to 1.
    let step: Float = 0.001
    let integral = stride(from: Float(-10), to: 10, by: step).reduce(Float(0)) { $0 + mixture.density(at: $1) * step }
    XCTAssertEqual(integral, 1, accuracy: 1e-3)
  }

  /// For a 2D mixture: the samples' nearest centers, the share per mode, and each mode's spread.
  func checkModes(_ distribution: some ToyDistribution, count: Int, seed: UInt64, file: StaticString = #filePath, line: UInt = #line) {
    var rng = SeededGenerator(seed: seed)
    let samples = distribution.sample(count: count, using: &rng)
    XCTAssertEqual(samples.shape, [count, 2], file: file, line: line)
    let centers = distribution.modeCenters
    var members = [[(Float, Float)]](repeating: [], count: centers.count)
    for i in 0..<count {
      let x = samples.scalars[2 * i], y = samples.scalars[2 * i + 1]
      let nearest = centers.indices.min {
        hypot(x - centers[$0][0], y - centers[$0][1]) < hypot(x - centers[$1][0], y - centers[$1][1])
      }!
      members[nearest].append((x - centers[nearest][0], y - centers[nearest][1]))
    }
    let expectedShare = 1 / Double(centers.count)
    for (mode, offsets) in members.enumerated() {
      let share = Double(offsets.count) / Double(count)
      XCTAssertEqual(share, expectedShare, accuracy: 5 * (expectedShare / Double(count)).squareRoot(), "mode \(mode) share", file: file, line: line)
      let std = meanAndStd(offsets.flatMap { [$0.0, $0.1] }).1
      XCTAssertEqual(std, Double(distribution.modeStds[mode]), accuracy: 0.1 * Double(distribution.modeStds[mode]), "mode \(mode) std", file: file, line: line)
    }
  }

  func testRingOfEight() {
    let ring = GaussianRing()
    XCTAssertEqual(ring.modeCount, 8)
    XCTAssertEqual(ring.std, 0.02)
    for (k, center) in ring.modeCenters.enumerated() {
      XCTAssertEqual(hypot(center[0], center[1]), 2, accuracy: 1e-5)
      let angle = atan2(Double(center[1]), Double(center[0]))
      let expected = 2 * Double.pi * Double(k) / 8
      XCTAssertEqual(cos(angle), cos(expected), accuracy: 1e-6)
      XCTAssertEqual(sin(angle), sin(expected), accuracy: 1e-6)
    }
    checkModes(ring, count: 16000, seed: 3)
    checkModes(GaussianRing(modeCount: 8, radius: 2, std: 0.1), count: 16000, seed: 4)
  }

  func testGridOfTwentyFive() {
    let grid = GaussianGrid()
    XCTAssertEqual(grid.modeCount, 25)
    XCTAssertEqual(grid.std, 0.05)
    XCTAssertEqual(grid.axisPositions, [-4, -2, 0, 2, 4])
    let centers = Set(grid.modeCenters.map { "\($0[0]),\($0[1])" })
    let expected = Set([-4, -2, 0, 2, 4].flatMap { x in [-4, -2, 0, 2, 4].map { y in "\(Float(x)),\(Float(y))" } })
    XCTAssertEqual(centers, expected)
    checkModes(grid, count: 25000, seed: 5)
    checkModes(GaussianGrid(side: 5, spacing: 2, std: 0.2), count: 25000, seed: 6)
  }

  func testSamplesAreReproducibleFromTheSeed() {
    var a = SeededGenerator(seed: 9), b = SeededGenerator(seed: 9), c = SeededGenerator(seed: 10)
    let ring = GaussianRing()
    XCTAssertEqual(ring.sample(count: 50, using: &a).scalars, ring.sample(count: 50, using: &b).scalars)
    XCTAssertNotEqual(ring.sample(count: 50, using: &a).scalars, ring.sample(count: 50, using: &c).scalars)
  }
}

final class ToyImageTests: XCTestCase {
  func testShapesMasksAndValues() {
    var rng = SeededGenerator(seed: 1)
    let domains = ToyShapeImages(imageSize: 32)
    let plain = domains.sample(.plain, count: 60, using: &rng)
    let striped = domains.render(plain.shapes, as: .striped)
    for batch in [plain, striped] {
      XCTAssertEqual(batch.images.shape, [60, 1, 32, 32])
      XCTAssertEqual(batch.masks.shape, [60, 1, 32, 32])
      XCTAssertTrue(batch.images.scalars.allSatisfy { $0 >= -1 && $0 <= 1 })
      XCTAssertTrue(batch.masks.scalars.allSatisfy { $0 == 0 || $0 == 1 })
    }
    XCTAssertEqual(Set(plain.images.scalars), [-1, 1])
    XCTAssertEqual(Set(striped.images.scalars), [-1, 1, -0.2])
    // The same shapes give the same masks in both domains, and the masks are what the images show.
    XCTAssertEqual(plain.masks.scalars, striped.masks.scalars)
    for batch in [plain, striped] {
      let recovered = ToyShapeImages.foregroundMask(of: batch.images)
      XCTAssertEqual(ToyShapeImages.intersectionOverUnion(recovered, batch.masks), [Float](repeating: 1, count: 60))
    }
    // Every kind appears; each shape's area is its formula's; no shape touches outside the frame.
    XCTAssertEqual(Set(plain.shapes.map(\.kind)), Set(ToyShapeKind.allCases))
    for (i, shape) in plain.shapes.enumerated() {
      let area = Float(plain.masks.scalars[(i * 1024)..<((i + 1) * 1024)].reduce(0, +))
      let s = shape.size
      let formula: Float
      switch shape.kind {
      case .square: formula = s * s
      case .disc: formula = Float.pi * s * s / 4
      case .triangle: formula = s * s / 2
      }
      XCTAssertEqual(area, formula, accuracy: 2 * s + 2, "\(shape)")
      XCTAssertGreaterThanOrEqual(shape.centerX - s / 2, 0)
      XCTAssertLessThanOrEqual(shape.centerX + s / 2, 32)
      XCTAssertGreaterThanOrEqual(shape.size, (0.35 * 32).rounded())
      XCTAssertLessThanOrEqual(shape.size, (0.7 * 32).rounded())
    }
  }

  func testInteriorContrastTellsTheDomainsApart() {
    var rng = SeededGenerator(seed: 2)
    let domains = ToyShapeImages(imageSize: 16)
    let plain = domains.sample(.plain, count: 40, using: &rng)
    let striped = domains.render(plain.shapes, as: .striped)
    XCTAssertEqual(plain.images.shape, [40, 1, 16, 16])
    let plainContrast = ToyShapeImages.interiorContrast(of: plain.images, masks: plain.masks)
    let stripedContrast = ToyShapeImages.interiorContrast(of: striped.images, masks: striped.masks)
    XCTAssertTrue(plainContrast.allSatisfy { $0 == 0 }, "\(plainContrast)")
    // Light (1) and dark (-0.2) in roughly equal parts: a standard deviation near 0.6.
    XCTAssertTrue(stripedContrast.allSatisfy { $0 > 0.3 && $0 <= 0.6 + 1e-5 }, "\(stripedContrast)")
  }

  /// The stripe fit tells stripes from smudges of the same contrast: rendered stripes fit well, a plain fill scores 0,
  /// and the same striped shapes with their pixels shuffled inside the shape (same values, same contrast, no
  /// stripes) fit badly.
  func testStripeFitTellsStripesFromSmudgesOfTheSameContrast() {
    var rng = SeededGenerator(seed: 3)
    let domains = ToyShapeImages(imageSize: 16)
    let plain = domains.sample(.plain, count: 60, using: &rng)
    let striped = domains.render(plain.shapes, as: .striped)
    XCTAssertTrue(domains.stripeFit(of: plain.images).allSatisfy { $0 == 0 || $0.isNaN })
    let fits = domains.stripeFit(of: striped.images).filter { !$0.isNaN }
    XCTAssertGreaterThan(fits.count, 45, "most shapes are large enough to judge")
    XCTAssertTrue(fits.allSatisfy { $0 > 0.7 }, "\(fits)")
    var shuffled = striped.images.scalars
    let masks = striped.masks.scalars
    for i in 0..<60 {
      let inside = (0..<256).filter { masks[i * 256 + $0] > 0.5 }.map { i * 256 + $0 }
      var values = inside.map { shuffled[$0] }
      values.shuffle(using: &rng)
      for (index, value) in zip(inside, values) { shuffled[index] = value }
    }
    let smudges = Tensor(shape: striped.images.shape, scalars: shuffled)
    let smudgeFits = domains.stripeFit(of: smudges).filter { !$0.isNaN }
    XCTAssertLessThan(smudgeFits.filter { $0 > 0.7 }.count, 3, "\(smudgeFits)")
    // ... though their contrast is the stripes' own.
    let contrast = ToyShapeImages.interiorContrast(of: smudges, masks: striped.masks)
    XCTAssertTrue(contrast.allSatisfy { $0 > 0.3 }, "\(contrast)")
  }

  func testStripesRunAlongTheirAngle() {
    let domains = ToyShapeImages(imageSize: 16, stripePeriod: 4)
    // A square filling the frame, vertical stripes (normal along x): every column is constant.
    let square = ToyShape(kind: .square, centerX: 8, centerY: 8, size: 16, stripeAngle: 0, stripePhase: 0)
    let image = domains.render([square], as: .striped).images.scalars
    for x in 0..<16 {
      let column = (0..<16).map { image[$0 * 16 + x] }
      XCTAssertEqual(Set(column).count, 1, "column \(x)")
      XCTAssertEqual(column[0], (x % 4) < 2 ? 1 : -0.2, "column \(x)")
    }
    // Turned 90 degrees: every row is constant.
    var turned = square
    turned.stripeAngle = 90
    let rows = domains.render([turned], as: .striped).images.scalars
    for y in 0..<16 { XCTAssertEqual(Set(rows[(y * 16)..<(y * 16 + 16)]).count, 1, "row \(y)") }
  }

  func testStripeDirectionsLimitTheAngles() {
    var generator = SeededGenerator(seed: 3)
    for (directions, expected) in [(ToyStripeDirections.one, [0]), (.two, [0, 90]), (.four, [0, 45, 90, 135])] {
      let domains = ToyShapeImages(imageSize: 16, stripeDirections: directions)
      let angles = Set(domains.randomShapes(count: 200, using: &generator).map(\.stripeAngle))
      XCTAssertEqual(angles, Set(expected.map(Float.init)), "\(directions)")
    }
    // The default keeps the four directions.
    XCTAssertEqual(ToyShapeImages(imageSize: 16).stripeDirections, .four)
  }

  func testThreeChannelsAndReproducibility() {
    var a = SeededGenerator(seed: 7), b = SeededGenerator(seed: 7)
    let domains = ToyShapeImages(imageSize: 16, channels: 3)
    let first = domains.sample(.striped, count: 5, using: &a)
    let second = domains.sample(.striped, count: 5, using: &b)
    XCTAssertEqual(first.images.shape, [5, 3, 16, 16])
    XCTAssertEqual(first.images.scalars, second.images.scalars)
    XCTAssertEqual(first.shapes, second.shapes)
    for i in 0..<5 {
      let base = i * 3 * 256
      XCTAssertEqual(Array(first.images.scalars[base..<(base + 256)]), Array(first.images.scalars[(base + 256)..<(base + 512)]))
    }
  }

  func testIntersectionOverUnion() {
    // Image 0: {0, 1} vs {1, 2} → 1/3. Image 1: identical → 1. Image 2: both empty → 1. Image 3: disjoint → 0.
    let a = Tensor(shape: [4, 1, 2, 2], scalars: [1, 1, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0])
    let b = Tensor(shape: [4, 1, 2, 2], scalars: [0, 1, 1, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1])
    let iou = ToyShapeImages.intersectionOverUnion(a, b)
    XCTAssertEqual(iou[0], 1.0 / 3.0, accuracy: 1e-6)
    XCTAssertEqual(Array(iou[1...]), [1, 1, 0])
  }
}
