import Foundation
import XCTest

/// Every numeric option of every executable states its allowed values in its help, and every value outside them
/// (below, above, NaN, infinite, huge) is refused before any work: a non-zero exit, a message naming the option,
/// no crash. The options are read from each executable's own help (`--experimental-dump-help`, the JSON form of
/// `--help`), so an option added later is walked too, and one without a stated range fails here.
final class FlagValidationTests: XCTestCase {
  /// Options whose value is a path, a list or a word rather than a number (they are checked where they are used).
  static let textOptions: Set<String> = [
    "out", "data", "data-folder", "save-generator", "save-judge", "state", "only", "generator-optimizer", "images", "a",
    "b",
  ]

  /// The tools for a user's own images, as `executable subcommand`, with the arguments they require (pointing
  /// nowhere: a bad value must be refused before they are looked at).
  static let imageTools: [String: [String]] = [
    "gan-train dcgan": ["--images", "/nonexistent-images"],
    "gan-train cyclegan": ["--a", "/nonexistent-a", "--b", "/nonexistent-b"],
    "gan-train stylegan": ["--images", "/nonexistent-images"],
    "gan-sample": ["/nonexistent/generator.safetensors"],
    "gan-translate": ["/nonexistent/generator.safetensors", "--images", "/nonexistent-images"],
  ]

  /// The executables a user can run: every lesson, and the course's tools.
  static var executables: [String] {
    let built = (try? FileManager.default.contentsOfDirectory(atPath: LessonHarness.productsFolder.path)) ?? []
    let lessons = built.filter { $0.hasPrefix("lesson-") && !$0.contains(".") }.sorted()
    return lessons + ["gan-playground", "train-classifier", "gan-bench"] + imageTools.keys.sorted()
  }

  struct Interval {
    var lower: Double, upper: Double, includesLower: Bool, includesUpper: Bool
    func contains(_ x: Double) -> Bool {
      (includesLower ? x >= lower : x > lower) && (includesUpper ? x <= upper : x < upper)
    }
  }

  /// Reads `(allowed: [1, 4096])`, `(allowed: (0, 1])`, ... from an option's help.
  static func interval(in help: String) -> Interval? {
    let pattern = #"allowed: ([\[(])\s*(-?[0-9.e+]+),\s*(-?[0-9.e+]+)\s*([\])])"#
    guard let match = help.range(of: pattern, options: .regularExpression) else { return nil }
    let text = String(help[match])
    let regex = try! NSRegularExpression(pattern: pattern)
    let found = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text))!
    func group(_ i: Int) -> String { String(text[Range(found.range(at: i), in: text)!]) }
    guard let lower = Double(group(2)), let upper = Double(group(3)) else { return nil }
    return Interval(lower: lower, upper: upper, includesLower: group(1) == "[", includesUpper: group(4) == "]")
  }

  /// The values to try for an option with this interval: each outside it.
  static func badValues(for interval: Interval) -> [String] {
    var values = ["nan", "inf", "-inf", "9223372036854775807", "99999999999999999999999", "1e30"]
    let below = interval.includesLower ? interval.lower - 1 : interval.lower
    let above = interval.includesUpper ? interval.upper + 1 : interval.upper
    for candidate in [below, above, 0, -1] where !interval.contains(candidate) {
      values.append(String(format: "%.0f", candidate))
    }
    return Array(Set(values)).sorted()
  }

  func testEveryNumericOptionRefusesValuesOutsideItsStatedRange() throws {
    let executables = Self.executables
    XCTAssertGreaterThanOrEqual(executables.count, 19, "expected 11 lessons and 8 tools, found \(executables)")
    var probes: [(executable: String, option: String, value: String)] = []
    for executable in executables {
      let words = executable.split(separator: " ").map(String.init)
      let binary = LessonHarness.productsFolder.appendingPathComponent(words[0])
      let (status, output) = try LessonHarness.execute(binary, Array(words.dropFirst()) + ["--experimental-dump-help"], in: nil)
      XCTAssertEqual(status, 0, "\(executable) --experimental-dump-help")
      let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
      let command = try XCTUnwrap(json["command"] as? [String: Any])
      let arguments = try XCTUnwrap(command["arguments"] as? [[String: Any]])
      var numeric = 0
      for argument in arguments where argument["kind"] as? String == "option" {
        let name = try XCTUnwrap((argument["preferredName"] as? [String: Any])?["name"] as? String)
        let help = argument["abstract"] as? String ?? ""
        if let interval = Self.interval(in: help) {
          numeric += 1
          probes += Self.badValues(for: interval).map { (executable, name, $0) }
        } else if name == "seed" {
          probes += ["-1", "nan", "18446744073709551616"].map { (executable, name, $0) }
        } else if argument["allValues"] != nil || Self.textOptions.contains(name) {
          // File names: any word is one (their bad values are tested in BadDataTests).
          if !["out", "save-generator", "save-judge", "state", "data", "data-folder"].contains(name) {
            probes.append((executable, name, "nan"))  // a word that is no choice
          }
        } else {
          XCTFail("\(executable) --\(name): a value option whose help states no range '(allowed: ...)': \(help)")
        }
      }
      if executable.hasPrefix("lesson-") { XCTAssertGreaterThanOrEqual(numeric, 1, "\(executable): --steps at least") }
    }
    XCTAssertGreaterThan(probes.count, 500, "the walk tried too few values to mean anything")

    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("flag-walk-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: scratch) }
    let failures = Collected()
    let allProbes = probes
    DispatchQueue.concurrentPerform(iterations: allProbes.count) { index in
      let probe = allProbes[index]
      let words = probe.executable.split(separator: " ").map(String.init)
      let binary = LessonHarness.productsFolder.appendingPathComponent(words[0])
      var arguments = Array(words.dropFirst()) + ["--\(probe.option)=\(probe.value)"]
      // Should a value slip through, the run stays small and writes only into the scratch folder.
      if let required = Self.imageTools[probe.executable] {
        arguments += required + ["--out", scratch.appendingPathComponent("\(index)").path]
      } else if probe.executable != "train-classifier" && probe.executable != "gan-bench" {
        arguments += ["--quick", "--no-render", "--out", scratch.appendingPathComponent("\(index)").path]
      }
      let result = Self.run(binary, arguments, timeout: 30)
      let problem: String?
      if result.timedOut {
        problem = "was accepted (still running after 30 s)"
      } else if result.signalled {
        problem = "crashed (signal \(result.status))"
      } else if result.status == 0 {
        problem = "was accepted (exit 0)"
      } else if !result.output.contains("--\(probe.option)") {
        problem = "was refused without naming the option: \(result.output.prefix(300))"
      } else if ["Fatal error", "Program crashed", "Backtrace", "Stack dump"].contains(where: result.output.contains) {
        problem = "printed a crash report"
      } else {
        problem = nil
      }
      if let problem { failures.append("\(probe.executable) --\(probe.option)=\(probe.value) \(problem)") }
    }
    let found = failures.items
    XCTAssertTrue(found.isEmpty, "\(found.count) of \(probes.count) bad values:\n" + found.sorted().joined(separator: "\n"))
  }

  func testIntervalReading() {
    let interval = Self.interval(in: "Images per batch. (allowed: [2, 8192]) (default: 64)")
    XCTAssertEqual(interval?.lower, 2)
    XCTAssertEqual(interval?.upper, 8192)
    XCTAssertEqual(Self.badValues(for: interval!).filter { ["0", "1", "8193", "-1"].contains($0) }.sorted(), ["-1", "0", "1", "8193"])
    let rate = Self.interval(in: "Adam's learning rate. (allowed: (0,\n 1])")
    XCTAssertEqual(rate?.includesLower, false)
    XCTAssertTrue(Self.badValues(for: rate!).contains("0"))
    XCTAssertTrue(Self.badValues(for: rate!).contains("2"))
    XCTAssertNil(Self.interval(in: "Folder for figures."))
  }

  /// Strings appended from several threads.
  final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []
    func append(_ item: String) { lock.lock(); stored.append(item); lock.unlock() }
    var items: [String] { lock.lock(); defer { lock.unlock() }; return stored }
  }

  struct Outcome {
    var status: Int32
    var signalled: Bool
    var timedOut: Bool
    var output: String
  }

  /// Runs a program with a time limit, collecting its standard output and error together.
  static func run(_ program: URL, _ arguments: [String], timeout: Double) -> Outcome {
    let process = Process()
    process.executableURL = program
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    process.standardInput = FileHandle.nullDevice
    do { try process.run() } catch { return Outcome(status: -1, signalled: false, timedOut: false, output: "\(error)") }
    let timer = DispatchSource.makeTimerSource()
    let expired = Collected()
    timer.schedule(deadline: .now() + timeout)
    timer.setEventHandler {
      if process.isRunning {
        expired.append("timed out")
        process.terminate()
      }
    }
    timer.resume()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    timer.cancel()
    let timedOut = !expired.items.isEmpty
    return Outcome(
      status: process.terminationStatus, signalled: process.terminationReason == .uncaughtSignal && !timedOut,
      timedOut: timedOut, output: String(decoding: data, as: UTF8.self))
  }
}
