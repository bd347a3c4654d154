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
  /// A new empty folder inside a container of its own, so the staging folders a lesson makes beside its output
  /// folder are removed with it.
  private func temporaryFolder() throws -> URL {
    let container = FileManager.default.temporaryDirectory.appendingPathComponent("lessonkit-\(UUID().uuidString)")
    let folder = container.appendingPathComponent("out")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    addTeardownBlock { try? FileManager.default.removeItem(at: container) }
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
    lesson.show("optimizer", "Adam")
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
    XCTAssertEqual(hidden, [RunFolder.marker], "no temporary files left, only the marker")

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
    XCTAssertEqual(values["optimizer"]?["value"] as? String, "Adam")
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
    let valueLines = output.split(separator: "\n").filter { $0.contains(" .") && ($0.contains("optimal D") || $0.contains("optimizer")) }
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
    XCTAssertTrue(FileManager.default.fileExists(atPath: lesson.outputFolder.appendingPathComponent("f.gp").path))
    XCTAssertFalse(FileManager.default.fileExists(atPath: lesson.outputFolder.appendingPathComponent("f.png").path))
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
      XCTAssertTrue(FileManager.default.fileExists(atPath: lesson.outputFolder.appendingPathComponent("\(name).gp").path))
      XCTAssertTrue(FileManager.default.fileExists(atPath: lesson.outputFolder.appendingPathComponent("\(name).dat").path))
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

  // MARK: Output folder: one complete run

  private func startLesson(_ folder: URL, _ extra: [String] = [], gnuplot: Gnuplot? = nil) throws -> Lesson {
    try Lesson(
      number: 2, slug: "toy", title: "Toy", arguments: ["--out", folder.path] + extra, console: makeConsole(OutputBuffer()),
      gnuplot: gnuplot)
  }

  private func contents(_ folder: URL) -> Set<String> {
    Set((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
  }

  private func drawFigure(_ lesson: Lesson, _ name: String) {
    var figure = Figure(name: name)
    figure.add(.line(y: [1.0, 2, 3]))
    lesson.figure(figure)
  }

  func testARunKilledMidWayLeavesThePreviousRunAndTheNextRunReplacesIt() throws {
    let folder = try temporaryFolder()
    let first = try startLesson(folder)
    drawFigure(first, "first")
    XCTAssertNotEqual(first.outputFolder.path, folder.path, "the run writes into a staging folder")
    XCTAssertEqual(first.outputFolder.deletingLastPathComponent().path, folder.deletingLastPathComponent().path, "beside --out")
    XCTAssertTrue(first.outputFolder.lastPathComponent.hasPrefix(".out.incomplete-\(getpid())-"))
    XCTAssertEqual(contents(folder), [], "nothing reaches --out before finish()")
    first.finish(exitOnFailure: false)
    XCTAssertEqual(first.outputFolder.path, folder.path)
    XCTAssertEqual(
      contents(folder), ["first.gp", "first.dat", "notes.md", "lesson.ipynb", "metrics.json", RunFolder.marker])

    // A second run that never finishes (killed): --out still holds the first run, whole.
    let killed = try startLesson(folder)
    drawFigure(killed, "killed")
    XCTAssertTrue(contents(killed.outputFolder).contains("killed.gp"))
    XCTAssertFalse(contents(folder).contains("killed.gp"))

    // A third run replaces the first as a whole: nothing of the first or the killed run remains.
    let third = try startLesson(folder)
    drawFigure(third, "third")
    let summary = third.finish(exitOnFailure: false)
    XCTAssertEqual(summary.errors, [])
    XCTAssertEqual(
      contents(folder), ["third.gp", "third.dat", "notes.md", "lesson.ipynb", "metrics.json", RunFolder.marker])
    let notes = try String(contentsOf: folder.appendingPathComponent("notes.md"), encoding: .utf8)
    XCTAssertTrue(notes.contains("third.gp") && !notes.contains("first.gp") && !notes.contains("killed.gp"), notes)
    let siblings = contents(folder.deletingLastPathComponent())
    XCTAssertFalse(siblings.contains { $0.contains(".replaced-") }, "the previous run is removed: \(siblings)")
    XCTAssertEqual(siblings.filter { $0.contains(".incomplete-") }.count, 1, "only the killed run's staging (its process, this one, still runs)")
  }

  func testAFolderWithOtherFilesIsRefusedAndLeftAlone() throws {
    let folder = try temporaryFolder()
    let thesis = folder.appendingPathComponent("thesis.tex")
    try Data("my work".utf8).write(to: thesis)
    XCTAssertThrowsError(try startLesson(folder)) { error in
      XCTAssertEqual((error as? LessonSetupError)?.exitCode, 64)
      XCTAssertEqual(
        "\(error)",
        "Error: --out \(folder.path): the folder holds files that no lesson run wrote (it has no .gan-course-run "
          + "file); a run replaces its whole output folder, so give a new or empty folder")
    }
    XCTAssertEqual(contents(folder), ["thesis.tex"])
    XCTAssertEqual(contents(folder.deletingLastPathComponent()), ["out"], "no staging folder was made")

    // A folder written by a lesson before the marker existed (it has a lesson's metrics.json) is replaced.
    try FileManager.default.removeItem(at: thesis)
    let metrics = #"{"lesson": {"number": 2}, "claims": [], "files": ["old.png"]}"#
    try Data(metrics.utf8).write(to: folder.appendingPathComponent("metrics.json"))
    try Data().write(to: folder.appendingPathComponent("old.png"))
    let lesson = try startLesson(folder)
    lesson.finish(exitOnFailure: false)
    XCTAssertFalse(contents(folder).contains("old.png"))
  }

  func testLeftoversOfKilledRunsAreRemovedAndAnInterruptedSwapIsRepaired() throws {
    let folder = try temporaryFolder()
    let parent = folder.deletingLastPathComponent()
    // The id of a process that has ended.
    let ended = Process()
    ended.executableURL = URL(fileURLWithPath: "/bin/true")
    try ended.run()
    ended.waitUntilExit()
    let dead = ended.processIdentifier
    XCTAssertFalse(RunFolder.isAlive(dead))
    func makeRun(_ name: String, notes: String) throws {
      let url = parent.appendingPathComponent(name)
      try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
      try Data(notes.utf8).write(to: url.appendingPathComponent("notes.md"))
      try Data().write(to: url.appendingPathComponent(RunFolder.marker))
      try Data().write(to: url.appendingPathComponent(".figure.png.partial-123"))
    }
    // A swap killed between its two renames: --out is missing, the old run renamed aside, the new one complete.
    try FileManager.default.removeItem(at: folder)
    try makeRun(".out.replaced-\(dead)-a1", notes: "old run")
    try makeRun(".out.incomplete-\(dead)-a1", notes: "new run")
    try makeRun(".out.incomplete-\(dead)-b2", notes: "killed run")
    try makeRun(".out.incomplete-\(getpid())-c3", notes: "a run still going")

    let lesson = try startLesson(folder)
    XCTAssertEqual(try String(contentsOf: folder.appendingPathComponent("notes.md"), encoding: .utf8), "new run")
    let siblings = contents(parent)
    XCTAssertEqual(
      siblings, ["out", ".out.incomplete-\(getpid())-c3", lesson.outputFolder.lastPathComponent],
      "leftovers of ended processes are gone; the running one's staging stays")
    lesson.finish(exitOnFailure: false)
    XCTAssertFalse(contents(folder).contains { $0.contains(".partial-") }, "no temporary files in the finished folder")
  }

  func testOnLinuxTheSwapIsOneAtomicExchange() throws {
    #if os(Linux)
      XCTAssertNotNil(RunFolder.renameExchange, "renameat2 is found in the C library")
      let folder = try temporaryFolder()
      let other = folder.deletingLastPathComponent().appendingPathComponent("other")
      try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
      try Data("a".utf8).write(to: folder.appendingPathComponent("a"))
      let exchange = try XCTUnwrap(RunFolder.renameExchange)
      XCTAssertEqual(exchange(-100, folder.path, -100, other.path, 2), 0, String(cString: strerror(errno)))
      XCTAssertEqual(contents(other), ["a"])
      XCTAssertEqual(contents(folder), [])
    #endif
  }

  func testTheFileListNamesOnlyFilesThatExist() throws {
    let folder = try temporaryFolder()
    let lesson = try startLesson(folder)
    let url = try XCTUnwrap(lesson.image("samples", grid: try ImageGrid(images: [0, 1, 0, 1], count: 1, channels: 1, height: 2, width: 2)))
    try FileManager.default.removeItem(at: url)
    let summary = lesson.finish(exitOnFailure: false)
    XCTAssertFalse(summary.files.contains("samples.png"))
    XCTAssertEqual(
      summary.errors, ["samples.png was written during the run but is missing from the output folder; it is left out of the notes"])
    XCTAssertEqual(summary.exitStatus, 1)
    let metrics = try XCTUnwrap(
      JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("metrics.json"))) as? [String: Any])
    XCTAssertEqual(metrics["files"] as? [String], ["notes.md", "lesson.ipynb", "metrics.json"])
    let notes = try String(contentsOf: folder.appendingPathComponent("notes.md"), encoding: .utf8)
    XCTAssertFalse(notes.contains("](samples.png)"), notes)
  }

  func testATruncatedRenderIsAnErrorAndNotListed() throws {
    let folder = try temporaryFolder()
    let fake = folder.deletingLastPathComponent().appendingPathComponent("fake-gnuplot")
    try """
      #!/bin/sh
      out=$(printf '%s' "$2" | sed 's/^outfile="\\(.*\\)"$/\\1/')
      printf '\\211PNG\\r\\n\\032\\n\\000\\000\\000\\rIHDR' > "$out"

      """.write(to: fake, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fake.path)
    let buffer = OutputBuffer()
    let lesson = try Lesson(
      number: 2, slug: "toy", title: "Toy", arguments: ["--out", folder.path], console: makeConsole(buffer),
      gnuplot: Gnuplot(executable: fake))
    drawFigure(lesson, "curve")
    let summary = lesson.finish(exitOnFailure: false)
    XCTAssertEqual(
      summary.errors, ["figure curve.gp: figure curve.png not written: gnuplot left a truncated file (16 bytes, no IEND)"])
    XCTAssertFalse(summary.files.contains("curve.png"))
    XCTAssertFalse(contents(folder).contains("curve.png"))
    XCTAssertTrue(contents(folder).isSuperset(of: ["curve.gp", "curve.dat"]))
    XCTAssertTrue(buffer.contents.contains("Files in \(folder.path)/"), buffer.contents)
    XCTAssertFalse(buffer.contents.contains(".incomplete-"), "the user is shown the final folder")
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

/// Plain-text formulas survive Markdown rendering: their `_` and `*` are escaped, code and emphasis are not.
final class MarkdownTextTests: XCTestCase {
  func testFormulasAreEscapedAndCodeAndEmphasisKept() {
    let text = "D* = p_data / (p_data + p_G), a * b, **bold**, *emphasis*, `p_data*` and E_x[f]\n```\nx_1 * y\n```"
    XCTAssertEqual(
      MarkdownText.escapingFormulas(text),
      "D\\* = p\\_data / (p\\_data + p\\_G), a \\* b, **bold**, *emphasis*, `p_data*` and E\\_x[f]\n```\nx_1 * y\n```")
  }
}
