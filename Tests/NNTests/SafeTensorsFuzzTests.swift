import Foundation
import XCTest

@testable import NN

/// A seeded mutation fuzzer for `SafeTensors.decode`: valid files built here, mutated byte-wise and structure-wise,
/// each either read or rejected with a `CheckpointError`, never a trap; a file that is read must re-encode to the same
/// tensors and metadata. Runs for `GAN_FUZZ_SECONDS` (default 20); `GAN_FUZZ_SEED` picks the sequence.
///
/// A trap cannot be caught in-process, so the test prints the seed and iteration before each batch of work (at most
/// once a second); iteration i's mutant depends only on (seed, i), so after a crash
/// `GAN_FUZZ_SEED=s GAN_FUZZ_START=i swift test --filter SafeTensorsFuzz` starts at the last iteration printed and
/// prints every iteration's mutations from there.
final class SafeTensorsFuzzTests: XCTestCase {
  /// Valid files: metadata, a scalar, an empty tensor, NaN and infinities, a header that is not 8-byte padded.
  static func corpus() -> [[UInt8]] {
    var g = SeededGenerator(seed: 5)
    var files: [[UInt8]] = [
      SafeTensors.encode(["w": Tensor([1, -2, 3.5]), "b": Tensor(shape: [], scalars: [0.25])], metadata: ["step": "12", "format": "pt"]),
      SafeTensors.encode(["layers.0.weight": Tensor.randomNormal([2, 3, 2], using: &g), "empty": Tensor.zeros([0, 4]),
                          "odd": Tensor([.nan, .infinity, -0.0, .leastNonzeroMagnitude])]),
      SafeTensors.encode([:], metadata: ["only": "metadata"]),
      SafeTensors.encode(["x": Tensor.randomNormal([5], using: &g)]),
    ]
    // Unpadded, with spaces inside: what another writer may produce.
    let header = #"{ "__metadata__" : { "k" : "v\u00e9" }, "a" : { "dtype" : "F32", "shape" : [ 1, 2 ], "data_offsets" : [ 0, 8 ] } }"#
    var bytes: [UInt8] = []
    withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { bytes.append(contentsOf: $0) }
    bytes += Array(header.utf8)
    appendLittleEndian([7, -7], to: &bytes)
    files.append(bytes)
    return files
  }

  func testMutatedFilesAreReadOrRejectedNeverTrap() throws {
    var run = FuzzRun(name: "safetensors")
    let (seed, start, verbose) = (run.seed, run.start, run.verbose)
    let corpus = Self.corpus()
    for file in corpus { XCTAssertNoThrow(try SafeTensors.decode(file, source: "corpus"), "the corpus must be valid") }

    var iteration = start, tried = 0, rejected = 0
    while run.goesOn(at: iteration, checkingEvery: 1000) {
      var rng = FuzzRandom(seed: seed, iteration: iteration)
      let base = corpus[rng.below(corpus.count)]
      var log: [String] = []
      let mutant = Self.mutate(base, &rng, log: &log)
      if verbose { print("iteration \(iteration): \(log.joined(separator: "; "))"); fflush(nil) }
      do {
        let contents = try SafeTensors.decode(mutant, source: "fuzz.safetensors")
        // Accepted: encoding what was read and reading it again gives the same tensors (bit for bit) and metadata.
        let again = try SafeTensors.decode(SafeTensors.encode(contents.tensors, metadata: contents.metadata), source: "re-encoded")
        XCTAssertEqual(again.metadata, contents.metadata, "seed \(seed) iteration \(iteration): \(log)")
        XCTAssertEqual(again.tensors.mapValues(\.shape), contents.tensors.mapValues(\.shape), "seed \(seed) iteration \(iteration)")
        XCTAssertEqual(again.tensors.mapValues { $0.scalars.map(\.bitPattern) }, contents.tensors.mapValues { $0.scalars.map(\.bitPattern) },
                       "seed \(seed) iteration \(iteration)")
      } catch let error as CheckpointError {
        rejected += 1
        XCTAssertTrue(error.description.hasPrefix("fuzz.safetensors"), "\(error)")
      } catch {
        XCTFail("seed \(seed) iteration \(iteration): not a CheckpointError: \(error) (\(log))")
      }
      iteration += 1
      tried += 1
    }
    let elapsed = run.elapsed
    print(String(format: "safetensors fuzz: seed %llu, %d inputs in %.1f s (%.0f/s), %d rejected, %d read",
                 seed, tried, elapsed, Double(tried) / elapsed, rejected, tried - rejected))
    XCTAssertGreaterThan(tried - rejected, 0, "some mutants should still be valid files")
    XCTAssertGreaterThan(rejected, 0)
  }

  // MARK: Mutations

  /// Integers that break size arithmetic: around 2^31, 2^32, 2^61-2^64, and the products that overflow.
  static let extremeNumbers = [
    "0", "1", "3", "4", "7", "8", "2147483647", "2147483648", "4294967295", "4294967296", "3037000500",
    "2305843009213693952", "4611686018427387904", "9223372036854775807", "9223372036854775808",
    "18446744073709551615", "18446744073709551616", "99999999999999999999999", "-1", "-0", "1.5", "1e3", "1E400",
    "true", "null", "\"4\"", "[]",
  ]

  static func mutate(_ file: [UInt8], _ rng: inout FuzzRandom, log: inout [String]) -> [UInt8] {
    var bytes = file
    for _ in 0..<(1 + rng.below(3)) {
      let headerEnd = Swift.min(bytes.count, 8 + headerLength(bytes))
      switch rng.below(10) {
      case 0, 1:
        bytes = editHeaderNumber(bytes, &rng, log: &log)
      case 2:
        bytes = editHeaderText(bytes, &rng, log: &log)
      default:
        bytes = FuzzMutations.byteLevel(bytes, &rng, focus: 0..<Swift.max(headerEnd, 1), fields: [0], littleEndian: true, log: &log)
      }
    }
    return bytes
  }

  static func headerLength(_ bytes: [UInt8]) -> Int {
    guard bytes.count >= 8 else { return 0 }
    var length: UInt64 = 0
    for i in 0..<8 { length |= UInt64(bytes[i]) << (8 * UInt64(i)) }
    return Int(Swift.min(length, UInt64(bytes.count)))
  }

  /// Replaces the header text and, most of the time, rewrites the length field to match (a consistent file).
  static func replacingHeader(_ bytes: [UInt8], with header: [UInt8], _ rng: inout FuzzRandom) -> [UInt8] {
    let oldEnd = Swift.min(bytes.count, 8 + headerLength(bytes))
    var out: [UInt8] = []
    let length = rng.below(8) == 0 ? UInt64(Swift.max(0, oldEnd - 8)) : UInt64(header.count)
    withUnsafeBytes(of: length.littleEndian) { out.append(contentsOf: $0) }
    out += header
    if oldEnd < bytes.count { out += bytes[oldEnd...] }
    return out
  }

  /// One number in the header (a shape dimension, an offset, a metadata digit) replaced by an extreme.
  static func editHeaderNumber(_ bytes: [UInt8], _ rng: inout FuzzRandom, log: inout [String]) -> [UInt8] {
    let end = Swift.min(bytes.count, 8 + headerLength(bytes))
    guard end > 8 else { return bytes }
    let header = Array(bytes[8..<end])
    var numbers: [Range<Int>] = []
    var i = 0
    while i < header.count {
      if (0x30...0x39).contains(header[i]) {
        let first = i
        while i < header.count, (0x30...0x39).contains(header[i]) { i += 1 }
        numbers.append(first..<i)
      } else { i += 1 }
    }
    guard !numbers.isEmpty else { return bytes }
    let target = numbers[rng.below(numbers.count)]
    let replacement = extremeNumbers[rng.below(extremeNumbers.count)]
    log.append("header number at \(target.lowerBound) -> \(replacement)")
    var edited = header
    edited.replaceSubrange(target, with: Array(replacement.utf8))
    return replacingHeader(bytes, with: edited, &rng)
  }

  /// A structural edit of the header text: a dtype changed, an entry duplicated, a character dropped or doubled.
  static func editHeaderText(_ bytes: [UInt8], _ rng: inout FuzzRandom, log: inout [String]) -> [UInt8] {
    let end = Swift.min(bytes.count, 8 + headerLength(bytes))
    guard end > 8 else { return bytes }
    var text = String(decoding: bytes[8..<end], as: UTF8.self)
    switch rng.below(5) {
    case 0:
      let dtype = ["F16", "BF16", "F64", "I32", "U8", "", "f32", "F32\\u0000"][rng.below(8)]
      log.append("dtype -> \(dtype)")
      if let range = text.range(of: "F32") { text.replaceSubrange(range, with: dtype) }
    case 1:
      // Duplicate the first tensor entry (same name, same offsets) after the opening brace.
      log.append("duplicate entry")
      if let open = text.firstIndex(of: "{"), let entryEnd = text.range(of: "]}") {
        let entryStart = text.index(after: open)
        if entryStart < entryEnd.upperBound {
          let entry = String(text[entryStart..<entryEnd.upperBound])
          text.insert(contentsOf: entry + ",", at: entryStart)
        }
      }
    case 2:
      let keys = ["\"shape\"", "\"data_offsets\"", "\"dtype\"", "\"__metadata__\""]
      let key = keys[rng.below(keys.count)], other = keys[rng.below(keys.count)]
      log.append("key \(key) -> \(other)")
      if let range = text.range(of: key) { text.replaceSubrange(range, with: other) }
    case 3:
      guard !text.isEmpty else { break }
      let offset = rng.below(text.count)
      log.append("drop character \(offset)")
      text.remove(at: text.index(text.startIndex, offsetBy: offset))
    default:
      let insertions = ["[", "{", "]", "}", ",", "\"", "\\", "\u{0}", "[[[[[[[[", "\"\\ud800\"", "é"]
      let insertion = insertions[rng.below(insertions.count)]
      let offset = rng.below(text.count + 1)
      log.append("insert \(insertion.debugDescription) at \(offset)")
      text.insert(contentsOf: insertion, at: text.index(text.startIndex, offsetBy: offset))
    }
    return replacingHeader(bytes, with: Array(text.utf8), &rng)
  }
}
