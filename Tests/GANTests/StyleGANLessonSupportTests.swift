import Foundation
import XCTest

@testable import GAN

/// The latent-space measures lesson 08 uses: interpolation paths, diversity, ink, class entropy, path length.
final class StyleGANLessonSupportTests: XCTestCase {
  func testSlerpStaysOnTheSphereAndHitsItsEnds() {
    let a = Tensor(shape: [2, 2], scalars: [1, 0, 0, 2])
    let b = Tensor(shape: [2, 2], scalars: [0, 1, 2, 0])
    let ends = slerp(a, b, t: [0, 1])
    XCTAssertEqual(ends.scalars[0], 1, accuracy: 1e-6)
    XCTAssertEqual(ends.scalars[1], 0, accuracy: 1e-6)
    XCTAssertEqual(ends.scalars[2], 2, accuracy: 1e-6)
    XCTAssertEqual(ends.scalars[3], 0, accuracy: 1e-6)
    // Halfway between two orthogonal unit vectors: the unit vector at 45°, not the shorter chord midpoint.
    let middle = slerp(a, b, t: [0.5, 0.5])
    XCTAssertEqual(middle.scalars[0], Float(0.5).squareRoot(), accuracy: 1e-6)
    XCTAssertEqual(middle.scalars[1], Float(0.5).squareRoot(), accuracy: 1e-6)
    XCTAssertEqual(middle.scalars[2] * middle.scalars[2] + middle.scalars[3] * middle.scalars[3], 4, accuracy: 1e-5)
    // Parallel rows fall back to a straight line.
    let same = slerp(Tensor(shape: [1, 2], scalars: [1, 1]), Tensor(shape: [1, 2], scalars: [2, 2]), t: [0.5])
    XCTAssertEqual(same.scalars[0], 1.5, accuracy: 1e-5)
  }

  func testLerpAndRowwiseDistances() {
    let a = Tensor(shape: [2, 3], scalars: [0, 0, 0, 1, 1, 1])
    let b = Tensor(shape: [2, 3], scalars: [2, 4, 6, 1, 1, 1])
    XCTAssertEqual(lerp(a, b, t: [0.25, 0.9]).scalars, [0.5, 1, 1.5, 1, 1, 1])
    XCTAssertEqual(rowwiseSquaredDistances(a, b), [56, 0])
  }

  func testMeanPairwiseDistance() {
    // Three points on a line at 0, 3 and 4: distances 3, 4, 1.
    let x = Tensor(shape: [3, 1, 1, 2], scalars: [0, 0, 3, 0, 4, 0])
    XCTAssertEqual(meanPairwiseDistance(x), 8.0 / 3, accuracy: 1e-6)
    XCTAssertEqual(meanPairwiseDistance(Tensor(shape: [4, 2], scalars: [1, 2, 1, 2, 1, 2, 1, 2])), 0, accuracy: 1e-6)
  }

  func testInkMassAndEntropyAndCorrelation() {
    let images = Tensor(shape: [2, 1, 1, 4], scalars: [-1, -1, -1, -1, 1, 1, -1, 3])
    XCTAssertEqual(inkMass(images), [0, 0.75])  // the 3 is clamped to 1
    XCTAssertEqual(classEntropy([3, 3, 3]), 0)
    XCTAssertEqual(classEntropy(Array(0..<10)), log(10), accuracy: 1e-12)
    XCTAssertEqual(pearsonCorrelation([1, 2, 3], [2, 4, 6]), 1, accuracy: 1e-12)
    XCTAssertEqual(pearsonCorrelation([1, 2, 3], [3, 2, 1]), -1, accuracy: 1e-12)
    XCTAssertEqual(pearsonCorrelation([1, 2, 3], [5, 5, 5]), 0)
  }

  func testPerceptualPathLengthDropsTheExtremePercentiles() {
    XCTAssertEqual(percentile([1, 2, 3, 4, 5], 50), 3)
    XCTAssertEqual(percentile([0, 10], 25), 2.5)
    // 98 pieces of d = 1e-6 with ε = 1e-3 (length 1), one tiny, one huge outlier: the outliers are dropped.
    let pieces = [Double](repeating: 1e-6, count: 98) + [0, 1]
    XCTAssertEqual(perceptualPathLength(squaredDistances: pieces, epsilon: 1e-3), 1, accuracy: 1e-9)
    // Without the trimming, the outlier dominates.
    XCTAssertGreaterThan(perceptualPathLength(squaredDistances: pieces, epsilon: 1e-3, lowerPercentile: 0,
                                              upperPercentile: 100), 1000)
  }

  /// On a real (untrained) generator, the W path of a tiny step is the same as a step of the mapped latents.
  func testPathPiecesOfAGeneratorAreFiniteAndShrinkWithEpsilon() {
    var rng = SeededGenerator(seed: 3)
    let g = StyleGANGenerator(configuration: StyleGANConfiguration(
      resolution: 8, channels: 1, zDim: 8, wDim: 8, mappingLayers: 2, channelBase: 64, channelMax: 8), using: &rng)
    let z0 = Tensor.randomNormal([4, 8], using: &rng), z1 = Tensor.randomNormal([4, 8], using: &rng)
    let t: [Float] = [0.1, 0.3, 0.5, 0.7]
    func piece(_ eps: Float) -> [Double] {
      withoutGradients {
        let a = g.synthesize(ws: g.styles(slerp(z0, z1, t: t)), noise: .constant)
        let b = g.synthesize(ws: g.styles(slerp(z0, z1, t: t.map { $0 + eps })), noise: .constant)
        return rowwiseSquaredDistances(a, b)
      }
    }
    let large = piece(1e-2), small = piece(1e-3)
    for (l, s) in zip(large, small) {
      XCTAssertTrue(l.isFinite && s.isFinite)
      // d grows like ε², so d/ε² agrees between the two (a smooth path), within 30%.
      XCTAssertEqual(s / 1e-6, l / 1e-4, accuracy: 0.3 * l / 1e-4 + 1e-9)
    }
  }

  /// Padding to 32×32 fills the border with the background, and cropping gives the digit back.
  func testPaddedDigitsCropBackToTheOriginal() {
    var rng = SeededGenerator(seed: 5)
    let digits = clamp(Tensor.randomNormal([3, 1, 28, 28], using: &rng), min: -1, max: 1)
    let padded = PaddedDigitJudge.padded(digits)
    XCTAssertEqual(padded.shape, [3, 1, 32, 32])
    XCTAssertEqual(padded.scalars[0], -1)
    // Padding shifts by the background value and back, so a value may move by float rounding, no more.
    let difference = zip(PaddedDigitJudge.cropped(padded).scalars, digits.scalars).map { Swift.abs($0 - $1) }.max()!
    XCTAssertLessThan(difference, 1e-6)
  }

  /// The first example of each class, in order, skipping the excluded ones and stopping at `count`.
  func testFirstOfDistinctClasses() {
    let classes = [3, 3, 1, 3, 7, 1, 2]
    XCTAssertEqual(firstOfDistinctClasses(classes, count: 10), [0, 2, 4, 6])
    XCTAssertEqual(firstOfDistinctClasses(classes, count: 2), [0, 2])
    XCTAssertEqual(firstOfDistinctClasses(classes, count: 10, excluding: [0, 2]), [1, 4, 5, 6])
  }

  /// A mixing grid is a blank mid-gray corner (0, the grid's margin color) and the A row, then per B its own image and one mix per A; replacing no style
  /// input gives B itself in every cell of its row.
  func testMixingGridLayout() {
    var rng = SeededGenerator(seed: 7)
    let g = StyleGANGenerator(configuration: StyleGANConfiguration(
      resolution: 8, channels: 1, zDim: 8, wDim: 8, mappingLayers: 2, channelBase: 64, channelMax: 8), using: &rng)
    let z = Tensor.randomNormal([5, 8], using: &rng)
    let images = g.images(ofStyles: g.fixedStyles(z))
    let grid = g.mixingGrid(z: z, images: images, sourcesA: [0, 1], sourcesB: [2, 3, 4], replacing: 0..<0)
    XCTAssertEqual(grid.shape, [12, 1, 8, 8])
    XCTAssertTrue(grid.sliced(axis: 0, 0..<1).scalars.allSatisfy { $0 == 0 })
    XCTAssertEqual(grid.sliced(axis: 0, 1..<2).scalars, images.sliced(axis: 0, 0..<1).scalars)
    let b = images.sliced(axis: 0, 2..<3).scalars
    for cell in 3..<6 {
      let difference = zip(grid.sliced(axis: 0, cell..<(cell + 1)).scalars, b).map { Swift.abs($0 - $1) }.max()!
      XCTAssertLessThan(difference, 1e-5, "cell \(cell)")
    }
  }
}

/// The generator's gradient with respect to every kind of parameter, against central finite differences (in
/// Float64 arithmetic on the Float32 forward pass, a few coordinates per tensor).
final class StyleGANGradientCheckTests: XCTestCase {
  func testGeneratorGradientsMatchFiniteDifferences() {
    checkGradients(StyleGANConfiguration(
      resolution: 8, channels: 1, zDim: 4, wDim: 4, mappingLayers: 2, channelBase: 32, channelMax: 4))
  }

  /// The same with the image from the last block alone and AdaIN in it (lesson 08's faces generator).
  func testLastBlockAdaptiveNormGradientsMatchFiniteDifferences() {
    checkGradients(StyleGANConfiguration(
      resolution: 8, channels: 1, zDim: 4, wDim: 4, mappingLayers: 2, channelBase: 32, channelMax: 4,
      output: .lastBlock, adaptiveNormResolutions: 8...8))
  }

  func checkGradients(_ configuration: StyleGANConfiguration, file: StaticString = #filePath, line: UInt = #line) {
    var rng = SeededGenerator(seed: 11)
    let g = StyleGANGenerator(configuration: configuration, using: &rng)
    let z = Tensor.randomNormal([3, 4], using: &rng)
    let probe = Tensor.randomNormal([3, 1, 8, 8], using: &rng)
    func loss() -> Tensor { (g.synthesize(ws: g.styles(z), noise: .none) * probe).sum() }
    let named = g.namedParameters()
    let grads = gradients(of: loss(), wrt: named.map(\.tensor))
    var checked = 0
    for ((path, tensor), grad) in zip(named, grads) {
      for index in Set([0, tensor.count / 2, tensor.count - 1]) {
        let original = tensor.scalars[index]
        let h: Float = 2e-3 * max(1, abs(original))
        tensor.scalars[index] = original + h
        let up = Double(withoutGradients { loss() }.scalar)
        tensor.scalars[index] = original - h
        let down = Double(withoutGradients { loss() }.scalar)
        tensor.scalars[index] = original
        let numeric = (up - down) / (2 * Double(h))
        let analytic = Double(grad.scalars[index])
        XCTAssertEqual(analytic, numeric, accuracy: 0.05 * max(1, abs(numeric)), "\(path)[\(index)]",
                       file: file, line: line)
        checked += 1
      }
    }
    XCTAssertGreaterThan(checked, 20)
  }
}
