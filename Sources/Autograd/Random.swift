import CKernels

/// A small, fast, seedable generator (xoshiro256**, seeded through SplitMix64): the same seed gives the same
/// numbers on every run and every machine, which is what makes the lessons' numbers reproducible.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
  private var s0, s1, s2, s3: UInt64
  private var spareNormal: Float?

  public init(seed: UInt64) {
    var x = seed
    func splitMix() -> UInt64 {
      x &+= 0x9E37_79B9_7F4A_7C15
      var z = x
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
    s0 = splitMix()
    s1 = splitMix()
    s2 = splitMix()
    s3 = splitMix()
  }

  /// Everything that decides the numbers still to come: the four xoshiro words and the Box-Muller value kept for
  /// the next `nextNormal()`. A training run saves it in its checkpoint so that a resumed run draws exactly the
  /// numbers the uninterrupted run would have drawn.
  public struct State: Sendable, Equatable, Codable {
    public var words: [UInt64]
    public var spareNormal: Float?
    public init(words: [UInt64], spareNormal: Float?) {
      self.words = words
      self.spareNormal = spareNormal
    }
  }

  /// The generator's state (see `State`); `init(state:)` continues from it.
  public var state: State { State(words: [s0, s1, s2, s3], spareNormal: spareNormal) }

  /// A generator that continues from a saved `state` (exactly 4 words).
  public init(state: State) {
    precondition(state.words.count == 4, "SeededGenerator(state:): expected 4 words, got \(state.words.count)")
    (s0, s1, s2, s3) = (state.words[0], state.words[1], state.words[2], state.words[3])
    spareNormal = state.spareNormal
  }

  public mutating func next() -> UInt64 {
    let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
    let t = s1 << 17
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = (s3 << 45) | (s3 >> 19)
    return result
  }

  /// Uniform in [0, 1) with 24 bits of precision.
  public mutating func nextUniform() -> Float {
    Float(next() >> 40) * (1.0 / 16_777_216.0)
  }

  /// Standard normal by the Box-Muller transform (pairs; the second value is kept for the next call; the arithmetic is
  /// gc_box_muller's, in Sources/CKernels/normal_sampler.c).
  public mutating func nextNormal() -> Float {
    if let spare = spareNormal {
      spareNormal = nil
      return spare
    }
    let first = next(), second = next()
    var cosine: Float = 0, sine: Float = 0
    gc_box_muller(first, second, &cosine, &sine)
    spareNormal = sine
    return cosine
  }

  /// Fills `buffer` with `mean + std * nextNormal()`, element by element: the same numbers, and the same state
  /// afterwards, as that loop (tested), with the Box-Muller arithmetic of large fills split across the cores (the
  /// 64-bit draws stay in order on this thread).
  public mutating func fillNormal(_ buffer: UnsafeMutableBufferPointer<Float>, mean: Float = 0, std: Float = 1) {
    guard var out = buffer.baseAddress, !buffer.isEmpty else { return }
    var count = buffer.count
    if let spare = spareNormal {
      spareNormal = nil
      out[0] = mean + std * spare
      out += 1
      count -= 1
    }
    if count == 0 { return }
    // Blocks of up to 64k pairs, so that the draws need at most 1 MB however large the fill (a model's weights).
    let pairs = (count + 1) / 2, blockPairs = 1 << 16
    var bits = [UInt64](repeating: 0, count: 2 * Swift.min(pairs, blockPairs))
    var spare: Float = 0
    for first in stride(from: 0, to: pairs, by: blockPairs) {
      let blockCount = Swift.min(blockPairs, pairs - first)
      for i in 0..<2 * blockCount { bits[i] = next() }
      let chunks = blockCount >= 256 ? Kernels.cores : 1
      let target = out + 2 * first, values = Swift.min(2 * blockCount, count - 2 * first)
      bits.withUnsafeBufferPointer { draws in
        withUnsafeMutablePointer(to: &spare) { sparePointer in
          let shared = UncheckedBox((draws.baseAddress!, target, sparePointer))
          Kernels.parallelFor(chunks) { chunk in
            let range = Kernels.chunkRange(chunk, of: chunks, total: blockCount)
            let (source, target, spareTarget) = shared.value
            gc_normal_pairs(source, range.lowerBound, range.upperBound, mean, std, target, values, spareTarget)
          }
        }
      }
    }
    if count % 2 == 1 { spareNormal = spare }
  }

  /// A uniformly drawn integer in 0..<bound.
  public mutating func nextInt(below bound: Int) -> Int {
    Int.random(in: 0..<bound, using: &self)
  }

  /// A random permutation of 0..<count.
  public mutating func permutation(_ count: Int) -> [Int] {
    var values = Array(0..<count)
    values.shuffle(using: &self)
    return values
  }
}
