import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// The safetensors file format (the one PyTorch and the Hugging Face tools read), for Float32 tensors.
///
/// Layout:
/// ```
/// [8 bytes]  N, the header length, as a little-endian UInt64
/// [N bytes]  a JSON object, padded with spaces to a multiple of 8 bytes:
///            {"__metadata__": {"key": "value"},                                   (optional, strings only)
///             "layers.0.weight": {"dtype": "F32", "shape": [4, 2], "data_offsets": [0, 32]}, ...}
/// [rest]     the tensors' values, row-major little-endian, each at its [begin, end) byte range of this part
/// ```
/// We write tensors in sorted name order, packed without gaps, so the same tensors always give the same bytes.
/// All errors thrown are `CheckpointError`s naming the file and, where one is at fault, the tensor.
public enum SafeTensors {
  /// The tensors and the `__metadata__` strings of one file.
  public struct Contents {
    public var tensors: [String: Tensor]
    public var metadata: [String: String]

    public init(tensors: [String: Tensor], metadata: [String: String] = [:]) {
      self.tensors = tensors
      self.metadata = metadata
    }
  }

  /// Writes `tensors` to `url` through a temporary file in the same folder that is renamed into place, so the file
  /// at `url` is either the old one or the complete new one, never half-written.
  public static func write(_ tensors: [String: Tensor], metadata: [String: String] = [:], to url: URL) throws {
    try writeAtomically(encode(tensors, metadata: metadata), to: url)
  }

  /// The tensors stored in the file at `url`.
  public static func read(from url: URL) throws -> [String: Tensor] { try readWithMetadata(from: url).tensors }

  /// The tensors and the metadata stored in the file at `url`.
  public static func readWithMetadata(from url: URL) throws -> Contents {
    let data: Data
    do { data = try Data(contentsOf: url) } catch {
      throw CheckpointError(source: url.path, problem: .io("cannot read the file: \(error.localizedDescription)"))
    }
    return try decode([UInt8](data), source: url.path)
  }

  // MARK: Encoding

  /// The bytes of a safetensors file holding `tensors` and `metadata`.
  public static func encode(_ tensors: [String: Tensor], metadata: [String: String] = [:]) -> [UInt8] {
    let names = tensors.keys.sorted()
    precondition(!names.contains("__metadata__"), "SafeTensors: '__metadata__' is reserved and cannot name a tensor")
    var entries: [String] = []
    if !metadata.isEmpty {
      let pairs = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
      entries.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
    }
    var offset = 0
    for name in names {
      let tensor = tensors[name]!
      let end = offset + 4 * tensor.count
      let shape = tensor.shape.map(String.init).joined(separator: ",")
      entries.append("\(jsonString(name)):{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}")
      offset = end
    }
    var header = Array("{\(entries.joined(separator: ","))}".utf8)
    while header.count % 8 != 0 { header.append(0x20) }

    var bytes: [UInt8] = []
    bytes.reserveCapacity(8 + header.count + offset)
    withUnsafeBytes(of: UInt64(header.count).littleEndian) { bytes.append(contentsOf: $0) }
    bytes.append(contentsOf: header)
    for name in names { appendLittleEndian(tensors[name]!.scalars, to: &bytes) }
    return bytes
  }

  // MARK: Decoding

  /// The largest header Python's safetensors accepts (100 MB); a longer length field is rejected before it is used.
  public static let maximumHeaderLength: UInt64 = 100_000_000

  /// Parses and checks a whole file's bytes, rejecting what Python's safetensors rejects (and duplicate keys, which it
  /// resolves silently): the header must be UTF-8 JSON of at most `maximumHeaderLength` bytes; every tensor must be
  /// F32 (or I64, read as floats: PyTorch's batch-norm `num_batches_tracked` counters are I64, so a PyTorch state_dict
  /// saved as safetensors loads) with a shape whose element and byte counts fit in an Int; sorted by offset, the tensors' byte ranges must
  /// tile the data section exactly, from byte 0 to its end, without overlaps or gaps. Like Python, no alignment of a
  /// range's start is required (values are copied out, never read in place). Values may be NaN or infinite: a file
  /// may hold them; loading into a model rejects them. `source` names the file in errors.
  public static func decode(_ bytes: [UInt8], source: String) throws -> Contents {
    func fail(_ tensor: String?, _ problem: CheckpointError.Problem) -> CheckpointError {
      CheckpointError(source: source, tensor: tensor, problem: problem)
    }
    guard bytes.count >= 8 else {
      throw fail(nil, .truncated("\(bytes.count) bytes, shorter than the 8-byte header length"))
    }
    var headerLength: UInt64 = 0
    for i in 0..<8 { headerLength |= UInt64(bytes[i]) << (8 * UInt64(i)) }
    // Compared as UInt64 first: Int(headerLength) would trap above Int.max.
    guard headerLength <= maximumHeaderLength else {
      throw fail(nil, .malformedHeader(
        "the header length field says \(headerLength) bytes, more than the \(maximumHeaderLength) safetensors allows"))
    }
    guard headerLength <= UInt64(bytes.count - 8) else {
      throw fail(nil, .truncated("the header claims \(headerLength) bytes but only \(bytes.count - 8) follow"))
    }
    let dataStart = 8 + Int(headerLength)
    guard String(validating: bytes[8..<dataStart], as: UTF8.self) != nil else {
      throw fail(nil, .malformedHeader("the header is not valid UTF-8"))
    }
    let json: HeaderJSON
    do { json = try HeaderJSON.parse(bytes[8..<dataStart]) } catch let error as HeaderJSON.SyntaxError {
      throw fail(nil, .malformedHeader("not valid JSON: \(error.message) at header byte \(error.offset)"))
    }
    guard case .object(let header) = json else { throw fail(nil, .malformedHeader("not a JSON object")) }
    if let name = firstDuplicate(header.map(\.key)) {
      throw fail(name == "__metadata__" ? nil : name, .malformedHeader("the key \(jsonString(name)) appears twice"))
    }

    var metadata: [String: String] = [:]
    if let rawMetadata = header.first(where: { $0.key == "__metadata__" })?.value {
      switch rawMetadata {
      case .null: break  // Python accepts a null __metadata__ as none
      case .object(let pairs):
        if let key = firstDuplicate(pairs.map(\.key)) {
          throw fail(nil, .malformedHeader("__metadata__ has the key \(jsonString(key)) twice"))
        }
        for (key, value) in pairs {
          guard case .string(let text) = value else {
            throw fail(nil, .malformedHeader("__metadata__ must map strings to strings, not \(jsonString(key)) to \(value.summary)"))
          }
          metadata[key] = text
        }
      default: throw fail(nil, .malformedHeader("__metadata__ must map strings to strings"))
      }
    }

    let dataCount = bytes.count - dataStart
    var ranges: [(name: String, shape: [Int], begin: Int, end: Int, integer: Bool)] = []
    for (name, value) in header where name != "__metadata__" {
      guard case .object(let fields) = value else { throw fail(name, .malformedHeader("entry is not an object")) }
      if let field = firstDuplicate(fields.map(\.key)) {
        throw fail(name, .malformedHeader("the field \(jsonString(field)) appears twice"))
      }
      let entry = Dictionary(fields, uniquingKeysWith: { first, _ in first })
      guard case .string(let dtype)? = entry["dtype"] else { throw fail(name, .malformedHeader("no dtype string")) }
      guard dtype == "F32" || dtype == "I64" else { throw fail(name, .wrongDType(dtype)) }
      let elementSize = dtype == "I64" ? 8 : 4
      guard case .array(let dimensions)? = entry["shape"], let shape = integers(dimensions) else {
        throw fail(name, .malformedHeader(
          "shape must be an array of non-negative integers, found \(entry["shape"]?.summary ?? "none")"))
      }
      guard case .array(let bounds)? = entry["data_offsets"], let offsets = integers(bounds), offsets.count == 2,
        offsets[0] <= offsets[1]
      else {
        throw fail(name, .malformedHeader(
          "data_offsets must be [begin, end] with 0 <= begin <= end, found \(entry["data_offsets"]?.summary ?? "none")"))
      }
      // Overflow-checked: a shape like [3037000500, 3037000500] or [2^61] must be an error, not a trap.
      var count = 1
      for dimension in shape {
        let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
        guard !overflow else {
          throw fail(name, .malformedHeader("shape \(shape) has more elements than an Int can count"))
        }
        count = product
      }
      let (byteCount, overflow) = count.multipliedReportingOverflow(by: elementSize)
      guard !overflow else {
        throw fail(name, .malformedHeader("shape \(shape) in \(dtype) needs more bytes than an Int can count"))
      }
      guard offsets[1] - offsets[0] == byteCount else {
        throw fail(name, .malformedHeader(
          "data_offsets \(offsets) span \(offsets[1] - offsets[0]) bytes, but shape \(shape) in \(dtype) needs \(byteCount)"))
      }
      ranges.append((name, shape, offsets[0], offsets[1], dtype == "I64"))
    }

    // Python's rule: in order of their offsets, each range begins where the previous one ends, the first at 0.
    ranges.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
    var position = 0
    for range in ranges {
      guard range.begin == position else {
        let previous = position == 0 ? "the data section starts at byte 0" : "the previous tensor's data ends at byte \(position)"
        let what = range.begin < position ? "overlap other data" : "leave a gap"
        throw fail(range.name, .malformedHeader("data_offsets [\(range.begin), \(range.end)] \(what): \(previous)"))
      }
      guard range.end <= dataCount else {
        throw fail(range.name, .truncated("its data ends at byte \(range.end) but the file holds \(dataCount) data bytes"))
      }
      position = range.end
    }
    guard position == dataCount else {
      throw fail(nil, .malformedHeader(
        "the tensors' data_offsets cover \(position) bytes, but the data section holds \(dataCount) bytes"))
    }

    var tensors: [String: Tensor] = [:]
    for range in ranges {
      if range.integer {
        let values = (0..<((range.end - range.begin) / 8)).map { index in
          var word: UInt64 = 0
          for byte in 0..<8 { word |= UInt64(bytes[dataStart + range.begin + 8 * index + byte]) << (8 * UInt64(byte)) }
          return Float(Int64(bitPattern: word))
        }
        tensors[range.name] = Tensor(shape: range.shape, scalars: values)
        continue
      }
      let values = readLittleEndian(bytes, from: dataStart + range.begin, count: (range.end - range.begin) / 4)
      tensors[range.name] = Tensor(shape: range.shape, scalars: values)
    }
    return Contents(tensors: tensors, metadata: metadata)
  }

  /// Non-negative integers that fit an Int, or nil (a sign, fraction, exponent, boolean, string or overflow).
  private static func integers(_ values: [HeaderJSON]) -> [Int]? {
    var result: [Int] = []
    for value in values {
      guard let integer = value.nonNegativeInteger else { return nil }
      result.append(integer)
    }
    return result
  }

  /// The first key that occurs twice, in order of the second occurrence.
  private static func firstDuplicate(_ keys: [String]) -> String? {
    var seen = Set<String>()
    for key in keys where !seen.insert(key).inserted { return key }
    return nil
  }
}

// MARK: - Bytes

/// A JSON string literal: quotes, backslashes and control characters escaped.
func jsonString(_ text: String) -> String {
  var out = "\""
  for scalar in text.unicodeScalars {
    switch scalar {
    case "\"": out += "\\\""
    case "\\": out += "\\\\"
    case "\n": out += "\\n"
    case "\r": out += "\\r"
    case "\t": out += "\\t"
    case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
    default: out.unicodeScalars.append(scalar)
    }
  }
  return out + "\""
}

/// Appends Float32 values as little-endian bytes (a straight copy on little-endian machines).
func appendLittleEndian(_ values: [Float], to bytes: inout [UInt8]) {
  #if _endian(little)
    values.withUnsafeBytes { bytes.append(contentsOf: $0) }
  #else
    for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
  #endif
}

/// `count` little-endian Float32 values starting at byte `start`.
func readLittleEndian(_ bytes: [UInt8], from start: Int, count: Int) -> [Float] {
  var values = [Float](repeating: 0, count: count)
  guard count > 0 else { return values }
  bytes.withUnsafeBytes { source in
    values.withUnsafeMutableBytes { destination in
      destination.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[start..<(start + 4 * count)]))
    }
  }
  #if _endian(big)
    for i in 0..<count { values[i] = Float(bitPattern: UInt32(littleEndian: values[i].bitPattern)) }
  #endif
  return values
}

/// Writes `bytes` to a temporary file beside `url`, flushes it to disk and renames it over `url` (an atomic
/// replacement on POSIX file systems). On any failure the temporary file is removed and `url` is untouched.
func writeAtomically(_ bytes: [UInt8], to url: URL) throws {
  let directory = url.deletingLastPathComponent()
  let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).partial")
  func failure(_ what: String) -> CheckpointError {
    CheckpointError(source: url.path, problem: .io("\(what): \(String(cString: strerror(errno)))"))
  }
  let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
  guard descriptor >= 0 else { throw failure("cannot create \(temporary.path)") }
  var written = 0
  var ok = true
  bytes.withUnsafeBytes { raw in
    while written < raw.count {
      let n = write(descriptor, raw.baseAddress! + written, raw.count - written)
      if n < 0 && errno == EINTR { continue }
      if n <= 0 { ok = false; return }
      written += n
    }
  }
  if !ok || fsync(descriptor) != 0 {
    let error = failure("cannot write \(temporary.path)")
    close(descriptor)
    unlink(temporary.path)
    throw error
  }
  close(descriptor)
  guard rename(temporary.path, url.path) == 0 else {
    let error = failure("cannot rename \(temporary.path) into place")
    unlink(temporary.path)
    throw error
  }
}
