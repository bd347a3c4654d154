import Foundation
import XCTest

/// Runs a built lesson executable in `--quick --strict` mode into a temporary folder and checks what every lesson
/// promises: exit status 0, every claim passed, a complete metrics.json, notes.md and lesson.ipynb, and that every
/// gnuplot script it wrote renders again with `gnuplot NAME.gp` run in the folder, without an error or warning.
enum LessonHarness {
  struct Run {
    let folder: URL
    let metrics: [String: Any]
    let output: String
    var files: [String] { (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [] }

    /// The value a lesson showed under `label`.
    func value(_ label: String) -> Double? {
      ((metrics["values"] as? [String: Any])?[label] as? [String: Any])?["value"] as? Double
    }

    /// The text a lesson showed under `label` (a value shown as text, such as "0.90 / 0.62 / 0.86").
    func text(_ label: String) -> String? {
      ((metrics["values"] as? [String: Any])?[label] as? [String: Any])?["value"] as? String
    }
  }

  /// The folder the test binary sits in, where SwiftPM also puts the lesson executables.
  static var productsFolder: URL { URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent() }

  static func run(_ executable: String, extraArguments: [String] = [], seed: Int? = nil,
                  file: StaticString = #filePath, line: UInt = #line) throws -> Run {
    let binary = productsFolder.appendingPathComponent(executable)
    guard FileManager.default.isExecutableFile(atPath: binary.path) else {
      XCTFail("\(executable) is not built at \(binary.path); run `swift build` first", file: file, line: line)
      throw CocoaError(.fileNoSuchFile)
    }
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lesson-test-\(UUID().uuidString)")
    var arguments = ["--quick", "--strict", "--out", folder.path] + extraArguments
    if let seed { arguments += ["--seed", String(seed)] }
    let (status, output) = try execute(binary, arguments, in: nil)
    XCTAssertEqual(status, 0, "\(executable) exited with \(status):\n\(output.suffix(3000))", file: file, line: line)

    let metricsURL = folder.appendingPathComponent("metrics.json")
    let data = try Data(contentsOf: metricsURL)
    let metrics = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any], file: file, line: line)
    for key in ["claims", "values", "seed", "steps", "wallTimeSeconds", "files", "quick"] {
      XCTAssertNotNil(metrics[key], "\(executable): metrics.json lacks \(key)", file: file, line: line)
    }
    let claims = try XCTUnwrap(metrics["claims"] as? [[String: Any]], file: file, line: line)
    XCTAssertFalse(claims.isEmpty, "\(executable) checked no claims", file: file, line: line)
    for claim in claims where claim["passed"] as? Bool != true {
      XCTFail("\(executable): claim failed: \(claim["name"] ?? "?") — \(claim["detail"] ?? "")", file: file, line: line)
    }
    XCTAssertEqual(metrics["quick"] as? Bool, true, file: file, line: line)

    let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
    for required in ["notes.md", "lesson.ipynb", "metrics.json"] {
      XCTAssertTrue(files.contains(required), "\(executable) did not write \(required)", file: file, line: line)
    }
    let notebook = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("lesson.ipynb")))
    XCTAssertEqual((notebook as? [String: Any])?["nbformat"] as? Int, 4, file: file, line: line)

    let scripts = files.filter { $0.hasSuffix(".gp") }.sorted()
    XCTAssertFalse(scripts.isEmpty, "\(executable) wrote no gnuplot scripts", file: file, line: line)
    let gnuplot = try XCTUnwrap(locate("gnuplot"), "gnuplot is not installed (apt-get install gnuplot-nox)",
                                file: file, line: line)
    for script in scripts {
      let (status, messages) = try execute(gnuplot, [script], in: folder)
      // The gif terminal reports its frame count on stderr ("...frames..."); anything else is a complaint.
      let complaints = messages.split(separator: "\n").filter { !$0.isEmpty && !$0.contains("frames") }
      XCTAssertEqual(status, 0, "\(executable): gnuplot \(script) failed:\n\(messages)", file: file, line: line)
      XCTAssertTrue(complaints.isEmpty, "\(executable): gnuplot \(script) complained:\n\(messages)", file: file, line: line)
      let image = (script as NSString).deletingPathExtension
      XCTAssertTrue(files.contains(image + ".png") || files.contains(image + ".gif"),
                    "\(executable): \(script) has no rendered image", file: file, line: line)
    }
    return Run(folder: folder, metrics: metrics, output: output)
  }

  static func locate(_ name: String) -> URL? {
    for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
      let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent(name)
      if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
    }
    return nil
  }

  /// Runs a program to completion, returning its exit status and its combined output. `environment` adds to (or
  /// replaces entries of) this process's environment. A crash (a signal) fails the test.
  static func execute(
    _ program: URL, _ arguments: [String], in directory: URL?, environment: [String: String] = [:]
  ) throws -> (Int32, String) {
    let process = Process()
    process.executableURL = program
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    if !environment.isEmpty {
      process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    XCTAssertNotEqual(process.terminationReason, .uncaughtSignal, "\(program.lastPathComponent) \(arguments) crashed")
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
  }
}
