import XCTest

@testable import NN

final class InferenceTests: XCTestCase {
  /// In slices or whole, a layer without batch statistics gives the same values bit for bit, records no graph, and
  /// keeps the order of the examples; a last slice shorter than the others is handled.
  func testSlicesGiveTheWholeCallsValues() {
    var rng = SeededGenerator(seed: 5)
    let layer = Linear(inputSize: 6, outputSize: 3, using: &rng)
    let input = Tensor.randomNormal([23, 6], using: &rng)
    let whole = withoutGradients { layer(input) }
    for size in [1, 5, 23, 100] {
      let sliced = inBatches(input, of: size) { layer($0) }
      XCTAssertEqual(sliced.shape, [23, 3])
      XCTAssertEqual(sliced.scalars.map(\.bitPattern), whole.scalars.map(\.bitPattern), "batch size \(size)")
      XCTAssertEqual(sliced.opName, "leaf")
    }
  }
}
