import Foundation
import XCTest

/// course-book builds the static site from the course notes and the runs it finds: each lesson's newest run shown
/// with its claims and its figures where the notes name them, lessons never run (or run by an older format) with a
/// clear panel, every image on every page a file that exists, all of it from file:// with no server; and in a real
/// browser (Debian's chromium, headless) the pages render with no console errors.
final class CourseBookTests: XCTestCase {
  var root = URL(fileURLWithPath: "/")
  static let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  override func setUpWithError() throws {
    root = FileManager.default.temporaryDirectory.appendingPathComponent("course-book-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws {
    try? FileManager.default.removeItem(at: root)
  }

  /// A run folder as a lesson writes it: metrics.json, a figure named as in the lesson's notes, its script and data,
  /// and one figure the notes do not name.
  func fakeRun(_ folder: String, number: Int, slug: String, passed: [Bool], seed: Int, figure: String) throws {
    let url = root.appendingPathComponent("runs/\(folder)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    let claims = passed.enumerated().map { index, ok in
      ["name": "claim \(index) <of the run>", "passed": ok, "detail": "measured \(index) (needs ≥ 0)"] as [String: Any]
    }
    let metrics: [String: Any] = [
      "lesson": ["number": number, "slug": slug, "executable": "lesson-0\(number)-\(slug)", "title": slug],
      "claims": claims, "seed": seed, "steps": 100, "quick": true, "wallTimeSeconds": 1.5, "values": [:],
    ]
    try JSONSerialization.data(withJSONObject: metrics).write(to: url.appendingPathComponent("metrics.json"))
    // The same tiny PNG for every picture (the book copies, it does not decode).
    let png = try Data(contentsOf: Self.package.appendingPathComponent("Lessons/02-toy-gan/figures/w1.png"))
    for name in [figure, "extra-figure.png"] { try png.write(to: url.appendingPathComponent(name)) }
    try Data("plot 'w1.dat'".utf8).write(to: url.appendingPathComponent("w1.gp"))
    try Data("1 2".utf8).write(to: url.appendingPathComponent("w1.dat"))
    try Data("{}".utf8).write(to: url.appendingPathComponent("lesson.ipynb"))
  }

  func book(_ arguments: [String]) throws -> (status: Int32, output: String) {
    try LessonHarness.execute(LessonHarness.productsFolder.appendingPathComponent("course-book"), arguments,
                              in: Self.package)
  }

  func page(_ name: String) throws -> String {
    try String(contentsOf: root.appendingPathComponent("book/\(name)"), encoding: .utf8)
  }

  func testTheBookShowsEachLessonsNewestRunBesideItsNotes() throws {
    try fakeRun("lesson-02-toy-gan-old", number: 2, slug: "toy-gan", passed: [false], seed: 1, figure: "w1.png")
    Thread.sleep(forTimeInterval: 1.1)  // the newer run by its metrics.json's time
    try fakeRun("lesson-02-toy-gan", number: 2, slug: "toy-gan", passed: [true, true, false], seed: 42, figure: "w1.png")
    let older = root.appendingPathComponent("runs/lesson-05-wgan")
    try FileManager.default.createDirectory(at: older, withIntermediateDirectories: true)
    try Data("{\"values\": {}}".utf8).write(to: older.appendingPathComponent("metrics.json"))

    let started = Date()
    let (status, output) = try book(["--runs", root.appendingPathComponent("runs").path,
                                     "--out", root.appendingPathComponent("book").path])
    XCTAssertEqual(status, 0, output)
    XCTAssertLessThan(Date().timeIntervalSince(started), 10, "the book of all eleven lessons in under 10 s")
    XCTAssertTrue(output.contains("12 pages, 1 lessons with a run"), output)

    let index = try page("index.html")
    XCTAssertTrue(index.contains("2 of 3 claims hold"), index)
    XCTAssertTrue(index.contains("not run yet: <code>swift run lesson-03-mode-collapse</code>"), index)
    XCTAssertTrue(index.contains("run not readable"), index)

    let lesson = try page("lesson-02-toy-gan.html")
    XCTAssertTrue(lesson.contains("seed 42"), "the newest run, not the older one")
    XCTAssertEqual(lesson.components(separatedBy: "class=\"pass\">PASS").count - 1, 2)
    XCTAssertEqual(lesson.components(separatedBy: "class=\"fail\">FAIL").count - 1, 1)
    XCTAssertTrue(lesson.contains("claim 0 &lt;of the run&gt;"), "claim names are escaped")
    XCTAssertTrue(lesson.contains("<img src=\"lesson-02-toy-gan/w1.png\""), "the run's figure where the notes name it")
    XCTAssertTrue(lesson.contains("lesson-02-toy-gan/course-figures/final-density.png"), "the course's where the run has none")
    XCTAssertTrue(lesson.contains("All figures of this run") && lesson.contains("extra-figure.png"), "the gallery")
    XCTAssertTrue(lesson.contains("href=\"lesson-02-toy-gan/lesson.ipynb\""), "the notebook")
    XCTAssertTrue(try page("lesson-05-wgan.html").contains("older format"))
    XCTAssertTrue(try page("lesson-03-mode-collapse.html").contains("Not run yet"))

    // Every image on every page is a file in the book.
    let pages = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("book").path)
      .filter { $0.hasSuffix(".html") }
    XCTAssertEqual(pages.count, 12)
    var images = 0
    for name in pages {
      let html = try page(name)
      for match in html.matches(of: /<img src="([^"]+)"/) {
        images += 1
        let file = root.appendingPathComponent("book/\(match.1)").path
        XCTAssertTrue(FileManager.default.fileExists(atPath: file), "\(name): <img src=\"\(match.1)\"> has no file")
      }
    }
    XCTAssertGreaterThan(images, 30, "the notes' figures on every page")

    // A real browser: the pages render, with no console errors (a missing image would be one).
    let screenshots = root.appendingPathComponent("screenshots")
    try FileManager.default.createDirectory(at: screenshots, withIntermediateDirectories: true)
    for name in ["index.html", "lesson-02-toy-gan.html"] {
      let shot = screenshots.appendingPathComponent(name + ".png")
      let (browserStatus, log) = try LessonHarness.execute(
        URL(fileURLWithPath: "/usr/bin/chromium"),
        ["--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0", "--window-size=1280,2000",
         "--screenshot=\(shot.path)", root.appendingPathComponent("book/\(name)").absoluteString], in: root)
      XCTAssertEqual(browserStatus, 0, log)
      XCTAssertGreaterThan((try? Data(contentsOf: shot))?.count ?? 0, 10_000, "\(name): no screenshot")
      let consoleErrors = log.split(separator: "\n").filter { $0.contains("CONSOLE") || $0.contains("Failed to load") }
      XCTAssertTrue(consoleErrors.isEmpty, "\(name): \(consoleErrors)")
    }
  }

  func testAMissingLessonsFolderIsNamed() throws {
    let (status, output) = try book(["--lessons", root.appendingPathComponent("nowhere").path,
                                     "--out", root.appendingPathComponent("book").path])
    XCTAssertNotEqual(status, 0)
    XCTAssertTrue(output.contains("--lessons") && output.contains("no lesson folders"), output)
    XCTAssertFalse(FileManager.default.fileExists(atPath: root.appendingPathComponent("book").path))
  }
}
