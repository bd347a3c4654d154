import Foundation
import XCTest

/// Lesson 03 in `--quick` mode: its claims (checked by the lesson itself under `--strict`), its figures, and the
/// final samples it writes for anyone to count modes with their own tools.
final class Lesson03Tests: XCTestCase {
  func testLesson03ModeCollapse() throws {
    let run = try LessonHarness.run("lesson-03-mode-collapse")
    for file in ["collapse.gif", "modes-over-time.png", "modes-captured.png", "final-samples.png", "data.png",
                 "grid-final-samples.png"] {
      XCTAssertTrue(run.files.contains(file), "missing \(file)")
    }
    // The sample files: two numbers a line, at least 2,500 lines, and the vanilla one reproduces the lesson's count.
    let ring: [[Float]] = (0..<8).map { k in
      let angle = 2 * Double.pi * Double(k) / 8
      return [Float(2 * cos(angle)), Float(2 * sin(angle))]
    }
    for variant in ["vanilla", "minibatch-discrimination", "minibatch-stddev"] {
      let points = try samples(in: run.folder.appendingPathComponent("final-samples-\(variant).dat"))
      XCTAssertGreaterThanOrEqual(points.count, 2500, variant)
      XCTAssertTrue(run.files.contains("final-samples-grid-\(variant).dat"), "missing grid samples for \(variant)")
      // Count the modes again here, independently of the library: within 3σ = 0.06 of a center, at least 20.
      var counts = [Int](repeating: 0, count: 8)
      for p in points {
        for (k, c) in ring.enumerated() where hypot(p[0] - c[0], p[1] - c[1]) <= 0.06 { counts[k] += 1 }
      }
      let captured = counts.filter { $0 >= 20 }.count
      let shown = try XCTUnwrap(run.value("\(title(variant)): modes captured"), variant)
      XCTAssertEqual(Double(captured), shown, "\(variant): counted \(counts)")
    }
    XCTAssertLessThanOrEqual(try XCTUnwrap(run.value("vanilla GAN: modes captured")), 3)
  }

  private func title(_ variant: String) -> String {
    ["vanilla": "vanilla GAN", "minibatch-discrimination": "minibatch discrimination",
     "minibatch-stddev": "minibatch std. deviation"][variant]!
  }

  private func samples(in file: URL) throws -> [[Float]] {
    let text = try String(contentsOf: file, encoding: .utf8)
    return try text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
      let fields = line.split(separator: " ").compactMap { Float($0) }
      guard fields.count == 2 else { throw CocoaError(.fileReadCorruptFile) }
      return fields
    }
  }
}
