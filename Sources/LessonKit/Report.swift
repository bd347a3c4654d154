import Foundation
import Plotting

/// Turns a finished lesson's cells into `notes.md`, `lesson.ipynb` and `metrics.json`.
struct Report {
  let lesson: Lesson
  let state: Lesson.State
  let wallTime: Double

  private var heading: String { lesson.heading }

  private var runLine: String {
    var facts = ["seed \(lesson.seed)"]
    if let steps = state.resolvedSteps ?? lesson.options.steps { facts.append("\(steps) steps") }
    if lesson.quick { facts.append("quick mode") }
    facts.append("wall time \(NumberFormat.duration(wallTime))")
    return "Run of `\(lesson.executableName)`: " + facts.joined(separator: ", ") + "."
  }

  private var claimsPassed: Int { state.claims.filter(\.passed).count }

  // MARK: notes.md

  func markdown() throws -> Data {
    var blocks: [String] = ["# \(heading)", "*\(runLine)*"]
    for group in groupedCells() {
      blocks.append(markdown(for: group, embedding: nil))
    }
    blocks.append(claimsMarkdown())
    blocks.append(filesMarkdown())
    return Data((blocks.joined(separator: "\n\n") + "\n").utf8)
  }

  /// Consecutive shown values are drawn as one table; every other cell stands alone.
  private func groupedCells() -> [[Lesson.Cell]] {
    var groups: [[Lesson.Cell]] = []
    for cell in state.cells {
      if case .value = cell, let last = groups.last?.last, case .value = last {
        groups[groups.count - 1].append(cell)
      } else if case .claim = cell, let last = groups.last?.last, case .claim = last {
        groups[groups.count - 1].append(cell)
      } else {
        groups.append([cell])
      }
    }
    return groups
  }

  /// Markdown for one group. `embedding` maps picture files to attachment names in the notebook.
  private func markdown(for group: [Lesson.Cell], embedding attachments: Set<String>?) -> String {
    guard let first = group.first else { return "" }
    switch first {
    case .section(let title):
      return "## \(title)"
    case .narrative(let text):
      return text.trimmingCharacters(in: .whitespacesAndNewlines)
    case .value:
      var rows = ["| value | |", "|---|---:|"]
      for case .value(let value) in group {
        rows.append("| \(escapeTable(value.label)) | \(escapeTable(value.display)) |")
      }
      return rows.joined(separator: "\n")
    case .claim:
      var lines: [String] = []
      for case .claim(let claim) in group {
        let mark = claim.passed ? "**PASS**" : "**FAIL**"
        lines.append("- \(mark) \(claim.name)" + (claim.detail.map { " — \($0)" } ?? ""))
      }
      return lines.joined(separator: "\n")
    case .figure(let name, let title, let caption, let image, let script, let data):
      var text: String
      let file = image ?? "\(name).png"
      if let image, let attachments, attachments.contains(image) {
        text = "![\(title)](attachment:\(image))"
      } else {
        text = "![\(title)](\(file))"
      }
      var note = caption.map { "*\($0)*  " } ?? ""
      note += "Figure `\(file)`: script `\(script)`, data `\(data)`"
      if image == nil { note += " (not rendered in this run: run `gnuplot \(script)` in this folder)" }
      text += "\n\n" + note + "."
      return text
    case .image(let file, let caption):
      let reference = (attachments?.contains(file) ?? false) ? "attachment:\(file)" : file
      return "![\(caption ?? file)](\(reference))" + (caption.map { "\n\n*\($0)* (`\(file)`)" } ?? "")
    }
  }

  private func claimsMarkdown() -> String {
    var text = "## Claims checked on this run\n\n"
    guard !state.claims.isEmpty else { return text + "No claims were checked." }
    text += "| result | claim | measured |\n|---|---|---|\n"
    for claim in state.claims {
      text += "| \(claim.passed ? "PASS" : "FAIL") | \(escapeTable(claim.name)) | \(escapeTable(claim.detail ?? "")) |\n"
    }
    text += "\n\(claimsPassed) of \(state.claims.count) claims hold."
    return text
  }

  private func filesMarkdown() -> String {
    var text = "## Files\n\n" + state.files.map { "- `\($0)`" }.joined(separator: "\n")
    if !state.errors.isEmpty {
      text += "\n\n## Errors\n\n" + state.errors.map { "- \($0)" }.joined(separator: "\n")
    }
    return text
  }

  private func escapeTable(_ text: String) -> String {
    text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
  }

  // MARK: lesson.ipynb

  /// A Jupyter notebook (nbformat 4.5): one markdown cell per lesson cell, pictures embedded as attachments.
  func notebook() throws -> Data {
    var cells: [[String: Any]] = []
    func add(_ source: String, attachments: [String: Any] = [:]) {
      var cell: [String: Any] = [
        "cell_type": "markdown", "id": "cell-\(cells.count + 1)", "metadata": [String: Any](),
        "source": sourceLines(source),
      ]
      if !attachments.isEmpty { cell["attachments"] = attachments }
      cells.append(cell)
    }
    add("# \(heading)\n\n*\(runLine)*")
    for group in groupedCells() {
      var attachments: [String: Any] = [:]
      for picture in pictures(in: group) {
        let url = lesson.outputFolder.appendingPathComponent(picture)
        guard let bytes = try? Data(contentsOf: url) else { continue }
        let mime = picture.hasSuffix(".gif") ? "image/gif" : "image/png"
        attachments[picture] = [mime: bytes.base64EncodedString()]
      }
      add(markdown(for: group, embedding: Set(attachments.keys)), attachments: attachments)
    }
    add(claimsMarkdown())
    add(filesMarkdown())
    let notebook: [String: Any] = [
      "nbformat": 4, "nbformat_minor": 5, "cells": cells,
      "metadata": [
        "language_info": ["name": "swift", "file_extension": ".swift"],
        "title": heading,
      ] as [String: Any],
    ]
    return try JSONSerialization.data(withJSONObject: notebook, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
  }

  private func pictures(in group: [Lesson.Cell]) -> [String] {
    group.compactMap { cell in
      switch cell {
      case .figure(_, _, _, let image, _, _): return image
      case .image(let file, _): return file
      default: return nil
      }
    }
  }

  /// Notebook sources are lists of lines, each but the last ending in "\n".
  private func sourceLines(_ text: String) -> [String] {
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    return lines.enumerated().map { $0.offset < lines.count - 1 ? $0.element + "\n" : $0.element }
  }

  // MARK: metrics.json

  /// The measured numbers for tests and comparisons between runs.
  func metrics() throws -> Data {
    var values: [String: Any] = [:]
    for value in state.values {
      var entry: [String: Any] = ["text": value.text]
      entry["value"] = value.number.map { $0.isFinite ? $0 as Any : NSNull() } ?? value.text
      if let unit = value.unit { entry["unit"] = unit }
      values[value.label] = entry
    }
    let claims: [[String: Any]] = state.claims.map { claim in
      var entry: [String: Any] = ["name": claim.name, "passed": claim.passed]
      if let detail = claim.detail { entry["detail"] = detail }
      if let measured = claim.measured { entry["measured"] = measured.isFinite ? measured : NSNull() }
      if let threshold = claim.threshold { entry["threshold"] = threshold.description }
      return entry
    }
    let metrics: [String: Any] = [
      "lesson": ["number": lesson.number, "slug": lesson.slug, "title": lesson.title, "executable": lesson.executableName],
      "seed": lesson.seed,
      "steps": (state.resolvedSteps ?? lesson.options.steps).map { $0 as Any } ?? NSNull(),
      "quick": lesson.quick,
      "strict": lesson.options.strict,
      "rendered": lesson.rendersFigures,
      "wallTimeSeconds": (wallTime * 1000).rounded() / 1000,
      "values": values,
      "claims": claims,
      "claimsPassed": claimsPassed,
      "claimsFailed": state.claims.count - claimsPassed,
      "files": state.files,
      "errors": state.errors,
    ]
    return try JSONSerialization.data(withJSONObject: metrics, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
  }
}
