import Foundation

/// An animated GIF made from raster images (sample grids over training), written without gnuplot.
///
/// A GIF stores up to 256 colors in a palette and each frame as palette indices compressed with LZW.
/// Gray frames use the 256 gray levels exactly; color frames share one palette chosen by median cut (the color
/// cube is split, again and again, at the median of its longest side until there are 256 boxes, and each box
/// becomes the average of its colors).
///
/// ```swift
/// var movie = AnimatedGIF(delay: 0.3)
/// for grid in gridsOverTraining { try movie.add(grid.image) }
/// try AtomicFile.write(movie.encoded(), to: folder.appendingPathComponent("samples.gif"))
/// ```
public struct AnimatedGIF: Sendable {
  /// Seconds each frame is shown (stored in hundredths).
  public var delay: Double
  /// How many times to play; 0 repeats forever.
  public var loops: Int
  public private(set) var frames: [RasterImage] = []

  public init(delay: Double = 0.25, loops: Int = 0) {
    self.delay = delay
    self.loops = loops
  }

  /// Appends a frame; every frame must have the first frame's size.
  public mutating func add(_ frame: RasterImage) throws {
    if let first = frames.first, first.width != frame.width || first.height != frame.height {
      throw PlottingError.invalidData(
        "GIF frame \(frames.count + 1) is \(frame.width)x\(frame.height), the first frame is \(first.width)x\(first.height)")
    }
    guard frame.width <= 65_535, frame.height <= 65_535 else {
      throw PlottingError.invalidData("GIF frames are limited to 65535 pixels a side, got \(frame.width)x\(frame.height)")
    }
    frames.append(frame)
  }

  /// The GIF file: header, global palette, loop extension, then per frame a delay and the LZW-coded indices.
  public func encoded() throws -> Data {
    guard let first = frames.first else { throw PlottingError.invalidData("an animated GIF needs at least one frame") }
    let (palette, indexFrames) = quantize()
    var out: [UInt8] = Array("GIF89a".utf8)
    out += littleEndian(first.width) + littleEndian(first.height)
    out += [0xF7, 0, 0]  // global color table of 2^(7+1) = 256 entries, 8 bits per primary; background 0
    out += palette
    // Netscape application extension: loop count.
    out += [0x21, 0xFF, 0x0B] + Array("NETSCAPE2.0".utf8) + [0x03, 0x01] + littleEndian(loops) + [0x00]
    let centiseconds = max(0, min(65_535, Int((delay * 100).rounded())))
    for indices in indexFrames {
      // Graphic control extension: disposal 1 (leave in place), the delay, no transparency.
      out += [0x21, 0xF9, 0x04, 0x04] + littleEndian(centiseconds) + [0x00, 0x00]
      // Image descriptor covering the whole screen, no local palette.
      out += [0x2C] + littleEndian(0) + littleEndian(0) + littleEndian(first.width) + littleEndian(first.height) + [0x00]
      out.append(8)  // LZW minimum code size for 8-bit indices
      let compressed = lzwEncode(indices)
      var offset = 0
      while offset < compressed.count {
        let length = min(255, compressed.count - offset)
        out.append(UInt8(length))
        out += compressed[offset..<(offset + length)]
        offset += length
      }
      out.append(0x00)
    }
    out.append(0x3B)
    return Data(out)
  }

  // MARK: Palette

  /// A 256-entry RGB palette and every frame as palette indices.
  func quantize() -> (palette: [UInt8], frames: [[UInt8]]) {
    if frames.allSatisfy({ $0.format == .gray }) {
      let palette = (0..<256).flatMap { [UInt8($0), UInt8($0), UInt8($0)] }
      return (palette, frames.map(\.pixels))
    }
    // Histogram of colors reduced to 5 bits per channel (32768 bins).
    func bin(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> Int { Int(r >> 3) << 10 | Int(g >> 3) << 5 | Int(b >> 3) }
    var counts = [Int](repeating: 0, count: 32_768)
    for frame in frames {
      let pixels = frame.pixels
      if frame.format == .gray {
        for value in pixels { counts[bin(value, value, value)] += 1 }
      } else {
        for index in stride(from: 0, to: pixels.count, by: 3) {
          counts[bin(pixels[index], pixels[index + 1], pixels[index + 2])] += 1
        }
      }
    }
    var boxes: [[Int]] = [counts.indices.filter { counts[$0] > 0 }]
    func channel(_ bin: Int, _ axis: Int) -> Int { (bin >> (10 - 5 * axis)) & 31 }
    func spread(_ box: [Int]) -> (axis: Int, width: Int) {
      (0..<3).map { axis -> (Int, Int) in
        let values = box.map { channel($0, axis) }
        return (axis, (values.max() ?? 0) - (values.min() ?? 0))
      }.max { $0.1 < $1.1 }!
    }
    while boxes.count < 256 {
      // Split the box with the widest color range (ties: the one with more pixels).
      guard let (index, axis) = boxes.indices
        .map({ ($0, spread(boxes[$0])) })
        .filter({ $0.1.width > 0 })
        .max(by: { ($0.1.width, boxes[$0.0].count) < ($1.1.width, boxes[$1.0].count) })
        .map({ ($0.0, $0.1.axis) })
      else { break }
      let sorted = boxes[index].sorted { channel($0, axis) < channel($1, axis) }
      let total = sorted.reduce(0) { $0 + counts[$1] }
      var running = 0
      var cut = 1
      for (position, bin) in sorted.enumerated() {
        running += counts[bin]
        if running * 2 >= total {
          cut = min(max(position + 1, 1), sorted.count - 1)
          break
        }
      }
      boxes[index] = Array(sorted[..<cut])
      boxes.append(Array(sorted[cut...]))
    }
    var palette = [UInt8](repeating: 0, count: 768)
    var lookup = [UInt8](repeating: 0, count: 32_768)
    for (entry, box) in boxes.enumerated() {
      var sums = [0, 0, 0]
      var weight = 0
      for bin in box {
        for axis in 0..<3 { sums[axis] += (channel(bin, axis) * 8 + 4) * counts[bin] }
        weight += counts[bin]
        lookup[bin] = UInt8(entry)
      }
      for axis in 0..<3 { palette[entry * 3 + axis] = UInt8(min(255, sums[axis] / max(weight, 1))) }
    }
    let indexFrames = frames.map { frame -> [UInt8] in
      let pixels = frame.pixels
      if frame.format == .gray { return pixels.map { lookup[bin($0, $0, $0)] } }
      return stride(from: 0, to: pixels.count, by: 3).map { lookup[bin(pixels[$0], pixels[$0 + 1], pixels[$0 + 2])] }
    }
    return (palette, indexFrames)
  }

  // MARK: LZW

  /// GIF's variable-width LZW with 8-bit symbols: codes 0-255 are single indices, 256 clears the table,
  /// 257 ends the data, new strings get codes from 258 on; codes start 9 bits wide and grow to 12, packed
  /// least-significant bit first.
  func lzwEncode(_ indices: [UInt8]) -> [UInt8] {
    let clearCode = 256
    let endCode = 257
    var out: [UInt8] = []
    out.reserveCapacity(indices.count / 2)
    var bitBuffer = 0
    var bitCount = 0
    var codeSize = 9
    func emit(_ code: Int) {
      bitBuffer |= code << bitCount
      bitCount += codeSize
      while bitCount >= 8 {
        out.append(UInt8(bitBuffer & 0xFF))
        bitBuffer >>= 8
        bitCount -= 8
      }
    }
    // table[prefix * 256 + symbol] = code + 1 (0 = absent); `used` remembers what to clear.
    var table = [Int32](repeating: 0, count: 4096 * 256)
    var used: [Int] = []
    var nextCode = 258
    emit(clearCode)
    guard var prefix = indices.first.map(Int.init) else {
      emit(endCode)
      if bitCount > 0 { out.append(UInt8(bitBuffer & 0xFF)) }
      return out
    }
    for symbol in indices.dropFirst() {
      let key = prefix << 8 | Int(symbol)
      let existing = table[key]
      if existing != 0 {
        prefix = Int(existing) - 1
        continue
      }
      emit(prefix)
      if nextCode < 4095 {
        table[key] = Int32(nextCode + 1)
        used.append(key)
        nextCode += 1
        if nextCode > (1 << codeSize) && codeSize < 12 { codeSize += 1 }
      } else {
        emit(clearCode)
        for key in used { table[key] = 0 }
        used.removeAll(keepingCapacity: true)
        nextCode = 258
        codeSize = 9
      }
      prefix = Int(symbol)
    }
    emit(prefix)
    emit(endCode)
    if bitCount > 0 { out.append(UInt8(bitBuffer & 0xFF)) }
    return out
  }

  private func littleEndian(_ value: Int) -> [UInt8] {
    [UInt8(value & 0xFF), UInt8((value >> 8) & 0xFF)]
  }
}
