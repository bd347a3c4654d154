import Foundation
import XCTest

@testable import Autograd
@testable import Datasets

/// The cartoon faces of the StyleGAN lesson: shape, range, determinism, and that each factor changes what it names.
final class CartoonFacesTests: XCTestCase {
  func testShapesRangeAndDeterminism() {
    var first = SeededGenerator(seed: 5), second = SeededGenerator(seed: 5)
    let a = CartoonFaces.sample(count: 6, using: &first), b = CartoonFaces.sample(count: 6, using: &second)
    XCTAssertEqual(a.images.shape, [6, 3, 32, 32])
    XCTAssertEqual(a.factors.shape, [6, 8])
    XCTAssertEqual(a.images.scalars, b.images.scalars, "the same seed must render the same faces")
    XCTAssertTrue(a.images.scalars.allSatisfy { $0 >= -1 && $0 <= 1 })
    XCTAssertTrue(a.factors.scalars.allSatisfy { $0 >= 0 && $0 < 1 })
    XCTAssertEqual(CartoonFaces.render([middle()], size: 16).shape, [1, 3, 16, 16])
    XCTAssertEqual(FaceFactors.names.count, 8)
    XCTAssertEqual(FaceFactors.levels.count, 8)
    XCTAssertEqual(FaceFactorLevel.allCases.flatMap { FaceFactors.indices(of: $0) }.sorted(), Array(0..<8))
  }

  /// Each factor alone moves the picture the way its name says, measured on the rendered pixels.
  func testEachFactorChangesWhatItNames() {
    func face(_ change: (inout FaceFactors) -> Void) -> [Float] {
      var factors = middle()
      change(&factors)
      return CartoonFaces.render([factors]).scalars
    }
    let plane = 32 * 32
    func brightness(_ image: [Float], x: Range<Int>, y: Range<Int>) -> Float {
      var sum: Float = 0
      for c in 0..<3 { for row in y { for column in x { sum += image[c * plane + row * 32 + column] } } }
      return sum / Float(3 * x.count * y.count)
    }
    // Skin tone: the cheek (left of the nose, below the eyes) darkens.
    let cheek = (x: 10..<13, y: 19..<21)
    XCTAssertGreaterThan(
      brightness(face { $0.skinTone = 0 }, x: cheek.x, y: cheek.y),
      brightness(face { $0.skinTone = 1 }, x: cheek.x, y: cheek.y) + 0.5)
    // Hair color: the top of the head brightens from black to blond.
    XCTAssertLessThan(
      brightness(face { $0.hairColor = 0 }, x: 14..<18, y: 5..<7),
      brightness(face { $0.hairColor = 1 }, x: 14..<18, y: 5..<7) - 0.8)
    // Light from the right: the right side of the face brightens relative to the left.
    let fromLeft = face { $0.light = 0 }, fromRight = face { $0.light = 1 }
    XCTAssertGreaterThan(
      brightness(fromRight, x: 20..<23, y: 18..<22) - brightness(fromRight, x: 9..<12, y: 18..<22),
      brightness(fromLeft, x: 20..<23, y: 18..<22) - brightness(fromLeft, x: 9..<12, y: 18..<22) + 0.2)
    // Long hair covers the sides of the face's lower half; short hair leaves the background there.
    XCTAssertNotEqual(
      brightness(face { $0.hairLength = 0 }, x: 4..<7, y: 22..<25),
      brightness(face { $0.hairLength = 1 }, x: 4..<7, y: 22..<25))
    // Yaw and face width and eyes and smile: each changes the image.
    for change in [{ (f: inout FaceFactors) in f.yaw = 0 }, { $0.faceWidth = 0 }, { $0.eyeSize = 1 }, { $0.smile = 0 }] {
      XCTAssertNotEqual(face(change), face { _ in }, "a factor changed nothing")
    }
  }

  private func middle() -> FaceFactors {
    FaceFactors(
      yaw: 0.5, faceWidth: 0.5, hairLength: 0.5, eyeSize: 0.5, smile: 0.5, skinTone: 0.5, hairColor: 0.5, light: 0.5)
  }
}
