import Foundation
import XCTest

@testable import Autograd
@testable import Datasets

final class SHA256Tests: XCTestCase {
  /// The examples of FIPS 180-4 / NIST's "Cryptographic Algorithm Validation" (one block, two blocks, a million a's).
  func testStandardVectors() {
    let vectors: [(String, String)] = [
      ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
      ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
      (
        "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
      ),
    ]
    for (message, digest) in vectors {
      XCTAssertEqual(SHA256.hexString(SHA256.hash(Array(message.utf8))), digest, "SHA-256 of \"\(message)\"")
    }
    let millionA = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
    XCTAssertEqual(
      SHA256.hexString(SHA256.hash(millionA)), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
  }

  /// Feeding the message in pieces of awkward sizes gives the same digest as feeding it at once.
  func testIncrementalUpdatesMatchOneShot() {
    var generator = SeededGenerator(seed: 11)
    let message = (0..<5000).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
    let oneShot = SHA256.hash(message)
    for pieceSize in [1, 3, 63, 64, 65, 1000] {
      var hasher = SHA256()
      var start = 0
      while start < message.count {
        let end = min(start + pieceSize, message.count)
        hasher.update(Array(message[start..<end]))
        start = end
      }
      XCTAssertEqual(hasher.finalize(), oneShot, "pieces of \(pieceSize) bytes")
    }
  }

  /// Lengths around the padding boundaries (55, 56, 64 bytes ...) against the system's `sha256sum`.
  func testAgainstSha256sum() throws {
    let folder = try TestSupport.makeTemporaryFolder(self)
    var generator = SeededGenerator(seed: 5)
    let lengths = [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 100_003]
    var paths: [String] = []
    for length in lengths {
      let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
      paths.append(try TestSupport.write(Data(bytes), "random-\(length)", in: folder))
    }
    let output = String(decoding: try TestSupport.run("/usr/bin/env", ["sha256sum"] + paths), as: UTF8.self)
    let expected = output.split(separator: "\n").map { String($0.prefix(64)) }
    XCTAssertEqual(expected.count, paths.count)
    for (path, digest) in zip(paths, expected) {
      XCTAssertEqual(try SHA256.hexDigest(ofFile: path), digest, path)
    }
  }

  /// The workplace's MNIST files against their SHA256SUMS, and the decompressed content against
  /// SHA256SUMS.uncompressed (which is what `Downloader.verify` falls back to).
  func testMNISTFilesMatchTheirListedDigests() throws {
    for (listing, decompress) in [("SHA256SUMS", false), ("SHA256SUMS.uncompressed", true)] {
      let text = try String(contentsOfFile: TestSupport.mnistDirectory + "/" + listing, encoding: .utf8)
      let entries = text.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true) }
      XCTAssertEqual(entries.count, 4, listing)
      for entry in entries {
        let name = String(entry[1]), digest = String(entry[0])
        let gzName = decompress ? name + ".gz" : name
        let path = TestSupport.mnistDirectory + "/" + gzName
        let actual = decompress ? try Downloader.decompressedDigest(path) : try SHA256.hexDigest(ofFile: path)
        XCTAssertEqual(actual, digest, "\(listing): \(name)")
      }
    }
    // The table compiled into the library agrees with the listing.
    let start = Date()
    var bytes = 0
    for file in MNIST.files {
      let path = TestSupport.mnistDirectory + "/" + file.name
      XCTAssertEqual(try SHA256.hexDigest(ofFile: path), file.sha256, file.name)
      bytes += (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    }
    let seconds = Date().timeIntervalSince(start)
    print("SHA-256: \(bytes) bytes in \(String(format: "%.3f", seconds)) s (\(Int(Double(bytes) / seconds / 1e6)) MB/s)")
  }
}
