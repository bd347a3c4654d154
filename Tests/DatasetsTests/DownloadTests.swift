import Foundation
import XCTest

@testable import Datasets

/// The download path against a server this test starts on 127.0.0.1: a good file, a file with the wrong
/// checksum, a connection that breaks off, a missing file, and a mirror that recompressed the file.
final class DownloadTests: XCTestCase {
  var server: LocalHTTPServer!
  var folder = ""
  let labels = MNIST.files[3]  // t10k-labels-idx1-ubyte.gz, 4.5 kB
  var labelsBytes = Data()

  /// The routes, built once for all tests: every MNIST file good, damaged, broken off and forbidden; the label
  /// file also recompressed.
  static let routes: Result<[String: LocalHTTPServer.Response], Error> = Result {
    var routes: [String: LocalHTTPServer.Response] = [:]
    for file in MNIST.files {
      let bytes = try Data(contentsOf: URL(fileURLWithPath: TestSupport.mnistDirectory + "/" + file.name))
      routes["/good/" + file.name] = .file(bytes)
      var damaged = bytes
      damaged[bytes.count / 2] ^= 0xff
      routes["/bad/" + file.name] = .file(damaged)
      routes["/broken/" + file.name] = .breaksOff(bytes, sentBytes: bytes.count / 2)
      routes["/forbidden/" + file.name] = .status(403)
    }
    // Same content, compressed differently: the .gz digest differs but the content digest matches.
    let labels = MNIST.files[3]
    let content = try TestSupport.gunzip(TestSupport.mnistDirectory + "/" + labels.name)
    routes["/recompressed/" + labels.name] = .file(try TestSupport.gzip(content, level: 1))
    return routes
  }

  override func setUpWithError() throws {
    // Keep libcurl from sending local requests through any proxy the environment names.
    setenv("no_proxy", "127.0.0.1,localhost", 1)
    setenv("NO_PROXY", "127.0.0.1,localhost", 1)
    folder = try TestSupport.makeTemporaryFolder(self)
    labelsBytes = try Data(contentsOf: URL(fileURLWithPath: TestSupport.mnistDirectory + "/" + labels.name))
    server = try LocalHTTPServer(routes: Self.routes.get())
    addTeardownBlock { [server] in server?.stop() }
  }

  func mirror(_ name: String) -> String { "\(server.baseURL)/\(name)/" }

  func testGoodFileIsVerifiedAndCached() throws {
    let path = try Downloader.fetch(labels, mirrors: [mirror("good")], into: folder + "/cache")
    XCTAssertEqual(path, folder + "/cache/" + labels.name)
    XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), labelsBytes)
    XCTAssertEqual(TestSupport.contents(of: folder + "/cache"), [labels.name], "only the verified file is left")
    XCTAssertEqual(server.requests, ["/good/" + labels.name])
  }

  func testWrongChecksumIsAnErrorAndLeavesNothing() throws {
    XCTAssertThrowsError(try Downloader.fetch(labels, mirrors: [mirror("bad")], into: folder)) { error in
      guard case DatasetError.downloadFailed(let file, let failures) = error,
        case .checksumMismatch(_, let source, let expected, let actual)? = failures.first
      else { return XCTFail("unexpected error: \(error)") }
      XCTAssertEqual(file, self.labels.name)
      XCTAssertEqual(source, self.mirror("bad") + self.labels.name)
      XCTAssertTrue(expected.hasPrefix(self.labels.sha256))
      XCTAssertFalse(actual.hasPrefix(self.labels.sha256))
      let message = "\(error)"
      for part in [self.labels.name, "SHA-256 mismatch", self.labels.sha256, String(actual.prefix(64))] {
        XCTAssertTrue(message.contains(part), "message lacks \(part): \(message)")
      }
    }
    XCTAssertEqual(TestSupport.contents(of: folder), [], "no file may be left behind")
  }

  func testBrokenConnectionIsAnErrorAndLeavesNoPartialFile() throws {
    XCTAssertThrowsError(try Downloader.fetch(labels, mirrors: [mirror("broken")], into: folder)) { error in
      guard case DatasetError.downloadFailed(_, let failures) = error,
        case .transferFailed(let file, let url, _)? = failures.first
      else { return XCTFail("unexpected error: \(error)") }
      XCTAssertEqual(file, self.labels.name)
      XCTAssertEqual(url, self.mirror("broken") + self.labels.name)
      print("broken connection reported as: \(error)")
    }
    XCTAssertEqual(TestSupport.contents(of: folder), [], "no partial file may be left behind")
  }

  func testHTTPErrorThenNextMirror() throws {
    // Alone, a 403 mirror fails with the status in the message.
    XCTAssertThrowsError(try Downloader.fetch(labels, mirrors: [mirror("forbidden")], into: folder)) { error in
      XCTAssertTrue("\(error)".contains("HTTP 403"), "\(error)")
    }
    XCTAssertEqual(TestSupport.contents(of: folder), [])
    // After a missing, a forbidden, a broken and a bad mirror, the good one still delivers.
    let mirrors = [mirror("missing"), mirror("forbidden"), mirror("broken"), mirror("bad"), mirror("good")]
    let path = try Downloader.fetch(labels, mirrors: mirrors, into: folder)
    XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), labelsBytes)
    XCTAssertEqual(TestSupport.contents(of: folder), [labels.name])
  }

  func testRecompressedContentIsAcceptedByItsContentDigest() throws {
    let path = try Downloader.fetch(labels, mirrors: [mirror("recompressed")], into: folder)
    let stored = try Data(contentsOf: URL(fileURLWithPath: path))
    XCTAssertNotEqual(stored, labelsBytes, "the test needs a differently compressed file")
    XCTAssertNotEqual(SHA256.hexDigest(stored), labels.sha256)
    XCTAssertEqual(try IDX.readLabels(file: path).prefix(3), [7, 2, 1])
  }

  /// The whole path: nothing found locally, so `locate` downloads all four files into the cache, verifies them, and
  /// the dataset loads from there; a second call finds the cache without any request.
  func testLocateDownloadsIntoTheCache() throws {
    let environment = ["XDG_CACHE_HOME": folder + "/cache", "HOME": folder + "/home"]
    let directory = try MNIST.locate(
      dataDirectory: nil, environment: environment, workingDirectory: folder, mirrors: [mirror("good")])
    XCTAssertEqual(directory, folder + "/cache/gan-course/mnist")
    XCTAssertEqual(TestSupport.contents(of: directory), MNIST.files.map(\.name).sorted())
    XCTAssertEqual(server.requests.count, 4)
    let test = try Dataset.mnist(directory: directory).load(.test)
    XCTAssertEqual(test.labelHistogram(), MNISTLoadingTests.testHistogram)

    let again = try MNIST.locate(
      dataDirectory: nil, environment: environment, workingDirectory: folder, mirrors: [mirror("good")])
    XCTAssertEqual(again, directory)
    XCTAssertEqual(server.requests.count, 4, "a cached copy is used without downloading")
  }

  /// With only bad mirrors, `locate` fails naming the first file and leaves the cache without files.
  func testLocateWithOnlyBadMirrorsFails() throws {
    let environment = ["XDG_CACHE_HOME": folder + "/cache"]
    XCTAssertThrowsError(
      try MNIST.locate(
        dataDirectory: nil, environment: environment, workingDirectory: folder,
        mirrors: [mirror("bad"), mirror("broken")])
    ) { error in
      let message = "\(error)"
      XCTAssertTrue(message.contains("train-images-idx3-ubyte.gz") && message.contains("SHA-256 mismatch"), message)
    }
    XCTAssertEqual(TestSupport.contents(of: folder + "/cache/gan-course/mnist"), [])
  }
}
