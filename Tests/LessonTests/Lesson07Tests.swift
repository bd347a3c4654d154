import Foundation
import XCTest

/// Lesson 07 trains CycleGAN on two toy pairs of domains (ring and square points; plain and striped shapes) with and
/// without the cycle loss, in the quick budget.
final class Lesson07Tests: XCTestCase {
  func testQuickRun() throws {
    let run = try LessonHarness.run("lesson-07-cyclegan")
    for file in ["points-mapping.png", "points-mapping.dat", "translations-a-to-b.png", "translations-b-to-a.png",
                 "translations-without-cycle.png", "training.png"] {
      XCTAssertTrue(run.files.contains(file), "missing \(file)")
    }
    // The judges are sane on real images: no real plain shape is called striped, nearly every striped one is (small triangles have little inside).
    XCTAssertEqual(try XCTUnwrap(run.value("judge on real A: share called striped")), 0)
    XCTAssertGreaterThanOrEqual(try XCTUnwrap(run.value("judge on real B: share called striped")), 0.85)
    // The cycle loss is what keeps the round trip close: without it the reconstruction error is larger.
    let with = try XCTUnwrap(run.value("cycle error A → B → A, mean |F(G(a)) − a|"))
    let without = try XCTUnwrap(run.value("without the cycle loss: cycle error A → B → A"))
    XCTAssertLessThan(with, without)
  }
}
