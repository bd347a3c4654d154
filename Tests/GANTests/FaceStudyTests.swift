import Datasets
import Foundation
import XCTest

@testable import GAN

/// The face regressor's shapes, and the style-mixing share measure at its two ends.
final class FaceStudyTests: XCTestCase {
  func testRegressorShapesAndParameterCount() {
    var rng = SeededGenerator(seed: 1)
    let regressor = FactorRegressor(factorCount: 8, using: &rng)
    // conv 3→32, 32→64, 64→64 (3×3, with biases), linear 1024→128, 128→8.
    let expected = (3 * 9 * 32 + 32) + (32 * 9 * 64 + 64) + (64 * 9 * 64 + 64) + (1024 * 128 + 128) + (128 * 8 + 8)
    XCTAssertEqual(regressor.parameterCount, expected)
    let faces = CartoonFaces.sample(count: 5, using: &rng)
    XCTAssertEqual(regressor(faces.images).shape, [5, 8])
    let outputs = regressor.outputs(for: faces.images, batchSize: 2)
    XCTAssertEqual(outputs.features.shape, [5, 128])
    XCTAssertEqual(outputs.factors.shape, [5, 8])
  }

  /// A few steps of training lower the loss on fresh faces; R² is computed per factor.
  func testRegressorLearnsAndReportsExplainedVariance() {
    var rng = SeededGenerator(seed: 2), data = SeededGenerator(seed: 3)
    let regressor = FactorRegressor(factorCount: 8, using: &rng)
    var losses: [Float] = []
    regressor.train(steps: 60, nextBatch: { CartoonFaces.sample(count: 32, using: &data) }) { _, loss in
      losses.append(loss)
    }
    XCTAssertLessThan(losses.suffix(10).reduce(0, +) / 10, losses.prefix(10).reduce(0, +) / 10 * 0.7)
    let held = CartoonFaces.sample(count: 200, using: &data)
    let r2 = regressor.explainedVariance(images: held.images, factors: held.factors)
    XCTAssertEqual(r2.count, 8)
    XCTAssertTrue(r2.allSatisfy { $0 <= 1 && $0.isFinite })
  }

  /// Mixing every style from A gives A's image, so every factor's share is 1; mixing none gives B's, share 0.
  func testMixingSharesAtTheEnds() {
    var rng = SeededGenerator(seed: 4)
    let configuration = StyleGANConfiguration(
      resolution: 32, channels: 3, zDim: 8, wDim: 8, mappingLayers: 2, channelBase: 64, channelMax: 8)
    let generator = StyleGANGenerator(configuration: configuration, using: &rng)
    let regressor = FactorRegressor(factorCount: 8, using: &rng)
    let pairs = FactorMixingPairs(
      generator: generator, zA: Tensor.randomNormal([20, 8], using: &rng), zB: Tensor.randomNormal([20, 8], using: &rng),
      regressor: regressor)
    let all = pairs.shares(replacing: 0..<generator.styleCount, generator: generator, regressor: regressor)
    let none = pairs.shares(replacing: 0..<0, generator: generator, regressor: regressor)
    for k in 0..<8 {
      XCTAssertEqual(all[k], 1, accuracy: 1e-3)
      XCTAssertEqual(none[k], 0, accuracy: 1e-3)
    }
  }
}
