import Foundation
import XCTest

@testable import Datasets

/// A seeded mutation fuzzer for the IDX reader (`IDX.readImages`, `readLabels`, `readExamples`): small valid image
/// and label files, plain and gzipped, mutated and written to a temporary file; each read either succeeds with the
/// sizes the header announces or throws a `DatasetError`, never traps. Runs for `GAN_FUZZ_SECONDS` (default 20);
/// `GAN_FUZZ_SEED` picks the sequence; `GAN_FUZZ_START=i` replays from iteration i, printing each one's mutations.
final class IDXFuzzTests: XCTestCase {
  /// Mutations may write extreme sizes into the header (2^31 - 1 or 2^32 - 1 images, rows or columns, and the
  /// 4/8-byte extremes at the size fields), and mutate gzip streams after compression (their header can decode to
  /// anything). Before the reader bounded announced sizes by the file, these trapped (with seed 2024: iteration 47,
  /// rows = 2^32 - 1, a 21 GB scratch block; iteration 58, a flipped count bit, an 86 GB pixel array; iteration 85,
  /// a label count of 2^32 - 1). `GAN_FUZZ_HEADER_EXTREMES=0` leaves them out (mutants announcing more than
  /// `boundedBytes` are then skipped), to fuzz the rest of the reader faster.
  static let includesHeaderExtremes = ProcessInfo.processInfo.environment["GAN_FUZZ_HEADER_EXTREMES"] != "0"
  static let boundedBytes = 1 << 22

  static let images: [UInt8] = [UInt8](TestSupport.idxImages(count: 3, rows: 4, columns: 5, pixels: (0..<60).map { UInt8($0 * 4) }))
  static let labels: [UInt8] = [UInt8](TestSupport.idxLabels([7, 0, 9]))

  /// What one iteration reads.
  enum Target: CaseIterable { case images, labels, pair }

  func testMutatedFilesAreReadOrRejectedNeverTrap() throws {
    var run = FuzzRun(name: "IDX")
    let (seed, start, verbose) = (run.seed, run.start, run.verbose)
    let folder = try TestSupport.makeTemporaryFolder(self)
    let imagePath = (folder as NSString).appendingPathComponent("images-idx3-ubyte")
    let labelPath = (folder as NSString).appendingPathComponent("labels-idx1-ubyte")
    // Real deflate streams from the system's gzip, for mutations of the compressed bytes.
    let gzippedImages = [UInt8](try TestSupport.gzip(Data(Self.images), level: 6))
    let gzippedLabels = [UInt8](try TestSupport.gzip(Data(Self.labels), level: 9))
    XCTAssertEqual(Self.storedGzip(Self.images).count, Self.images.count + 18 + 5)

    var iteration = start, tried = 0, rejected = 0, skipped = 0
    while run.goesOn(at: iteration, checkingEvery: 50) {
      defer { iteration += 1 }
      var rng = FuzzRandom(seed: seed, iteration: iteration)
      var log: [String] = []
      let target = Target.allCases[rng.below(3)]
      // The pair: one of the two files mutated.
      let mutateImages = target == .images || (target == .pair && rng.below(2) == 0)
      let (content, gzipped) = mutateImages ? (Self.images, gzippedImages) : (Self.labels, gzippedLabels)
      let fields = mutateImages ? [4, 8, 12] : [4]
      var mutant: [UInt8]
      switch rng.below(Self.includesHeaderExtremes ? 4 : 3) {
      case 0:
        mutant = Self.mutate(content, fields: fields, &rng, log: &log)
        log.append("plain")
      case 1, 2:
        let plain = Self.mutate(content, fields: fields, &rng, log: &log)
        if !Self.includesHeaderExtremes && Self.announcesTooMuch(plain) { skipped += 1; continue }
        mutant = Self.storedGzip(plain)
        log.append("then gzipped")
      default:
        // The compressed bytes themselves (deflate blocks, CRC-32, length): their header can decode to anything.
        mutant = gzipped
        for _ in 0..<(1 + rng.below(2)) {
          mutant = FuzzMutations.byteLevel(mutant, &rng, focus: 0..<mutant.count, fields: [], littleEndian: true, log: &log)
        }
        log.append("of the gzip stream")
      }
      if !Self.includesHeaderExtremes && Self.announcesTooMuch(mutant) { skipped += 1; continue }
      if verbose { print("iteration \(iteration) (\(target)): \(log.joined(separator: "; "))"); fflush(nil) }
      let path = mutateImages ? imagePath : labelPath
      try Data(mutant).write(to: URL(fileURLWithPath: path))
      if target == .pair { try Data(mutateImages ? Self.labels : Self.images).write(to: URL(fileURLWithPath: mutateImages ? labelPath : imagePath)) }
      tried += 1
      do {
        switch target {
        case .images:
          let images = try IDX.readImages(file: imagePath)
          XCTAssertEqual(images.rank, 4, "seed \(seed) iteration \(iteration)")
          XCTAssertTrue(images.scalars.allSatisfy { $0 >= -1 && $0 <= 1 }, "seed \(seed) iteration \(iteration)")
        case .labels:
          let labels = try IDX.readLabels(file: labelPath)
          XCTAssertTrue(labels.allSatisfy { (0..<10).contains($0) }, "seed \(seed) iteration \(iteration)")
        case .pair:
          let (images, labels) = try IDX.readExamples(imageFile: imagePath, labelFile: labelPath)
          XCTAssertEqual(images.shape.first, labels.count, "seed \(seed) iteration \(iteration)")
        }
      } catch let error as DatasetError {
        rejected += 1
        XCTAssertTrue("\(error)".contains(folder), "the error names the file: \(error)")
      } catch {
        XCTFail("seed \(seed) iteration \(iteration): not a DatasetError: \(error) (\(log))")
      }
    }
    let elapsed = run.elapsed
    print(String(format: "IDX fuzz: seed %llu, %d inputs in %.1f s (%.0f/s), %d rejected, %d read, %d skipped (header extremes %@)",
                 seed, tried, elapsed, Double(tried) / elapsed, rejected, tried - rejected, skipped,
                 Self.includesHeaderExtremes ? "included" : "excluded"))
    XCTAssertGreaterThan(rejected, 0)
    XCTAssertGreaterThan(tried - rejected, 0, "some mutants should still be valid files")
  }

  // MARK: Mutations

  /// One to three mutations of an IDX file's content: byte-level ones (header-focused), and realistic header edits:
  /// a count or size one more or less than the data holds, another magic number; with `includesHeaderExtremes`,
  /// sizes set to 2^16 - 1, 2^31 - 1, 2^32 - 1 and the byte-level 4/8-byte extremes at the size fields.
  static func mutate(_ content: [UInt8], fields: [Int], _ rng: inout FuzzRandom, log: inout [String]) -> [UInt8] {
    var bytes = content
    for _ in 0..<(1 + rng.below(3)) {
      let headerEnd = Swift.min(bytes.count, 4 + 4 * fields.count)
      switch rng.below(4) {
      case 0:
        let field = fields[rng.below(fields.count)]
        guard field + 4 <= bytes.count else { break }
        let old = Int(bytes[field]) << 24 | Int(bytes[field + 1]) << 16 | Int(bytes[field + 2]) << 8 | Int(bytes[field + 3])
        var choices = [old + 1, Swift.max(0, old - 1), 0, 1, 2 * old]
        if includesHeaderExtremes { choices += [0xFFFF, 0x7FFF_FFFF, 0xFFFF_FFFF, 0x1_0000 * 3] }
        let value = UInt32(truncatingIfNeeded: choices[rng.below(choices.count)])
        for k in 0..<4 { bytes[field + k] = UInt8(truncatingIfNeeded: value >> UInt32(24 - 8 * k)) }
        log.append("size field \(field) = \(value)")
      case 1:
        guard bytes.count >= 4 else { break }
        let magic: [[UInt8]] = [[0, 0, 8, 1], [0, 0, 8, 3], [0, 0, 8, 2], [0, 0, 9, 3], [0, 0, 8, 0], [0, 0, 8, 0xFF], [1, 0, 8, 3]]
        let choice = magic[rng.below(magic.count)]
        bytes.replaceSubrange(0..<4, with: choice)
        log.append("magic = \(choice)")
      default:
        bytes = FuzzMutations.byteLevel(
          bytes, &rng, focus: 0..<Swift.max(headerEnd, 1), fields: includesHeaderExtremes ? fields : [], littleEndian: false,
          log: &log)
      }
    }
    return bytes
  }

  /// Whether plain IDX content announces more than `boundedBytes` of data (or a size product that overflows), zero
  /// sizes counted as 1.
  /// Gzipped content counts as too much unless it is one of ours (stored blocks, whose first block holds the header
  /// verbatim at byte 15).
  static func announcesTooMuch(_ bytes: [UInt8]) -> Bool {
    var content = bytes
    if bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b {
      guard bytes.count > 15, bytes[3] == 0 else { return true }
      content = Array(bytes[15...])
    }
    guard content.count >= 4 else { return false }
    let dimensions = Int(content[3])
    var total = 1
    for d in 0..<dimensions {
      let at = 4 + 4 * d
      guard at + 4 <= content.count else { return false }
      let size = Int(content[at]) << 24 | Int(content[at + 1]) << 16 | Int(content[at + 2]) << 8 | Int(content[at + 3])
      // A zero count does not make the others harmless: the reader allocates one image's bytes (rows x columns).
      let (product, overflow) = total.multipliedReportingOverflow(by: Swift.max(size, 1))
      if overflow || product > boundedBytes { return true }
      total = product
    }
    return false
  }

  /// A gzip member holding `content` in stored (uncompressed) deflate blocks, with its CRC-32 and length: a valid .gz
  /// file for any content, written without a compressor.
  static func storedGzip(_ content: [UInt8]) -> [UInt8] {
    var out: [UInt8] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]
    var offset = 0
    repeat {
      let count = Swift.min(65535, content.count - offset)
      let final: UInt8 = offset + count == content.count ? 1 : 0
      out += [final, UInt8(count & 0xff), UInt8(count >> 8), UInt8(~count & 0xff), UInt8((~count >> 8) & 0xff)]
      out += content[offset..<(offset + count)]
      offset += count
    } while offset < content.count
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in content {
      crc ^= UInt32(byte)
      for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    crc = ~crc
    for value in [crc, UInt32(truncatingIfNeeded: content.count)] {
      for k in 0..<4 { out.append(UInt8(truncatingIfNeeded: value >> UInt32(8 * k))) }
    }
    return out
  }
}
