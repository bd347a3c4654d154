import Foundation

/// The `gnuplot` program, run as a separate process: the course talks to it only through scripts and pipes.
///
/// ```swift
/// if let gnuplot = Gnuplot.locate() {
///   let files = try figure.write(to: folder)
///   try gnuplot.render(files)          // runs `gnuplot NAME.gp` in `folder`, makes NAME.png
/// } else {
///   print(Gnuplot.installHint)
/// }
/// ```
public struct Gnuplot: Sendable {
  /// The executable that is run.
  public let executable: URL
  /// How long one run of gnuplot may take, in seconds, before it is stopped and reported as an error. A chart
  /// renders in well under a second and the longest animation in a few seconds, so the default of 120 s only
  /// trips on a gnuplot that hangs (a stuck font lookup, a terminal waiting for input); without it, such a
  /// gnuplot would hang the lesson forever.
  public let timeout: Double

  /// The default `timeout`, in seconds.
  public static let defaultTimeout: Double = 120

  /// The environment variable that overrides `defaultTimeout` (seconds, a positive number).
  public static let timeoutVariable = "GAN_GNUPLOT_TIMEOUT"

  /// What to tell someone who does not have gnuplot.
  public static let installHint =
    "Install it to get the charts as PNG images: `apt-get install gnuplot` (or `gnuplot-nox` on a server "
    + "without a display; on macOS `brew install gnuplot`). The .gp scripts and .dat data are written anyway: "
    + "run `gnuplot NAME.gp` in the output folder later to draw them."

  /// - Parameter timeout: seconds one run may take; `nil` reads `GAN_GNUPLOT_TIMEOUT`, else `defaultTimeout`.
  public init(executable: URL, timeout: Double? = nil) {
    self.executable = executable
    self.timeout = timeout ?? Self.environmentTimeout
  }

  /// `GAN_GNUPLOT_TIMEOUT` when it is a positive number, else `defaultTimeout`. A value that is not a number is
  /// said once on the error stream rather than silently replaced, so a typo does not go unnoticed.
  static let environmentTimeout: Double = {
    let text = ProcessInfo.processInfo.environment[timeoutVariable]
    if let seconds = timeout(fromVariable: text) { return seconds }
    if let text {
      FileHandle.standardError.write(
        Data("warning: \(timeoutVariable)=\(text) is not a positive number of seconds; using \(Int(defaultTimeout)) s\n".utf8))
    }
    return defaultTimeout
  }()

  /// The seconds in a `GAN_GNUPLOT_TIMEOUT` value, or `nil` when it is missing or not a positive number.
  static func timeout(fromVariable text: String?) -> Double? {
    guard let text, let seconds = Double(text.trimmingCharacters(in: .whitespaces)), seconds > 0, seconds.isFinite
    else { return nil }
    return seconds
  }

  /// Finds `gnuplot` on the `PATH` of `environment` (the process's own by default), like the shell's `which`.
  /// Returns `nil` when it is not installed.
  public static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) -> Gnuplot? {
    let path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
    for folder in path.split(separator: ":") where !folder.isEmpty {
      let candidate = URL(fileURLWithPath: String(folder)).appendingPathComponent("gnuplot")
      if FileManager.default.isExecutableFile(atPath: candidate.path) {
        return Gnuplot(executable: candidate)
      }
    }
    return nil
  }

  // MARK: Rendering

  /// Renders a written figure or animation: runs gnuplot on its script in the script's folder, with the output
  /// going to a temporary file that is renamed to `files.image` once gnuplot has finished without complaint and
  /// the file is checked to be a whole image. gnuplot exits 0 even when it could not finish writing (a full
  /// disk), so its exit status alone would let a truncated picture pass for a finished one.
  public func render(_ files: FigureFiles) throws {
    let folder = files.script.deletingLastPathComponent()
    let temporary = folder.appendingPathComponent(AtomicFile.temporaryName(for: files.image))
    do {
      try run(script: files.script, variables: ["outfile": temporary.lastPathComponent])
      guard FileManager.default.fileExists(atPath: temporary.path) else {
        throw PlottingError.gnuplotFailed(
          script: files.script.lastPathComponent, status: 0,
          message: "gnuplot finished but wrote no \(files.image.lastPathComponent)")
      }
      try Self.checkComplete(temporary, as: files.image.lastPathComponent)
    } catch {
      try? FileManager.default.removeItem(at: temporary)
      throw error
    }
    try AtomicFile.moveIntoPlace(temporary, files.image)
  }

  /// Checks that `file` holds a whole PNG or GIF (by the extension of `name`, the name it will get): the format's
  /// signature at the start and its end marker at the end (PNG: an empty IEND chunk with its fixed CRC; GIF: the
  /// trailer byte). Only the first and last bytes are read, so this costs nothing for large animations.
  static func checkComplete(_ file: URL, as name: String) throws {
    let what = name.hasSuffix(".gif") ? "animation" : "figure"
    func fail(_ detail: String) -> PlottingError {
      .invalidImage("\(what) \(name) not written: gnuplot left \(detail)")
    }
    let handle: FileHandle
    do {
      handle = try FileHandle(forReadingFrom: file)
    } catch {
      throw PlottingError.io(path: file.path, reason: "cannot read what gnuplot wrote: \(error.localizedDescription)")
    }
    defer { try? handle.close() }
    let size = (try? handle.seekToEnd()) ?? 0
    guard size > 0 else { throw fail("an empty file") }
    try? handle.seek(toOffset: 0)
    let head = [UInt8]((try? handle.read(upToCount: 8)) ?? Data())
    let tailLength = min(size, 12)
    try? handle.seek(toOffset: size - tailLength)
    let tail = [UInt8]((try? handle.read(upToCount: Int(tailLength))) ?? Data())
    if name.hasSuffix(".png") {
      let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
      let iend: [UInt8] = [0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82]
      guard head == signature else { throw fail("a file that is not a PNG (\(size) bytes, no PNG signature)") }
      guard tail == iend else { throw fail("a truncated file (\(size) bytes, no IEND)") }
    } else if name.hasSuffix(".gif") {
      let magic = String(decoding: head.prefix(6), as: UTF8.self)
      guard magic == "GIF87a" || magic == "GIF89a" else {
        throw fail("a file that is not a GIF (\(size) bytes, no GIF87a/GIF89a header)")
      }
      guard tail.last == 0x3B else { throw fail("a truncated file (\(size) bytes, no GIF trailer)") }
    }
  }

  /// Runs `gnuplot -e 'NAME="VALUE"; ...' SCRIPT` with the script's folder as the current directory.
  ///
  /// Any complaint is an error: a non-zero exit status, or anything gnuplot writes to its error stream other
  /// than the animation terminal's frame count. The error shows gnuplot's own message (which names the script
  /// line) so a broken script is easy to fix.
  public func run(script: URL, variables: [String: String] = [:]) throws {
    var arguments: [String] = []
    if !variables.isEmpty {
      let assignments = variables.sorted { $0.key < $1.key }.map { "\($0.key)=\(quotedPlain($0.value))" }
      arguments += ["-e", assignments.joined(separator: "; ")]
    }
    arguments.append(script.lastPathComponent)
    let result = try execute(arguments: arguments, in: script.deletingLastPathComponent())
    let complaints = result.errorOutput
      .split(separator: "\n", omittingEmptySubsequences: true)
      .map(String.init)
      .filter { !Self.isInformational($0) }
    if result.status != 0 || !complaints.isEmpty {
      throw PlottingError.gnuplotFailed(
        script: script.lastPathComponent, status: result.status,
        message: complaints.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines))
    }
  }

  /// The names of the output terminals this gnuplot was built with (`GPVAL_TERMINALS`), e.g. `pngcairo`, `gif`,
  /// `wxt`, `qt`, `x11`.
  public func availableTerminals() throws -> [String] {
    let result = try execute(arguments: ["-e", "print GPVAL_TERMINALS"], in: nil)
    guard result.status == 0 else {
      throw PlottingError.gnuplotFailed(script: "-e 'print GPVAL_TERMINALS'", status: result.status, message: result.errorOutput)
    }
    return result.errorOutput.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
  }

  /// Lines gnuplot prints on its error stream that are not complaints.
  static func isInformational(_ line: String) -> Bool {
    // The gif terminal reports "12 frames in animation sequence" when its output closes.
    line.trimmingCharacters(in: .whitespaces).range(of: #"^\d+ frames in animation sequence$"#, options: .regularExpression) != nil
  }

  /// Runs gnuplot and collects its error stream, stopping it after `timeout` seconds.
  ///
  /// The error stream is read on its own thread while this one waits for the exit with a deadline, so neither a
  /// gnuplot that fills the pipe nor one that hangs can block the lesson. On Linux gnuplot is started through
  /// util-linux's `setpriv --pdeathsig KILL`, which asks the kernel to kill it when the thread that started it
  /// ends; this thread waits for gnuplot, so that happens only when the lesson itself dies (even by `kill -9`),
  /// and no gnuplot outlives its lesson. (Foundation's `Process` has no hook between fork and exec where
  /// `prctl(PR_SET_PDEATHSIG)` could be called.)
  private func execute(arguments: [String], in folder: URL?) throws -> (status: Int32, errorOutput: String) {
    guard FileManager.default.isExecutableFile(atPath: executable.path) else {
      throw PlottingError.io(path: executable.path, reason: "cannot start gnuplot: not an executable file")
    }
    let process = Process()
    if let guardian = Self.deathSignalWrapper {
      process.executableURL = guardian
      process.arguments = ["--pdeathsig", "KILL", "--", executable.path] + arguments
    } else {
      process.executableURL = executable
      process.arguments = arguments
    }
    if let folder { process.currentDirectoryURL = folder }
    let errorPipe = Pipe()
    process.standardError = errorPipe
    process.standardOutput = FileHandle.nullDevice
    process.standardInput = FileHandle.nullDevice
    let exited = DispatchSemaphore(value: 0)
    process.terminationHandler = { _ in exited.signal() }
    do {
      try process.run()
    } catch {
      throw PlottingError.io(path: executable.path, reason: "cannot start gnuplot: \(error.localizedDescription)")
    }
    let collected = CollectedOutput()
    let reader = errorPipe.fileHandleForReading
    Thread.detachNewThread {
      collected.finish(with: reader.readDataToEndOfFile())
    }
    if exited.wait(timeout: .now() + .milliseconds(Int(min(timeout, 1e6) * 1000))) == .timedOut {
      Self.stop(process)
      exited.wait()
      throw PlottingError.gnuplotTimedOut(
        script: arguments.last ?? "gnuplot", seconds: timeout, variable: Self.timeoutVariable)
    }
    // Whatever gnuplot wrote is in the pipe by now; a helper it left running could keep the pipe open, so the
    // reader gets a short grace rather than an open-ended wait.
    let errorData = collected.wait(seconds: 5)
    return (process.terminationStatus, String(decoding: errorData, as: UTF8.self))
  }

  /// Kills gnuplot and, when it leads a process group of its own (Foundation starts children that way on
  /// Linux), everything in that group, such as a helper it started.
  private static func stop(_ process: Process) {
    let pid = process.processIdentifier
    guard pid > 0 else { return }
    if getpgid(pid) == pid { _ = kill(-pid, SIGKILL) }
    _ = kill(pid, SIGKILL)
  }

  /// `setpriv` when it is installed and understands `--pdeathsig` (util-linux 2.33 and later), checked once.
  static let deathSignalWrapper: URL? = {
    #if os(Linux)
      let setpriv = URL(fileURLWithPath: "/usr/bin/setpriv")
      guard FileManager.default.isExecutableFile(atPath: setpriv.path) else { return nil }
      let probe = Process()
      probe.executableURL = setpriv
      probe.arguments = ["--pdeathsig", "KILL", "--", "/bin/true"]
      probe.standardOutput = FileHandle.nullDevice
      probe.standardError = FileHandle.nullDevice
      probe.standardInput = FileHandle.nullDevice
      guard (try? probe.run()) != nil else { return nil }
      probe.waitUntilExit()
      return probe.terminationStatus == 0 ? setpriv : nil
    #else
      return nil
    #endif
  }()
}

/// The bytes a reader thread collected, handed over once it has read to the end.
private final class CollectedOutput: @unchecked Sendable {
  private let lock = NSLock()
  private let done = DispatchSemaphore(value: 0)
  private var data = Data()

  func finish(with bytes: Data) {
    lock.lock()
    data = bytes
    lock.unlock()
    done.signal()
  }

  /// The bytes, or what is known so far (nothing) when the reader has not finished within `seconds`.
  func wait(seconds: Double) -> Data {
    _ = done.wait(timeout: .now() + .milliseconds(Int(seconds * 1000)))
    lock.lock()
    defer { lock.unlock() }
    return data
  }
}

/// A gnuplot string literal for a plain value (file names, variables): only backslashes and quotes escaped.
func quotedPlain(_ text: String) -> String {
  "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
}
