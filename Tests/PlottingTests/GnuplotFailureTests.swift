import Foundation
import XCTest

@testable import Plotting

/// What `Gnuplot.render` does when gnuplot misbehaves in ways its exit status does not show: a truncated picture
/// (gnuplot exits 0 after a failed write, e.g. on a full disk) and a gnuplot that never finishes. Both are played
/// by small shell scripts standing in for gnuplot.
final class GnuplotFailureTests: XCTestCase {
  /// A fake `gnuplot` executable: `body` runs with `$out` set to the file the real one would write (the `outfile`
  /// variable passed with `-e`).
  private func fakeGnuplot(in folder: URL, _ body: String) throws -> URL {
    let url = folder.appendingPathComponent("fake-gnuplot")
    let script = """
      #!/bin/sh
      out=$(printf '%s' "$2" | sed 's/^outfile="\\(.*\\)"$/\\1/')
      \(body)

      """
    try script.write(to: url, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
    return url
  }

  private func writeFigure(named name: String, in folder: URL) throws -> FigureFiles {
    var figure = Figure(name: name)
    figure.add(.line(y: [1.0, 2, 3]))
    return try figure.write(to: folder)
  }

  func testTruncatedPNGIsAnErrorAndNoPictureIsKept() throws {
    let folder = try makeTemporaryFolder(self)
    // The PNG signature and the start of a header chunk, then nothing: what a write cut short leaves behind.
    let gnuplot = Gnuplot(executable: try fakeGnuplot(in: folder, #"printf '\211PNG\r\n\032\n\000\000\000\rIHDR' > "$out""#))
    let files = try writeFigure(named: "curve", in: folder)
    XCTAssertThrowsError(try gnuplot.render(files)) { error in
      XCTAssertEqual("\(error)", "figure curve.png not written: gnuplot left a truncated file (16 bytes, no IEND)")
    }
    XCTAssertFalse(FileManager.default.fileExists(atPath: files.image.path))
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix(".") }
    XCTAssertEqual(leftovers, [], "the temporary file is removed")
    XCTAssertTrue(FileManager.default.fileExists(atPath: files.script.path), "the script is kept")
  }

  func testEmptyAndForeignOutputsAreErrors() throws {
    let folder = try makeTemporaryFolder(self)
    let cases: [(String, String)] = [
      (#": > "$out""#, "figure curve.png not written: gnuplot left an empty file"),
      (#"printf 'hello' > "$out""#, "figure curve.png not written: gnuplot left a file that is not a PNG (5 bytes, no PNG signature)"),
    ]
    for (body, expected) in cases {
      let gnuplot = Gnuplot(executable: try fakeGnuplot(in: folder, body))
      let files = try writeFigure(named: "curve", in: folder)
      XCTAssertThrowsError(try gnuplot.render(files)) { XCTAssertEqual("\($0)", expected) }
      XCTAssertFalse(FileManager.default.fileExists(atPath: files.image.path))
    }
  }

  func testTruncatedGIFIsAnError() throws {
    let folder = try makeTemporaryFolder(self)
    let file = folder.appendingPathComponent("frames")
    try Data("GIF89a\u{1}\u{0}\u{1}\u{0}".utf8).write(to: file)
    XCTAssertThrowsError(try Gnuplot.checkComplete(file, as: "training.gif")) { error in
      XCTAssertEqual("\(error)", "animation training.gif not written: gnuplot left a truncated file (10 bytes, no GIF trailer)")
    }
    try Data("GIF89a\u{1}\u{0}\u{1}\u{0};".utf8).write(to: file)
    XCTAssertNoThrow(try Gnuplot.checkComplete(file, as: "training.gif"))
  }

  /// A picture the real gnuplot wrote passes the check (also covered by every rendering test).
  func testRealGnuplotOutputPassesTheCheck() throws {
    let gnuplot = try requireGnuplot()
    let folder = try makeTemporaryFolder(self)
    let files = try writeFigure(named: "curve", in: folder)
    try gnuplot.render(files)
    XCTAssertNoThrow(try Gnuplot.checkComplete(files.image, as: "curve.png"))
  }

  func testHangingGnuplotIsStoppedAfterTheTimeoutWithItsHelpers() throws {
    let folder = try makeTemporaryFolder(self)
    // The fake starts a helper in the background (as gnuplot does for some terminals) that keeps the error stream
    // open, then hangs itself; both must be stopped, and reading the error stream must not wait for them.
    let fake = try fakeGnuplot(in: folder, """
      sleep 60 &
      echo $! > helper.pid
      echo working >&2
      sleep 60
      """)
    let gnuplot = Gnuplot(executable: fake, timeout: 1)
    XCTAssertEqual(gnuplot.timeout, 1)
    let files = try writeFigure(named: "slow", in: folder)
    let started = Date()
    XCTAssertThrowsError(try gnuplot.render(files)) { error in
      XCTAssertEqual(
        "\(error)",
        "gnuplot slow.gp did not finish within 1 s and was stopped; the script and its data are kept (run "
          + "`gnuplot slow.gp` in the output folder to try again; GAN_GNUPLOT_TIMEOUT sets the limit in seconds)")
    }
    let elapsed = Date().timeIntervalSince(started)
    XCTAssertLessThan(elapsed, 10, "stopped after the timeout, not after the fake's 60 s")
    XCTAssertTrue(FileManager.default.fileExists(atPath: files.script.path))
    XCTAssertTrue(FileManager.default.fileExists(atPath: files.data.path))
    XCTAssertFalse(FileManager.default.fileExists(atPath: files.image.path))
    let helperText = try String(contentsOf: folder.appendingPathComponent("helper.pid"), encoding: .utf8)
    let helper = try XCTUnwrap(pid_t(helperText.trimmingCharacters(in: .whitespacesAndNewlines)))
    XCTAssertTrue(waitUntilGone(helper), "the helper in gnuplot's process group was killed too")
  }

  func testTimeoutVariableIsReadAsPositiveSeconds() {
    XCTAssertEqual(Gnuplot.timeout(fromVariable: "30"), 30)
    XCTAssertEqual(Gnuplot.timeout(fromVariable: " 2.5 "), 2.5)
    XCTAssertNil(Gnuplot.timeout(fromVariable: nil))
    XCTAssertNil(Gnuplot.timeout(fromVariable: "0"))
    XCTAssertNil(Gnuplot.timeout(fromVariable: "soon"))
    XCTAssertEqual(Gnuplot.defaultTimeout, 120)
  }

  /// Whether `pid` has gone (or is a zombie waiting for init to reap it) within a few seconds.
  private func waitUntilGone(_ pid: pid_t) -> Bool {
    for _ in 0..<50 {
      if kill(pid, 0) != 0 { return true }
      let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
      if let state = stat.split(separator: ")").last?.split(separator: " ").first, state == "Z" { return true }
      usleep(100_000)
    }
    return false
  }
}
