import Foundation

/// A progress report for a long loop, made by `lesson.progress(total:label:)`.
///
/// On a terminal it is a bar redrawn in place with the latest values (losses) and the time left; when the output
/// is not a terminal it prints one plain line each time another 10% is done, so logs stay readable.
///
/// ```swift
/// let bar = lesson.progress(total: steps, label: "training")
/// for step in 1...steps {
///   ...
///   bar.update(step, values: ["D loss": dLoss, "G loss": gLoss])
/// }
/// ```
public final class Progress: @unchecked Sendable {
  public let total: Int
  public let label: String
  private let console: Console
  private let start = Date()
  private let lock = NSLock()
  private let first: Int
  private var lastStep = 0
  private var lastValues: [(String, Double)] = []
  private var lastDraw = Date.distantPast
  private var printedTenths = 0
  private var finished = false

  /// A progress report on standard output outside a lesson (the command-line tools).
  /// `first` is the step the work starts from (a resumed run), so the time left is estimated from this
  /// process's steps only.
  public convenience init(total: Int, label: String, startingAt first: Int = 0) {
    self.init(total: total, label: label, console: .standardOutput, first: first)
  }

  init(total: Int, label: String, console: Console, first: Int = 0) {
    self.total = max(total, 1)
    self.label = label
    self.console = console
    self.first = min(max(first, 0), self.total)
    lastStep = self.first
    printedTenths = self.first * 10 / self.total
  }

  /// Reports that `step` of `total` steps are done (count from 1; the last call is `update(total)`), with the
  /// latest values to show, in the order given.
  public func update(_ step: Int, values: KeyValuePairs<String, Double> = [:]) {
    record(step, values: values.map { ($0.key, $0.value) })
  }

  /// Reports progress with values from a dictionary (shown in alphabetical order).
  public func update(_ step: Int, values: [String: Double]) {
    record(step, values: values.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
  }

  /// Reports progress with values in the order given (for LessonKit's own loops).
  public func update(_ step: Int, orderedValues: [(String, Double)]) {
    record(step, values: orderedValues)
  }

  /// Ends the report (a final line, or the completed bar and a newline). Called automatically at `total` and when
  /// the lesson moves on to its next cell.
  public func finish() {
    lock.lock()
    defer { lock.unlock() }
    finishLocked()
  }

  /// The values last reported.
  public var latestValues: [(String, Double)] {
    lock.lock()
    defer { lock.unlock() }
    return lastValues
  }

  /// Called after every update, outside the lock, on the caller's thread: `--serve` reports progress there and
  /// holds the training loop while the viewer has paused it.
  var gate: ((_ step: Int, _ total: Int, _ label: String, _ values: [(String, Double)]) -> Void)?

  private func record(_ step: Int, values: [(String, Double)]) {
    recordLocked(step, values: values)
    if let gate {
      lock.lock()
      let (current, latest) = (lastStep, lastValues)
      lock.unlock()
      gate(current, total, label, latest)
    }
  }

  private func recordLocked(_ step: Int, values: [(String, Double)]) {
    lock.lock()
    defer { lock.unlock() }
    guard !finished else { return }
    lastStep = min(max(step, 0), total)
    if !values.isEmpty { lastValues = values }
    if lastStep >= total {
      finishLocked()
      return
    }
    if console.isTerminal {
      let now = Date()
      if now.timeIntervalSince(lastDraw) >= 0.1 {
        lastDraw = now
        console.write("\r\u{1B}[2K" + barLine())
      }
    } else {
      let tenths = lastStep * 10 / total
      if tenths > printedTenths {
        printedTenths = tenths
        console.write(plainLine() + "\n")
      }
    }
  }

  private func finishLocked() {
    guard !finished else { return }
    finished = true
    if console.isTerminal {
      console.write("\r\u{1B}[2K" + barLine() + "\n")
    } else {
      console.write(plainLine() + "\n")
    }
  }

  private var elapsed: Double { Date().timeIntervalSince(start) }

  private var valuesText: String {
    lastValues.map { "\($0.0) \(NumberFormat.format($0.1))" }.joined(separator: "  ")
  }

  /// `, ~4.6 s left`, from this process's pace (empty before its first step).
  private var timeLeft: String {
    guard lastStep > first, lastStep < total else { return "" }
    let remaining = elapsed / Double(lastStep - first) * Double(total - lastStep)
    return ", ~" + NumberFormat.duration(remaining) + " left"
  }

  private var percent: Int { lastStep * 100 / total }

  /// `  training  40%  400/1000  D loss 0.693  G loss 0.71  (3.10 s)`
  func plainLine() -> String {
    var line = "  \(label)  \(percent)%  \(lastStep)/\(total)"
    if !lastValues.isEmpty { line += "  " + valuesText }
    line += "  (\(NumberFormat.duration(elapsed))\(finished && lastStep >= total ? ", done" : timeLeft))"
    return line
  }

  /// `  training [██████░░░░░░░░░░]  40%  400/1000  D loss 0.693  G loss 0.71  3.10 s, ~4.6 s left`
  func barLine() -> String {
    let barWidth = 24
    let filled = lastStep * barWidth / total
    let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: barWidth - filled)
    var line = "  \(label) [\(bar)] \(String(format: "%3d", percent))%  \(lastStep)/\(total)"
    if !lastValues.isEmpty { line += "  " + valuesText }
    line += "  " + NumberFormat.duration(elapsed)
    if lastStep > first, lastStep < total {
      line += timeLeft
    }
    return line.count > console.width - 1 ? String(line.prefix(console.width - 1)) : line
  }
}
