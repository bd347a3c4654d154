import Foundation

/// Everything that can be wrong with data on disk or on the way to it. Each case names the file (or folder, URL)
/// and says what is wrong, so the message alone tells a student what to fix.
public enum DatasetError: Error, CustomStringConvertible, LocalizedError, Equatable {
  /// The file cannot be opened or read.
  case unreadable(file: String, reason: String)
  /// The first four bytes are not the IDX magic number the file should start with.
  case wrongMagic(file: String, expected: UInt32, found: UInt32)
  /// The file ends before the data its header announces.
  case truncated(file: String, expectedBytes: Int, availableBytes: Int)
  /// The file holds more bytes than its header announces.
  case trailingBytes(file: String, expectedBytes: Int)
  /// The header is readable but describes something else (e.g. a label file with two dimensions).
  case badHeader(file: String, reason: String)
  /// An image file and its label file disagree on how many examples there are.
  case countMismatch(imageFile: String, imageCount: Int, labelFile: String, labelCount: Int)
  /// A label outside the dataset's classes.
  case badLabel(file: String, index: Int, label: Int, classCount: Int)
  /// The gzip stream is damaged (zlib's own message is included).
  case corruptGzip(file: String, reason: String)
  /// A folder that should hold the dataset lacks some of its files.
  case missingFiles(directory: String, files: [String], hint: String)
  /// Downloaded content whose SHA-256 differs from the one the course expects.
  case checksumMismatch(file: String, source: String, expected: String, actual: String)
  /// A transfer that failed (HTTP status, broken connection, timeout, ...).
  case transferFailed(file: String, url: String, reason: String)
  /// Every mirror failed for this file; `failures` says how each one failed.
  case downloadFailed(file: String, failures: [DatasetError])
  /// A local copy of a known dataset whose SHA-256 is not the published one.
  case notPublished(file: String, dataset: String, expected: String, actual: String)
  /// A folder named by a flag or an environment variable that does not exist.
  case missingFolder(setting: String, path: String, hint: String)
  /// A split holding fewer examples than the program needs.
  case tooFewExamples(file: String, count: Int, needed: Int, who: String)
  /// A dataset name that is not known (from `--dataset`).
  case unknownDataset(name: String, known: [String])
  /// A file in an image folder that is not a PNG or JPEG the decoders can read (their message is included).
  case undecodableImage(file: String, reason: String)
  /// An image whose shorter side is below the size the model needs (upscaling would invent detail).
  case imageTooSmall(file: String, width: Int, height: Int, needed: Int)
  /// An image folder with no PNG or JPEG files in it.
  case noImages(folder: String, ignored: Int)
  /// A saved sampler position (in a training checkpoint) that does not fit the data it is restored onto.
  case invalidState(file: String, reason: String)

  public var description: String {
    switch self {
    case .unreadable(let file, let reason):
      return "\(file): cannot be read: \(reason)"
    case .wrongMagic(let file, let expected, let found):
      return "\(file): wrong magic number 0x\(hex32(found)) (an IDX file of this kind starts with 0x\(hex32(expected)));"
        + " is it the right file, and not an HTML error page or a different format?"
    case .truncated(let file, let expectedBytes, let availableBytes):
      return "\(file): truncated: its header announces \(expectedBytes) bytes of data but the file holds only"
        + " \(availableBytes); download it again"
    case .trailingBytes(let file, let expectedBytes):
      return "\(file): holds more data than the \(expectedBytes) bytes its header announces; the file is damaged"
    case .badHeader(let file, let reason):
      return "\(file): unexpected IDX header: \(reason)"
    case .invalidState(let file, let reason):
      return "\(file): does not fit the data: \(reason) (was the image folder changed since the checkpoint?)"
    case .countMismatch(let imageFile, let imageCount, let labelFile, let labelCount):
      return "\(imageFile) holds \(imageCount) images but \(labelFile) holds \(labelCount) labels;"
        + " the two files must come from the same split"
    case .badLabel(let file, let index, let label, let classCount):
      return "\(file): label \(label) at index \(index) is outside the \(classCount) classes 0...\(classCount - 1)"
    case .corruptGzip(let file, let reason):
      return "\(file): corrupt gzip data: \(reason)"
    case .missingFiles(let directory, let files, let hint):
      return "\(directory): missing \(files.joined(separator: ", "))" + (hint.isEmpty ? "" : "; \(hint)")
    case .checksumMismatch(let file, let source, let expected, let actual):
      return "\(file) from \(source): SHA-256 mismatch: expected \(expected), got \(actual); the file was deleted"
    case .transferFailed(let file, let url, let reason):
      return "\(file): download from \(url) failed: \(reason)"
    case .downloadFailed(let file, let failures):
      let lines = failures.isEmpty ? "  (no mirrors were given)" : failures.map { "  - \($0.description)" }.joined(separator: "\n")
      return "\(file): could not be downloaded from any mirror; nothing was kept:\n\(lines)"
    case .notPublished(let file, let dataset, let expected, let actual):
      return "\(file): not the published \(dataset) file (SHA-256 \(actual), expected \(expected)); restore it"
        + " (delete it to download it again), or pass --no-verify to use your own data in this format"
    case .missingFolder(let setting, let path, let hint):
      return "\(setting)=\(path): no such folder" + (hint.isEmpty ? "" : "; \(hint)")
    case .tooFewExamples(let file, let count, let needed, let who):
      return "\(file): holds \(count) examples, but \(who) needs at least \(needed)"
    case .unknownDataset(let name, let known):
      return "unknown dataset '\(name)' (known: \(known.joined(separator: ", ")))"
    case .undecodableImage(let file, let reason):
      return "\(file): not a readable image: \(reason)"
    case .imageTooSmall(let file, let width, let height, let needed):
      return "\(file): \(width)x\(height) pixels, smaller than the \(needed)x\(needed) the model needs (its shorter"
        + " side must be at least \(needed); images are centre-cropped and scaled down, never up)"
    case .noImages(let folder, let ignored):
      return "\(folder): no PNG or JPEG files (.png, .jpg, .jpeg)"
        + (ignored > 0 ? "; \(ignored) other file\(ignored == 1 ? "" : "s") ignored" : "")
    }
  }

  public var errorDescription: String? { description }
}

private func hex32(_ value: UInt32) -> String {
  let digits = String(value, radix: 16)
  return String(repeating: "0", count: max(0, 8 - digits.count)) + digits
}
