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

  /// Parses and checks a whole file's bytes: every tensor must be F32, have a valid shape, and have a byte range
  /// that holds exactly its values and lies inside the file. `source` names the file in errors.
  public static func decode(_ bytes: [UInt8], source: String) throws -> Contents {
    func fail(_ tensor: String?, _ problem: CheckpointError.Problem) -> CheckpointError {
      CheckpointError(source: source, tensor: tensor, problem: problem)
    }
    guard bytes.count >= 8 else {
      throw fail(nil, .truncated("\(bytes.count) bytes, shorter than the 8-byte header length"))
    }
    var headerLength: UInt64 = 0
    for i in 0..<8 { headerLength |= UInt64(bytes[i]) << (8 * UInt64(i)) }
    guard headerLength <= UInt64(bytes.count - 8) else {
      throw fail(nil, .truncated("the header claims \(headerLength) bytes but only \(bytes.count - 8) follow"))
    }
    let dataStart = 8 + Int(headerLength)
    let json: Any
    do {
      json = try JSONSerialization.jsonObject(with: Data(bytes[8..<dataStart]))
    } catch {
      throw fail(nil, .malformedHeader("not valid JSON"))
    }
    guard let header = json as? [String: Any] else { throw fail(nil, .malformedHeader("not a JSON object")) }

    var metadata: [String: String] = [:]
    if let rawMetadata = header["__metadata__"] {
      guard let strings = rawMetadata as? [String: String] else {
        throw fail(nil, .malformedHeader("__metadata__ must map strings to strings"))
      }
      metadata = strings
    }

    let dataCount = bytes.count - dataStart
    var tensors: [String: Tensor] = [:]
    for name in header.keys.sorted() where name != "__metadata__" {
      guard let entry = header[name] as? [String: Any] else { throw fail(name, .malformedHeader("entry is not an object")) }
      guard let dtype = entry["dtype"] as? String else { throw fail(name, .malformedHeader("no dtype string")) }
      guard dtype == "F32" else { throw fail(name, .wrongDType(dtype)) }
      guard let shape = integers(entry["shape"]), shape.allSatisfy({ $0 >= 0 }) else {
        throw fail(name, .malformedHeader("shape must be an array of non-negative integers"))
      }
      guard let offsets = integers(entry["data_offsets"]), offsets.count == 2, offsets[0] >= 0, offsets[0] <= offsets[1]
      else { throw fail(name, .malformedHeader("data_offsets must be [begin, end] with 0 <= begin <= end")) }
      let count = shape.reduce(1, *)
      guard offsets[1] - offsets[0] == 4 * count else {
        throw fail(name, .malformedHeader(
          "data_offsets \(offsets) span \(offsets[1] - offsets[0]) bytes, but shape \(shape) in F32 needs \(4 * count)"))
      }
      guard offsets[1] <= dataCount else {
        throw fail(name, .truncated("its data ends at byte \(offsets[1]) but the file holds \(dataCount) data bytes"))
      }
      let values = readLittleEndian(bytes, from: dataStart + offsets[0], count: count)
      tensors[name] = Tensor(shape: shape, scalars: values)
    }
    return Contents(tensors: tensors, metadata: metadata)
  }

  /// A JSON array of integers, or nil (a fraction is not an integer).
  private static func integers(_ value: Any?) -> [Int]? {
    guard let array = value as? [Any] else { return nil }
    var result: [Int] = []
    for element in array {
      guard let integer = element as? Int else { return nil }
      result.append(integer)
    }
    return result
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
