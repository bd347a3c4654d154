/// The JSON of a safetensors header, parsed strictly and by hand rather than by `JSONSerialization`, which keeps one of
/// two equal keys silently, reads `true` as the integer 1 and 2.0 or 1e3 as integers, and rounds integers past 2^63.
/// Python's safetensors (serde) rejects all of those in a shape or offset; here an integer is digits only, kept as
/// text until a field asks for it, and objects keep every key in order so that duplicates can be named.
indirect enum HeaderJSON {
  case object([(key: String, value: HeaderJSON)])
  case array([HeaderJSON])
  case string(String)
  /// A number's text as written (its value is read only by the field that needs it).
  case number(String)
  case bool(Bool)
  case null

  /// The parse error: what is wrong, at which byte of the header.
  struct SyntaxError: Error {
    let message: String
    let offset: Int
  }

  /// Parses one JSON value filling all of `bytes` (whitespace around it allowed, nothing else).
  static func parse(_ bytes: ArraySlice<UInt8>) throws -> HeaderJSON {
    var parser = Parser(bytes: Array(bytes))
    parser.skipWhitespace()
    let value = try parser.value(depth: 0)
    parser.skipWhitespace()
    guard parser.position == parser.bytes.count else { throw parser.error("trailing characters") }
    return value
  }

  /// The value as a non-negative integer that fits an Int, or nil (a sign, fraction, exponent or overflow).
  var nonNegativeInteger: Int? {
    guard case .number(let text) = self, !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
      return nil
    }
    return Int(text)  // nil past Int.max
  }

  /// A short rendering for error messages (long values cut).
  var summary: String {
    let text: String
    switch self {
    case .object(let pairs): text = "{" + pairs.map { "\(jsonString($0.key)): \($0.value.summary)" }.joined(separator: ", ") + "}"
    case .array(let values): text = "[" + values.map(\.summary).joined(separator: ", ") + "]"
    case .string(let s): text = jsonString(s)
    case .number(let n): text = n
    case .bool(let b): text = b ? "true" : "false"
    case .null: text = "null"
    }
    return text.count > 80 ? String(text.prefix(77)) + "..." : text
  }

  private struct Parser {
    let bytes: [UInt8]
    var position = 0
    /// Deep nesting has no use in a header; the limit keeps the recursion far from the stack's end.
    static let maximumDepth = 64

    init(bytes: [UInt8]) { self.bytes = bytes }

    func error(_ message: String) -> SyntaxError { SyntaxError(message: message, offset: position) }

    mutating func skipWhitespace() {
      while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
    }

    mutating func expect(_ literal: String, _ value: HeaderJSON) throws -> HeaderJSON {
      let expected = Array(literal.utf8)
      guard bytes.count - position >= expected.count, Array(bytes[position..<(position + expected.count)]) == expected
      else { throw error("unexpected character") }
      position += expected.count
      return value
    }

    mutating func value(depth: Int) throws -> HeaderJSON {
      guard depth < Self.maximumDepth else { throw error("nested deeper than \(Self.maximumDepth) levels") }
      guard position < bytes.count else { throw error("unexpected end") }
      switch bytes[position] {
      case UInt8(ascii: "{"):
        position += 1
        var pairs: [(key: String, value: HeaderJSON)] = []
        skipWhitespace()
        if position < bytes.count && bytes[position] == UInt8(ascii: "}") { position += 1; return .object(pairs) }
        while true {
          skipWhitespace()
          guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { throw error("expected a key") }
          let key = try string()
          skipWhitespace()
          guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { throw error("expected ':'") }
          position += 1
          skipWhitespace()
          pairs.append((key, try value(depth: depth + 1)))
          skipWhitespace()
          guard position < bytes.count else { throw error("unexpected end") }
          if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
          guard bytes[position] == UInt8(ascii: "}") else { throw error("expected ',' or '}'") }
          position += 1
          return .object(pairs)
        }
      case UInt8(ascii: "["):
        position += 1
        var values: [HeaderJSON] = []
        skipWhitespace()
        if position < bytes.count && bytes[position] == UInt8(ascii: "]") { position += 1; return .array(values) }
        while true {
          skipWhitespace()
          values.append(try value(depth: depth + 1))
          skipWhitespace()
          guard position < bytes.count else { throw error("unexpected end") }
          if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
          guard bytes[position] == UInt8(ascii: "]") else { throw error("expected ',' or ']'") }
          position += 1
          return .array(values)
        }
      case UInt8(ascii: "\""): return .string(try string())
      case UInt8(ascii: "t"): return try expect("true", .bool(true))
      case UInt8(ascii: "f"): return try expect("false", .bool(false))
      case UInt8(ascii: "n"): return try expect("null", .null)
      default: return try number()
      }
    }

    /// -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
    mutating func number() throws -> HeaderJSON {
      let start = position
      func digits() -> Int {
        let first = position
        while position < bytes.count, bytes[position] >= 0x30, bytes[position] <= 0x39 { position += 1 }
        return position - first
      }
      if position < bytes.count && bytes[position] == UInt8(ascii: "-") { position += 1 }
      let integerStart = position
      let integerDigits = digits()
      guard integerDigits > 0 else { throw error("unexpected character") }
      if integerDigits > 1 && bytes[integerStart] == 0x30 { throw error("a number with a leading zero") }
      if position < bytes.count && bytes[position] == UInt8(ascii: ".") {
        position += 1
        guard digits() > 0 else { throw error("a fraction without digits") }
      }
      if position < bytes.count && (bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E")) {
        position += 1
        if position < bytes.count && (bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-")) {
          position += 1
        }
        guard digits() > 0 else { throw error("an exponent without digits") }
      }
      return .number(String(decoding: bytes[start..<position], as: UTF8.self))
    }

    /// A string literal starting at the opening quote. The header was checked to be UTF-8 as a whole.
    mutating func string() throws -> String {
      position += 1
      var out: [UInt8] = []
      while true {
        guard position < bytes.count else { throw error("unterminated string") }
        let byte = bytes[position]
        position += 1
        switch byte {
        case UInt8(ascii: "\""): return String(decoding: out, as: UTF8.self)
        case 0..<0x20: throw error("a control character inside a string")
        case UInt8(ascii: "\\"):
          guard position < bytes.count else { throw error("unterminated string") }
          let escape = bytes[position]
          position += 1
          switch escape {
          case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
          case UInt8(ascii: "b"): out.append(0x08)
          case UInt8(ascii: "f"): out.append(0x0C)
          case UInt8(ascii: "n"): out.append(0x0A)
          case UInt8(ascii: "r"): out.append(0x0D)
          case UInt8(ascii: "t"): out.append(0x09)
          case UInt8(ascii: "u"):
            var scalar = try hex4()
            if (0xD800..<0xDC00).contains(scalar) {
              // A high surrogate must be followed by an escaped low one.
              guard bytes.count - position >= 6, bytes[position] == UInt8(ascii: "\\"),
                bytes[position + 1] == UInt8(ascii: "u")
              else { throw error("an unpaired surrogate") }
              position += 2
              let low = try hex4()
              guard (0xDC00..<0xE000).contains(low) else { throw error("an unpaired surrogate") }
              scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            }
            guard let unicode = Unicode.Scalar(scalar) else { throw error("an unpaired surrogate") }
            out.append(contentsOf: Array(String(Character(unicode)).utf8))
          default: throw error("an unknown escape")
          }
        default: out.append(byte)
        }
      }
    }

    mutating func hex4() throws -> UInt32 {
      guard bytes.count - position >= 4 else { throw error("a short \\u escape") }
      var value: UInt32 = 0
      for _ in 0..<4 {
        let byte = bytes[position]
        let digit: UInt32
        switch byte {
        case 0x30...0x39: digit = UInt32(byte - 0x30)
        case 0x41...0x46: digit = UInt32(byte - 0x41 + 10)
        case 0x61...0x66: digit = UInt32(byte - 0x61 + 10)
        default: throw error("a bad \\u escape")
        }
        value = value << 4 | digit
        position += 1
      }
      return value
    }
  }
}
