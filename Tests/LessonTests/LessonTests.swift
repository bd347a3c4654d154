import XCTest

/// Every lesson, run as a student would in `--quick` mode, with its claims checked by the lesson itself (`--strict`).
final class LessonTests: XCTestCase {
  func testLesson01Autodiff() throws {
    let run = try LessonHarness.run("lesson-01-autodiff")
    XCTAssertTrue(run.files.contains("critic-training.gif"))
    XCTAssertTrue(run.files.contains("critic.png"))
  }

  func testLesson02ToyGAN() throws {
    let run = try LessonHarness.run("lesson-02-toy-gan")
    for file in ["game.gif", "losses.png", "mapping.png", "w1.png", "two-modes-mapping.png"] {
      XCTAssertTrue(run.files.contains(file), "missing \(file)")
    }
    XCTAssertEqual(try XCTUnwrap(run.value("generated mean (target 4)")), 4, accuracy: 0.3)
  }
}
