import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Where a lesson's terminal output goes, and what that place can show.
///
/// On a terminal, progress bars redraw in place and PASS/FAIL are colored; when the output is a file or a pipe
/// (a test, a CI log), every line is plain text and progress is printed as periodic lines.
public struct Console: Sendable {
  /// True when the output is an interactive terminal.
  public var isTerminal: Bool
  /// Columns available for text.
  public var width: Int
  /// Writes text exactly as given (no newline added).
  public var write: @Sendable (String) -> Void

  public init(isTerminal: Bool, width: Int, write: @escaping @Sendable (String) -> Void) {
    self.isTerminal = isTerminal
    self.width = max(width, 40)
    self.write = write
  }

  /// The process's standard output: a terminal if `isatty(1)`, its width from the terminal (or `$COLUMNS`).
  public static var standardOutput: Console {
    let terminal = isatty(1) == 1
    return Console(isTerminal: terminal, width: terminalWidth() ?? 100) { text in
      // `print` shares the C library's buffer with any `print` in the lesson itself, so lines stay in order.
      print(text, terminator: "")
      fflush(nil)
    }
  }

  /// Writes to standard error (for errors that must be seen even when standard output is redirected).
  static func writeError(_ text: String) {
    FileHandle.standardError.write(Data(text.utf8))
  }

  private static func terminalWidth() -> Int? {
    #if canImport(Glibc) || canImport(Darwin)
      var size = winsize()
      if ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
    #endif
    if let columns = ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init), columns > 0 { return columns }
    return nil
  }

  // MARK: Styling

  func bold(_ text: String) -> String { isTerminal ? "\u{1B}[1m\(text)\u{1B}[0m" : text }
  func green(_ text: String) -> String { isTerminal ? "\u{1B}[32m\(text)\u{1B}[0m" : text }
  func red(_ text: String) -> String { isTerminal ? "\u{1B}[31m\(text)\u{1B}[0m" : text }
  func dim(_ text: String) -> String { isTerminal ? "\u{1B}[2m\(text)\u{1B}[0m" : text }

  /// Markdown emphasis for the terminal: `**bold**` is drawn bold on a terminal and plain elsewhere;
  /// `*italic*` and `_italic_` markers are dropped (a few terminals draw italics, many do not).
  func styleInline(_ line: String) -> String {
    var text = line.replacingOccurrences(
      of: #"\*\*([^*]+)\*\*"#, with: isTerminal ? "\u{1B}[1m$1\u{1B}[0m" : "$1", options: .regularExpression)
    text = text.replacingOccurrences(of: #"(?<![\w*])\*([^*\s][^*]*)\*(?![\w*])"#, with: "$1", options: .regularExpression)
    return text
  }

  /// The width narrative text is wrapped to: the terminal's, but never wider than comfortable reading.
  var textWidth: Int { min(width, 100) }
}

// MARK: - Text layout

enum TextLayout {
  /// Wraps Markdown for the terminal: paragraphs are re-flowed to `width`, list items get a hanging indent,
  /// headings, tables, indented blocks and fenced code are kept as written.
  static func wrapMarkdown(_ markdown: String, width: Int, indent: String = "  ") -> [String] {
    var output: [String] = []
    var paragraph: [String] = []
    var paragraphPrefix = ""
    var hangingIndent = ""
    var inFence = false

    func flush() {
      guard !paragraph.isEmpty else { return }
      output += wrap(
        paragraph.joined(separator: " "), width: width, firstPrefix: indent + paragraphPrefix,
        restPrefix: indent + hangingIndent)
      paragraph = []
      paragraphPrefix = ""
      hangingIndent = ""
    }

    for rawLine in markdown.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
      let trimmed = rawLine.trimmingCharacters(in: .whitespaces)
      if trimmed.hasPrefix("```") {
        flush()
        inFence.toggle()
        output.append(indent + rawLine)
        continue
      }
      if inFence {
        output.append(indent + rawLine)
        continue
      }
      if trimmed.isEmpty {
        flush()
        if output.last != "" { output.append("") }
        continue
      }
      if trimmed.hasPrefix("#") || trimmed.hasPrefix("|") || (rawLine.hasPrefix("    ") && paragraph.isEmpty) {
        flush()
        output.append(indent + rawLine)
        continue
      }
      if let marker = listMarker(rawLine) {
        flush()
        paragraphPrefix = marker
        hangingIndent = String(repeating: " ", count: marker.count)
        paragraph = [String(rawLine.dropFirst(marker.count)).trimmingCharacters(in: .whitespaces)]
        continue
      }
      paragraph.append(trimmed)
    }
    flush()
    while output.last == "" { output.removeLast() }
    return output
  }

  /// "- ", "* ", "12. " (with leading spaces) when the line starts a list item.
  private static func listMarker(_ line: String) -> String? {
    guard let match = line.range(of: #"^\s*([-*+]|\d+[.)])\s+"#, options: .regularExpression) else { return nil }
    return String(line[match])
  }

  /// Greedy word wrap. Words longer than the line are kept whole.
  static func wrap(_ text: String, width: Int, firstPrefix: String, restPrefix: String) -> [String] {
    var lines: [String] = []
    var current = firstPrefix
    var currentHasWord = false
    for word in text.split(separator: " ", omittingEmptySubsequences: true) {
      if currentHasWord, current.count + 1 + word.count > width {
        lines.append(current)
        current = restPrefix + word
      } else {
        current += (currentHasWord ? " " : "") + word
      }
      currentHasWord = true
    }
    if currentHasWord { lines.append(current) }
    return lines
  }

  /// `text` padded with spaces (or cut with an ellipsis) to exactly `width` characters.
  static func pad(_ text: String, to width: Int) -> String {
    if text.count > width { return String(text.prefix(max(width - 1, 0))) + "…" }
    return text + String(repeating: " ", count: width - text.count)
  }
}

// MARK: - Numbers

public enum NumberFormat {
  /// A number for people: 4 significant digits, plain notation between 0.001 and 999999, scientific outside.
  public static func format(_ value: Double) -> String {
    guard value.isFinite else { return value.isNaN ? "NaN" : (value > 0 ? "inf" : "-inf") }
    if value == 0 { return "0" }
    if value == value.rounded(), abs(value) < 1e6 { return String(Int(value)) }
    let magnitude = abs(value)
    if magnitude >= 1e-3, magnitude < 1e6 {
      let decimals = max(0, 3 - Int(floor(log10(magnitude))))
      var text = String(format: "%.\(decimals)f", value)
      if text.contains(".") {
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
      }
      return text
    }
    return String(format: "%.3e", value)
  }

  /// Seconds as "0.42 s", "12.3 s", "4 min 05 s".
  public static func duration(_ seconds: Double) -> String {
    if seconds < 10 { return String(format: "%.2f s", seconds) }
    if seconds < 120 { return String(format: "%.1f s", seconds) }
    let whole = Int(seconds.rounded())
    return String(format: "%d min %02d s", whole / 60, whole % 60)
  }

  /// A count with thousands separated by commas: 3,576,704.
  public static func integer(_ value: Int) -> String {
    let digits = String(value.magnitude)
    var groups: [Substring] = []
    var end = digits.endIndex
    while end > digits.startIndex {
      let start = digits.index(end, offsetBy: -3, limitedBy: digits.startIndex) ?? digits.startIndex
      groups.insert(digits[start..<end], at: 0)
      end = start
    }
    return (value < 0 ? "-" : "") + groups.joined(separator: ",")
  }
}
