import Foundation

/// Finding MNIST on this machine, and fetching it when it is nowhere.
///
/// The search order (first folder holding all four IDX files, gzipped or plain, wins):
/// 1. `--data DIR` (the `dataDirectory` argument): `DIR` itself or `DIR/mnist`. A folder named explicitly that has
///    neither is an error (a typo should not silently start a download);
/// 2. `$GAN_DATA_DIR/mnist`;
/// 3. `./data/mnist`, relative to the working directory;
/// 4. the user cache: `$XDG_CACHE_HOME/gan-course/mnist`, or `~/.cache/gan-course/mnist`.
///
/// When none has them, the missing files are downloaded into the cache from the mirrors torchvision uses, each to a
/// temporary file in the cache folder, checked against its SHA-256, and only then renamed into place.
public enum MNIST {
  /// The mirrors, tried in order for each file (the list torchvision uses).
  public static let mirrors = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
  ]

  /// The four files as the mirrors serve them, with the SHA-256 of the `.gz` file and of its decompressed IDX
  /// content. A download is accepted when either matches: the content digest does not depend on how a mirror
  /// compressed the file.
  public static let files: [VerifiedFile] = [
    VerifiedFile(
      name: "train-images-idx3-ubyte.gz",
      sha256: "0b367032e93c5d0cea0925647cfdb18614af8ee15f83e6f2fc2ad904a6835971",
      contentSHA256: "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
    VerifiedFile(
      name: "train-labels-idx1-ubyte.gz",
      sha256: "1787548bbe0bff1ec2ecdc0ef292b02df999e2d1a6002d27500982c652b17203",
      contentSHA256: "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
    VerifiedFile(
      name: "t10k-images-idx3-ubyte.gz",
      sha256: "1a1a05eab793c14bb050b398624a11b0ffd1a2953baed553b1b9bd079e2a20be",
      contentSHA256: "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
    VerifiedFile(
      name: "t10k-labels-idx1-ubyte.gz",
      sha256: "b91679a0acfe4ba0e50a2437a903084cba1f5f92592b016a25a7dfd00455798b",
      contentSHA256: "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"),
  ]

  /// The user cache folder for MNIST: `$XDG_CACHE_HOME/gan-course/mnist`, else `$HOME/.cache/gan-course/mnist`.
  public static func cacheDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
    let cacheRoot: String
    if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty {
      cacheRoot = xdg
    } else {
      let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
      cacheRoot = (home as NSString).appendingPathComponent(".cache")
    }
    return (cacheRoot as NSString).appendingPathComponent("gan-course/mnist")
  }

  /// The folders searched after `--data`, in order: `$GAN_DATA_DIR/mnist`, `./data/mnist`, the cache.
  public static func searchDirectories(
    environment: [String: String] = ProcessInfo.processInfo.environment,
    workingDirectory: String = FileManager.default.currentDirectoryPath
  ) -> [String] {
    var folders: [String] = []
    if let root = environment["GAN_DATA_DIR"], !root.isEmpty {
      folders.append((root as NSString).appendingPathComponent("mnist"))
    }
    folders.append((workingDirectory as NSString).appendingPathComponent("data/mnist"))
    folders.append(cacheDirectory(environment: environment))
    return folders
  }

  /// The folder holding MNIST's four files, by the search order above; downloads into the cache when no folder
  /// has them (unless `allowDownload` is false, which makes that case an error listing where it looked).
  ///
  /// - Parameters:
  ///   - dataDirectory: the `--data DIR` flag, or nil.
  ///   - mirrors: base URLs, each followed by a file name (tests pass a server of their own on 127.0.0.1).
  public static func locate(
    dataDirectory: String?,
    environment: [String: String] = ProcessInfo.processInfo.environment,
    workingDirectory: String = FileManager.default.currentDirectoryPath,
    mirrors: [String] = MNIST.mirrors,
    allowDownload: Bool = true
  ) throws -> String {
    if let dataDirectory {
      let candidates = [dataDirectory, (dataDirectory as NSString).appendingPathComponent("mnist")]
      if let found = candidates.first(where: { Dataset.missingFiles(in: $0).isEmpty }) { return found }
      throw DatasetError.missingFiles(
        directory: dataDirectory, files: Dataset.missingFiles(in: dataDirectory).map { $0 + "(.gz)" },
        hint: "--data names a folder that should hold MNIST's four IDX files (itself or in a subfolder mnist/);"
          + " leave --data out to search \(searchDirectories(environment: environment, workingDirectory: workingDirectory).joined(separator: ", ")) and download if needed")
    }
    if let root = environment["GAN_DATA_DIR"], !root.isEmpty {
      var isFolder: ObjCBool = false
      guard FileManager.default.fileExists(atPath: root, isDirectory: &isFolder), isFolder.boolValue else {
        // A typo here would otherwise fall through to a download, or to another copy, without a word.
        throw DatasetError.missingFolder(
          setting: "GAN_DATA_DIR", path: root, hint: "set it to a folder holding mnist/ (e.g. ../shared/data), or unset it")
      }
    }
    let folders = searchDirectories(environment: environment, workingDirectory: workingDirectory)
    if let found = folders.first(where: { Dataset.missingFiles(in: $0).isEmpty }) { return found }
    let cache = cacheDirectory(environment: environment)
    guard allowDownload else {
      throw DatasetError.missingFiles(
        directory: cache, files: Dataset.missingFiles(in: cache),
        hint: "MNIST was not found in \(folders.joined(separator: ", ")) and downloading is off")
    }
    printToStandardError("MNIST was not found in \(folders.joined(separator: ", ")); downloading it into \(cache)")
    try download(into: cache, mirrors: mirrors)
    return cache
  }

  /// Downloads the files `directory` lacks, each verified by SHA-256 before it is renamed into place.
  public static func download(into directory: String, mirrors: [String] = MNIST.mirrors) throws {
    for file in files {
      let plainName = String(file.name.dropLast(3))
      if Dataset.existingFile(plainName, in: directory) != nil { continue }
      _ = try Downloader.fetch(file, mirrors: mirrors, into: directory)
    }
  }
}

/// Writes one line to standard error (progress and notices, which must not mix with a lesson's standard output).
func printToStandardError(_ line: String, newline: Bool = true) {
  FileHandle.standardError.write(Data((line + (newline ? "\n" : "")).utf8))
}
