import CPNG
import CTurboJPEG
import Foundation

/// An 8-bit image in memory: `height` rows of `width` pixels of `channels` interleaved samples (1: gray, 3: RGB).
public struct DecodedImage: Sendable, Equatable {
  public let width: Int
  public let height: Int
  public let channels: Int
  public let pixels: [UInt8]

  public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
    precondition(channels == 1 || channels == 3, "DecodedImage: channels must be 1 or 3, got \(channels)")
    precondition(pixels.count == width * height * channels, "DecodedImage: \(pixels.count) samples for \(width)x\(height)x\(channels)")
    (self.width, self.height, self.channels, self.pixels) = (width, height, channels, pixels)
  }
}

/// PNG and JPEG, decoded by Debian's libpng (its simplified API) and libjpeg-turbo (its TurboJPEG API). The format is
/// told by the file's first bytes, not its name.
public enum ImageFile {
  /// Decodes PNG or JPEG `data` into `channels` (1: converted to gray, 3: RGB); `file` names it in errors.
  public static func decode(_ data: Data, channels: Int, file: String) throws -> DecodedImage {
    precondition(channels == 1 || channels == 3, "ImageFile.decode: channels must be 1 or 3, got \(channels)")
    if data.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return try decodePNG(data, channels: channels, file: file) }
    if data.starts(with: [0xFF, 0xD8, 0xFF]) { return try decodeJPEG(data, channels: channels, file: file) }
    throw DatasetError.undecodableImage(file: file, reason: "neither PNG nor JPEG (its first bytes say otherwise)")
  }

  /// The PNG encoding of `image` (8-bit gray or RGB).
  public static func encodePNG(_ image: DecodedImage) -> Data {
    var png = png_image()
    png.version = UInt32(PNG_IMAGE_VERSION)
    png.width = UInt32(image.width)
    png.height = UInt32(image.height)
    png.format = image.channels == 3 ? UInt32(PNG_FORMAT_RGB) : UInt32(PNG_FORMAT_GRAY)
    var size: png_alloc_size_t = 0
    // First call measures, second writes; both fail only on a programming error (sizes are valid by construction).
    let measured = image.pixels.withUnsafeBytes {
      png_image_write_to_memory(&png, nil, &size, 0, $0.baseAddress, 0, nil)
    }
    precondition(measured != 0, "libpng could not measure a \(image.width)x\(image.height) image")
    var bytes = [UInt8](repeating: 0, count: Int(size))
    let written = image.pixels.withUnsafeBytes { pixels in
      bytes.withUnsafeMutableBytes { png_image_write_to_memory(&png, $0.baseAddress, &size, 0, pixels.baseAddress, 0, nil) }
    }
    precondition(written != 0, "libpng could not write a \(image.width)x\(image.height) image")
    return Data(bytes.prefix(Int(size)))
  }

  /// The JPEG encoding of `image` at `quality` (1...100), 4:4:4 chroma.
  public static func encodeJPEG(_ image: DecodedImage, quality: Int = 95) -> Data {
    guard let handle = tjInitCompress() else { preconditionFailure("TurboJPEG could not start a compressor") }
    defer { tjDestroy(handle) }
    var output: UnsafeMutablePointer<UInt8>? = nil
    var size: UInt = 0
    let format = image.channels == 3 ? TJPF_RGB : TJPF_GRAY
    let subsampling = image.channels == 3 ? TJSAMP_444 : TJSAMP_GRAY
    let status = image.pixels.withUnsafeBufferPointer {
      tjCompress2(
        handle, $0.baseAddress, Int32(image.width), 0, Int32(image.height), Int32(format.rawValue), &output, &size,
        Int32(subsampling.rawValue), Int32(quality), 0)
    }
    precondition(status == 0, "TurboJPEG: \(String(cString: tjGetErrorStr2(handle)))")
    defer { tjFree(output) }
    return Data(bytes: output!, count: Int(size))
  }

  private static func decodePNG(_ data: Data, channels: Int, file: String) throws -> DecodedImage {
    // libpng keeps a pointer to the encoded bytes from begin_read to finish_read: both run inside one closure,
    // where that pointer is valid.
    try data.withUnsafeBytes { encoded in
      var png = png_image()
      png.version = UInt32(PNG_IMAGE_VERSION)
      guard png_image_begin_read_from_memory(&png, encoded.baseAddress, encoded.count) != 0 else {
        throw DatasetError.undecodableImage(file: file, reason: message(of: png))
      }
      png.format = channels == 3 ? UInt32(PNG_FORMAT_RGB) : UInt32(PNG_FORMAT_GRAY)
      let (width, height) = (Int(png.width), Int(png.height))
      var pixels = [UInt8](repeating: 0, count: width * height * channels)
      // Transparent pixels are composed over black (a nil background).
      let finished = pixels.withUnsafeMutableBytes { png_image_finish_read(&png, nil, $0.baseAddress, 0, nil) }
      guard finished != 0 else {
        png_image_free(&png)
        throw DatasetError.undecodableImage(file: file, reason: message(of: png))
      }
      return DecodedImage(width: width, height: height, channels: channels, pixels: pixels)
    }
  }

  private static func message(of png: png_image) -> String {
    withUnsafeBytes(of: png.message) { bytes in
      "libpng: " + String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }
  }

  private static func decodeJPEG(_ data: Data, channels: Int, file: String) throws -> DecodedImage {
    guard let handle = tjInitDecompress() else { preconditionFailure("TurboJPEG could not start a decompressor") }
    defer { tjDestroy(handle) }
    let error = { DatasetError.undecodableImage(file: file, reason: "libjpeg-turbo: " + String(cString: tjGetErrorStr2(handle))) }
    return try data.withUnsafeBytes { raw in
      let source = raw.bindMemory(to: UInt8.self).baseAddress
      var (width, height, subsampling, colorspace): (Int32, Int32, Int32, Int32) = (0, 0, 0, 0)
      guard tjDecompressHeader3(handle, source, UInt(raw.count), &width, &height, &subsampling, &colorspace) == 0
      else { throw error() }
      var pixels = [UInt8](repeating: 0, count: Int(width) * Int(height) * channels)
      let format = channels == 3 ? TJPF_RGB : TJPF_GRAY
      let status = pixels.withUnsafeMutableBufferPointer {
        tjDecompress2(handle, source, UInt(raw.count), $0.baseAddress, width, 0, height, Int32(format.rawValue), 0)
      }
      guard status == 0 else { throw error() }
      return DecodedImage(width: Int(width), height: Int(height), channels: channels, pixels: pixels)
    }
  }
}
