import Foundation
import Plotting

/// When a training loop measures or takes a frame: every `interval` steps (or about `count` times over the run),
/// and at the last step, optionally also at step 0 (before the first update, to see where the run starts).
///
/// ```swift
/// .times(100, start: true)   // 0, total/100, 2·total/100, ..., total
/// .every(50)                 // 50, 100, ..., and the last step
/// ```
public struct Cadence: Sendable, Equatable {
  enum Spacing: Sendable, Equatable {
    case interval(Int)
    case count(Int)
    case evenly(Int)
    case never
  }
  let spacing: Spacing
  /// Whether step 0 (before training) is included.
  public let start: Bool
  /// Whether the last step is included even when it is not a multiple of the interval.
  public let end: Bool

  /// Every `interval` steps, the last step (unless `end` is false) and step 0 when `start` is true.
  public static func every(_ interval: Int, start: Bool = false, end: Bool = true) -> Cadence {
    precondition(interval >= 1, "Cadence.every: the interval must be at least 1, got \(interval)")
    return Cadence(spacing: .interval(interval), start: start, end: end)
  }

  /// About `count` times over a run: every `max(1, total / count)` steps, the last step (unless `end` is false) and
  /// step 0 when `start` is true.
  public static func times(_ count: Int, start: Bool = false, end: Bool = true) -> Cadence {
    precondition(count >= 1, "Cadence.times: the count must be at least 1, got \(count)")
    return Cadence(spacing: .count(count), start: start, end: end)
  }

  /// Exactly `count` times, spread evenly: at steps total·k/count for k = 1...count (rounded down, so the last is
  /// the last step), and step 0 when `start` is true. Unlike `times`, no extra point lands just before the end.
  public static func evenly(_ count: Int, start: Bool = false) -> Cadence {
    precondition(count >= 1, "Cadence.evenly: the count must be at least 1, got \(count)")
    return Cadence(spacing: .evenly(count), start: start, end: true)
  }

  /// After every step (and at step 0 when `start` is true).
  public static func everyStep(start: Bool = false) -> Cadence { every(1, start: start) }

  /// Never.
  public static let never = Cadence(spacing: .never, start: false, end: false)

  /// Whether `step` (0 = before training, 1...total = after that update) is included in a run of `total` steps.
  public func includes(_ step: Int, total: Int) -> Bool {
    if step == 0 { return start && spacing != .never }
    switch spacing {
    case .interval(let interval): return step % interval == 0 || (end && step == total)
    case .count(let count): return step % max(1, total / count) == 0 || (end && step == total)
    case .evenly(let count):
      // The smallest k with total·k/count ≥ step is the only one that can land on it.
      let k = (step * count + total - 1) / total
      return k <= count && total * k / count == step
    case .never: return false
    }
  }
}

/// What a training loop recorded: the measured steps, one column of numbers per name (the values a step returned
/// and the measurements), the frames taken, and the wall time. Columns are aligned with `steps`; a name missing at
/// some measured step holds NaN there (the losses at step 0, before any update, for example).
public struct TrainingLog<Frame> {
  /// The steps at which values were recorded, in order.
  public private(set) var steps: [Int] = []
  /// The recorded names, in the order they first appeared.
  public private(set) var names: [String] = []
  private var columns: [String: [Double]] = [:]
  /// The frames, with the step each was taken after.
  public private(set) var frames: [(step: Int, frame: Frame)] = []
  /// Seconds from the start of the loop to its end, measurements and frames included.
  public internal(set) var seconds: Double = 0

  public init() {}

  /// The column of `name`, one value per recorded step (empty while nothing is recorded). A name never recorded in a
  /// log that has values is a programming error and traps with the names that exist.
  public subscript(name: String) -> [Double] {
    if steps.isEmpty { return [] }
    guard let column = columns[name] else {
      preconditionFailure("TrainingLog: no values named '\(name)'; recorded: \(names.joined(separator: ", "))")
    }
    return column
  }

  /// The last recorded value of `name`.
  public func last(_ name: String) -> Double { self[name].last ?? .nan }

  /// The first recorded value of `name`.
  public func first(_ name: String) -> Double { self[name].first ?? .nan }

  /// The frames alone, in order.
  public var frameValues: [Frame] { frames.map(\.frame) }

  /// Appends one row: `values` at `step`; names seen before but absent here get NaN, new names get NaN before.
  public mutating func record(step: Int, _ values: [(String, Double)]) {
    for (name, _) in values where columns[name] == nil {
      names.append(name)
      columns[name] = Array(repeating: .nan, count: steps.count)
    }
    steps.append(step)
    for name in names { columns[name]!.append(.nan) }
    for (name, value) in values { columns[name]![steps.count - 1] = value }
  }

  /// Appends a frame taken after `step`.
  public mutating func addFrame(_ frame: Frame, step: Int) {
    frames.append((step, frame))
  }
}

/// Named numbers a training step or a measurement reports, in order: written as a dictionary literal
/// (`["D loss": d, "G loss": g]`), and extended by name when a value applies only sometimes.
public struct TrainingValues: ExpressibleByDictionaryLiteral, Sendable {
  /// The values in the order they were given.
  public private(set) var pairs: [(String, Double)]

  public init(dictionaryLiteral elements: (String, Double)...) { pairs = elements }

  /// The value named `name`; setting a new name appends it, setting a known one replaces it in place.
  public subscript(name: String) -> Double? {
    get { pairs.first { $0.0 == name }?.1 }
    set {
      let index = pairs.firstIndex { $0.0 == name }
      switch (index, newValue) {
      case (let index?, let value?): pairs[index].1 = value
      case (let index?, nil): pairs.remove(at: index)
      case (nil, let value?): pairs.append((name, value))
      case (nil, nil): break
      }
    }
  }
}

extension Lesson {
  /// The training loop every lesson needs: `steps` updates with a progress bar, measurements and frames on their
  /// own cadences, everything recorded in the returned log.
  ///
  /// For each step from 1 to `steps`, `step(n)` makes one update and returns the values to show in the progress bar
  /// (losses, usually); then, when `measureEvery` includes n, `measure(n)` returns measurements and the row
  /// (the step's values and the measurements) is logged; then, when `framesEvery` includes n, `frame(n)` takes a
  /// frame (a `Figure` frame is also drawn in the live window under `--live`). With `start: true` on a cadence,
  /// step 0 is measured or framed before the first update. The bar shows the step's values and the latest
  /// measurements. Measurement and frames belong in their own closures, so the lesson can change how often they
  /// happen without touching the update.
  ///
  /// ```swift
  /// let log = lesson.train(steps: 4000, label: "GAN", measureEvery: .times(100, start: true)) { _ in
  ///   let result = trainer.step(using: &rng)
  ///   return ["D loss": Double(result.critic.loss), "G loss": Double(result.generatorLoss)]
  /// } measure: { _ in
  ///   ["W1": wasserstein1D(data, trainer.generate(4000, using: &rng).scalars)]
  /// }
  /// lesson.show("final W1", log.last("W1"))
  /// ```
  @discardableResult
  public func train<Frame>(
    steps total: Int, label: String, measureEvery: Cadence = .never, framesEvery: Cadence = .never,
    step update: (Int) -> TrainingValues,
    measure: (Int) -> TrainingValues = { _ in [:] },
    frame: (Int) -> Frame
  ) -> TrainingLog<Frame> {
    precondition(total >= 1, "Lesson.train: steps must be at least 1, got \(total)")
    let started = Date()
    var log = TrainingLog<Frame>()
    var measured: [(String, Double)] = []
    func observe(_ n: Int, stepValues: [(String, Double)]) {
      if measureEvery.includes(n, total: total) {
        measured = measure(n).pairs
        log.record(step: n, stepValues + measured)
      }
      if framesEvery.includes(n, total: total) {
        let taken = frame(n)
        if isLive, let figure = taken as? Figure { live(figure) }
        log.addFrame(taken, step: n)
      }
    }
    observe(0, stepValues: [])
    let bar = progress(total: total, label: label)
    for n in 1...total {
      let values = update(n).pairs
      observe(n, stepValues: values)
      bar.update(n, orderedValues: values + measured)
    }
    log.seconds = Date().timeIntervalSince(started)
    return log
  }

  /// `train(steps:label:measureEvery:framesEvery:step:measure:frame:)` without frames.
  @discardableResult
  public func train(
    steps total: Int, label: String, measureEvery: Cadence = .never,
    step update: (Int) -> TrainingValues,
    measure: (Int) -> TrainingValues = { _ in [:] }
  ) -> TrainingLog<Void> {
    train(steps: total, label: label, measureEvery: measureEvery, framesEvery: .never, step: update, measure: measure) {
      _ in ()
    }
  }
}
