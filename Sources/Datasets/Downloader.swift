import Foundation

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A file the course knows by its SHA-256.
public struct VerifiedFile: Sendable, Equatable {
  /// The name on the mirror and on disk, e.g. `train-images-idx3-ubyte.gz`.
  public let name: String
  /// The SHA-256 of the file as stored, lowercase hexadecimal.
  public let sha256: String
  /// The SHA-256 of its decompressed content, when it is gzipped; also accepted, since recompressing the same
  /// content gives different bytes.
  public let contentSHA256: String?

  public init(name: String, sha256: String, contentSHA256: String? = nil) {
    self.name = name
    self.sha256 = sha256
    self.contentSHA256 = contentSHA256
  }
}

/// Downloads files over HTTP(S) and keeps them only when their digest is right.
///
/// Each transfer goes to a temporary file in the destination folder (so the final rename is atomic and never
/// crosses file systems); a transfer that breaks off, returns an HTTP error, or delivers content with the wrong
/// SHA-256 leaves nothing behind, and the next mirror is tried.
public enum Downloader {
  /// Fetches `file` from the first mirror that delivers it intact, into `directory` (created if needed), and
  /// returns its path. Throws `DatasetError.downloadFailed` listing what went wrong with every mirror.
  ///
  /// - Parameter timeout: seconds without any data after which a transfer is abandoned.
  @discardableResult
  public static func fetch(
    _ file: VerifiedFile, mirrors: [String], into directory: String, timeout: Double = 30
  ) throws -> String {
    do {
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    } catch {
      throw DatasetError.unreadable(file: directory, reason: "cannot create the folder: \(error.localizedDescription)")
    }
    let destination = (directory as NSString).appendingPathComponent(file.name)
    var failures: [DatasetError] = []
    for mirror in mirrors {
      let base = mirror.hasSuffix("/") ? mirror : mirror + "/"
      let address = base + file.name
      guard let url = URL(string: address) else {
        failures.append(.transferFailed(file: file.name, url: address, reason: "not a valid URL"))
        continue
      }
      let temporary = (directory as NSString).appendingPathComponent(
        ".\(file.name).\(ProcessInfo.processInfo.processIdentifier).\(UUID().uuidString).part")
      do {
        try transfer(from: url, to: temporary, label: file.name, timeout: timeout)
        try verify(temporary, against: file, source: address)
        guard rename(temporary, destination) == 0 else {
          throw DatasetError.unreadable(
            file: destination, reason: "cannot move the download into place: \(String(cString: strerror(errno)))")
        }
        return destination
      } catch let error as DatasetError {
        try? FileManager.default.removeItem(atPath: temporary)
        failures.append(error)
      } catch {
        try? FileManager.default.removeItem(atPath: temporary)
        failures.append(.transferFailed(file: file.name, url: address, reason: error.localizedDescription))
      }
    }
    throw DatasetError.downloadFailed(file: file.name, failures: failures)
  }

  /// Checks the SHA-256 of the file at `path` (or of its decompressed content) against `file`.
  static func verify(_ path: String, against file: VerifiedFile, source: String) throws {
    let actual = try SHA256.hexDigest(ofFile: path)
    if actual == file.sha256.lowercased() { return }
    var expected = file.sha256.lowercased()
    var got = actual
    if let content = file.contentSHA256?.lowercased() {
      let contentDigest = try? decompressedDigest(path)
      if contentDigest == content { return }
      expected += " (or content \(content))"
      if let contentDigest, contentDigest != actual { got += " (content \(contentDigest))" }
    }
    throw DatasetError.checksumMismatch(file: file.name, source: source, expected: expected, actual: got)
  }

  /// The SHA-256 of a file's content after gzip decompression (of the bytes themselves when it is not gzipped).
  static func decompressedDigest(_ path: String) throws -> String {
    let reader = try ByteReader(path: path)
    var hasher = SHA256()
    var buffer = [UInt8](repeating: 0, count: 1 << 20)
    while true {
      let got = try buffer.withUnsafeMutableBytes { try reader.read(into: $0) }
      if got == 0 { break }
      buffer.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<got])) }
    }
    return SHA256.hexString(hasher.finalize())
  }

  /// One HTTP GET of `url` into a new file at `path`, printing progress to standard error. Throws
  /// `DatasetError.transferFailed` unless the server answered 200 and delivered every byte it announced.
  static func transfer(from url: URL, to path: String, label: String, timeout: Double) throws {
    guard FileManager.default.createFile(atPath: path, contents: nil),
      let output = FileHandle(forWritingAtPath: path)
    else {
      throw DatasetError.unreadable(file: path, reason: "cannot create the temporary download file")
    }
    let delegate = TransferDelegate(output: output, label: label)
    let configuration = URLSessionConfiguration.ephemeral
    configuration.timeoutIntervalForRequest = timeout
    configuration.timeoutIntervalForResource = 3600
    configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
    let session = URLSession(configuration: configuration, delegate: delegate, delegateQueue: nil)
    let task = session.dataTask(with: url)
    task.resume()
    let outcome = delegate.waitForCompletion()
    session.finishTasksAndInvalidate()
    try? output.close()

    let address = url.absoluteString
    if let status = outcome.statusCode, status != 200 {
      throw DatasetError.transferFailed(file: label, url: address, reason: "the server answered HTTP \(status)")
    }
    if let writeError = outcome.writeError {
      throw DatasetError.transferFailed(file: label, url: address, reason: "writing \(path) failed: \(writeError)")
    }
    if let error = outcome.error {
      throw DatasetError.transferFailed(
        file: label, url: address,
        reason: "\(error) after \(outcome.receivedBytes) of \(outcome.expectedBytes.map(String.init) ?? "?") bytes")
    }
    // (More than announced happens when a server compresses on the fly and the client decompresses; the digest
    // check decides then.)
    if let expected = outcome.expectedBytes, outcome.receivedBytes < expected {
      throw DatasetError.transferFailed(
        file: label, url: address,
        reason: "the connection closed after \(outcome.receivedBytes) of the \(expected) bytes announced")
    }
  }
}

/// What one transfer ended with.
struct TransferOutcome {
  var statusCode: Int?
  var expectedBytes: Int?
  var receivedBytes = 0
  var error: String?
  var writeError: String?
}

/// Receives one data task's callbacks (on the session's own queue): writes each piece of the body to the file,
/// counts bytes, prints progress, and signals the waiting caller when the task completes.
private final class TransferDelegate: NSObject, URLSessionDataDelegate, @unchecked Sendable {
  private let lock = NSLock()
  private let output: FileHandle
  private let label: String
  private let finished = DispatchSemaphore(value: 0)
  private var outcome = TransferOutcome()
  private var progress: TransferProgress

  init(output: FileHandle, label: String) {
    self.output = output
    self.label = label
    self.progress = TransferProgress(label: label)
  }

  /// Blocks until the task completes, then returns what happened.
  func waitForCompletion() -> TransferOutcome {
    finished.wait()
    return lock.withLock { outcome }
  }

  func urlSession(
    _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
    completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void
  ) {
    let status = (response as? HTTPURLResponse)?.statusCode
    lock.withLock {
      outcome.statusCode = status
      outcome.expectedBytes = response.expectedContentLength >= 0 ? Int(response.expectedContentLength) : nil
    }
    completionHandler(status == nil || status == 200 ? .allow : .cancel)
  }

  func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
    lock.withLock {
      guard outcome.writeError == nil else { return }
      do {
        try output.write(contentsOf: data)
      } catch {
        outcome.writeError = error.localizedDescription
        dataTask.cancel()
        return
      }
      outcome.receivedBytes += data.count
      progress.report(received: outcome.receivedBytes, expected: outcome.expectedBytes)
    }
  }

  func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
    lock.withLock {
      if let error, outcome.statusCode == nil || outcome.statusCode == 200 {
        outcome.error = error.localizedDescription
      }
      progress.finish(received: outcome.receivedBytes, expected: outcome.expectedBytes, failed: error != nil)
    }
    finished.signal()
  }
}

/// Progress lines on standard error: rewritten in place on a terminal, every quarter otherwise.
private struct TransferProgress {
  let label: String
  let isTerminal = isatty(STDERR_FILENO) != 0
  var lastPrinted = -1

  init(label: String) { self.label = label }

  mutating func report(received: Int, expected: Int?) {
    if let expected, expected > 0 {
      let step = isTerminal ? received * 100 / expected : received * 4 / expected * 25
      guard step != lastPrinted else { return }
      lastPrinted = step
      write("\(label): \(megabytes(received)) of \(megabytes(expected)) (\(step)%)")
    } else {
      let step = received >> (isTerminal ? 18 : 21)
      guard step != lastPrinted else { return }
      lastPrinted = step
      write("\(label): \(megabytes(received))")
    }
  }

  mutating func finish(received: Int, expected: Int?, failed: Bool) {
    let text = "\(label): \(megabytes(received))" + (failed ? " (interrupted)" : " (done)")
    if isTerminal {
      printToStandardError("\r\u{1B}[K" + text)
    } else {
      printToStandardError(text)
    }
  }

  private func write(_ text: String) {
    if isTerminal {
      printToStandardError("\r\u{1B}[K" + text, newline: false)
    } else {
      printToStandardError(text)
    }
  }

  private func megabytes(_ bytes: Int) -> String {
    if bytes < 1_048_576 { return "\((bytes + 512) / 1024) kB" }
    let tenths = (bytes * 10 + 524_288) / 1_048_576
    return "\(tenths / 10).\(tenths % 10) MB"
  }
}
