import Foundation
import XCTest

@testable import Autograd
@testable import Datasets

/// MNIST and Fashion-MNIST as the library reads them, and every way an IDX file can be wrong.
final class MNISTLoadingTests: XCTestCase {
  static let trainHistogram = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
  static let testHistogram = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]

  func testLoadsAllOfMNIST() throws {
    let mnist = Dataset.mnist(directory: TestSupport.mnistDirectory)
    let start = Date()
    let train = try mnist.load(.train)
    let trainSeconds = Date().timeIntervalSince(start)
    let test = try mnist.load(.test)
    print("MNIST: train (60000 images) loaded in \(String(format: "%.3f", trainSeconds)) s")

    XCTAssertEqual(train.images.shape, [60000, 1, 28, 28])
    XCTAssertEqual(test.images.shape, [10000, 1, 28, 28])
    XCTAssertEqual(train.labelHistogram(), Self.trainHistogram)
    XCTAssertEqual(test.labelHistogram(), Self.testHistogram)
    XCTAssertEqual(train.labelHistogram().reduce(0, +), 60000)
    XCTAssertEqual(Array(train.labels.prefix(5)), [5, 0, 4, 1, 9])
    XCTAssertEqual(Array(test.labels.prefix(5)), [7, 2, 1, 0, 4])

    // Pixels in [-1, 1], both ends present; the mean byte of the training images is 33.318, i.e. -0.73868.
    let pixels = train.images.scalars
    XCTAssertEqual(pixels.min(), -1)
    XCTAssertEqual(pixels.max(), 1)
    let mean = pixels.reduce(0.0) { $0 + Double($1) } / Double(pixels.count)
    XCTAssertEqual(mean, 33.318421 / 127.5 - 1, accuracy: 1e-5)
    // A debug-build budget: decoding is a plain vectorized loop, inflate is zlib's C.
    XCTAssertLessThan(trainSeconds, 3, "loading the MNIST training set is too slow")
  }

  func testLimitAndZeroToOneScale() throws {
    let mnist = Dataset.mnist(directory: TestSupport.mnistDirectory)
    let full = try mnist.load(.test)
    let first = try mnist.load(.test, limit: 100, scale: .zeroToOne)
    XCTAssertEqual(first.images.shape, [100, 1, 28, 28])
    XCTAssertEqual(first.labels, Array(full.labels.prefix(100)))
    for (a, b) in zip(first.images.scalars, full.images.scalars.prefix(100 * 784)) {
      XCTAssertEqual(a, (b + 1) / 2, accuracy: 1e-6)
    }
    XCTAssertEqual(first.images.scalars.min(), 0)
    XCTAssertEqual(first.images.scalars.max(), 1)
    // A limit above the count loads everything.
    XCTAssertEqual(try mnist.load(.test, limit: 1_000_000).count, 10000)
    XCTAssertEqual(try mnist.load(.test, limit: 0).images.shape, [0, 1, 28, 28])
  }

  /// Plain (uncompressed) IDX files read to the same tensors as the gzipped ones.
  func testPlainFilesReadLikeGzippedOnes() throws {
    let folder = try TestSupport.makeTemporaryFolder(self)
    for name in ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"] {
      try TestSupport.write(try TestSupport.gunzip(TestSupport.mnistDirectory + "/\(name).gz"), name, in: folder)
    }
    let plain = try IDX.readExamples(
      imageFile: folder + "/t10k-images-idx3-ubyte", labelFile: folder + "/t10k-labels-idx1-ubyte")
    let gzipped = try Dataset.mnist(directory: TestSupport.mnistDirectory).load(.test)
    XCTAssertEqual(plain.labels, gzipped.labels)
    XCTAssertEqual(plain.images.shape, gzipped.images.shape)
    XCTAssertEqual(plain.images.scalars, gzipped.images.scalars)
  }

  func testFashionMNISTFromTheDebianPackage() throws {
    let directory = Dataset.fashionMNISTDirectory
    guard FileManager.default.fileExists(atPath: directory) else {
      XCTFail("\(directory) is missing: install the Debian package \(Dataset.fashionMNISTPackage) (apt-get install -y \(Dataset.fashionMNISTPackage))")
      return
    }
    let fashion = try Dataset.fashionMNIST()
    XCTAssertEqual(fashion.classNames.count, 10)
    let train = try fashion.load(.train)
    let test = try fashion.load(.test)
    XCTAssertEqual(train.images.shape, [60000, 1, 28, 28])
    XCTAssertEqual(test.images.shape, [10000, 1, 28, 28])
    // Fashion-MNIST is balanced: 6000 and 1000 of each class; its first training image is an ankle boot.
    XCTAssertEqual(train.labelHistogram(), [Int](repeating: 6000, count: 10))
    XCTAssertEqual(test.labelHistogram(), [Int](repeating: 1000, count: 10))
    XCTAssertEqual(fashion.classNames[train.labels[0]], "Ankle boot")
    XCTAssertEqual(test.images.scalars.min(), -1)
    XCTAssertEqual(test.images.scalars.max(), 1)
    // The `--dataset` names.
    XCTAssertEqual(try Dataset.named("fashion", dataDirectory: nil).directory, directory)
    XCTAssertThrowsError(try Dataset.named("cifar", dataDirectory: nil)) { error in
      XCTAssertTrue("\(error)".contains("cifar") && "\(error)".contains("fashion"), "\(error)")
    }
  }

  func testMissingFashionFolderNamesThePackage() throws {
    let folder = try TestSupport.makeTemporaryFolder(self)
    XCTAssertThrowsError(try Dataset.fashionMNIST(directory: folder)) { error in
      let message = "\(error)"
      XCTAssertTrue(message.contains(folder) && message.contains("dataset-fashion-mnist"), message)
    }
  }
}

/// Bad files, each built in a temporary folder: the error must name the file and say what is wrong.
final class BadIDXFileTests: XCTestCase {
  var folder = ""
  var generator = SeededGenerator(seed: 3)

  override func setUpWithError() throws {
    folder = try TestSupport.makeTemporaryFolder(self)
  }

  func randomPixels(_ count: Int) -> [UInt8] {
    (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
  }

  /// Asserts that reading the pair throws `expected`-kind error whose message names `file` and contains `words`.
  func assertFails(
    images: String, labels: String, naming file: String, saying words: [String],
    line: UInt = #line, _ check: (DatasetError) -> Bool
  ) {
    XCTAssertThrowsError(try IDX.readExamples(imageFile: images, labelFile: labels), line: line) { error in
      guard let error = error as? DatasetError else { return XCTFail("not a DatasetError: \(error)", line: line) }
      XCTAssertTrue(check(error), "unexpected error: \(error)", line: line)
      let message = error.description
      XCTAssertTrue(message.contains(file), "message does not name \(file): \(message)", line: line)
      for word in words { XCTAssertTrue(message.contains(word), "message lacks '\(word)': \(message)", line: line) }
    }
  }

  func testAGoodSmallPairReads() throws {
    let pixels = randomPixels(3 * 4 * 5)
    let images = try TestSupport.write(TestSupport.idxImages(count: 3, rows: 4, columns: 5, pixels: pixels), "i", in: folder)
    let labels = try TestSupport.write(TestSupport.idxLabels([2, 0, 9]), "l", in: folder)
    let (tensor, values) = try IDX.readExamples(imageFile: images, labelFile: labels, scale: .zeroToOne)
    XCTAssertEqual(tensor.shape, [3, 1, 4, 5])
    XCTAssertEqual(values, [2, 0, 9])
    XCTAssertEqual(tensor.scalars, pixels.map { Float($0) / 255 })  // correctly rounded, not x * (1 / 255)
  }

  func testWrongMagicNumber() throws {
    let images = try TestSupport.write(TestSupport.idxImages(count: 2, rows: 2, columns: 2, pixels: randomPixels(8)), "i", in: folder)
    // A label file with the image magic (the two swapped), and an HTML error page saved under the right name.
    var swapped = TestSupport.idxLabels([1, 2])
    swapped[3] = 3
    let labels = try TestSupport.write(swapped, "labels-with-image-magic", in: folder)
    assertFails(images: images, labels: labels, naming: labels, saying: ["magic", "00000803", "00000801"]) {
      if case .wrongMagic(_, 0x801, 0x803) = $0 { return true } else { return false }
    }
    let html = try TestSupport.write(Data("<html><body>404 Not Found</body></html>".utf8), "page.html", in: folder)
    assertFails(images: html, labels: labels, naming: html, saying: ["magic"]) {
      if case .wrongMagic = $0 { return true } else { return false }
    }
  }

  func testTruncatedFiles() throws {
    // Header announces 3 images of 4x4 (48 bytes), only 40 follow.
    let images = try TestSupport.write(
      TestSupport.idxImages(count: 3, rows: 4, columns: 4, pixels: randomPixels(40)), "short-images", in: folder)
    let labels = try TestSupport.write(TestSupport.idxLabels([1, 2, 3]), "l", in: folder)
    assertFails(images: images, labels: labels, naming: images, saying: ["truncated", "48", "40"]) {
      if case .truncated(_, 48, 40) = $0 { return true } else { return false }
    }
    // Labels announced 3, only 2 present.
    let fullImages = try TestSupport.write(
      TestSupport.idxImages(count: 3, rows: 4, columns: 4, pixels: randomPixels(48)), "i", in: folder)
    let shortLabels = try TestSupport.write(TestSupport.idxLabels([1, 2], announcedCount: 3), "short-labels", in: folder)
    assertFails(images: fullImages, labels: shortLabels, naming: shortLabels, saying: ["truncated"]) {
      if case .truncated(_, 3, 2) = $0 { return true } else { return false }
    }
    // A header cut short.
    let stub = try TestSupport.write(Data([0, 0, 8, 3, 0, 0]), "stub", in: folder)
    assertFails(images: stub, labels: labels, naming: stub, saying: ["truncated", "after 6 bytes", "16-byte header"]) {
      if case .badHeader = $0 { return true } else { return false }
    }
    // A real gzipped MNIST label file cut in half: zlib reaches the end of the input before the stream's end.
    let gz = try Data(contentsOf: URL(fileURLWithPath: TestSupport.mnistDirectory + "/t10k-labels-idx1-ubyte.gz"))
    let halfGz = try TestSupport.write(gz.prefix(gz.count / 2), "half-labels.gz", in: folder)
    XCTAssertThrowsError(try IDX.readLabels(file: halfGz)) { error in
      let message = "\(error)"
      XCTAssertTrue(message.contains(halfGz) && message.contains("truncated"), message)
    }
  }

  func testExtraBytesAfterTheData() throws {
    let images = try TestSupport.write(
      TestSupport.idxImages(count: 2, rows: 2, columns: 2, pixels: randomPixels(9)), "long-images", in: folder)
    let labels = try TestSupport.write(TestSupport.idxLabels([1, 2]), "l", in: folder)
    assertFails(images: images, labels: labels, naming: images, saying: ["more data"]) {
      if case .trailingBytes = $0 { return true } else { return false }
    }
  }

  func testImageAndLabelCountsDiffer() throws {
    let images = try TestSupport.write(
      TestSupport.idxImages(count: 3, rows: 2, columns: 2, pixels: randomPixels(12)), "three-images", in: folder)
    let labels = try TestSupport.write(TestSupport.idxLabels([1, 2, 3, 4]), "four-labels", in: folder)
    assertFails(images: images, labels: labels, naming: images, saying: [labels, "3 images", "4 labels"]) {
      if case .countMismatch(_, 3, _, 4) = $0 { return true } else { return false }
    }
  }

  func testLabelOutsideTheClasses() throws {
    let images = try TestSupport.write(
      TestSupport.idxImages(count: 2, rows: 2, columns: 2, pixels: randomPixels(8)), "i", in: folder)
    let labels = try TestSupport.write(TestSupport.idxLabels([1, 12]), "bad-labels", in: folder)
    assertFails(images: images, labels: labels, naming: labels, saying: ["12", "index 1"]) {
      if case .badLabel(_, 1, 12, 10) = $0 { return true } else { return false }
    }
  }

  func testCorruptGzip() throws {
    let original = try Data(contentsOf: URL(fileURLWithPath: TestSupport.mnistDirectory + "/t10k-labels-idx1-ubyte.gz"))
    let images = try TestSupport.write(
      TestSupport.idxImages(count: 10000, rows: 1, columns: 1, pixels: randomPixels(10000)), "i", in: folder)
    // Damage the compressed data in the middle: zlib finds an invalid code or, at the end, a wrong CRC-32.
    for position in [original.count / 3, original.count / 2, original.count - 6] {
      var damaged = original
      damaged[position] ^= 0x5a
      let path = try TestSupport.write(damaged, "damaged-\(position).gz", in: folder)
      assertFails(images: images, labels: path, naming: path, saying: ["corrupt gzip"]) {
        if case .corruptGzip = $0 { return true } else { return false }
      }
    }
    // Garbage after the gzip stream.
    let padded = try TestSupport.write(original + Data("garbage".utf8), "padded.gz", in: folder)
    assertFails(images: images, labels: padded, naming: padded, saying: ["corrupt gzip", "follow"]) {
      if case .corruptGzip = $0 { return true } else { return false }
    }
  }

  func testMissingFileAndFolder() throws {
    let missing = folder + "/no-such-file"
    XCTAssertThrowsError(try IDX.readLabels(file: missing)) { error in
      XCTAssertTrue("\(error)".contains(missing), "\(error)")
    }
    XCTAssertThrowsError(try IDX.readLabels(file: folder)) { error in
      XCTAssertTrue("\(error)".contains("folder"), "\(error)")
    }
    XCTAssertThrowsError(try Dataset.mnist(directory: folder).load(.train)) { error in
      XCTAssertTrue("\(error)".contains(folder) && "\(error)".contains("train-images-idx3-ubyte"), "\(error)")
    }
  }

  /// Concatenated gzip members (what `cat a.gz b.gz` makes) decompress to the concatenated content.
  func testConcatenatedGzipMembers() throws {
    let labels = TestSupport.idxLabels([Int](0..<1000).map { UInt8($0 % 10) })
    let first = try TestSupport.gzip(labels.prefix(500), level: 6)
    let second = try TestSupport.gzip(labels.suffix(from: 500), level: 1)
    let path = try TestSupport.write(first + second, "two-members.gz", in: folder)
    XCTAssertEqual(try IDX.readLabels(file: path), [Int](0..<1000).map { $0 % 10 })
  }
}

/// The search order of `MNIST.locate`, with folders of links to the workplace copy (no network: downloading off).
final class MNISTLocateTests: XCTestCase {
  var root = ""

  override func setUpWithError() throws {
    root = try TestSupport.makeTemporaryFolder(self)
  }

  /// A folder of symbolic links to the four real files.
  @discardableResult
  func makeMNISTFolder(_ path: String) throws -> String {
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    for file in MNIST.files {
      try FileManager.default.createSymbolicLink(
        atPath: path + "/" + file.name, withDestinationPath: TestSupport.mnistDirectory + "/" + file.name)
    }
    return path
  }

  func locate(_ data: String?, _ environment: [String: String], workingDirectory: String? = nil) throws -> String {
    try MNIST.locate(
      dataDirectory: data, environment: environment, workingDirectory: workingDirectory ?? root + "/cwd",
      mirrors: [], allowDownload: false)
  }

  func testSearchOrder() throws {
    let environment = ["GAN_DATA_DIR": root + "/env", "XDG_CACHE_HOME": root + "/cache", "HOME": root + "/home"]
    // GAN_DATA_DIR names a folder that exists but has no mnist/ yet (one that does not exist is an error).
    try FileManager.default.createDirectory(atPath: root + "/env", withIntermediateDirectories: true)
    // Nothing anywhere: an error that lists where it looked.
    XCTAssertThrowsError(try locate(nil, environment)) { error in
      let message = "\(error)"
      XCTAssertTrue(message.contains(root + "/env/mnist") && message.contains(root + "/cwd/data/mnist"), message)
    }
    // Each location in turn, from the last of the order to the first: each newly filled one wins.
    let cache = try makeMNISTFolder(root + "/cache/gan-course/mnist")
    XCTAssertEqual(try locate(nil, environment), cache)
    let local = try makeMNISTFolder(root + "/cwd/data/mnist")
    XCTAssertEqual(try locate(nil, environment), local)
    let shared = try makeMNISTFolder(root + "/env/mnist")
    XCTAssertEqual(try locate(nil, environment), shared)
    let explicit = try makeMNISTFolder(root + "/explicit")
    XCTAssertEqual(try locate(explicit, environment), explicit)
    // --data DIR may also hold an mnist/ subfolder.
    let parent = root + "/parent"
    try makeMNISTFolder(parent + "/mnist")
    XCTAssertEqual(try locate(parent, environment), parent + "/mnist")
    // A loaded dataset from the located folder.
    let dataset = try Dataset.locateMNIST(dataDirectory: explicit, environment: environment, workingDirectory: root)
    XCTAssertEqual(try dataset.load(.test, limit: 3).labels, [7, 2, 1])
  }

  func testExplicitFolderWithoutTheFilesIsAnError() throws {
    let empty = root + "/empty"
    try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
    // Even though the cache has MNIST, a wrong --data is reported rather than silently ignored.
    try makeMNISTFolder(root + "/cache/gan-course/mnist")
    XCTAssertThrowsError(try locate(empty, ["XDG_CACHE_HOME": root + "/cache"])) { error in
      let message = "\(error)"
      XCTAssertTrue(message.contains(empty) && message.contains("--data") && message.contains("t10k-labels"), message)
    }
  }

  func testCacheDirectory() {
    XCTAssertEqual(MNIST.cacheDirectory(environment: ["XDG_CACHE_HOME": "/x/cache", "HOME": "/h"]), "/x/cache/gan-course/mnist")
    XCTAssertEqual(MNIST.cacheDirectory(environment: ["HOME": "/h"]), "/h/.cache/gan-course/mnist")
    XCTAssertEqual(MNIST.cacheDirectory(environment: ["XDG_CACHE_HOME": "", "HOME": "/h"]), "/h/.cache/gan-course/mnist")
  }
}
