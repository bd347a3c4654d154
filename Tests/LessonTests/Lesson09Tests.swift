import XCTest

/// Lesson 09 in `--quick --strict` mode: its claims, its files and a few of the numbers it shows.
final class Lesson09Tests: XCTestCase {
  func testLesson09NonConvergence() throws {
    let run = try LessonHarness.run("lesson-09-non-convergence")
    for file in ["dirac-field.png", "dirac-distance.png", "ring-samples.png", "ring-stability.png",
                 "dirac-field.dat", "ring-stability.dat"] {
      XCTAssertTrue(run.files.contains(file), "missing \(file)")
    }
    // The linear theory's rates for the default h = 0.2, γ = 0.3: ln √(1 + h²/4), 0, ln √(1 − hγ + h²/4).
    XCTAssertEqual(try XCTUnwrap(run.value("simultaneous: predicted ln ρ per step")), 0.5 * log(1.01), accuracy: 1e-6)
    XCTAssertEqual(try XCTUnwrap(run.value("alternating: predicted ln ρ per step")), 0, accuracy: 1e-9)
    XCTAssertEqual(try XCTUnwrap(run.value("simultaneous, R1: predicted ln ρ per step")), 0.5 * log(0.95),
                   accuracy: 1e-6)
    // The trajectories: outwards without regularization, inwards with R1.
    XCTAssertGreaterThan(try XCTUnwrap(run.value("simultaneous: distance at the end / at the start")), 2)
    XCTAssertLessThan(try XCTUnwrap(run.value("simultaneous, R1: distance at the end / at the start")), 1e-3)
    // On the ring, TTUR's W1 moves less per measurement than the baseline's, and TTUR ends near the data.
    XCTAssertLessThan(try XCTUnwrap(run.value("TTUR: median |change| / baseline's")), 1)
    XCTAssertLessThan(try XCTUnwrap(run.value("TTUR: mean W1 over the last half")), 1)
  }
}
