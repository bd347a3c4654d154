import Foundation
import XCTest

@testable import Plotting

/// A fresh temporary folder, removed when the test ends.
func makeTemporaryFolder(_ test: XCTestCase) throws -> URL {
  let folder = FileManager.default.temporaryDirectory.appendingPathComponent("plotting-tests-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
  test.addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
  return folder
}

/// gnuplot, or a test failure that says how to install it.
func requireGnuplot(file: StaticString = #filePath, line: UInt = #line) throws -> Gnuplot {
  guard let gnuplot = Gnuplot.locate() else {
    XCTFail("gnuplot is not installed: `apt-get install -y gnuplot-nox`", file: file, line: line)
    throw XCTSkip("gnuplot missing")
  }
  return gnuplot
}

/// Runs a program from PATH and returns (exit status, standard output + error).
func runProgram(_ name: String, _ arguments: [String], in folder: URL? = nil) throws -> (status: Int32, output: String)? {
  let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
    .map { URL(fileURLWithPath: String($0)).appendingPathComponent(name) }
    .first { FileManager.default.isExecutableFile(atPath: $0.path) }
  guard let path else { return nil }
  let process = Process()
  process.executableURL = path
  process.arguments = arguments
  if let folder { process.currentDirectoryURL = folder }
  let pipe = Pipe()
  process.standardOutput = pipe
  process.standardError = pipe
  process.standardInput = FileHandle.nullDevice
  try process.run()
  let data = pipe.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// Checks a PNG file with Debian's `pngcheck` (every chunk, CRC and the zlib stream).
func assertPNGCheckPasses(_ url: URL, file: StaticString = #filePath, line: UInt = #line) throws {
  guard let result = try runProgram("pngcheck", ["-v", url.path]) else {
    XCTFail("pngcheck is not installed: `apt-get install -y pngcheck`", file: file, line: line)
    return
  }
  XCTAssertEqual(result.status, 0, "pngcheck rejected \(url.lastPathComponent):\n\(result.output)", file: file, line: line)
  XCTAssertTrue(result.output.contains("No errors detected"), result.output, file: file, line: line)
}

// MARK: - A GIF reader for checking our encoder and gnuplot's animations

struct DecodedGIF {
  var width: Int
  var height: Int
  var delays: [Int]
  /// Each frame as RGB bytes (frames cover the whole screen in the files we check).
  var frames: [[UInt8]]
  var loopCount: Int?
}

/// A small, independent GIF decoder (global and local palettes, LZW, sub-blocks; no interlace).
func decodeGIF(_ data: Data) throws -> DecodedGIF {
  let bytes = [UInt8](data)
  struct Failure: Error, CustomStringConvertible { let description: String }
  guard bytes.count > 13, String(decoding: bytes[0..<6], as: UTF8.self).hasPrefix("GIF8") else {
    throw Failure(description: "not a GIF")
  }
  func u16(_ offset: Int) -> Int { Int(bytes[offset]) | Int(bytes[offset + 1]) << 8 }
  var result = DecodedGIF(width: u16(6), height: u16(8), delays: [], frames: [], loopCount: nil)
  var offset = 13
  var globalPalette: [UInt8] = []
  if bytes[10] & 0x80 != 0 {
    let size = 3 * (1 << (Int(bytes[10] & 7) + 1))
    globalPalette = Array(bytes[offset..<(offset + size)])
    offset += size
  }
  var canvas = [UInt8](repeating: 0, count: result.width * result.height * 3)
  func readSubBlocks() -> [UInt8] {
    var out: [UInt8] = []
    while offset < bytes.count {
      let length = Int(bytes[offset])
      offset += 1
      if length == 0 { break }
      out += bytes[offset..<(offset + length)]
      offset += length
    }
    return out
  }
  var pendingDelay = 0
  while offset < bytes.count {
    let introducer = bytes[offset]
    offset += 1
    switch introducer {
    case 0x21:
      let label = bytes[offset]
      offset += 1
      let body = readSubBlocks()
      if label == 0xF9, body.count >= 3 { pendingDelay = Int(body[1]) | Int(body[2]) << 8 }
      if label == 0xFF, body.count >= 14, String(decoding: body[0..<11], as: UTF8.self) == "NETSCAPE2.0" {
        result.loopCount = Int(body[12]) | Int(body[13]) << 8
      }
    case 0x2C:
      let left = u16(offset)
      let top = u16(offset + 2)
      let width = u16(offset + 4)
      let height = u16(offset + 6)
      let packed = bytes[offset + 8]
      offset += 9
      var palette = globalPalette
      if packed & 0x80 != 0 {
        let size = 3 * (1 << (Int(packed & 7) + 1))
        palette = Array(bytes[offset..<(offset + size)])
        offset += size
      }
      if packed & 0x40 != 0 { throw Failure(description: "interlaced frames are not supported by this test decoder") }
      let minimumCodeSize = Int(bytes[offset])
      offset += 1
      let indices = try lzwDecode(readSubBlocks(), minimumCodeSize: minimumCodeSize, expected: width * height)
      for y in 0..<height {
        for x in 0..<width {
          let index = Int(indices[y * width + x])
          let target = ((top + y) * result.width + left + x) * 3
          guard index * 3 + 2 < palette.count else { throw Failure(description: "palette index out of range") }
          canvas[target] = palette[index * 3]
          canvas[target + 1] = palette[index * 3 + 1]
          canvas[target + 2] = palette[index * 3 + 2]
        }
      }
      result.frames.append(canvas)
      result.delays.append(pendingDelay)
    case 0x3B:
      return result
    default:
      throw Failure(description: "unexpected block 0x\(String(introducer, radix: 16)) at byte \(offset - 1)")
    }
  }
  throw Failure(description: "GIF has no trailer")
}

/// GIF LZW, written from the specification independently of the encoder under test.
func lzwDecode(_ data: [UInt8], minimumCodeSize: Int, expected: Int) throws -> [UInt8] {
  struct Failure: Error, CustomStringConvertible { let description: String }
  let clear = 1 << minimumCodeSize
  let end = clear + 1
  var dictionary: [[UInt8]] = []
  func reset() {
    dictionary = (0..<clear).map { [UInt8($0)] } + [[], []]
  }
  reset()
  var codeSize = minimumCodeSize + 1
  var bitPosition = 0
  var output: [UInt8] = []
  var previous: [UInt8]? = nil
  while bitPosition + codeSize <= data.count * 8 {
    var code = 0
    for bit in 0..<codeSize {
      let position = bitPosition + bit
      if data[position >> 3] & (1 << (position & 7)) != 0 { code |= 1 << bit }
    }
    bitPosition += codeSize
    if code == clear {
      reset()
      codeSize = minimumCodeSize + 1
      previous = nil
      continue
    }
    if code == end { break }
    let entry: [UInt8]
    if code < dictionary.count {
      entry = dictionary[code]
      if let previous { dictionary.append(previous + [entry[0]]) }
    } else if code == dictionary.count, let previous {
      entry = previous + [previous[0]]
      dictionary.append(entry)
    } else {
      throw Failure(description: "LZW code \(code) is not in the table (size \(dictionary.count))")
    }
    output += entry
    previous = entry
    if dictionary.count == (1 << codeSize) && codeSize < 12 { codeSize += 1 }
  }
  guard output.count == expected else {
    throw Failure(description: "LZW data decodes to \(output.count) indices, expected \(expected)")
  }
  return output
}
