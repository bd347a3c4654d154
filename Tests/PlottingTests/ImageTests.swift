import Foundation
import XCTest

@testable import Plotting

/// The PNG writer, image grids and the GIF encoder.
final class ImageTests: XCTestCase {
  // MARK: PNG

  func testPNGWriterOutputPassesPngcheckAndRoundTrips() throws {
    let folder = try makeTemporaryFolder(self)
    var generator = SplitMix(seed: 3)
    let gray = try RasterImage(
      width: 37, height: 19, format: .gray, pixels: (0..<(37 * 19)).map { _ in UInt8(generator.next() & 0xFF) })
    let rgb = try RasterImage(
      width: 23, height: 41, format: .rgb, pixels: (0..<(23 * 41 * 3)).map { UInt8(($0 * 7) & 0xFF) })
    for (name, image) in [("gray", gray), ("rgb", rgb)] {
      let data = try image.pngData()
      let url = folder.appendingPathComponent("\(name).png")
      try AtomicFile.write(data, to: url)
      try assertPNGCheckPasses(url)
      let header = try PNG.header(of: data)
      XCTAssertEqual(header, PNG.Header(width: image.width, height: image.height, bitDepth: 8, colorType: name == "gray" ? 0 : 2))
      XCTAssertEqual(try PNG.decode(data), image, "decoding gives back the same pixels")
    }
  }

  func testPNGReaderRejectsCorruptFiles() throws {
    let image = try RasterImage(width: 4, height: 4, format: .gray, pixels: [UInt8](repeating: 9, count: 16))
    var data = try image.pngData()
    XCTAssertThrowsError(try PNG.header(of: Data("not a png".utf8)))
    data[data.count - 20] ^= 0xFF  // inside IDAT or its CRC
    XCTAssertThrowsError(try PNG.decode(data)) { error in
      XCTAssertTrue("\(error)".contains("CRC") || "\(error)".contains("inflate"), "\(error)")
    }
    XCTAssertThrowsError(try RasterImage(width: 4, height: 4, format: .rgb, pixels: [0])) { error in
      XCTAssertTrue("\(error)".contains("needs 48 bytes, got 1"), "\(error)")
    }
  }

  // MARK: Image grids

  func testGridPlacesImagesWithMarginsAndScalesByWholePixels() throws {
    // Three 2x3 gray images with values -1 (black), 0 (mid gray) and 1 (white); two per row.
    let values: [Float] = [Float](repeating: -1, count: 6) + [Float](repeating: 0, count: 6) + [Float](repeating: 1, count: 6)
    let grid = try ImageGrid(images: values, count: 3, channels: 1, height: 2, width: 3, columns: 2, margin: 1, scale: 2, background: 200)
    XCTAssertEqual(grid.rows, 2)
    XCTAssertEqual(grid.columns, 2)
    // Width: 2 images * 3 + 3 margins = 9, height 2 * 2 + 3 = 7; times 2.
    XCTAssertEqual(grid.image.width, 18)
    XCTAssertEqual(grid.image.height, 14)
    func pixel(_ x: Int, _ y: Int) -> UInt8 { grid.image.pixels[y * grid.image.width + x] }
    XCTAssertEqual(pixel(0, 0), 200, "margin")
    XCTAssertEqual(pixel(2, 2), 0, "first image is black")
    XCTAssertEqual(pixel(7, 5), 0, "first image, last pixel")
    XCTAssertEqual(pixel(8, 2), 200, "margin between images")
    XCTAssertEqual(pixel(10, 2), 128, "second image is mid gray")
    XCTAssertEqual(pixel(2, 8), 255, "third image (second row) is white")
    XCTAssertEqual(pixel(10, 8), 200, "the empty cell is background")
    let folder = try makeTemporaryFolder(self)
    let url = folder.appendingPathComponent("grid.png")
    try AtomicFile.write(grid.pngData(), to: url)
    try assertPNGCheckPasses(url)
  }

  func testRGBGridAndAutomaticScale() throws {
    // 16 RGB 8x8 images: red channel 1, others 0 (range 0...1).
    var values: [Float] = []
    for _ in 0..<16 { values += [Float](repeating: 1, count: 64) + [Float](repeating: 0, count: 128) }
    let grid = try ImageGrid(images: values, count: 16, channels: 3, height: 8, width: 8, range: .zeroToOne)
    XCTAssertEqual(grid.columns, 4)
    XCTAssertEqual(grid.image.format, .rgb)
    XCTAssertGreaterThanOrEqual(grid.image.width, 512, "scaled up to be visible")
    XCTAssertEqual(grid.image.width % (4 * 8 + 5 * 2), 0, "scaled by a whole number")
    let center = ((grid.scale * 5) * grid.image.width + grid.scale * 5) * 3
    XCTAssertEqual(Array(grid.image.pixels[center..<(center + 3)]), [255, 0, 0])
  }

  func testGridRejectsMismatchedShapes() {
    XCTAssertThrowsError(try ImageGrid(images: [0, 1], count: 1, channels: 1, height: 2, width: 2)) { error in
      XCTAssertTrue("\(error)".contains("need 4 values, got 2"), "\(error)")
    }
    XCTAssertThrowsError(try ImageGrid(images: [0, 1], count: 1, channels: 2, height: 1, width: 1)) { error in
      XCTAssertTrue("\(error)".contains("2 channels"), "\(error)")
    }
  }

  // MARK: GIF

  func testGreyGIFRoundTripsExactlyThroughAnIndependentDecoder() throws {
    var generator = SplitMix(seed: 4)
    var movie = AnimatedGIF(delay: 0.3)
    var originals: [RasterImage] = []
    for frame in 0..<3 {
      // Noise defeats LZW's dictionary and forces table resets; a ramp tests long runs.
      let pixels: [UInt8] = frame == 1
        ? (0..<(150 * 120)).map { UInt8(($0 / 150) & 0xFF) }
        : (0..<(150 * 120)).map { _ in UInt8(generator.next() & 0xFF) }
      let image = try RasterImage(width: 150, height: 120, format: .gray, pixels: pixels)
      originals.append(image)
      try movie.add(image)
    }
    let gif = try decodeGIF(movie.encoded())
    XCTAssertEqual(gif.width, 150)
    XCTAssertEqual(gif.frames.count, 3)
    XCTAssertEqual(gif.delays, [30, 30, 30])
    XCTAssertEqual(gif.loopCount, 0)
    for (decoded, original) in zip(gif.frames, originals) {
      let gray = stride(from: 0, to: decoded.count, by: 3).map { decoded[$0] }
      XCTAssertEqual(gray, original.pixels)
    }
  }

  func testColorGIFKeepsColorsClose() throws {
    let grid = try ImageGrid(
      images: (0..<(4 * 3 * 10 * 10)).map { Float(($0 * 37) % 100) / 50 - 1 }, count: 4, channels: 3, height: 10,
      width: 10, scale: 2)
    var movie = AnimatedGIF()
    try movie.add(grid.image)
    try movie.add(grid.image)
    let gif = try decodeGIF(movie.encoded())
    XCTAssertEqual(gif.frames.count, 2)
    let difference = zip(gif.frames[0], grid.image.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
    XCTAssertLessThanOrEqual(difference, 8, "at most the 5-bit binning error")
    var wrongSize = movie
    XCTAssertThrowsError(try wrongSize.add(try RasterImage(width: 1, height: 1, format: .gray, pixels: [0])))
  }
}
