import Foundation

/// The condition a measured number must meet for a claim to hold.
public enum Threshold: Sendable, CustomStringConvertible {
  /// measured ≤ limit
  case atMost(Double)
  /// measured ≥ limit
  case atLeast(Double)
  /// measured < limit
  case below(Double)
  /// measured > limit
  case above(Double)
  /// |measured − target| ≤ tolerance
  case near(Double, tolerance: Double)
  /// low ≤ measured ≤ high
  case between(Double, Double)

  /// Whether `measured` meets the condition (NaN never does).
  public func holds(for measured: Double) -> Bool {
    guard !measured.isNaN else { return false }
    switch self {
    case .atMost(let limit): return measured <= limit
    case .atLeast(let limit): return measured >= limit
    case .below(let limit): return measured < limit
    case .above(let limit): return measured > limit
    case .near(let target, let tolerance): return abs(measured - target) <= tolerance
    case .between(let low, let high): return measured >= low && measured <= high
    }
  }

  /// "≤ 3", "≥ 7", "< 0.1", "> 0.5", "0.5 ± 0.05", "in [1, 2]".
  public var description: String {
    let f = NumberFormat.format
    switch self {
    case .atMost(let limit): return "≤ \(f(limit))"
    case .atLeast(let limit): return "≥ \(f(limit))"
    case .below(let limit): return "< \(f(limit))"
    case .above(let limit): return "> \(f(limit))"
    case .near(let target, let tolerance): return "\(f(target)) ± \(f(tolerance))"
    case .between(let low, let high): return "in [\(f(low)), \(f(high))]"
    }
  }
}

/// A statement the lesson makes about its own run, with the measurement that decides it.
public struct Claim: Sendable {
  /// The statement, e.g. "minibatch discrimination covers at least 7 of 8 modes".
  public var name: String
  public var passed: Bool
  /// What was measured against what, e.g. "measured 8 (needs ≥ 7)".
  public var detail: String?
  /// The measured number, when the claim was checked against a threshold.
  public var measured: Double?
  /// The condition, when the claim was checked against a threshold.
  public var threshold: Threshold?
}

/// A labeled value shown by the lesson.
struct ShownValue: Sendable {
  var label: String
  /// The number (nil for text values).
  var number: Double?
  /// The value as displayed.
  var text: String
  var unit: String?

  var display: String { unit.map { "\(text) \($0)" } ?? text }
}
