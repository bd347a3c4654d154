import Autograd
import Foundation
import XCTest

@testable import Datasets

/// Headers that lie about their sizes, data that is not the published data, settings that name nothing: each is an
/// error naming the file or setting, found before anything large is allocated.
final class BadInputTests: XCTestCase {
  var folder = ""

  override func setUpWithError() throws {
    folder = try TestSupport.makeTemporaryFolder(self)
  }

  func header(count: UInt32, rows: UInt32, columns: UInt32) -> Data {
    Data([0, 0, 8, 3] + TestSupport.bigEndian(count) + TestSupport.bigEndian(rows) + TestSupport.bigEndian(columns))
  }

  func testHeaderAnnouncingAPetabyteIsRefusedBeforeAllocating() throws {
    // 60000 x 65535 x 65535 one-byte pixels: 2.6e14 bytes (about a petabyte as Float32).
    let path = try TestSupport.write(header(count: 60000, rows: 65535, columns: 65535) + Data(count: 100), "huge", in: folder)
    XCTAssertThrowsError(try IDX.readImages(file: path)) { error in
      XCTAssertEqual(error as? DatasetError, .truncated(file: path, expectedBytes: 60000 * 65535 * 65535, availableBytes: 100))
      XCTAssertTrue("\(error)".contains(path), "\(error)")
    }
    // The same lie in a gzip file: more than deflate's 1032:1 can hold, refused without decompressing.
    let gzipped = try TestSupport.write(
      try TestSupport.gzip(header(count: 60000, rows: 65535, columns: 65535) + Data(count: 100), level: 9), "huge.gz", in: folder)
    XCTAssertThrowsError(try IDX.readImages(file: gzipped)) { error in
      let message = "\(error)"
      XCTAssertTrue(message.contains(gzipped) && message.contains("gzip file can hold"), message)
    }
  }

  func testSizesWhoseProductOverflows() throws {
    let path = try TestSupport.write(header(count: 1, rows: 0xFFFF_FFFF, columns: 0xFFFF_FFFF), "overflow", in: folder)
    XCTAssertThrowsError(try IDX.readImages(file: path)) { error in
      let message = "\(error)"
      XCTAssertTrue(message.contains(path) && message.contains("4294967295x4294967295"), message)
    }
    let many = try TestSupport.write(header(count: 0xFFFF_FFFF, rows: 0xFFFF, columns: 0xFFFF), "many", in: folder)
    XCTAssertThrowsError(try IDX.readImages(file: many)) { XCTAssertTrue("\($0)".contains(many), "\($0)") }
  }

  func testLabelCountBeyondTheFile() throws {
    // A count of 2^32 - 1 labels in a 9-byte file: refused from the header, not by reading 4 GB.
    let path = try TestSupport.write(TestSupport.idxLabels([1], announcedCount: 0xFFFF_FFFF), "labels", in: folder)
    XCTAssertThrowsError(try IDX.readLabels(file: path)) { error in
      XCTAssertEqual(error as? DatasetError, .truncated(file: path, expectedBytes: 0xFFFF_FFFF, availableBytes: 1))
    }
  }

  func testEmptySplitReadsAsNoImages() throws {
    let images = try TestSupport.write(TestSupport.idxImages(count: 0, rows: 28, columns: 28, pixels: []), "i", in: folder)
    let labels = try TestSupport.write(TestSupport.idxLabels([]), "l", in: folder)
    let (tensor, values) = try IDX.readExamples(imageFile: images, labelFile: labels)
    XCTAssertEqual(tensor.shape, [0, 1, 28, 28])
    XCTAssertEqual(values, [])
  }

  // MARK: Verification

  /// A folder with MNIST's four files: links to the real ones, except `replaced` (plain name) written from `content`.
  func mnistFolder(replacing replaced: String? = nil, with content: Data? = nil) throws -> String {
    let path = folder + "/mnist-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    for file in MNIST.files {
      let plain = String(file.name.dropLast(3))
      if plain == replaced, let content {
        try content.write(to: URL(fileURLWithPath: path + "/" + plain))
      } else {
        try FileManager.default.createSymbolicLink(
          atPath: path + "/" + file.name, withDestinationPath: TestSupport.mnistDirectory + "/" + file.name)
      }
    }
    return path
  }

  var environment: [String: String] { ["XDG_CACHE_HOME": folder + "/cache", "HOME": folder + "/home"] }

  func testAlteredButWellFormedMNISTIsRefusedUnlessNotVerified() throws {
    var labels = try TestSupport.gunzip(TestSupport.mnistDirectory + "/t10k-labels-idx1-ubyte.gz")
    labels[8] = labels[8] == 0 ? 1 : 0  // the first test label, still a digit
    let altered = try mnistFolder(replacing: "t10k-labels-idx1-ubyte", with: labels)
    XCTAssertThrowsError(try Dataset.locateMNIST(dataDirectory: altered, environment: environment)) { error in
      let message = "\(error)"
      XCTAssertTrue(message.contains(altered + "/t10k-labels-idx1-ubyte"), message)
      XCTAssertTrue(message.contains("not the published MNIST file") && message.contains("--no-verify"), message)
    }
    let unverified = try Dataset.locateMNIST(dataDirectory: altered, verify: false, environment: environment)
    XCTAssertEqual(try unverified.load(.test, limit: 1).labels.count, 1)
  }

  func testVerdictsAreCachedByPathSizeAndTime() throws {
    // The real content stored plain (not gzipped) passes by its content digest, and the pass is cached.
    let content = try TestSupport.gunzip(TestSupport.mnistDirectory + "/t10k-labels-idx1-ubyte.gz")
    let path = try mnistFolder(replacing: "t10k-labels-idx1-ubyte", with: content)
    try LocalVerification.verify(directory: path, dataset: "MNIST", known: MNIST.files, environment: environment)
    let cache = LocalVerification.cachePath(environment: environment)
    let entries = try String(contentsOfFile: cache, encoding: .utf8).split(separator: "\n")
    XCTAssertEqual(entries.count, 4)
    XCTAssertTrue(entries.contains { $0.hasPrefix(URL(fileURLWithPath: path).resolvingSymlinksInPath().path + "/t10k-labels") })
    // Rewritten in place (same size, new time): hashed again, and refused.
    var altered = content
    altered[9] = altered[9] == 0 ? 1 : 0
    let file = path + "/t10k-labels-idx1-ubyte"
    try altered.write(to: URL(fileURLWithPath: file))
    try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: 60)], ofItemAtPath: file)
    XCTAssertThrowsError(
      try LocalVerification.verify(directory: path, dataset: "MNIST", known: MNIST.files, environment: environment))
  }

  func testFashionMNISTFromDebianIsThePublishedData() throws {
    guard FileManager.default.fileExists(atPath: Dataset.fashionMNISTDirectory) else {
      throw XCTSkip("dataset-fashion-mnist is not installed")
    }
    XCTAssertNoThrow(try Dataset.fashionMNIST(environment: environment))
  }

  func testDataFolderVariableNamingNoFolderIsAnError() throws {
    let missing = folder + "/no-such-folder"
    XCTAssertThrowsError(
      try MNIST.locate(
        dataDirectory: nil, environment: ["GAN_DATA_DIR": missing, "XDG_CACHE_HOME": folder + "/cache"],
        workingDirectory: folder, mirrors: [], allowDownload: false)
    ) { error in
      XCTAssertEqual("\(error)".hasPrefix("GAN_DATA_DIR=\(missing): no such folder"), true, "\(error)")
    }
  }
}
