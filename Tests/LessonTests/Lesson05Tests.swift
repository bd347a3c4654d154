import XCTest

/// Lesson 05 in `--quick --strict` mode: its claims, its files and a few of the numbers it shows.
final class Lesson05Tests: XCTestCase {
  func testLesson05WGAN() throws {
    let run = try LessonHarness.run("lesson-05-wgan")
    for file in ["critic-gradients.png", "critics.png", "training.gif", "final-samples.png", "distance.png",
                 "critics-after.png", "w1-estimate.png", "clipped-weights.png"] {
      XCTAssertTrue(run.files.contains(file), "missing \(file)")
    }
    // The penalized critic's slope at the generated samples is pulled to 1 by the penalty.
    XCTAssertEqual(try XCTUnwrap(run.value("penalized critic: mean ‖∇f‖ at the generated samples")), 1, accuracy: 0.3)
    XCTAssertGreaterThanOrEqual(try XCTUnwrap(run.value("WGAN-GP: modes captured (of 8)")), 7)
    // The saturating GAN's generator has not moved, WGAN-GP's has come close to the data.
    let floor = try XCTUnwrap(run.value("W1 between two samples of the data itself (the floor)"))
    XCTAssertGreaterThan(try XCTUnwrap(run.value("saturating GAN: W1 at the end")), 1.5)
    XCTAssertLessThan(try XCTUnwrap(run.value("WGAN-GP: W1 at the end")), floor + 0.5)
  }
}
