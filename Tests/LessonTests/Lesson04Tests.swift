import XCTest

/// Lesson 04 in `--quick --strict` mode: its claims, its files and the numbers behind the gradient figure.
final class Lesson04Tests: XCTestCase {
  func testLesson04VanishingGradients() throws {
    let run = try LessonHarness.run("lesson-04-vanishing-gradients")
    for file in ["start.png", "gradient-norms.png", "discriminator.png", "games.gif", "final-samples.png",
                 "training.png"] {
      XCTAssertTrue(run.files.contains(file), "missing \(file)")
    }
    let saturatingEnd = try XCTUnwrap(run.value("saturating gradient norm, end"))
    let nonSaturatingEnd = try XCTUnwrap(run.value("non-saturating gradient norm, end"))
    // Against the trained discriminator the non-saturating loss gives G a far stronger gradient.
    XCTAssertGreaterThan(nonSaturatingEnd, 100 * saturatingEnd)
    XCTAssertLessThan(try XCTUnwrap(run.value("saturating run: mean displacement of a sample")), 0.01)
    XCTAssertGreaterThan(try XCTUnwrap(run.value("non-saturating run: mean displacement of a sample")), 0.5)
  }
}
