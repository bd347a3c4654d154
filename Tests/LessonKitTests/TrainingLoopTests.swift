import ArgumentParser
import Foundation
import Plotting
import XCTest

@testable import LessonKit

final class TrainingLoopTests: XCTestCase {
  private func makeLesson(_ buffer: OutputBuffer) throws -> Lesson {
    let container = FileManager.default.temporaryDirectory.appendingPathComponent("loop-\(UUID().uuidString)")
    addTeardownBlock { try? FileManager.default.removeItem(at: container) }
    return try Lesson(
      number: 3, slug: "loop", title: "Loop", arguments: ["--out", container.appendingPathComponent("out").path],
      console: makeConsole(buffer), gnuplot: nil)
  }

  func testCadences() {
    let total = 100
    func steps(_ cadence: Cadence) -> [Int] { (0...total).filter { cadence.includes($0, total: total) } }
    XCTAssertEqual(steps(.every(30)), [30, 60, 90, 100])
    XCTAssertEqual(steps(.every(30, start: true, end: false)), [0, 30, 60, 90])
    XCTAssertEqual(steps(.times(4)), [25, 50, 75, 100])
    XCTAssertEqual(steps(.times(3, start: true)), [0, 33, 66, 99, 100])
    XCTAssertEqual(steps(.everyStep()).count, 100)
    XCTAssertEqual(steps(.evenly(3, start: true)), [0, 33, 66, 100])
    XCTAssertEqual((0...40).filter { Cadence.evenly(3).includes($0, total: 40) }, [13, 26, 40])
    XCTAssertEqual((0...2).filter { Cadence.evenly(5).includes($0, total: 2) }, [1, 2])
    XCTAssertEqual(steps(.never), [])
    // More measurements than steps: every step.
    XCTAssertEqual((0...5).filter { Cadence.times(100).includes($0, total: 5) }, [1, 2, 3, 4, 5])
  }

  /// The loop calls the update once per step in order, measures and frames on their cadences (after the update of
  /// that step, step 0 before any update), and logs the step's values beside the measurements.
  func testTheLoopMeasuresAndFramesOnItsCadences() throws {
    let buffer = OutputBuffer()
    let lesson = try makeLesson(buffer)
    var updates: [Int] = []
    var weight = 0.0
    let log = lesson.train(
      steps: 10, label: "toy", measureEvery: .every(4, start: true), framesEvery: .times(2)
    ) { step in
      updates.append(step)
      weight += 1
      return ["loss": 1 / weight]
    } measure: { _ in
      ["weight": weight]
    } frame: { step in
      "frame after \(step) updates, weight \(weight)"
    }
    XCTAssertEqual(updates, Array(1...10))
    XCTAssertEqual(log.steps, [0, 4, 8, 10])
    XCTAssertEqual(log.names, ["weight", "loss"])
    XCTAssertEqual(log["weight"], [0, 4, 8, 10])
    XCTAssertTrue(log["loss"][0].isNaN, "no loss before the first update")
    XCTAssertEqual(Array(log["loss"].dropFirst()), [0.25, 0.125, 0.1])
    XCTAssertEqual(log.last("weight"), 10)
    XCTAssertEqual(log.first("weight"), 0)
    XCTAssertEqual(log.frames.map(\.step), [5, 10])
    XCTAssertEqual(log.frameValues, ["frame after 5 updates, weight 5.0", "frame after 10 updates, weight 10.0"])
    XCTAssertGreaterThanOrEqual(log.seconds, 0)
    // Not a terminal: plain progress lines with the label, the step's values and the latest measurement.
    let output = buffer.contents
    XCTAssertTrue(output.contains("toy  100%  10/10"), output)
    XCTAssertTrue(output.contains("loss 0.1"), output)
    XCTAssertTrue(output.contains("weight 10"), output)
  }

  func testTheLoopWithoutFramesOrMeasurements() throws {
    let lesson = try makeLesson(OutputBuffer())
    var count = 0
    let log = lesson.train(steps: 3, label: "plain") { _ in
      count += 1
      return [:]
    }
    XCTAssertEqual(count, 3)
    XCTAssertTrue(log.steps.isEmpty)
    XCTAssertTrue(log.frames.isEmpty)
  }

  func testLogFillsMissingValuesWithNaN() {
    var log = TrainingLog<Void>()
    log.record(step: 1, [("a", 1)])
    log.record(step: 2, [("b", 2)])
    log.record(step: 3, [("a", 3), ("b", 4)])
    XCTAssertEqual(log.names, ["a", "b"])
    XCTAssertEqual(log["a"][0], 1)
    XCTAssertTrue(log["a"][1].isNaN)
    XCTAssertEqual(log["a"][2], 3)
    XCTAssertTrue(log["b"][0].isNaN)
    XCTAssertEqual(Array(log["b"].dropFirst()), [2, 4])
  }

  /// A range declared once with `@Option(allowed:help:)` is both in the help and enforced when parsing.
  func testAllowedOptionsStateAndCheckTheirRange() throws {
    struct Flags: ParsableArguments {
      @Option(allowed: .count(2...64), help: "Samples per batch.") var batch: Int = 8
      @Option(allowed: .rate, help: "A learning rate.") var rate: Float?
    }
    XCTAssertEqual(try Flags.parse([]).batch, 8)
    XCTAssertNil(try Flags.parse([]).rate)
    XCTAssertEqual(try Flags.parse(["--batch", "64", "--rate", "0.5"]).batch, 64)
    XCTAssertEqual(try Flags.parse(["--rate", "0.5"]).rate, 0.5)
    for bad in [["--batch", "1"], ["--batch", "65"], ["--batch", "x"], ["--rate", "0"], ["--rate", "nan"],
                ["--rate", "2"], ["--batch", "99999999999999999999"]] {
      XCTAssertThrowsError(try Flags.parse(bad), "\(bad)") { error in
        let message = Flags.message(for: error)
        XCTAssertTrue(message.contains("--\(bad[0].dropFirst(2))"), message)
        XCTAssertTrue(message.contains("allowed") || message.contains("must be"), message)
      }
    }
    XCTAssertTrue(Flags.helpMessage().contains("Samples per batch. (allowed: [2, 64])"))
    XCTAssertTrue(Flags.helpMessage().contains("(allowed: (0, 1])"))
  }
}
