import ArgumentParser
import Autograd
import Foundation
import Plotting
import XCTest

@testable import LessonKit

/// Collects what a lesson prints.
final class OutputBuffer: @unchecked Sendable {
  private let lock = NSLock()
  private var text = ""
  func append(_ piece: String) {
    lock.lock()
    text += piece
    lock.unlock()
  }
  var contents: String {
    lock.lock()
    defer { lock.unlock() }
    return text
  }
}

func makeConsole(_ buffer: OutputBuffer, isTerminal: Bool = false, width: Int = 80) -> Console {
  Console(isTerminal: isTerminal, width: width) { buffer.append($0) }
}

final class LessonKitTests: XCTestCase {
  private func temporaryFolder() throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lessonkit-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
    return folder
  }

  // MARK: A tiny lesson, end to end

  func testTinyLessonWritesNotesNotebookAndMetrics() throws {
    // LESSONKIT_TEST_KEEP=/some/folder keeps the lesson's files (and its terminal output, console.txt) for a look.
    let keep = ProcessInfo.processInfo.environment["LESSONKIT_TEST_KEEP"]
    let folder = try keep.map { URL(fileURLWithPath: $0) } ?? temporaryFolder().appendingPathComponent("lesson out")
    let buffer = OutputBuffer()
    defer { if let keep { try? buffer.contents.write(toFile: keep + "/../console.txt", atomically: true, encoding: .utf8) } }
    let lesson = try Lesson(
      number: 7, slug: "tiny", title: "A tiny lesson", seed: 42,
      arguments: ["--out", folder.path, "--quick", "--strict"], console: makeConsole(buffer))
    XCTAssertEqual(lesson.seed, 42)
    XCTAssertTrue(lesson.quick)
    XCTAssertEqual(lesson.steps(default: 1000, quick: 20), 20)

    lesson.section("1. Numbers")
    lesson.narrate("""
      The critic's best answer is D(x) = p_data / (p_data + p_g). With equal densities
      it is **1/2** everywhere.

      - first point
      - second point
      """)
    lesson.show("optimal D", 0.5)
    lesson.show("modes covered", 7, unit: "of 8")
    lesson.show("optimiser", "Adam")
    lesson.check("D ends near 1/2", measured: 0.52, .near(0.5, tolerance: 0.05))
    lesson.check("covers at least 7 modes", measured: 6, .atLeast(7))
    lesson.check("plain claim", true, detail: "by construction")

    let bar = lesson.progress(total: 20, label: "training")
    for step in 1...20 { bar.update(step, values: ["D loss": 0.7, "G loss": 0.69]) }

    var figure = Figure(name: "curve", title: "A curve", xLabel: "x", yLabel: "y")
    figure.add(.line(x: [0, 1, 2, 3], y: [0.0, 1, 4, 9], label: "x²"))
    figure.add(.horizontal(0.5, label: "D = 1/2"))
    let rendered = lesson.figure(figure, caption: "A parabola.")
    let gnuplotInstalled = Gnuplot.locate() != nil
    XCTAssertEqual(rendered != nil, gnuplotInstalled)

    let images = Tensor(shape: [4, 1, 5, 5], scalars: (0..<100).map { Float($0) / 50 - 1 })
    XCTAssertNotNil(lesson.image("samples", images: images, caption: "Four samples."))
    let grid = try ImageGrid(images)
    XCTAssertNotNil(lesson.animation("samples-over-time", frames: [grid, grid]))

    let summary = lesson.finish(exitOnFailure: false)
    XCTAssertEqual(summary.claimsPassed, 2)
    XCTAssertEqual(summary.claimsFailed, 1)
    XCTAssertEqual(summary.exitStatus, 1, "--strict with a failed claim exits non-zero")
    XCTAssertEqual(summary.errors, [])

    // Files
    var expected = ["curve.gp", "curve.dat", "samples.png", "samples-over-time.gif", "notes.md", "lesson.ipynb", "metrics.json"]
    if gnuplotInstalled { expected.append("curve.png") }
    XCTAssertEqual(Set(summary.files), Set(expected))
    for file in expected {
      XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent(file).path), file)
    }
    let hidden = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix(".") }
    XCTAssertEqual(hidden, [], "no temporary files left")

    // notes.md
    let notes = try String(contentsOf: folder.appendingPathComponent("notes.md"), encoding: .utf8)
    XCTAssertTrue(notes.hasPrefix("# Lesson 07: A tiny lesson"))
    XCTAssertTrue(notes.contains("## 1. Numbers"))
    XCTAssertTrue(notes.contains("it is **1/2** everywhere."))
    XCTAssertTrue(notes.contains("| optimal D | 0.5 |"))
    XCTAssertTrue(notes.contains("| modes covered | 7 of 8 |"))
    XCTAssertTrue(notes.contains("![A curve](curve.png)"))
    XCTAssertTrue(notes.contains("![Four samples.](samples.png)"))
    XCTAssertTrue(notes.contains("| FAIL | covers at least 7 modes | measured 6 (needs ≥ 7) |"))
    XCTAssertTrue(notes.contains("| PASS | D ends near 1/2 | measured 0.52 (needs 0.5 ± 0.05) |"))
    XCTAssertTrue(notes.contains("2 of 3 claims hold."))
    XCTAssertTrue(
      notes.contains("- **PASS** D ends near 1/2 — measured 0.52 (needs 0.5 ± 0.05)\n- **FAIL** covers at least 7 modes"),
      "consecutive claims form one list")
    XCTAssertTrue(notes.contains("seed 42, 20 steps, quick mode"))

    // metrics.json
    let metricsData = try Data(contentsOf: folder.appendingPathComponent("metrics.json"))
    let metrics = try XCTUnwrap(try JSONSerialization.jsonObject(with: metricsData) as? [String: Any])
    XCTAssertEqual(metrics["seed"] as? Int, 42)
    XCTAssertEqual(metrics["steps"] as? Int, 20)
    XCTAssertEqual(metrics["quick"] as? Bool, true)
    XCTAssertEqual(metrics["claimsFailed"] as? Int, 1)
    XCTAssertNotNil(metrics["wallTimeSeconds"] as? Double)
    let values = try XCTUnwrap(metrics["values"] as? [String: [String: Any]])
    XCTAssertEqual(values["optimal D"]?["value"] as? Double, 0.5)
    XCTAssertEqual(values["modes covered"]?["unit"] as? String, "of 8")
    XCTAssertEqual(values["optimiser"]?["value"] as? String, "Adam")
    let claims = try XCTUnwrap(metrics["claims"] as? [[String: Any]])
    XCTAssertEqual(claims.count, 3)
    XCTAssertEqual(claims[1]["name"] as? String, "covers at least 7 modes")
    XCTAssertEqual(claims[1]["passed"] as? Bool, false)
    XCTAssertEqual(claims[1]["measured"] as? Double, 6)
    XCTAssertEqual(claims[1]["threshold"] as? String, "≥ 7")
    XCTAssertEqual(Set(try XCTUnwrap(metrics["files"] as? [String])), Set(expected))

    // lesson.ipynb: valid nbformat 4 (checked by Python's nbformat) with the pictures embedded.
    let notebookURL = folder.appendingPathComponent("lesson.ipynb")
    try assertValidNotebook(notebookURL)
    let notebook = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: notebookURL)) as? [String: Any])
    XCTAssertEqual(notebook["nbformat"] as? Int, 4)
    let cells = try XCTUnwrap(notebook["cells"] as? [[String: Any]])
    let attachments = cells.compactMap { $0["attachments"] as? [String: [String: String]] }.flatMap { $0 }
    let embedded = Dictionary(uniqueKeysWithValues: attachments.map { ($0.key, $0.value) })
    let samplePNG = try XCTUnwrap(embedded["samples.png"]?["image/png"])
    XCTAssertEqual(Data(base64Encoded: samplePNG), try Data(contentsOf: folder.appendingPathComponent("samples.png")))
    XCTAssertNotNil(embedded["samples-over-time.gif"]?["image/gif"])
    if gnuplotInstalled { XCTAssertNotNil(embedded["curve.png"]?["image/png"]) }
    let sources = cells.map { ($0["source"] as? [String] ?? []).joined() }
    XCTAssertTrue(sources.contains { $0.contains("![A curve](attachment:curve.png)") } || !gnuplotInstalled)
    XCTAssertTrue(sources.contains { $0.contains("## 1. Numbers") })

    // Terminal output: plain (not a terminal), values aligned, claims table, files.
    let output = buffer.contents
    XCTAssertFalse(output.contains("\u{1B}["), "no escape codes when not a terminal")
    XCTAssertTrue(output.contains("densities it is 1/2 everywhere."), "emphasis markers are not printed")
    XCTAssertTrue(output.contains("[FAIL] covers at least 7 modes"))
    XCTAssertTrue(output.contains("Claims"))
    XCTAssertTrue(output.contains("notes.md"))
    let valueLines = output.split(separator: "\n").filter { $0.contains(" .") && ($0.contains("optimal D") || $0.contains("optimiser")) }
    XCTAssertEqual(valueLines.count, 2)
    XCTAssertEqual(Set(valueLines.map { $0.count - ($0.split(separator: " ").last?.count ?? 0) }).count, 1, "values start in one column: \(valueLines)")
    for line in output.split(separator: "\n") { XCTAssertLessThanOrEqual(line.count, 80, "wrapped: \(line)") }
  }

  func testWithoutStrictAFailedClaimStillExitsZero() throws {
    let folder = try temporaryFolder()
    let buffer = OutputBuffer()
    let lesson = try Lesson(
      number: 1, slug: "x", title: "X", arguments: ["--out", folder.path, "--no-render"], console: makeConsole(buffer))
    XCTAssertEqual(lesson.seed, 1, "default seed is the lesson number")
    XCTAssertFalse(lesson.rendersFigures)
    lesson.check("fails", false)
    var figure = Figure(name: "f")
    figure.add(.line(y: [1.0, 2, 3]))
    XCTAssertNil(lesson.figure(figure), "--no-render writes the script only")
    XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("f.gp").path))
    XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("f.png").path))
    let summary = lesson.finish(exitOnFailure: false)
    XCTAssertEqual(summary.exitStatus, 0)
    try assertValidNotebook(folder.appendingPathComponent("lesson.ipynb"))
  }

  func testBrokenFigureIsAnErrorThatFailsTheRun() throws {
    let folder = try temporaryFolder()
    let lesson = try Lesson(
      number: 1, slug: "x", title: "X", arguments: ["--out", folder.path], console: makeConsole(OutputBuffer()))
    var figure = Figure(name: "broken")
    figure.add(.line(x: [1, 2], y: [1.0]))
    XCTAssertNil(lesson.figure(figure))
    let summary = lesson.finish(exitOnFailure: false)
    XCTAssertEqual(summary.exitStatus, 1)
    XCTAssertEqual(summary.errors.count, 1)
    XCTAssertTrue(summary.errors[0].contains("figure 'broken'"), summary.errors[0])
  }

  func testWithoutGnuplotScriptsAreWrittenAndTheLessonSaysOnceHowToInstallIt() throws {
    let folder = try temporaryFolder()
    let buffer = OutputBuffer()
    let lesson = try Lesson(
      number: 1, slug: "x", title: "X", arguments: ["--out", folder.path], console: makeConsole(buffer), gnuplot: nil)
    XCTAssertFalse(lesson.rendersFigures)
    for name in ["first", "second"] {
      var figure = Figure(name: name)
      figure.add(.line(y: [1.0, 2, 3]))
      XCTAssertNil(lesson.figure(figure))
      XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("\(name).gp").path))
      XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("\(name).dat").path))
    }
    XCTAssertNotNil(lesson.image("grid", grid: try ImageGrid(images: [0, 1, 0, 1], count: 1, channels: 1, height: 2, width: 2)))
    let summary = lesson.finish(exitOnFailure: false)
    XCTAssertEqual(summary.exitStatus, 0, "a missing gnuplot is not an error")
    XCTAssertEqual(buffer.contents.components(separatedBy: "apt-get install gnuplot").count - 1, 1, "said once")
    let notes = try String(contentsOf: folder.appendingPathComponent("notes.md"), encoding: .utf8)
    XCTAssertTrue(notes.contains("run `gnuplot first.gp` in this folder"), notes)
  }

  func testLiveWithoutADisplaySaysSoOnceAndContinues() throws {
    let environment = ProcessInfo.processInfo.environment
    let gnuplot = Gnuplot.locate()
    let interactive = (try? gnuplot?.availableTerminals())??.contains(where: LiveWindow.interactiveTerminals.contains) ?? false
    if let display = environment["DISPLAY"], !display.isEmpty, interactive {
      throw XCTSkip("a display and an interactive gnuplot are available: only the headless fallback is tested")
    }
    let folder = try temporaryFolder()
    let buffer = OutputBuffer()
    let lesson = try Lesson(
      number: 1, slug: "x", title: "X", arguments: ["--out", folder.path, "--live"], console: makeConsole(buffer))
    XCTAssertTrue(lesson.isLive)
    for step in 0..<3 {
      var figure = Figure(name: "live")
      figure.add(.line(y: [1.0, 2, Double(step)]))
      lesson.live(figure)
    }
    let summary = lesson.finish(exitOnFailure: false)
    XCTAssertEqual(summary.exitStatus, 0)
    XCTAssertEqual(buffer.contents.components(separatedBy: "live: ").count - 1, 1, buffer.contents)
    XCTAssertTrue(buffer.contents.contains("continuing without a window"))
  }

  // MARK: Flags

  func testBadFlagsAreUsageErrorsNamingTheFlag() throws {
    let folder = try temporaryFolder()
    let cases: [([String], String)] = [
      (["--seed", "abc"], "--seed"),
      (["--steps", "-5"], "--steps"),
      (["--steps", "0"], "--steps"),
      (["--bogus"], "--bogus"),
      (["--out"], "--out"),
    ]
    for (arguments, flag) in cases {
      XCTAssertThrowsError(
        try Lesson(number: 3, slug: "s", title: "T", arguments: arguments + ["--out", folder.path].filter { _ in arguments != ["--out"] },
          console: makeConsole(OutputBuffer()))
      ) { error in
        guard let setup = error as? LessonSetupError else { return XCTFail("\(error)") }
        XCTAssertEqual(setup.exitCode, 64, "\(arguments)")
        XCTAssertTrue(setup.description.contains(flag), "\(arguments): \(setup.description)")
      }
    }
  }

  func testHelpListsTheCommonAndExtraFlags() throws {
    struct Flags: ParsableArguments {
      @Flag(help: "Load the pretrained generator.") var pretrained = false
      @Option(help: "Folder with the data files.") var data: String?
    }
    XCTAssertThrowsError(
      try Lesson.start(number: 6, slug: "dcgan", title: "DCGAN", flags: Flags.self, arguments: ["--help"], console: makeConsole(OutputBuffer()))
    ) { error in
      guard case .helpRequested(let text) = error as? LessonSetupError else { return XCTFail("\(error)") }
      XCTAssertEqual((error as? LessonSetupError)?.exitCode, 0)
      for flag in ["--out", "--seed", "--quick", "--steps", "--no-render", "--live", "--strict", "--pretrained", "--data"] {
        XCTAssertTrue(text.contains(flag), "help mentions \(flag):\n\(text)")
      }
      XCTAssertTrue(text.contains("lesson-06-dcgan"), text)
    }
    let folder = try temporaryFolder()
    let (lesson, flags) = try Lesson.start(
      number: 6, slug: "dcgan", title: "DCGAN", flags: Flags.self,
      arguments: ["--pretrained", "--data", "/tmp/mnist", "--out", folder.path, "--steps", "7"],
      console: makeConsole(OutputBuffer()))
    XCTAssertTrue(flags.pretrained)
    XCTAssertEqual(flags.data, "/tmp/mnist")
    XCTAssertEqual(lesson.steps(default: 100, quick: 10), 7)
    XCTAssertEqual(lesson.seed, 6)
  }

  func testUnwritableOutputFolderIsAClearErrorBeforeWork() throws {
    let folder = try temporaryFolder()
    let file = folder.appendingPathComponent("a-file")
    try Data("x".utf8).write(to: file)
    XCTAssertThrowsError(
      try Lesson(number: 2, slug: "s", title: "T", arguments: ["--out", file.path], console: makeConsole(OutputBuffer()))
    ) { error in
      XCTAssertEqual((error as? LessonSetupError)?.exitCode, 64)
      XCTAssertTrue("\(error)".contains("--out \(file.path)"), "\(error)")
      XCTAssertTrue("\(error)".contains("not a folder"), "\(error)")
    }
    XCTAssertThrowsError(
      try Lesson(number: 2, slug: "s", title: "T", arguments: ["--out", file.path + "/inside"], console: makeConsole(OutputBuffer()))
    ) { error in
      XCTAssertTrue("\(error)".contains("cannot create the folder"), "\(error)")
    }
    if getuid() != 0 {
      let locked = folder.appendingPathComponent("locked")
      try FileManager.default.createDirectory(at: locked, withIntermediateDirectories: true)
      try FileManager.default.setAttributes([.posixPermissions: 0o500], ofItemAtPath: locked.path)
      XCTAssertThrowsError(
        try Lesson(number: 2, slug: "s", title: "T", arguments: ["--out", locked.path], console: makeConsole(OutputBuffer())))
    }
  }

  // MARK: Progress

  func testProgressIsPlainPeriodicLinesWhenNotATerminal() {
    let buffer = OutputBuffer()
    let progress = Progress(total: 1000, label: "training", console: makeConsole(buffer))
    for step in 1...1000 { progress.update(step, values: ["D": 0.5, "G": Double(step)]) }
    let lines = buffer.contents.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.isEmpty }
    XCTAssertFalse(buffer.contents.contains("\r"))
    XCTAssertFalse(buffer.contents.contains("\u{1B}"))
    XCTAssertEqual(lines.count, 10, "one line per 10%: \(lines)")
    XCTAssertTrue(lines[0].contains("training  10%  100/1000  D 0.5  G 100"), String(lines[0]))
    XCTAssertTrue(lines[9].contains("100%  1000/1000"), String(lines[9]))
    XCTAssertTrue(lines[9].contains("done"), String(lines[9]))
  }

  func testProgressRedrawsABarOnATerminal() {
    let buffer = OutputBuffer()
    let progress = Progress(total: 4, label: "fit", console: makeConsole(buffer, isTerminal: true))
    progress.update(1, values: ["loss": 1.5])
    progress.update(4, values: ["loss": 0.25])
    let text = buffer.contents
    XCTAssertTrue(text.contains("\r\u{1B}[2K  fit ["), text)
    XCTAssertTrue(text.contains("100%  4/4  loss 0.25"), text)
    XCTAssertTrue(text.hasSuffix("\n"))
  }

  func testUnfinishedProgressEndsAtTheNextCell() throws {
    let folder = try temporaryFolder()
    let buffer = OutputBuffer()
    let lesson = try Lesson(number: 1, slug: "p", title: "P", arguments: ["--out", folder.path], console: makeConsole(buffer))
    let bar = lesson.progress(total: 10, label: "loop")
    for step in 0..<10 { bar.update(step) }  // a 0-based loop never reports 10/10
    lesson.show("after", 1)
    let lines = buffer.contents.split(separator: "\n")
    let last = try XCTUnwrap(lines.lastIndex { $0.contains("loop") })
    XCTAssertTrue(lines[last + 1].contains("after"))
    _ = lesson.finish(exitOnFailure: false)
  }

  // MARK: Text

  func testNarrationWrapsParagraphsAndKeepsListsAndCode() {
    let text = """
      A long paragraph that was broken in the source
      at odd places but should flow again into lines that fit the width given here.

      - a list item that is long enough to wrap onto a second line with a hanging indent
      - short

      ```
      code   stays   as   is
      ```
      """
    let lines = TextLayout.wrapMarkdown(text, width: 40)
    XCTAssertTrue(lines.allSatisfy { $0.count <= 40 || $0.contains("code") }, "\(lines)")
    XCTAssertEqual(lines[0], "  A long paragraph that was broken in")
    XCTAssertTrue(lines.contains("  - a list item that is long enough to"))
    XCTAssertTrue(lines.contains { $0.hasPrefix("    wrap onto") }, "hanging indent: \(lines)")
    XCTAssertTrue(lines.contains("  code   stays   as   is"))
  }

  func testNumberFormatting() {
    XCTAssertEqual(NumberFormat.format(0.5), "0.5")
    XCTAssertEqual(NumberFormat.format(7), "7")
    XCTAssertEqual(NumberFormat.format(1.386294), "1.386")
    XCTAssertEqual(NumberFormat.format(0.012345), "0.01235")
    XCTAssertEqual(NumberFormat.format(1.5e-7), "1.500e-07")
    XCTAssertEqual(NumberFormat.format(.nan), "NaN")
    XCTAssertTrue(Threshold.near(0.5, tolerance: 0.05).holds(for: 0.54))
    XCTAssertFalse(Threshold.atMost(3).holds(for: .nan))
    XCTAssertTrue(Threshold.between(1, 2).holds(for: 2))
    XCTAssertFalse(Threshold.below(1).holds(for: 1))
  }

  // MARK: Helpers

  /// Validates a notebook with Python's `nbformat` (the reference validator). Missing nbformat is a failure:
  /// CI installs it with `pip install nbformat`.
  private func assertValidNotebook(_ url: URL, file: StaticString = #filePath, line: UInt = #line) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [
      "python3", "-c",
      "import sys, nbformat; nb = nbformat.read(sys.argv[1], as_version=4); nbformat.validate(nb); print('valid')",
      url.path,
    ]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    if output.contains("No module named 'nbformat'") {
      XCTFail("Python's nbformat is not installed: `pip install nbformat` (CI installs it)", file: file, line: line)
      return
    }
    XCTAssertEqual(process.terminationStatus, 0, "nbformat rejected \(url.lastPathComponent):\n\(output)", file: file, line: line)
    XCTAssertTrue(output.contains("valid"), output, file: file, line: line)
  }
}
