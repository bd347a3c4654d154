import Autograd

/// The IDX format of the MNIST database (and of Fashion-MNIST, which copies it).
///
/// An IDX file is a header followed by raw values, all big-endian:
///
///     bytes 0-1   zero
///     byte  2     the value type (0x08 = unsigned byte)
///     byte  3     the number of dimensions d
///     then        d sizes, 4 bytes each
///     then        the values, row-major, one byte each for type 0x08
///
/// So an image file starts with 0x00000803 (bytes, 3 dimensions: count, rows, columns) and a label file with
/// 0x00000801 (bytes, 1 dimension: count). The header fixes how many data bytes must follow; a file with fewer is
/// truncated, one with more is damaged.
public enum IDX {
  /// The magic number of an image file: unsigned bytes, 3 dimensions.
  public static let imagesMagic: UInt32 = 0x0000_0803
  /// The magic number of a label file: unsigned bytes, 1 dimension.
  public static let labelsMagic: UInt32 = 0x0000_0801

  /// How image bytes (0...255) become Float32 pixels.
  public enum PixelScale: Sendable {
    /// x / 127.5 - 1: black is -1, white is +1, the range of a generator that ends in tanh.
    case minusOneToOne
    /// x / 255: black is 0, white is 1, the range of a generator that ends in a sigmoid.
    case zeroToOne
  }

  /// Reads an image file and its label file together: both headers first (so a count mismatch is found before any
  /// pixel is decoded), then at most `limit` examples from each.
  ///
  /// - Returns: images as a tensor `[N, 1, rows, columns]` and labels in `0..<classCount`.
  public static func readExamples(
    imageFile: String, labelFile: String, limit: Int? = nil, scale: PixelScale = .minusOneToOne,
    classCount: Int = 10
  ) throws -> (images: Tensor, labels: [Int]) {
    let imageReader = try ByteReader(path: imageFile)
    let labelReader = try ByteReader(path: labelFile)
    let imageShape = try readHeader(imageReader, magic: imagesMagic, dimensions: 3)
    let labelShape = try readHeader(labelReader, magic: labelsMagic, dimensions: 1)
    guard imageShape[0] == labelShape[0] else {
      throw DatasetError.countMismatch(
        imageFile: imageFile, imageCount: imageShape[0], labelFile: labelFile, labelCount: labelShape[0])
    }
    let count = min(imageShape[0], max(0, limit ?? Int.max))
    let readsAll = count == imageShape[0]
    let images = try readPixels(imageReader, shape: imageShape, count: count, scale: scale, checkEnd: readsAll)
    let labels = try readLabels(
      labelReader, announced: labelShape[0], count: count, classCount: classCount, checkEnd: readsAll)
    return (images, labels)
  }

  /// Reads a whole image file (at most `limit` images) as a tensor `[N, 1, rows, columns]`.
  public static func readImages(file: String, limit: Int? = nil, scale: PixelScale = .minusOneToOne) throws -> Tensor {
    let reader = try ByteReader(path: file)
    let shape = try readHeader(reader, magic: imagesMagic, dimensions: 3)
    let count = min(shape[0], max(0, limit ?? Int.max))
    return try readPixels(reader, shape: shape, count: count, scale: scale, checkEnd: count == shape[0])
  }

  /// Reads a whole label file (at most `limit` labels).
  public static func readLabels(file: String, limit: Int? = nil, classCount: Int = 10) throws -> [Int] {
    let reader = try ByteReader(path: file)
    let shape = try readHeader(reader, magic: labelsMagic, dimensions: 1)
    let count = min(shape[0], max(0, limit ?? Int.max))
    return try readLabels(reader, announced: shape[0], count: count, classCount: classCount, checkEnd: count == shape[0])
  }

  // MARK: Parts

  /// Reads and checks the magic number and the sizes.
  static func readHeader(_ reader: ByteReader, magic: UInt32, dimensions: Int) throws -> [Int] {
    let headerBytes = 4 + 4 * dimensions
    let magicBytes = try reader.read(4)
    guard magicBytes.count == 4 else {
      throw DatasetError.badHeader(
        file: reader.file, reason: "the file is truncated: it ends after \(magicBytes.count) bytes, inside its \(headerBytes)-byte header")
    }
    let found = bigEndian(magicBytes[...])
    guard found == magic else { throw DatasetError.wrongMagic(file: reader.file, expected: magic, found: found) }
    let sizeBytes = try reader.read(4 * dimensions)
    guard sizeBytes.count == 4 * dimensions else {
      throw DatasetError.badHeader(
        file: reader.file,
        reason: "the file is truncated: it ends after \(4 + sizeBytes.count) bytes, inside its \(headerBytes)-byte header")
    }
    let sizes = (0..<dimensions).map { Int(bigEndian(sizeBytes[(4 * $0)..<(4 * $0 + 4)])) }
    if dimensions == 3 && (sizes[1] == 0 || sizes[2] == 0) {
      throw DatasetError.badHeader(file: reader.file, reason: "images of \(sizes[1])x\(sizes[2]) pixels")
    }
    return sizes
  }

  /// Decodes `count` images into Float32. The header's sizes are only claims: every product is computed with overflow
  /// checks and compared with what the file can hold before anything is allocated, and the pixels are first
  /// collected as bytes, so memory grows with the data actually read, never with what a damaged header announces.
  static func readPixels(
    _ reader: ByteReader, shape: [Int], count: Int, scale: PixelScale, checkEnd: Bool
  ) throws -> Tensor {
    let rows = shape[1], columns = shape[2]
    let (imageBytes, imageOverflow) = rows.multipliedReportingOverflow(by: columns)
    let (announced, announcedOverflow) = shape[0].multipliedReportingOverflow(by: imageBytes)
    guard !imageOverflow, !announcedOverflow else {
      throw DatasetError.badHeader(
        file: reader.file, reason: "\(shape[0]) images of \(rows)x\(columns) pixels is more bytes than any file holds")
    }
    let total = count * imageBytes
    try checkRoom(reader, announced: announced)
    // A table of the 256 possible pixel values, each correctly rounded (x * (1 / 255) would be off by an ulp).
    let table: [Float] = (0..<256).map { byte in
      switch scale {
      case .minusOneToOne: return Float(byte) / 127.5 - 1
      case .zeroToOne: return Float(byte) / 255
      }
    }
    var bytes: [UInt8] = []
    var block = [UInt8](repeating: 0, count: 1 << 20)
    while bytes.count < total {
      let want = min(block.count, total - bytes.count)
      let got = try block.withUnsafeMutableBytes { try reader.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<want])) }
      bytes.append(contentsOf: block[0..<got])
      if got < want {
        throw DatasetError.truncated(file: reader.file, expectedBytes: announced, availableBytes: bytes.count)
      }
    }
    if checkEnd, try reader.skipToEnd() > 0 {
      throw DatasetError.trailingBytes(file: reader.file, expectedBytes: announced)
    }
    var pixels = [Float](repeating: 0, count: total)
    pixels.withUnsafeMutableBufferPointer { output in
      table.withUnsafeBufferPointer { value in
        bytes.withUnsafeBufferPointer { input in
          for i in 0..<total { output[i] = value[Int(input[i])] }
        }
      }
    }
    return Tensor(shape: [count, 1, rows, columns], scalars: pixels)
  }

  /// Reads `count` labels and checks each is a class index.
  static func readLabels(
    _ reader: ByteReader, announced: Int, count: Int, classCount: Int, checkEnd: Bool
  ) throws -> [Int] {
    try checkRoom(reader, announced: announced)
    let bytes = try reader.read(count)
    guard bytes.count == count else {
      throw DatasetError.truncated(file: reader.file, expectedBytes: announced, availableBytes: bytes.count)
    }
    if checkEnd, try reader.skipToEnd() > 0 {
      throw DatasetError.trailingBytes(file: reader.file, expectedBytes: announced)
    }
    var labels = [Int](repeating: 0, count: count)
    for (index, byte) in bytes.enumerated() {
      let label = Int(byte)
      guard label < classCount else {
        throw DatasetError.badLabel(file: reader.file, index: index, label: label, classCount: classCount)
      }
      labels[index] = label
    }
    return labels
  }

  /// Throws when the file cannot hold the `announced` data bytes that follow the header: a plain file must have them,
  /// a gzip file can inflate to at most 1032 times its size (deflate's largest ratio), so a header claiming more is
  /// rejected before a byte of it is decompressed or allocated.
  static func checkRoom(_ reader: ByteReader, announced: Int) throws {
    let remaining = reader.mostContentBytes - reader.contentBytesRead
    guard announced > remaining else { return }
    if reader.isGzip {
      throw DatasetError.badHeader(
        file: reader.file,
        reason: "it announces \(announced) bytes of data, more than this \(reader.storedCount)-byte gzip file can hold (at most \(remaining))")
    }
    throw DatasetError.truncated(file: reader.file, expectedBytes: announced, availableBytes: remaining)
  }

  private static func bigEndian(_ bytes: ArraySlice<UInt8>) -> UInt32 {
    bytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
  }
}
