import CZlib
import Foundation

/// An 8-bit image in memory: gray (one byte per pixel) or RGB (three bytes per pixel), rows top to bottom.
public struct RasterImage: Sendable, Equatable {
  public enum Format: Sendable, Equatable {
    case gray, rgb
    /// Bytes per pixel.
    public var channels: Int { self == .gray ? 1 : 3 }
  }

  public let width: Int
  public let height: Int
  public let format: Format
  /// `height` rows of `width * format.channels` bytes.
  public let pixels: [UInt8]

  /// Checks that `pixels` holds exactly `width * height * channels` bytes.
  public init(width: Int, height: Int, format: Format, pixels: [UInt8]) throws {
    guard width > 0, height > 0 else {
      throw PlottingError.invalidImage("image size \(width)x\(height) must be positive")
    }
    guard pixels.count == width * height * format.channels else {
      throw PlottingError.invalidImage(
        "a \(width)x\(height) \(format) image needs \(width * height * format.channels) bytes, got \(pixels.count)")
    }
    self.width = width
    self.height = height
    self.format = format
    self.pixels = pixels
  }

  /// The image as a PNG file.
  public func pngData() throws -> Data {
    try PNG.encode(self)
  }
}

/// PNG files: the writer used for sample grids, and a reader for the header (and pixels) of 8-bit PNGs.
///
/// A PNG file is an 8-byte signature followed by chunks, each `length (4 bytes, big-endian) | type (4 ASCII
/// letters) | data | CRC-32 of type and data`. We write three: `IHDR` (width, height, bit depth 8, color type
/// 0 = gray or 2 = RGB), `IDAT` (the rows, each prefixed by a filter byte, compressed with zlib) and `IEND`.
public enum PNG {
  static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

  /// What the `IHDR` chunk says about an image.
  public struct Header: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public let bitDepth: Int
    /// 0 gray, 2 RGB, 3 palette, 4 gray + alpha, 6 RGBA.
    public let colorType: Int
  }

  // MARK: Writing

  /// Encodes an 8-bit gray or RGB image as PNG (each row filtered with "Sub", which predicts a pixel from its
  /// left neighbor: scaled-up pixel art and flat margins then compress to almost nothing).
  public static func encode(_ image: RasterImage) throws -> Data {
    let channels = image.format.channels
    let rowBytes = image.width * channels
    var raw = [UInt8](repeating: 0, count: (rowBytes + 1) * image.height)
    image.pixels.withUnsafeBufferPointer { pixels in
      raw.withUnsafeMutableBufferPointer { out in
        for row in 0..<image.height {
          let source = row * rowBytes
          let target = row * (rowBytes + 1)
          out[target] = 1  // filter type 1: Sub
          for index in 0..<rowBytes {
            let left = index >= channels ? pixels[source + index - channels] : 0
            out[target + 1 + index] = pixels[source + index] &- left
          }
        }
      }
    }
    var compressedLength = compressBound(uLong(raw.count))
    var compressed = [UInt8](repeating: 0, count: Int(compressedLength))
    let status = compress2(&compressed, &compressedLength, raw, uLong(raw.count), 9)
    guard status == Z_OK else {
      throw PlottingError.invalidImage("zlib could not compress the image (status \(status))")
    }
    compressed.removeSubrange(Int(compressedLength)...)

    var header = [UInt8]()
    header += bigEndian(UInt32(image.width))
    header += bigEndian(UInt32(image.height))
    header += [8, image.format == .gray ? 0 : 2, 0, 0, 0]  // depth, color type, compression, filter, interlace

    var file = signature
    appendChunk("IHDR", header, to: &file)
    appendChunk("IDAT", compressed, to: &file)
    appendChunk("IEND", [], to: &file)
    return Data(file)
  }

  private static func appendChunk(_ type: String, _ data: [UInt8], to file: inout [UInt8]) {
    let typeBytes = Array(type.utf8)
    file += bigEndian(UInt32(data.count))
    file += typeBytes
    file += data
    var crc = crc32(0, typeBytes, uInt(typeBytes.count))
    crc = data.withUnsafeBufferPointer { crc32(crc, $0.baseAddress, uInt(data.count)) }
    file += bigEndian(UInt32(crc))
  }

  private static func bigEndian(_ value: UInt32) -> [UInt8] {
    [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
  }

  // MARK: Reading

  /// Reads the signature and `IHDR` chunk: the size and pixel format of a PNG file.
  public static func header(of data: Data) throws -> Header {
    let bytes = [UInt8](data.prefix(33))
    guard bytes.count == 33, Array(bytes[0..<8]) == signature else {
      throw PlottingError.invalidImage("not a PNG file (bad signature or shorter than 33 bytes)")
    }
    guard String(decoding: bytes[12..<16], as: UTF8.self) == "IHDR" else {
      throw PlottingError.invalidImage("PNG file does not start with an IHDR chunk")
    }
    return Header(
      width: Int(readUInt32(bytes, at: 16)), height: Int(readUInt32(bytes, at: 20)), bitDepth: Int(bytes[24]),
      colorType: Int(bytes[25]))
  }

  /// Decodes an 8-bit, non-interlaced PNG (gray, RGB, palette, gray + alpha or RGBA) to gray or RGB pixels
  /// (alpha is composited over white). Checks every chunk's CRC.
  public static func decode(_ data: Data) throws -> RasterImage {
    let bytes = [UInt8](data)
    let header = try self.header(of: data)
    guard header.bitDepth == 8 else {
      throw PlottingError.invalidImage("PNG bit depth \(header.bitDepth) is not supported (only 8)")
    }
    guard bytes[28] == 0 else { throw PlottingError.invalidImage("interlaced PNGs are not supported") }
    var compressed: [UInt8] = []
    var palette: [UInt8] = []
    var offset = 8
    while offset + 12 <= bytes.count {
      let length = Int(readUInt32(bytes, at: offset))
      let type = String(decoding: bytes[(offset + 4)..<(offset + 8)], as: UTF8.self)
      guard offset + 12 + length <= bytes.count else {
        throw PlottingError.invalidImage("PNG chunk \(type) is truncated")
      }
      let body = Array(bytes[(offset + 8)..<(offset + 8 + length)])
      let stored = readUInt32(bytes, at: offset + 8 + length)
      let computed = UInt32(crc32(0, Array(bytes[(offset + 4)..<(offset + 8 + length)]), uInt(length + 4)))
      guard stored == computed else { throw PlottingError.invalidImage("PNG chunk \(type) has a bad CRC") }
      switch type {
      case "IDAT": compressed += body
      case "PLTE": palette = body
      default: break
      }
      offset += 12 + length
      if type == "IEND" { break }
    }
    let channels: Int
    switch header.colorType {
    case 0: channels = 1
    case 2: channels = 3
    case 3: channels = 1
    case 4: channels = 2
    case 6: channels = 4
    default: throw PlottingError.invalidImage("PNG color type \(header.colorType) is not valid")
    }
    let rowBytes = header.width * channels
    var raw = [UInt8](repeating: 0, count: (rowBytes + 1) * header.height)
    var rawLength = uLong(raw.count)
    let status = uncompress(&raw, &rawLength, compressed, uLong(compressed.count))
    guard status == Z_OK, Int(rawLength) == raw.count else {
      throw PlottingError.invalidImage("PNG image data does not inflate to \(raw.count) bytes (zlib status \(status))")
    }
    var rows = [UInt8](repeating: 0, count: rowBytes * header.height)
    for row in 0..<header.height {
      let filter = raw[row * (rowBytes + 1)]
      for index in 0..<rowBytes {
        let x = raw[row * (rowBytes + 1) + 1 + index]
        let a = index >= channels ? Int(rows[row * rowBytes + index - channels]) : 0
        let b = row > 0 ? Int(rows[(row - 1) * rowBytes + index]) : 0
        let c = (row > 0 && index >= channels) ? Int(rows[(row - 1) * rowBytes + index - channels]) : 0
        let predictor: Int
        switch filter {
        case 0: predictor = 0
        case 1: predictor = a
        case 2: predictor = b
        case 3: predictor = (a + b) / 2
        case 4:
          let p = a + b - c
          let (pa, pb, pc) = (abs(p - a), abs(p - b), abs(p - c))
          predictor = (pa <= pb && pa <= pc) ? a : (pb <= pc ? b : c)
        default: throw PlottingError.invalidImage("PNG row \(row) has unknown filter type \(filter)")
        }
        rows[row * rowBytes + index] = x &+ UInt8(truncatingIfNeeded: predictor)
      }
    }
    switch header.colorType {
    case 0:
      return try RasterImage(width: header.width, height: header.height, format: .gray, pixels: rows)
    case 2:
      return try RasterImage(width: header.width, height: header.height, format: .rgb, pixels: rows)
    case 3:
      var rgb = [UInt8]()
      rgb.reserveCapacity(header.width * header.height * 3)
      for index in rows {
        let entry = Int(index) * 3
        guard entry + 2 < palette.count else { throw PlottingError.invalidImage("PNG palette index out of range") }
        rgb += palette[entry...(entry + 2)]
      }
      return try RasterImage(width: header.width, height: header.height, format: .rgb, pixels: rgb)
    default:
      // Composite over white: value * alpha + 255 * (1 - alpha).
      let colorChannels = channels - 1
      var out = [UInt8]()
      out.reserveCapacity(header.width * header.height * colorChannels)
      for pixel in 0..<(header.width * header.height) {
        let alpha = Int(rows[pixel * channels + colorChannels])
        for channel in 0..<colorChannels {
          let value = Int(rows[pixel * channels + channel])
          out.append(UInt8((value * alpha + 255 * (255 - alpha) + 127) / 255))
        }
      }
      return try RasterImage(
        width: header.width, height: header.height, format: colorChannels == 1 ? .gray : .rgb, pixels: out)
    }
  }

  private static func readUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
    UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8
      | UInt32(bytes[offset + 3])
  }
}
