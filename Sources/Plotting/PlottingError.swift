import Foundation

/// What can go wrong while writing or rendering a figure, an image or an animation. Every message names the
/// figure, file or series involved and says what is wrong.
public enum PlottingError: Error, CustomStringConvertible, LocalizedError {
  /// A figure, animation or image name that is not a plain file stem.
  case invalidName(String)
  /// Numbers that cannot be drawn as asked (mismatched column lengths, a grid of the wrong size, ...).
  case invalidData(String)
  /// A file or folder could not be written or read.
  case io(path: String, reason: String)
  /// gnuplot is not installed (or not on PATH).
  case gnuplotMissing
  /// gnuplot rejected a script, warned about it, or did not produce the output file.
  case gnuplotFailed(script: String, status: Int32, message: String)
  /// Bytes that are not the image format they claim to be.
  case invalidImage(String)
  /// gnuplot did not finish `script` within the time limit and was stopped.
  case gnuplotTimedOut(script: String, seconds: Double, variable: String)

  public var description: String {
    switch self {
    case .invalidName(let name):
      return "invalid name '\(name)': use letters, digits, '-', '_' and '.', not starting with '.'"
    case .invalidData(let message):
      return message
    case .io(let path, let reason):
      return "\(path): \(reason)"
    case .gnuplotMissing:
      return "gnuplot is not installed. " + Gnuplot.installHint
    case .gnuplotFailed(let script, let status, let message):
      let detail = message.isEmpty ? "no message" : message
      return "gnuplot \(script) failed (exit status \(status)):\n\(detail)"
    case .invalidImage(let message):
      return message
    case .gnuplotTimedOut(let script, let seconds, let variable):
      return "gnuplot \(script) did not finish within \(NumberText.seconds(seconds)) and was stopped; the script "
        + "and its data are kept (run `gnuplot \(script)` in the output folder to try again; \(variable) sets the "
        + "limit in seconds)"
    }
  }

  public var errorDescription: String? { description }

  /// Checks that `name` can be used as a file stem in an output folder.
  static func validate(name: String) throws {
    let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_."))
    guard !name.isEmpty, !name.hasPrefix("."), name.unicodeScalars.allSatisfy({ allowed.contains($0) }) else {
      throw PlottingError.invalidName(name)
    }
  }
}

/// Seconds as a short text: "120 s", "0.5 s".
enum NumberText {
  static func seconds(_ value: Double) -> String {
    value == value.rounded() && abs(value) < 1e9 ? "\(Int(value)) s" : "\(value) s"
  }
}

// MARK: - Atomic files

/// Writes files so that a reader never sees half of one: the bytes go to a temporary file in the same folder,
/// which is then renamed over the destination (a rename within one file system is atomic).
public enum AtomicFile {
  /// Writes `data` to `url` atomically. Throws `PlottingError.io` naming the file when it cannot.
  public static func write(_ data: Data, to url: URL) throws {
    let folder = url.deletingLastPathComponent()
    let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).partial-\(UInt32.random(in: 0...UInt32.max))")
    guard FileManager.default.createFile(atPath: temporary.path, contents: data) else {
      let reason = FileManager.default.fileExists(atPath: folder.path)
        ? "cannot write in folder \(folder.path) (permissions or disk full?)"
        : "folder \(folder.path) does not exist"
      throw PlottingError.io(path: url.path, reason: reason)
    }
    try moveIntoPlace(temporary, url)
  }

  /// Writes UTF-8 text to `url` atomically.
  public static func write(_ text: String, to url: URL) throws {
    try write(Data(text.utf8), to: url)
  }

  /// A temporary name beside `url` for a file another program (gnuplot) writes before it is moved into place.
  static func temporaryName(for url: URL) -> String {
    ".\(url.lastPathComponent).partial-\(UInt32.random(in: 0...UInt32.max))"
  }

  /// Renames `temporary` to `url`, replacing it; removes the temporary file if that fails.
  static func moveIntoPlace(_ temporary: URL, _ url: URL) throws {
    if rename(temporary.path, url.path) != 0 {
      let reason = String(cString: strerror(errno))
      try? FileManager.default.removeItem(at: temporary)
      throw PlottingError.io(path: url.path, reason: "cannot move the finished file into place: \(reason)")
    }
  }
}
