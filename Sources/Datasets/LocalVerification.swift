import Foundation

/// Checks that the copy of a known dataset found on disk is the published one, byte for byte, before it is used:
/// an altered but well-formed MNIST would otherwise train and be judged without a word. A file passes when its
/// SHA-256 (or that of its decompressed content) is the published one.
///
/// Hashing MNIST's files costs a fraction of a second; the verdict is kept in a small cache file
/// (`$XDG_CACHE_HOME/gan-course/verified.tsv`, else `~/.cache/...`) by path, size and modification time, so a
/// file that has not changed is not hashed again. Only passes are cached. Users' own data in the same format skips
/// the check with `--no-verify`.
public enum LocalVerification {
  /// Verifies every file of `known` (by its plain name, `.gz` or not) in `directory`, or throws
  /// `DatasetError.notPublished` naming the first file that differs.
  public static func verify(
    directory: String, dataset: String, known: [VerifiedFile],
    environment: [String: String] = ProcessInfo.processInfo.environment
  ) throws {
    let cacheFile = cachePath(environment: environment)
    var cache = readCache(cacheFile)
    var changed = false
    for file in known {
      let plainName = file.name.hasSuffix(".gz") ? String(file.name.dropLast(3)) : file.name
      guard let path = Dataset.existingFile(plainName, in: directory) else {
        throw DatasetError.missingFiles(directory: directory, files: [plainName + "(.gz)"], hint: "")
      }
      let key = try cacheKey(path)
      if cache.contains(key) { continue }
      let stored = try SHA256.hexDigest(ofFile: path)
      var passes = stored == file.sha256.lowercased() || stored == file.contentSHA256?.lowercased()
      var content: String?
      if !passes, let expectedContent = file.contentSHA256?.lowercased() {
        content = try? Downloader.decompressedDigest(path)
        passes = content == expectedContent
      }
      guard passes else {
        throw DatasetError.notPublished(
          file: path, dataset: dataset, expected: file.contentSHA256 ?? file.sha256, actual: content ?? stored)
      }
      cache.insert(key)
      changed = true
    }
    if changed { writeCache(cache, to: cacheFile) }
  }

  /// The cache of verdicts: `$XDG_CACHE_HOME/gan-course/verified.tsv`, else `$HOME/.cache/gan-course/verified.tsv`.
  public static func cachePath(environment: [String: String]) -> String {
    let mnistCache = MNIST.cacheDirectory(environment: environment)
    return ((mnistCache as NSString).deletingLastPathComponent as NSString).appendingPathComponent("verified.tsv")
  }

  /// `absolute path <tab> size <tab> modification time in nanoseconds`: a file rewritten in place changes size or
  /// time, and then it is hashed again.
  static func cacheKey(_ path: String) throws -> String {
    var status = stat()
    guard stat(path, &status) == 0 else {
      throw DatasetError.unreadable(file: path, reason: String(cString: strerror(errno)))
    }
    let absolute = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
    let nanoseconds = Int64(status.st_mtim.tv_sec) * 1_000_000_000 + Int64(status.st_mtim.tv_nsec)
    return "\(absolute)\t\(status.st_size)\t\(nanoseconds)"
  }

  private static func readCache(_ path: String) -> Set<String> {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
    return Set(text.split(separator: "\n").map(String.init))
  }

  /// Best effort: a cache that cannot be written only means hashing again next time.
  private static func writeCache(_ entries: Set<String>, to path: String) {
    let folder = (path as NSString).deletingLastPathComponent
    try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let temporary = path + ".\(getpid()).partial"
    let text = entries.sorted().joined(separator: "\n") + "\n"
    guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8)) else { return }
    if rename(temporary, path) != 0 { unlink(temporary) }
  }
}
