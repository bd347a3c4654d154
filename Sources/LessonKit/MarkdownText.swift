import Foundation

/// The course's notes write formulas in plain text: p_data, D*, E_x, a * b. Markdown renderers (Ink among them)
/// would read those `_` and `*` as emphasis and eat them, so before rendering they are escaped: an underscore
/// between two letters or digits, and a single star that follows a letter, digit or bracket and is followed by a
/// space, punctuation or the line's end, or stands alone between spaces. Code spans and fenced code blocks are left as
/// they are, as is `**bold**` and `*emphasis*` that starts a word.
public enum MarkdownText {
  public static func escapingFormulas(_ markdown: String) -> String {
    var inFence = false
    return markdown.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
      if line.trimmingCharacters(in: .whitespaces).hasPrefix("```") {
        inFence.toggle()
        return String(line)
      }
      if inFence { return String(line) }
      // Even-numbered pieces lie outside backtick code spans.
      return line.split(separator: "`", omittingEmptySubsequences: false).enumerated().map { index, piece in
        index % 2 == 1 ? String(piece) : escapePlain(String(piece))
      }.joined(separator: "`")
    }.joined(separator: "\n")
  }

  /// `*emphasis*` and `**bold**` that open at the start of a word: kept as they are.
  static let emphasis = try! NSRegularExpression(
    pattern: #"(?<![\p{L}\p{N}*\\])\*{1,2}(?=[\p{L}\p{N}])[^*\n]*?[^\s*]\*{1,2}(?![\p{L}\p{N}*])"#)

  static func escapePlain(_ text: String) -> String {
    let whole = NSRange(text.startIndex..., in: text)
    var pieces: [String] = []
    var position = text.startIndex
    for match in emphasis.matches(in: text, range: whole) {
      guard let range = Range(match.range, in: text) else { continue }
      pieces.append(escapeFormulas(String(text[position..<range.lowerBound])))
      pieces.append(String(text[range]))
      position = range.upperBound
    }
    pieces.append(escapeFormulas(String(text[position...])))
    return pieces.joined()
  }

  static func escapeFormulas(_ text: String) -> String {
    var result = text.replacingOccurrences(
      of: #"(?<=[\p{L}\p{N}])_(?=[\p{L}\p{N}])"#, with: #"\\_"#, options: .regularExpression)
    result = result.replacingOccurrences(
      of: #"(?<=[\p{L}\p{N})\]])(?<!\*)\*(?!\*)(?=[\s=,.;:)\]]|$)"#, with: #"\\*"#, options: .regularExpression)
    result = result.replacingOccurrences(of: #"(?<=\s)\*(?=\s)"#, with: #"\\*"#, options: .regularExpression)
    return result
  }
}
