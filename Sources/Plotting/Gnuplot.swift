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

  /// What to tell someone who does not have gnuplot.
  public static let installHint =
    "Install it to get the charts as PNG images: `apt-get install gnuplot` (or `gnuplot-nox` on a server "
    + "without a display; on macOS `brew install gnuplot`). The .gp scripts and .dat data are written anyway: "
    + "run `gnuplot NAME.gp` in the output folder later to draw them."

  public init(executable: URL) {
    self.executable = executable
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
  /// going to a temporary file that is renamed to `files.image` once gnuplot has finished without complaint.
  public func render(_ files: FigureFiles) throws {
    let folder = files.script.deletingLastPathComponent()
    let temporary = folder.appendingPathComponent(AtomicFile.temporaryName(for: files.image))
    do {
      try run(script: files.script, variables: ["outfile": temporary.lastPathComponent])
    } catch {
      try? FileManager.default.removeItem(at: temporary)
      throw error
    }
    guard FileManager.default.fileExists(atPath: temporary.path) else {
      throw PlottingError.gnuplotFailed(
        script: files.script.lastPathComponent, status: 0,
        message: "gnuplot finished but wrote no \(files.image.lastPathComponent)")
    }
    try AtomicFile.moveIntoPlace(temporary, files.image)
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

  private func execute(arguments: [String], in folder: URL?) throws -> (status: Int32, errorOutput: String) {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    if let folder { process.currentDirectoryURL = folder }
    let errorPipe = Pipe()
    process.standardError = errorPipe
    process.standardOutput = FileHandle.nullDevice
    process.standardInput = FileHandle.nullDevice
    do {
      try process.run()
    } catch {
      throw PlottingError.io(path: executable.path, reason: "cannot start gnuplot: \(error.localizedDescription)")
    }
    let errorData = errorPipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: errorData, as: UTF8.self))
  }
}

/// A gnuplot string literal for a plain value (file names, variables): only backslashes and quotes escaped.
func quotedPlain(_ text: String) -> String {
  "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
}
