// Shared by the fuzz tests of NNTests and DatasetsTests (the DatasetsTests copy is a symbolic link to this file).
import Foundation

/// SplitMix64, seeded from (seed, iteration) so that any one iteration of a fuzz run can be replayed on its own.
struct FuzzRandom {
  private var state: UInt64

  init(seed: UInt64, iteration: Int) {
    state = seed &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(truncatingIfNeeded: iteration) &* 0xD1B5_4A32_D192_ED03
  }

  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// Uniform in 0..<n (n > 0).
  mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

enum FuzzMutations {
  /// Values that break size arithmetic when written into a 4- or 8-byte field.
  static let extremes: [UInt64] = [
    0, 1, 0x7F, 0xFF, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0x1_0000_0000, 0x7FFF_FFFF_FFFF_FFFF,
    0x8000_0000_0000_0000, 0xFFFF_FFFF_FFFF_FFFF,
  ]

  /// One byte-level mutation: a bit flip, a byte set to 0x00/0xFF/0x7F/0x80, a 4- or 8-byte field overwritten with an
  /// extreme (often at one of `fields`, the format's length fields), truncation, insertion, a range duplicated or
  /// deleted. Positions favor `focus` (the header). `log` records what was done, for replaying a failure.
  static func byteLevel(
    _ input: [UInt8], _ rng: inout FuzzRandom, focus: Range<Int>, fields: [Int], littleEndian: Bool,
    log: inout [String]
  ) -> [UInt8] {
    var bytes = input
    func position() -> Int {
      guard !bytes.isEmpty else { return 0 }
      if rng.below(10) < 6, !focus.isEmpty, focus.lowerBound < bytes.count {
        return focus.lowerBound + rng.below(Swift.min(focus.count, bytes.count - focus.lowerBound))
      }
      return rng.below(bytes.count)
    }
    switch rng.below(8) {
    case 0:
      guard !bytes.isEmpty else { break }
      let at = position(), bit = rng.below(8)
      bytes[at] ^= 1 << bit
      log.append("flip bit \(bit) of byte \(at)")
    case 1:
      guard !bytes.isEmpty else { break }
      let at = position(), value: UInt8 = [0x00, 0xFF, 0x7F, 0x80][rng.below(4)]
      bytes[at] = value
      log.append("byte \(at) = \(value)")
    case 2:
      let width = rng.below(2) == 0 ? 4 : 8
      let at = !fields.isEmpty && rng.below(2) == 0 ? fields[rng.below(fields.count)] : position()
      let value = extremes[rng.below(extremes.count)]
      guard at + width <= bytes.count else { break }
      for k in 0..<width {
        let shift = littleEndian ? 8 * k : 8 * (width - 1 - k)
        bytes[at + k] = UInt8(truncatingIfNeeded: value >> UInt64(shift))
      }
      log.append("\(width)-byte field at \(at) = \(value)")
    case 3:
      let length = rng.below(bytes.count + 1)
      bytes.removeSubrange(length...)
      log.append("truncate to \(length)")
    case 4:
      let at = rng.below(bytes.count + 1), count = 1 + rng.below(16)
      bytes.insert(contentsOf: (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: at)
      log.append("insert \(count) random bytes at \(at)")
    case 5:
      guard !bytes.isEmpty else { break }
      let from = rng.below(bytes.count), count = 1 + rng.below(Swift.min(64, bytes.count - from))
      let at = rng.below(bytes.count + 1)
      bytes.insert(contentsOf: Array(bytes[from..<(from + count)]), at: at)
      log.append("copy bytes \(from)..<\(from + count) to \(at)")
    case 6:
      guard !bytes.isEmpty else { break }
      let from = rng.below(bytes.count), count = 1 + rng.below(Swift.min(16, bytes.count - from))
      bytes.removeSubrange(from..<(from + count))
      log.append("delete bytes \(from)..<\(from + count)")
    default:
      bytes += (0..<(1 + rng.below(8))).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
      log.append("append random bytes")
    }
    return bytes
  }
}

/// One fuzz run's settings and clock: `GAN_FUZZ_SECONDS` (default 20), `GAN_FUZZ_SEED` (default 2024) and
/// `GAN_FUZZ_START` (replay from that iteration, printing each mutation). The clock is read once per batch of
/// iterations; the progress line (seed and iteration, what reproduces a crash) goes out at most once a second,
/// before the batch it names.
struct FuzzRun {
  let name: String
  let seconds: Double
  let seed: UInt64
  let start: Int
  let verbose: Bool
  let began = Date()
  private var lastReport = Date.distantPast

  init(name: String, environment: [String: String] = ProcessInfo.processInfo.environment) {
    self.name = name
    seconds = environment["GAN_FUZZ_SECONDS"].flatMap(Double.init) ?? 20
    seed = environment["GAN_FUZZ_SEED"].flatMap(UInt64.init) ?? 2024
    start = environment["GAN_FUZZ_START"].flatMap(Int.init) ?? 0
    verbose = environment["GAN_FUZZ_START"] != nil
  }

  /// Whether the run goes on at `iteration` (the time is checked every `batch` iterations).
  mutating func goesOn(at iteration: Int, checkingEvery batch: Int) -> Bool {
    guard (iteration - start) % batch == 0 else { return true }
    let now = Date()
    if now.timeIntervalSince(began) >= seconds { return false }
    if now.timeIntervalSince(lastReport) >= 1 {
      print("\(name) fuzz: seed \(seed), from iteration \(iteration)")
      fflush(nil)
      lastReport = now
    }
    return true
  }

  var elapsed: Double { Date().timeIntervalSince(began) }
}
