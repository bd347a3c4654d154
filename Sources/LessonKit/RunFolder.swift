import Foundation

/// A lesson's output folder, written as a whole: the run writes into a staging folder beside `--out` (same file
/// system, so renames are atomic) and `swapIntoPlace()` swaps it in at `finish()`. A folder under the `--out` name
/// therefore always holds one complete run, never the new run's figures beside the last run's notes.
///
/// What is on disk if the lesson is killed (`NAME` is the `--out` folder's name):
/// - while it runs: `NAME/` is the previous complete run, untouched; `.NAME.incomplete-PID-TAG/` (hidden) holds
///   this run so far.
/// - during the swap, on Linux: the two folders are exchanged in one `renameat2(RENAME_EXCHANGE)`, so `NAME/` is
///   the old run or the new one, never neither; the old run then sits under the staging name until it is removed.
/// - during the swap elsewhere (no exchange): `NAME/` is renamed aside to `.NAME.replaced-PID-TAG/`, then the
///   staging folder to `NAME/`; between the two renames `NAME/` is missing and the next run renames the old run back
///   before it starts.
/// Staging and replaced folders whose process is gone are removed by the next run with the same `--out`.
///
/// A run replaces its whole folder, so it only takes over a folder that is new, empty, or was written by a lesson:
/// one that carries the marker file `.gan-course-run`, or (from before the marker) a lesson's `metrics.json`.
/// Any other folder is refused at start, before any work, so a user's own folder is never deleted.
struct RunFolder {
  /// The marker file every run writes, which lets the next run replace the folder.
  static let marker = ".gan-course-run"

  /// `--out` as given (standardized): what the user is shown.
  let destination: URL
  /// `destination` with symbolic links resolved: the folder that is replaced (so a link to a folder elsewhere
  /// keeps pointing there, and the staging folder is on the same file system as what it replaces).
  let target: URL
  /// Where this run writes until it is swapped in.
  let staging: URL

  /// Checks `path` as `--out`, removes what killed runs left beside it, and creates this run's staging folder
  /// (with the marker in it). Throws `LessonSetupError.outputFolder` naming `path` when the folder cannot be used.
  static func prepare(_ path: String, executable: String) throws -> RunFolder {
    func refuse(_ reason: String) -> LessonSetupError { .outputFolder(path: path, reason: reason) }
    let destination = URL(fileURLWithPath: path, isDirectory: true).standardizedFileURL
    let target = destination.resolvingSymlinksInPath()
    let files = FileManager.default
    let parent = target.deletingLastPathComponent()
    let current = URL(fileURLWithPath: files.currentDirectoryPath).resolvingSymlinksInPath().path
    if target.path == "/" || current == target.path || current.hasPrefix(target.path + "/") {
      throw refuse("is the current folder or contains it; a run replaces its whole output folder, so give a folder of its own")
    }
    do {
      try files.createDirectory(at: parent, withIntermediateDirectories: true)
    } catch {
      throw refuse("cannot create the folder (\(error.localizedDescription))")
    }
    cleanLeftovers(of: target)

    var isFolder: ObjCBool = false
    if files.fileExists(atPath: target.path, isDirectory: &isFolder) {
      guard isFolder.boolValue else { throw refuse("exists and is not a folder") }
      guard isLessonFolder(target) else {
        throw refuse(
          "the folder holds files that no lesson run wrote (it has no \(marker) file); a run replaces its whole "
            + "output folder, so give a new or empty folder")
      }
      // The old run is removed after the swap, which needs write access to the folder itself.
      guard access(target.path, W_OK) == 0 else { throw refuse("the folder is not writable") }
    }

    let tag = String(UInt32.random(in: 0...UInt32.max), radix: 16)
    let staging = parent.appendingPathComponent(".\(target.lastPathComponent).incomplete-\(getpid())-\(tag)")
    do {
      try files.createDirectory(at: staging, withIntermediateDirectories: false)
    } catch {
      throw refuse("cannot create the folder (\(error.localizedDescription))")
    }
    guard files.createFile(atPath: staging.appendingPathComponent(marker).path, contents: Data((executable + "\n").utf8))
    else {
      try? files.removeItem(at: staging)
      throw refuse("the folder is not writable")
    }
    return RunFolder(destination: destination, target: target, staging: staging)
  }

  /// Whether a run may replace `folder`: empty, marked, or holding a lesson's metrics.json (written before the
  /// marker existed).
  static func isLessonFolder(_ folder: URL) -> Bool {
    let files = FileManager.default
    guard let entries = try? files.contentsOfDirectory(atPath: folder.path) else { return false }
    if entries.isEmpty || entries.contains(marker) { return true }
    guard let data = try? Data(contentsOf: folder.appendingPathComponent("metrics.json")),
      let metrics = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    else { return false }
    return metrics["claims"] != nil && metrics["files"] != nil && metrics["lesson"] != nil
  }

  /// Removes staging and replaced folders of `target` whose process has ended. If `target` is missing because a
  /// swap was killed between its two renames, the run that was being swapped in (complete: the swap starts only
  /// after every file is written) is put in place, or else the previous run is put back.
  static func cleanLeftovers(of target: URL) {
    let files = FileManager.default
    let parent = target.deletingLastPathComponent()
    let name = target.lastPathComponent
    func leftovers(_ kind: String) -> [(url: URL, run: String)] {
      let prefix = ".\(name).\(kind)-"
      let entries = (try? files.contentsOfDirectory(atPath: parent.path)) ?? []
      return entries.sorted().compactMap { entry in
        guard entry.hasPrefix(prefix) else { return nil }
        let run = String(entry.dropFirst(prefix.count))
        guard let pid = pid_t(run.prefix { $0.isNumber }), !isAlive(pid) else { return nil }
        return (parent.appendingPathComponent(entry), run)
      }
    }
    for replaced in leftovers("replaced") {
      if !files.fileExists(atPath: target.path) {
        let swappedIn = parent.appendingPathComponent(".\(name).incomplete-\(replaced.run)")
        if rename(swappedIn.path, target.path) != 0, rename(replaced.url.path, target.path) == 0 { continue }
      }
      try? files.removeItem(at: replaced.url)
    }
    for staging in leftovers("incomplete") {
      try? files.removeItem(at: staging.url)
    }
  }

  /// Whether a process with this id exists (one we may not signal exists too).
  static func isAlive(_ pid: pid_t) -> Bool {
    pid > 0 && (kill(pid, 0) == 0 || errno == EPERM)
  }

  /// Moves the finished run into place, replacing the previous run, and removes the previous run.
  func swapIntoPlace() throws {
    let files = FileManager.default
    // Temporary files of writes that failed half-way (AtomicFile's `.NAME.partial-N`) are not part of the run.
    for entry in (try? files.contentsOfDirectory(atPath: staging.path)) ?? [] where entry.hasPrefix(".") && entry.contains(".partial-") {
      try? files.removeItem(at: staging.appendingPathComponent(entry))
    }
    var isFolder: ObjCBool = false
    guard files.fileExists(atPath: target.path, isDirectory: &isFolder) else {
      if rename(staging.path, target.path) == 0 { return }
      throw failure("cannot move the run into place: \(String(cString: strerror(errno)))")
    }
    // Someone may have put other files there while the lesson ran: check again before replacing it.
    guard isFolder.boolValue, Self.isLessonFolder(target) else {
      throw failure("\(target.path) now holds files that no lesson run wrote; it was left alone")
    }
    if let exchange = Self.renameExchange, exchange(Self.currentFolder, staging.path, Self.currentFolder, target.path, Self.exchangeFlag) == 0 {
      // The staging name now holds the previous run.
      try? files.removeItem(at: staging)
      return
    }
    let replaced = staging.deletingLastPathComponent().appendingPathComponent(
      staging.lastPathComponent.replacingOccurrences(of: ".incomplete-", with: ".replaced-"))
    guard rename(target.path, replaced.path) == 0 else {
      throw failure("cannot move the previous run aside: \(String(cString: strerror(errno)))")
    }
    guard rename(staging.path, target.path) == 0 else {
      let reason = String(cString: strerror(errno))
      _ = rename(replaced.path, target.path)
      throw failure("cannot move the run into place: \(reason)")
    }
    try? files.removeItem(at: replaced)
  }

  private func failure(_ reason: String) -> Error {
    RunFolderError(description: "\(reason); this run's files are in \(staging.path)")
  }

  // Linux's renameat2 with RENAME_EXCHANGE swaps two folders atomically. Swift's Glibc module does not declare
  // renameat2 (it is a GNU extension), so it is looked up at run time; where it is missing the swap falls back to
  // two renames.
  typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32
  private static let currentFolder: Int32 = -100  // AT_FDCWD
  private static let exchangeFlag: UInt32 = 2  // RENAME_EXCHANGE
  static let renameExchange: RenameAt2? = {
    #if os(Linux)
      guard let symbol = dlsym(nil, "renameat2") else { return nil }
      return unsafeBitCast(symbol, to: RenameAt2.self)
    #else
      return nil
    #endif
  }()
}

struct RunFolderError: Error, CustomStringConvertible {
  let description: String
}
