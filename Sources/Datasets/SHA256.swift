import Foundation

/// SHA-256 (FIPS 180-4, section 6.2): the digest that proves a downloaded file is the one the course expects.
///
/// The message is padded to a multiple of 512 bits (a 1 bit, zeros, then the message length in bits as a 64-bit
/// big-endian number) and processed one 64-byte block at a time. Each block is expanded to 64 words
/// `W[t] = σ1(W[t-2]) + W[t-7] + σ0(W[t-15]) + W[t-16]` and mixed into the eight-word state by 64 rounds of
///
///     T1 = h + Σ1(e) + Ch(e, f, g) + K[t] + W[t]      T2 = Σ0(a) + Maj(a, b, c)
///     h = g, g = f, f = e, e = d + T1, d = c, c = b, b = a, a = T1 + T2
///
/// and the block's result is added to the state. The digest is the final state, big-endian.
///
/// Feed bytes with `update(_:)` as they arrive, then call `finalize()`; or hash at once with `SHA256.hash(_:)`.
public struct SHA256: Sendable {
  /// The first 32 bits of the fractional parts of the cube roots of the first 64 primes.
  private static let roundConstants: [UInt32] = [
    0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
    0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
    0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
    0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
    0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
    0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
    0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
    0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
  ]

  /// The first 32 bits of the fractional parts of the square roots of the first 8 primes.
  private var state: [UInt32] = [
    0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19,
  ]
  /// Bytes of an unfinished block, waiting for the rest of it.
  private var pending: [UInt8] = []
  /// The number of message bytes seen so far.
  private var length: UInt64 = 0

  public init() {}

  /// Adds bytes to the message.
  public mutating func update(_ bytes: UnsafeRawBufferPointer) {
    guard !bytes.isEmpty else { return }
    length &+= UInt64(bytes.count)
    var offset = 0
    // Complete a pending partial block first.
    if !pending.isEmpty {
      let take = min(64 - pending.count, bytes.count)
      pending.append(contentsOf: bytes[0..<take])
      offset = take
      if pending.count == 64 {
        pending.withUnsafeBytes { compress(blocks: $0) }
        pending.removeAll(keepingCapacity: true)
      }
    }
    // Whole blocks straight from the caller's memory.
    let wholeBlocks = (bytes.count - offset) / 64 * 64
    if wholeBlocks > 0 {
      compress(blocks: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + wholeBlocks)]))
      offset += wholeBlocks
    }
    if offset < bytes.count { pending.append(contentsOf: bytes[offset...]) }
  }

  /// Adds bytes to the message.
  public mutating func update(_ bytes: [UInt8]) {
    bytes.withUnsafeBytes { update($0) }
  }

  /// Adds bytes to the message.
  public mutating func update(_ data: Data) {
    data.withUnsafeBytes { update($0) }
  }

  /// Pads the message, processes the last block(s) and returns the 32-byte digest.
  public mutating func finalize() -> [UInt8] {
    let bitLength = length &* 8
    var tail = pending
    tail.append(0x80)
    while tail.count % 64 != 56 { tail.append(0) }
    for shift in stride(from: 56, through: 0, by: -8) { tail.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }
    tail.withUnsafeBytes { compress(blocks: $0) }
    pending = []
    var digest: [UInt8] = []
    digest.reserveCapacity(32)
    for word in state {
      digest.append(UInt8(truncatingIfNeeded: word >> 24))
      digest.append(UInt8(truncatingIfNeeded: word >> 16))
      digest.append(UInt8(truncatingIfNeeded: word >> 8))
      digest.append(UInt8(truncatingIfNeeded: word))
    }
    return digest
  }

  /// The digest of `bytes`.
  public static func hash(_ bytes: [UInt8]) -> [UInt8] {
    var hasher = SHA256()
    hasher.update(bytes)
    return hasher.finalize()
  }

  /// The digest of `data`, as 64 lowercase hexadecimal digits (the form `sha256sum` prints).
  public static func hexDigest(_ data: Data) -> String {
    var hasher = SHA256()
    hasher.update(data)
    return hexString(hasher.finalize())
  }

  /// The digest of the file at `path`, read in 1 MiB pieces, as lowercase hexadecimal.
  public static func hexDigest(ofFile path: String) throws -> String {
    guard let handle = FileHandle(forReadingAtPath: path) else {
      throw DatasetError.unreadable(file: path, reason: "cannot open it for reading")
    }
    defer { try? handle.close() }
    var hasher = SHA256()
    while true {
      let piece = try handle.read(upToCount: 1 << 20) ?? Data()
      if piece.isEmpty { break }
      hasher.update(piece)
    }
    return hexString(hasher.finalize())
  }

  /// Bytes as lowercase hexadecimal.
  public static func hexString(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var text: [UInt8] = []
    text.reserveCapacity(bytes.count * 2)
    for byte in bytes {
      text.append(digits[Int(byte >> 4)])
      text.append(digits[Int(byte & 0x0f)])
    }
    return String(decoding: text, as: UTF8.self)
  }

  // MARK: The compression function

  @inline(__always) private static func rotateRight(_ x: UInt32, _ n: UInt32) -> UInt32 {
    (x >> n) | (x << (32 - n))
  }

  /// Mixes whole 64-byte blocks into the state.
  private mutating func compress(blocks: UnsafeRawBufferPointer) {
    precondition(blocks.count % 64 == 0, "SHA256: compress needs whole 64-byte blocks")
    var h0 = state[0], h1 = state[1], h2 = state[2], h3 = state[3]
    var h4 = state[4], h5 = state[5], h6 = state[6], h7 = state[7]
    Self.roundConstants.withUnsafeBufferPointer { k in
      withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
        var blockStart = 0
        while blockStart < blocks.count {
          // The 16 message words, big-endian, then the expansion to 64.
          for t in 0..<16 {
            let base = blockStart + 4 * t
            w[t] =
              UInt32(blocks[base]) << 24 | UInt32(blocks[base + 1]) << 16 | UInt32(blocks[base + 2]) << 8
              | UInt32(blocks[base + 3])
          }
          for t in 16..<64 {
            let x = w[t - 15], y = w[t - 2]
            let sigma0 = Self.rotateRight(x, 7) ^ Self.rotateRight(x, 18) ^ (x >> 3)
            let sigma1 = Self.rotateRight(y, 17) ^ Self.rotateRight(y, 19) ^ (y >> 10)
            w[t] = sigma1 &+ w[t - 7] &+ sigma0 &+ w[t - 16]
          }
          var a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7
          for t in 0..<64 {
            let bigSigma1 = Self.rotateRight(e, 6) ^ Self.rotateRight(e, 11) ^ Self.rotateRight(e, 25)
            let choose = (e & f) ^ (~e & g)
            let t1 = h &+ bigSigma1 &+ choose &+ k[t] &+ w[t]
            let bigSigma0 = Self.rotateRight(a, 2) ^ Self.rotateRight(a, 13) ^ Self.rotateRight(a, 22)
            let majority = (a & b) ^ (a & c) ^ (b & c)
            let t2 = bigSigma0 &+ majority
            h = g
            g = f
            f = e
            e = d &+ t1
            d = c
            c = b
            b = a
            a = t1 &+ t2
          }
          h0 &+= a
          h1 &+= b
          h2 &+= c
          h3 &+= d
          h4 &+= e
          h5 &+= f
          h6 &+= g
          h7 &+= h
          blockStart += 64
        }
      }
    }
    state = [h0, h1, h2, h3, h4, h5, h6, h7]
  }
}
