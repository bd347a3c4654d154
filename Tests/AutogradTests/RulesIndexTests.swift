import Foundation
import XCTest

/// `Sources/Autograd/RULES.md`, the index of every primitive's backward rule, is generated from the
/// `Tensor.record(...)` calls themselves, so it cannot go stale: this test regenerates it and fails when the file
/// differs (`GAN_UPDATE_RULES=1 swift test --disable-swift-testing --filter RulesIndexTests` rewrites it). It also
/// holds the engine to two rules of naming: an op's name is the name of the function that records it (operators by
/// their word: `+` is add), and the index lists exactly the primitives the finite-difference table exercises.
final class RulesIndexTests: XCTestCase {
  static let autograd = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Sources/Autograd")
  static let index = autograd.appendingPathComponent("RULES.md")

  /// The word an operator's primitive is named by.
  static let operatorNames: [String: Set<String>] = ["+": ["add"], "-": ["sub", "neg"], "*": ["mul"], "/": ["div"]]

  struct Rule {
    var op: String
    var function: String
    var inputs: String
    var file: String
    var line: Int
    var rule: String
  }

  /// Every `Tensor.record` call in the module's sources, in file and line order.
  static func rules() throws -> [Rule] {
    let files = (FileManager.default.enumerator(atPath: autograd.path)?.allObjects as? [String] ?? [])
      .filter { $0.hasSuffix(".swift") }.sorted()
    var found: [Rule] = []
    for file in files {
      let text = try String(contentsOf: autograd.appendingPathComponent(file), encoding: .utf8)
      let characters = Array(text)
      var searchStart = text.startIndex
      while let call = text.range(of: "Tensor.record(\"", range: searchStart..<text.endIndex) {
        searchStart = call.upperBound
        let nameEnd = text[call.upperBound...].firstIndex(of: "\"")!
        let op = String(text[call.upperBound..<nameEnd])
        let open = text.distance(from: text.startIndex, to: call.upperBound) - 2  // the "(" of record(
        let close = matching(characters, from: open, open: "(", close: ")")
        let arguments = String(characters[(open + 1)..<close])
        // The rule: a `selectiveRule:` argument, or the trailing closure after the call.
        var ruleStart: Int
        if let selective = arguments.range(of: "selectiveRule: {") {
          ruleStart = open + 1 + arguments.distance(from: arguments.startIndex, to: selective.upperBound) - 1
        } else {
          ruleStart = close + 1
          while characters[ruleStart] != "{" { ruleStart += 1 }
        }
        let ruleEnd = matching(characters, from: ruleStart, open: "{", close: "}")
        // The rule on one line, without its comments (they would swallow the rest of the line).
        let rule = String(characters[ruleStart...ruleEnd]).split(separator: "\n")
          .map { line in line.range(of: "//").map { line[..<$0.lowerBound] } ?? line }
          .joined(separator: " ").split(whereSeparator: \.isWhitespace).joined(separator: " ")
        let afterName = arguments.dropFirst(op.count + 4)
        let inputs = afterName.range(of: ", shape:").map { afterName[..<$0.lowerBound] } ?? afterName
        let before = String(text[..<call.lowerBound])
        let line = before.filter { $0 == "\n" }.count + 1
        found.append(Rule(op: op, function: enclosingFunction(before), inputs: String(inputs), file: file, line: line, rule: rule))
      }
    }
    return found
  }

  /// The index of the bracket closing the one at `start`.
  static func matching(_ characters: [Character], from start: Int, open: Character, close: Character) -> Int {
    var depth = 0
    for index in start..<characters.count {
      if characters[index] == open { depth += 1 }
      if characters[index] == close {
        depth -= 1
        if depth == 0 { return index }
      }
    }
    fatalError("unbalanced \(open)\(close) in a source file")
  }

  /// The name of the innermost function whose body is still open where the call stands (`source` ends there).
  static func enclosingFunction(_ source: String) -> String {
    let regex = try! NSRegularExpression(pattern: #"func\s+(`?[A-Za-z_][A-Za-z0-9_]*`?|[-+*/])\s*[(<]"#)
    let matches = regex.matches(in: source, range: NSRange(source.startIndex..., in: source))
    for match in matches.reversed() {
      guard let whole = Range(match.range, in: source), let name = Range(match.range(at: 1), in: source) else { continue }
      let body = source[whole.lowerBound...]
      let depth = body.filter { $0 == "{" }.count - body.filter { $0 == "}" }.count
      if depth > 0 { return source[name].replacingOccurrences(of: "`", with: "") }
    }
    return "?"
  }

  static func markdown(_ rules: [Rule]) -> String {
    var text = """
      # The engine's backward rules

      Generated from the `Tensor.record(...)` calls in `Sources/Autograd` by
      `GAN_UPDATE_RULES=1 swift test --disable-swift-testing --filter RulesIndexTests` (a test fails when this file is
      stale). Each primitive records its output with a rule: given `g`, the gradient of the loss with respect to the
      output, the output itself and the inputs `x`, it returns one gradient per input, written in differentiable
      `Tensor` ops, so gradients of gradients work for every primitive. A selective rule also receives `needed`, which
      inputs want a gradient, and returns `nil` for the others. Broadcasting is undone in one place (`Graph.swift`),
      not in the rules. Everything else (sigmoid, tanh, softplus, the cross-entropies, linear layers) is composed of
      these and has no rule of its own.

      | op | called as | inputs | rule | source |
      |---|---|---|---|---|

      """
    for rule in rules {
      let rule1 = rule.rule.replacingOccurrences(of: "|", with: "\\|")
      text += "| `\(rule.op)` | `\(rule.function)` | `\(rule.inputs)` | `\(rule1)` | \(rule.file):\(rule.line) |\n"
    }
    return text
  }

  func testTheIndexIsCurrent() throws {
    let rules = try Self.rules()
    XCTAssertGreaterThanOrEqual(rules.count, 30, "the scan found too few primitives")
    let generated = Self.markdown(rules)
    if ProcessInfo.processInfo.environment["GAN_UPDATE_RULES"] == "1" {
      try generated.write(to: Self.index, atomically: true, encoding: .utf8)
    }
    let stored = (try? String(contentsOf: Self.index, encoding: .utf8)) ?? ""
    XCTAssertEqual(stored, generated, "Sources/Autograd/RULES.md is stale: regenerate it with GAN_UPDATE_RULES=1")
  }

  func testOpNamesAreTheFunctionNames() throws {
    for rule in try Self.rules() {
      let allowed = Self.operatorNames[rule.function] ?? [rule.function]
      XCTAssertTrue(allowed.contains(rule.op), "\(rule.file):\(rule.line): op \"\(rule.op)\" is recorded by func \(rule.function)")
    }
  }

  func testTheIndexListsTheTestedPrimitives() throws {
    XCTAssertEqual(Set(try Self.rules().map(\.op)), PrimitiveGradientTests.primitives)
  }
}
