import ArgumentParser
import Foundation
import Datasets

/// The values a numeric flag accepts: an interval, stated in the flag's help and checked in `validate()` before any
/// work starts, so a bad value is a one-line error naming the flag instead of a trap deep inside a layer.
///
/// ```swift
/// struct Flags: ParsableArguments {
///   @Option(help: Allowed.count(1...4096).help("Samples per batch.")) var batch: Int = 256
///   @Option(help: Allowed.rate.help("Adam's learning rate.")) var learningRate: Float = 1e-4
///
///   func validate() throws {
///     try Allowed.count(1...4096).check(batch, "--batch")
///     try Allowed.rate.check(learningRate, "--learning-rate")
///   }
/// }
/// ```
///
/// The help ends in `(allowed: [1, 4096])`, interval notation: a square bracket includes the bound, a parenthesis
/// excludes it. Every executable's numeric options state one (a test reads them from `--help` and tries values on
/// both sides of each bound, NaN and huge numbers). Upper bounds are what the lesson can run in this machine's
/// memory and time, not what the arithmetic would allow: a batch of 10^8 images is a mistake, not an experiment.
public struct Allowed: Sendable, CustomStringConvertible {
  public let lower: Double
  public let upper: Double
  /// Whether `lower` itself is allowed.
  public let includesLower: Bool
  /// Whether `upper` itself is allowed.
  public let includesUpper: Bool
  /// Whether only whole numbers are meant (for the message and the help).
  public let wholeNumbers: Bool

  public init(lower: Double, upper: Double, includesLower: Bool = true, includesUpper: Bool = true, wholeNumbers: Bool) {
    precondition(lower <= upper, "Allowed: empty interval \(lower)...\(upper)")
    self.lower = lower
    self.upper = upper
    self.includesLower = includesLower
    self.includesUpper = includesUpper
    self.wholeNumbers = wholeNumbers
  }

  // MARK: The usual ranges

  /// Whole numbers from `range.lowerBound` to `range.upperBound`, both included (sizes, counts, steps).
  public static func count(_ range: ClosedRange<Int>) -> Allowed {
    Allowed(lower: Double(range.lowerBound), upper: Double(range.upperBound), wholeNumbers: true)
  }

  /// Real numbers in the closed interval (weights, shares, bounds).
  public static func number(_ range: ClosedRange<Double>) -> Allowed {
    Allowed(lower: range.lowerBound, upper: range.upperBound, wholeNumbers: false)
  }

  /// Real numbers above `lower` (excluded) up to `upper` (included): a positive step size or scale.
  public static func positive(atMost upper: Double) -> Allowed {
    Allowed(lower: 0, upper: upper, includesLower: false, wholeNumbers: false)
  }

  /// A learning rate: above 0, at most 1 (beyond 1 no optimizer of the course does anything but diverge).
  public static let rate = positive(atMost: 1)

  /// A decay or momentum coefficient, Adam's β: from 0 (included) to 1 (excluded; 1 would never forget).
  public static let coefficient = Allowed(lower: 0, upper: 1, includesUpper: false, wholeNumbers: false)

  /// A share of something: 0 to 1, both included.
  public static let share = number(0...1)

  /// A loss or penalty weight: 0 (off) to 1000.
  public static let weight = number(0...1000)

  // MARK: Help and checks

  /// The interval, e.g. `[1, 4096]` or `(0, 1]`.
  public var description: String {
    "\(includesLower ? "[" : "(")\(Self.format(lower)), \(Self.format(upper))\(includesUpper ? "]" : ")")"
  }

  /// `text` followed by the allowed values, for `@Option(help:)`.
  public func help(_ text: String, valueName: String? = nil) -> ArgumentHelp {
    ArgumentHelp("\(text) (allowed: \(self))", valueName: valueName)
  }

  /// Whether `value` lies in the interval (NaN never does).
  public func contains(_ value: Double) -> Bool {
    guard !value.isNaN else { return false }
    let aboveLower = includesLower ? value >= lower : value > lower
    let belowUpper = includesUpper ? value <= upper : value < upper
    return aboveLower && belowUpper
  }

  /// Throws a `ValidationError` naming `flag`, the value and the interval when `value` is outside it
  /// (nil, an option left out, always passes).
  public func check<V: BinaryInteger>(_ value: V?, _ flag: String) throws {
    guard let value else { return }
    // Values beyond ±2^53 lose precision as Double, but they are far outside every interval used here.
    guard contains(Double(value)) else { throw rejection(flag, got: "\(value)") }
  }

  /// Throws a `ValidationError` naming `flag`, the value and the interval when `value` is NaN, infinite or outside
  /// the interval.
  public func check<V: BinaryFloatingPoint>(_ value: V?, _ flag: String) throws {
    guard let value else { return }
    let number = Double(value)
    guard number.isFinite, contains(number) else { throw rejection(flag, got: "\(number)") }
  }

  private func rejection(_ flag: String, got text: String) -> ValidationError {
    ValidationError("\(flag) must be a \(wholeNumbers ? "whole number" : "number") in \(self), got \(text)")
  }

  private static func format(_ value: Double) -> String {
    if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
    return "\(value)"
  }
}

/// Checks, before any work starts, that a file can be written at `path` (a `--save-generator FILE` flag): its folder
/// exists and takes a new file, and `path` is not a folder. Training for minutes and then failing to save is the
/// mistake this prevents. Nothing is left behind (the probe file is removed).
public func checkWritableFile(_ path: String?, _ flag: String) throws {
  guard let path else { return }
  guard !path.trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationError("\(flag) needs a file name, got an empty string") }
  let url = URL(fileURLWithPath: path)
  var isFolder: ObjCBool = false
  if FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), isFolder.boolValue {
    throw ValidationError("\(flag) \(path): is a folder; give a file name, e.g. \(path)/generator.safetensors")
  }
  let folder = url.deletingLastPathComponent()
  guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder), isFolder.boolValue else {
    throw ValidationError("\(flag) \(path): the folder \(folder.path) does not exist")
  }
  let probe = folder.appendingPathComponent(".write-test-\(UUID().uuidString)")
  guard FileManager.default.createFile(atPath: probe.path, contents: Data()) else {
    throw ValidationError("\(flag) \(path): cannot write in \(folder.path)")
  }
  try? FileManager.default.removeItem(at: probe)
}

extension Allowed {
  /// Parses `text` as a number of type `V` and returns it when it lies in the interval; otherwise throws a
  /// `ValidationError` that says what is allowed (the parser adds the option's name).
  func parse<V: ExpressibleByArgument>(_ text: String, as value: (V) -> Double) throws -> V {
    guard let parsed = V(argument: text) else {
      throw ValidationError("must be a \(wholeNumbers ? "whole number" : "number") in \(self), got '\(text)'")
    }
    let number = value(parsed)
    guard number.isFinite, contains(number) else {
      throw ValidationError("must be a \(wholeNumbers ? "whole number" : "number") in \(self), got \(text)")
    }
    return parsed
  }
}

/// Options whose allowed values are declared once, beside the option: the interval goes into the help and is
/// checked when the value is parsed, before any work starts, so the help and the check cannot drift apart.
///
/// ```swift
/// @Option(allowed: .count(1...4096), help: "Samples per batch.") var batch: Int = 256
/// @Option(allowed: .rate, help: "Adam's learning rate (default 2e-3).") var learningRate: Float?
/// ```
extension Option where Value: ExpressibleByArgument & BinaryInteger & Sendable {
  public init(wrappedValue: Value, name: NameSpecification = .long, allowed: Allowed, help: String) {
    self.init(wrappedValue: wrappedValue, name: name, help: allowed.help(help)) { text in
      try allowed.parse(text) { (value: Value) in Double(value) }
    }
  }
}

extension Option where Value: ExpressibleByArgument & BinaryFloatingPoint & Sendable {
  public init(wrappedValue: Value, name: NameSpecification = .long, allowed: Allowed, help: String) {
    self.init(wrappedValue: wrappedValue, name: name, help: allowed.help(help)) { text in
      try allowed.parse(text) { (value: Value) in Double(value) }
    }
  }
}

extension Option {
  /// An optional whole-number option (left out: nil) whose values must lie in `allowed`.
  public init<T: ExpressibleByArgument & BinaryInteger & Sendable>(
    name: NameSpecification = .long, allowed: Allowed, help: String
  ) where Value == T? {
    self.init(wrappedValue: nil, name: name, help: allowed.help(help)) { text in
      try allowed.parse(text) { (value: T) in Double(value) }
    }
  }

  /// An optional real-number option (left out: nil) whose values must lie in `allowed`.
  public init<T: ExpressibleByArgument & BinaryFloatingPoint & Sendable>(
    name: NameSpecification = .long, allowed: Allowed, help: String
  ) where Value == T? {
    self.init(wrappedValue: nil, name: name, help: allowed.help(help)) { text in
      try allowed.parse(text) { (value: T) in Double(value) }
    }
  }
}

/// `--bad-files fail|skip` for the tools that read image folders.
extension ImageFolder.BadFiles: ExpressibleByArgument {}
