import Autograd
import Foundation
import XCTest

@testable import Datasets

/// A user's own images: PNG and JPEG through libpng and libjpeg-turbo, centre-cropped and scaled to the model's
/// size in [−1, 1], and every way a folder can be unusable named in one line. The folders are written by the tests.
final class ImageFolderTests: XCTestCase {
  var folder = ""

  override func setUpWithError() throws {
    folder = try TestSupport.makeTemporaryFolder(self)
  }

  /// A `width`×`height` image whose sample at (x, y, c) is `value(x, y, c)`.
  func image(_ width: Int, _ height: Int, channels: Int, _ value: (Int, Int, Int) -> UInt8) -> DecodedImage {
    var pixels: [UInt8] = []
    for y in 0..<height { for x in 0..<width { for c in 0..<channels { pixels.append(value(x, y, c)) } } }
    return DecodedImage(width: width, height: height, channels: channels, pixels: pixels)
  }

  func testPNGRoundTripsExactlyInGrayAndRGB() throws {
    for channels in [1, 3] {
      let original = image(13, 7, channels: channels) { x, y, c in UInt8((x * 19 + y * 7 + c * 80) % 256) }
      let decoded = try ImageFile.decode(ImageFile.encodePNG(original), channels: channels, file: "t.png")
      XCTAssertEqual(decoded, original)
    }
    // RGB read as gray: libpng's conversion of a gray-valued RGB image gives the same gray.
    let grayRGB = image(5, 4, channels: 3) { x, y, _ in UInt8(x * 40 + y * 10) }
    let asGray = try ImageFile.decode(ImageFile.encodePNG(grayRGB), channels: 1, file: "t.png")
    XCTAssertEqual(asGray.pixels, (0..<4).flatMap { y in (0..<5).map { x in UInt8(x * 40 + y * 10) } })
  }

  func testJPEGDecodesCloseToWhatWasEncoded() throws {
    let smooth = image(32, 24, channels: 3) { x, y, c in UInt8(60 + x * 3 + y * 2 + c * 20) }
    let decoded = try ImageFile.decode(ImageFile.encodeJPEG(smooth, quality: 95), channels: 3, file: "t.jpg")
    XCTAssertEqual([decoded.width, decoded.height, decoded.channels], [32, 24, 3])
    let worst = zip(decoded.pixels, smooth.pixels).map { abs(Int($0) - Int($1)) }.max()!
    XCTAssertLessThanOrEqual(worst, 6, "JPEG at quality 95 of a smooth ramp")
    let gray = try ImageFile.decode(ImageFile.encodeJPEG(smooth), channels: 1, file: "t.jpg")
    XCTAssertEqual(gray.channels, 1)
    XCTAssertEqual(gray.pixels.count, 32 * 24)
  }

  func testCropKeepsTheCentreAndAreaAveragingIsExact() {
    // 30×20: white 5-pixel bands left and right, black 20×20 centre: the crop is all black.
    let banded = image(30, 20, channels: 1) { x, _, _ in x < 5 || x >= 25 ? 255 : 0 }
    XCTAssertEqual(ImageFolder.squareAndScale(banded, to: 20).pixels, [UInt8](repeating: 0, count: 400))
    // 2×2 blocks of 4 values scale to one pixel each; 3 → 2 splits the middle pixel evenly.
    let blocks = image(4, 4, channels: 1) { x, y, _ in [10, 50, 90, 250][(y / 2) * 2 + x / 2] }
    XCTAssertEqual(ImageFolder.squareAndScale(blocks, to: 2).pixels, [10, 50, 90, 250])
    let three = image(3, 3, channels: 1) { x, _, _ in [0, 90, 210][x] }
    // Output column 0 covers source 0 fully and half of source 1: (0 + 0.5 * 90) / 1.5 = 30.
    XCTAssertEqual(ImageFolder.squareAndScale(three, to: 2).pixels, [30, 170, 30, 170])
  }

  func testAFolderBecomesATensorInMinusOneToOne() throws {
    let color = image(40, 30, channels: 3) { _, _, c in [200, 10, 51][c] }
    _ = try TestSupport.write(ImageFile.encodePNG(color), "b.png", in: folder)
    _ = try TestSupport.write(ImageFile.encodePNG(color), "a.PNG", in: folder)
    _ = try TestSupport.write(ImageFile.encodeJPEG(image(20, 20, channels: 1) { _, _, _ in 128 }), "c.jpeg", in: folder)
    _ = try TestSupport.write(Data("notes".utf8), "readme.txt", in: folder)
    _ = try TestSupport.write(Data("x".utf8), ".DS_Store", in: folder)
    let set = try ImageFolder(folder: folder, size: 16, channels: 3)
    XCTAssertEqual(set.images.shape, [3, 3, 16, 16])
    XCTAssertEqual(set.files, ["a.PNG", "b.png", "c.jpeg"])
    XCTAssertEqual(set.ignored, 1)
    XCTAssertTrue(set.skipped.isEmpty)
    let first = set.images.sliced(axis: 0, 0..<1).scalars
    for (c, value) in [200, 10, 51].enumerated() {
      XCTAssertEqual(first[c * 256], Float(value) / 127.5 - 1, accuracy: 1e-6)
      XCTAssertEqual(first[c * 256 + 255], Float(value) / 127.5 - 1, accuracy: 1e-6)
    }
    XCTAssertTrue(set.images.scalars.allSatisfy { $0 >= -1 && $0 <= 1 })
    // The gray JPEG read as RGB: three equal planes near 128 (JPEG may move a flat gray by a level).
    let gray = set.images.sliced(axis: 0, 2..<3).scalars
    XCTAssertTrue(gray.allSatisfy { abs($0 - (128 / 127.5 - 1)) <= 2 / 127.5 }, "\(gray.prefix(4))")
    let asGray = try ImageFolder(folder: folder, size: 8, channels: 1)
    XCTAssertEqual(asGray.images.shape, [3, 1, 8, 8])
  }

  func testEveryUnusableFolderOrFileIsNamed() throws {
    // A folder that does not exist, and one with no images.
    XCTAssertThrowsError(try ImageFolder(folder: folder + "/nowhere", size: 8, channels: 3)) { error in
      XCTAssertTrue("\(error)".contains(folder + "/nowhere"), "\(error)")
    }
    _ = try TestSupport.write(Data("notes".utf8), "readme.txt", in: folder)
    XCTAssertThrowsError(try ImageFolder(folder: folder, size: 8, channels: 3)) { error in
      XCTAssertEqual(error as? DatasetError, .noImages(folder: folder, ignored: 1))
      XCTAssertTrue("\(error)".contains("no PNG or JPEG files"), "\(error)")
    }
    // A broken file (fatal by default, listed with .skip), a truncated PNG, and an image too small to crop.
    let good = image(12, 12, channels: 3) { x, _, _ in UInt8(x * 20) }
    _ = try TestSupport.write(ImageFile.encodePNG(good), "good.png", in: folder)
    let broken = try TestSupport.write(Data("this is not an image".utf8), "broken.jpg", in: folder)
    XCTAssertThrowsError(try ImageFolder(folder: folder, size: 8, channels: 3)) { error in
      XCTAssertTrue("\(error)".contains(broken) && "\(error)".contains("neither PNG nor JPEG"), "\(error)")
    }
    let skipping = try ImageFolder(folder: folder, size: 8, channels: 3, badFiles: .skip)
    XCTAssertEqual(skipping.files, ["good.png"])
    XCTAssertEqual(skipping.skipped.map(\.file), ["broken.jpg"])
    try FileManager.default.removeItem(atPath: broken)

    let truncated = try TestSupport.write(ImageFile.encodePNG(good).prefix(60), "truncated.png", in: folder)
    XCTAssertThrowsError(try ImageFolder(folder: folder, size: 8, channels: 3)) { error in
      XCTAssertTrue("\(error)".contains(truncated) && "\(error)".contains("libpng"), "\(error)")
    }
    try FileManager.default.removeItem(atPath: truncated)
    let jpegHead = try TestSupport.write(ImageFile.encodeJPEG(good).prefix(20), "cut.jpg", in: folder)
    XCTAssertThrowsError(try ImageFolder(folder: folder, size: 8, channels: 3)) { error in
      XCTAssertTrue("\(error)".contains(jpegHead) && "\(error)".contains("libjpeg-turbo"), "\(error)")
    }
    try FileManager.default.removeItem(atPath: jpegHead)

    let small = try TestSupport.write(ImageFile.encodePNG(image(20, 6, channels: 1) { _, _, _ in 0 }), "small.png", in: folder)
    XCTAssertThrowsError(try ImageFolder(folder: folder, size: 8, channels: 3)) { error in
      XCTAssertEqual(error as? DatasetError, .imageTooSmall(file: small, width: 20, height: 6, needed: 8))
      XCTAssertTrue("\(error)".contains("20x6"), "\(error)")
    }
    // Every image unusable, even when skipping: an error, not an empty data set.
    try FileManager.default.removeItem(atPath: folder + "/good.png")
    XCTAssertThrowsError(try ImageFolder(folder: folder, size: 8, channels: 3, badFiles: .skip)) { error in
      XCTAssertTrue("\(error)".contains("none of its 1 image files could be used"), "\(error)")
    }
  }
}
