import Foundation
import XCTest

/// `--serve [PORT]`: a lesson shown on http://127.0.0.1:PORT/ while it trains. Read with curl (the event stream at
/// /events) and in headless chromium (the page, with its EventSource): the narration, claims and figures arrive as
/// the lesson makes them, two viewers see the same, pause holds the training loop and one step moves it by one, the
/// stream ends when the lesson does, and a port in use is a one-line error before any work.
final class ServeTests: XCTestCase {
  var root = URL(fileURLWithPath: "/")

  override func setUpWithError() throws {
    root = FileManager.default.temporaryDirectory.appendingPathComponent("serve-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws {
    try? FileManager.default.removeItem(at: root)
  }

  /// A socket bound to a free port on 127.0.0.1 (listening when `listen` is true), and the port.
  func boundSocket(listen listening: Bool) -> (descriptor: Int32, port: Int) {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
        _ = bind(descriptor, pointer, length)
        return getsockname(descriptor, pointer, &length)
      }
    }
    if listening { _ = listen(descriptor, 1) }
    return (descriptor, Int(UInt16(bigEndian: address.sin_port)))
  }

  /// `curl` with a time limit: what it printed (a stream is cut off at the limit).
  func curl(_ arguments: [String], seconds: Int) throws -> String {
    try LessonHarness.execute(URL(fileURLWithPath: "/usr/bin/curl"), ["-s", "-N", "-m", "\(seconds)"] + arguments,
                              in: nil).1
  }

  /// The step of the last progress event in a stream read for `seconds`.
  func latestStatus(_ port: Int) throws -> (step: Int, paused: Bool)? {
    let events = try curl(["http://127.0.0.1:\(port)/events"], seconds: 2)
    guard let line = events.split(separator: "\n").last(where: { $0.hasPrefix("data: {\"") && $0.contains("\"paused\"") }),
          let json = try JSONSerialization.jsonObject(with: Data(line.dropFirst(6).utf8)) as? [String: Any],
          let step = json["step"] as? Int else { return nil }
    return (step, json["paused"] as? Bool ?? false)
  }

  func testAServedLessonStreamsToTwoViewersAndObeysPauseAndStep() throws {
    let (probe, port) = boundSocket(listen: false)
    close(probe)
    let lesson = Process()
    lesson.executableURL = LessonHarness.productsFolder.appendingPathComponent("lesson-02-toy-gan")
    lesson.arguments = ["--quick", "--serve", "\(port)", "--out", root.appendingPathComponent("run").path]
    // A file, not a pipe: nobody reads while the lesson runs, and a full pipe would stop it.
    let log = root.appendingPathComponent("lesson.log")
    FileManager.default.createFile(atPath: log.path, contents: nil)
    lesson.standardOutput = try FileHandle(forWritingTo: log)
    lesson.standardError = try FileHandle(forWritingTo: log)
    try lesson.run()
    defer { if lesson.isRunning { lesson.terminate() } }

    var page = ""
    for _ in 0..<100 where !page.contains("EventSource") {
      page = (try? curl(["http://127.0.0.1:\(port)/"], seconds: 1)) ?? ""
      if !page.contains("EventSource") { Thread.sleep(forTimeInterval: 0.1) }
    }
    XCTAssertTrue(page.contains("new EventSource('/events')"), "no page at /: \(page.prefix(300))")

    // Pause as early as possible, then look: the step stays put while paused, and one step moves it by one.
    XCTAssertEqual(try curl(["-X", "POST", "http://127.0.0.1:\(port)/control/pause"], seconds: 2), "paused\n")
    var first = try latestStatus(port)
    for _ in 0..<20 where first?.paused != true {
      Thread.sleep(forTimeInterval: 0.5)
      first = try latestStatus(port)
    }
    let paused = try XCTUnwrap(first, "no progress event")
    XCTAssertTrue(paused.paused)
    Thread.sleep(forTimeInterval: 1)
    XCTAssertEqual(try latestStatus(port)?.step, paused.step, "the training loop moved while paused")
    _ = try curl(["-X", "POST", "http://127.0.0.1:\(port)/control/step"], seconds: 2)
    Thread.sleep(forTimeInterval: 1)
    XCTAssertEqual(try latestStatus(port)?.step, paused.step + 1, "one step")

    // Mid-run, in a real browser: the page fills from the stream, with no console errors.
    let shot = root.appendingPathComponent("serve.png")
    // (A time limit, not a virtual-time budget: the open event stream would keep virtual time from running out.)
    let (status, browserLog) = try LessonHarness.execute(
      URL(fileURLWithPath: "/usr/bin/timeout"),
      ["60", "/usr/bin/chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr",
       "--v=0", "--window-size=1280,1600", "--timeout=3000", "--screenshot=\(shot.path)",
       "http://127.0.0.1:\(port)/"], in: root)
    XCTAssertEqual(status, 0, browserLog)
    XCTAssertGreaterThan((try? Data(contentsOf: shot))?.count ?? 0, 10_000, "no screenshot")
    XCTAssertFalse(browserLog.contains("CONSOLE"), "console messages: \(browserLog)")

    // Two viewers at once, both to the end of the lesson: the same cells, then the end of the stream.
    var viewers: [(process: Process, file: URL)] = []
    for index in 0..<2 {
      let file = root.appendingPathComponent("viewer-\(index).txt")
      FileManager.default.createFile(atPath: file.path, contents: nil)
      let viewer = Process()
      viewer.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
      viewer.arguments = ["-s", "-N", "-m", "150", "http://127.0.0.1:\(port)/events"]
      viewer.standardOutput = try FileHandle(forWritingTo: file)
      try viewer.run()
      viewers.append((viewer, file))
    }
    Thread.sleep(forTimeInterval: 0.5)
    XCTAssertEqual(try curl(["-X", "POST", "http://127.0.0.1:\(port)/control/resume"], seconds: 2), "running\n")
    lesson.waitUntilExit()
    XCTAssertEqual(lesson.terminationStatus, 0, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    for viewer in viewers { viewer.process.waitUntilExit() }
    let streams = try viewers.map { try String(contentsOf: $0.file, encoding: .utf8) }
    for stream in streams {
      let cells = stream.components(separatedBy: "event: cell\n").dropFirst().map { $0.prefix(while: { $0 != "\n" }) }
      XCTAssertGreaterThan(cells.count, 10, "the lesson's cells")
      XCTAssertTrue(stream.contains("\"kind\":\"claim\""), "its claims")
      XCTAssertTrue(stream.contains("\"kind\":\"image\""), "its figures")
      XCTAssertTrue(stream.contains("event: finished"), "the end: \(stream.suffix(300))")
      let other = streams[0] == stream ? streams[1] : streams[0]
      XCTAssertEqual(cells, other.components(separatedBy: "event: cell\n").dropFirst().map { $0.prefix(while: { $0 != "\n" }) })
    }
  }

  func testThePlaygroundsViewerChangesTheLearningRateWhileItTrains() throws {
    let (probe, port) = boundSocket(listen: false)
    close(probe)
    let out = root.appendingPathComponent("playground")
    let playground = Process()
    playground.executableURL = LessonHarness.productsFolder.appendingPathComponent("gan-playground")
    playground.arguments = ["--steps", "6000", "--serve", "\(port)", "--out", out.path]
    playground.standardOutput = FileHandle.nullDevice
    try playground.run()
    defer { if playground.isRunning { playground.terminate() } }
    var reply = ""
    for _ in 0..<100 where !reply.hasPrefix("paused") {
      reply = (try? curl(["-X", "POST", "http://127.0.0.1:\(port)/control/pause"], seconds: 1)) ?? ""
      if !reply.hasPrefix("paused") { Thread.sleep(forTimeInterval: 0.1) }
    }
    // The controls exist once the playground has built its trainer (the pause holds it at its first step).
    var offered = ""
    for _ in 0..<60 where !offered.contains("\"name\":\"loss\"") {
      offered = (try? curl(["http://127.0.0.1:\(port)/events"], seconds: 1)) ?? ""
    }
    let set = "http://127.0.0.1:\(port)/control/set"
    XCTAssertEqual(try curl(["-X", "POST", set + "?name=learning-rate-g&value=0.002"], seconds: 2),
                   "learning-rate-g = 0.002 from the next step\n")
    XCTAssertTrue(try curl(["-X", "POST", set + "?name=loss&value=bogus"], seconds: 2).contains("allowed: minimax"))
    XCTAssertTrue(try curl(["-X", "POST", set + "?name=learning-rate-d&value=7"], seconds: 2).contains("allowed: (0, 1]"))
    XCTAssertTrue(try curl(["-X", "POST", set + "?name=nothing&value=1"], seconds: 2).contains("no setting 'nothing'"))
    let controls = try curl(["http://127.0.0.1:\(port)/events"], seconds: 2)
    XCTAssertTrue(controls.contains("\"name\":\"loss\""), "the page offers the loss")
    _ = try curl(["-X", "POST", "http://127.0.0.1:\(port)/control/resume"], seconds: 2)
    playground.waitUntilExit()
    XCTAssertEqual(playground.terminationStatus, 0)
    let notes = try String(contentsOf: out.appendingPathComponent("notes.md"), encoding: .utf8)
    XCTAssertNotNil(notes.range(of: #"At step \d+ the viewer set learning-rate-g to 0\.002\."#, options: .regularExpression),
                    "the change, with its step, in the notes")
  }

  func testAPortInUseIsNamedBeforeAnyWork() throws {
    let (listener, port) = boundSocket(listen: true)
    defer { close(listener) }
    let out = root.appendingPathComponent("run").path
    let (status, output) = try LessonHarness.execute(
      LessonHarness.productsFolder.appendingPathComponent("lesson-02-toy-gan"),
      ["--quick", "--serve", "\(port)", "--out", out], in: nil)
    XCTAssertEqual(status, 64, output)
    XCTAssertTrue(output.contains("--serve \(port): port \(port) on 127.0.0.1 is in use"), output)
    XCTAssertFalse(FileManager.default.fileExists(atPath: out), "nothing written")
    let (keepStatus, keepOutput) = try LessonHarness.execute(
      LessonHarness.productsFolder.appendingPathComponent("lesson-02-toy-gan"), ["--quick", "--serve-keep"], in: nil)
    XCTAssertEqual(keepStatus, 64)
    XCTAssertTrue(keepOutput.contains("--serve-keep needs --serve"), keepOutput)
  }
}
