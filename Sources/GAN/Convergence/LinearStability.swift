/// A complex number, for the eigenvalues of a real 2x2 matrix.
public struct Complex: Sendable, Equatable, CustomStringConvertible {
  public var real: Double
  public var imaginary: Double
  public init(_ real: Double, _ imaginary: Double) {
    self.real = real
    self.imaginary = imaginary
  }
  /// |z|.
  public var magnitude: Double { (real * real + imaginary * imaginary).squareRoot() }
  public var description: String {
    if imaginary == 0 { return "\(real)" }
    return "\(real) \(imaginary < 0 ? "−" : "+") \(Swift.abs(imaginary))i"
  }
}

/// A real 2x2 matrix [[a, b], [c, d]]: the Jacobian of a two-parameter game, or the linearization of one training step.
public struct Matrix2: Sendable, Equatable {
  public var a: Double, b: Double, c: Double, d: Double

  public init(_ a: Double, _ b: Double, _ c: Double, _ d: Double) {
    self.a = a
    self.b = b
    self.c = c
    self.d = d
  }

  public static let identity = Matrix2(1, 0, 0, 1)

  public var trace: Double { a + d }
  public var determinant: Double { a * d - b * c }

  /// The two eigenvalues, roots of λ² − trace·λ + det = 0: a real pair when trace² ≥ 4·det, else a conjugate pair.
  public var eigenvalues: (Complex, Complex) {
    let half = trace / 2
    let discriminant = half * half - determinant
    if discriminant >= 0 {
      let root = discriminant.squareRoot()
      return (Complex(half + root, 0), Complex(half - root, 0))
    }
    let root = (-discriminant).squareRoot()
    return (Complex(half, root), Complex(half, -root))
  }

  /// The largest |eigenvalue|: the factor by which repeated multiplication eventually scales a vector per step.
  public var spectralRadius: Double {
    let (first, second) = eigenvalues
    return Swift.max(first.magnitude, second.magnitude)
  }

  public static func * (left: Matrix2, right: Matrix2) -> Matrix2 {
    Matrix2(left.a * right.a + left.b * right.c, left.a * right.b + left.b * right.d,
            left.c * right.a + left.d * right.c, left.c * right.b + left.d * right.d)
  }

  /// M·(x, y).
  public func applied(to vector: (Double, Double)) -> (Double, Double) {
    (a * vector.0 + b * vector.1, c * vector.0 + d * vector.1)
  }
}

/// The average growth rate per step of a sequence of positive distances: the least-squares slope of ln(distance)
/// against the step number. A sequence that behaves like C·ρᵏ has rate ln ρ (positive: moving away, negative:
/// converging, 0: neither); comparing the rate with ln(spectral radius) of the update matrix tests the linear theory.
/// Fitting the whole sequence averages out the wobble of a rotating, non-normal iteration within each turn.
public func logGrowthRate(_ distances: [Double]) -> Double {
  precondition(distances.count >= 2, "logGrowthRate: needs at least two distances, got \(distances.count)")
  precondition(distances.allSatisfy { $0 > 0 && $0.isFinite },
               "logGrowthRate: distances must be positive and finite to take their logarithm")
  let n = Double(distances.count)
  let meanStep = (n - 1) / 2
  let logs = distances.map { _logarithm($0) }
  let meanLog = logs.reduce(0, +) / n
  var covariance = 0.0, variance = 0.0
  for (k, value) in logs.enumerated() {
    covariance += (Double(k) - meanStep) * (value - meanLog)
    variance += (Double(k) - meanStep) * (Double(k) - meanStep)
  }
  return covariance / variance
}

/// How much a training curve still moves at the end: the spread of its last values. A run that has settled keeps
/// its distance to the data nearly constant; one that oscillates (mode hopping, a generator chasing its
/// discriminator round the ring) swings up and down.
public struct TailSpread: Sendable, Equatable {
  /// The values the spread was measured on (the tail of the curve).
  public let tail: [Double]
  public var mean: Double { tail.reduce(0, +) / Double(tail.count) }
  /// The (population) standard deviation of the tail.
  public var standardDeviation: Double {
    let m = mean
    return (tail.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(tail.count)).squareRoot()
  }
  /// Largest minus smallest value of the tail.
  public var range: Double { tail.max()! - tail.min()! }
  /// The mean absolute change between consecutive values of the tail: how far the curve moves per measurement.
  public var meanAbsoluteChange: Double {
    guard tail.count > 1 else { return 0 }
    var total = 0.0
    for i in 1..<tail.count { total += Swift.abs(tail[i] - tail[i - 1]) }
    return total / Double(tail.count - 1)
  }

  /// The median absolute change between consecutive values of the tail: how far the curve typically moves per
  /// measurement. Unlike the mean, one rare jump (a brief collapse and recovery) does not decide it.
  public var medianAbsoluteChange: Double {
    guard tail.count > 1 else { return 0 }
    let changes = (1..<tail.count).map { Swift.abs(tail[$0] - tail[$0 - 1]) }.sorted()
    let middle = changes.count / 2
    return changes.count % 2 == 1 ? changes[middle] : (changes[middle - 1] + changes[middle]) / 2
  }

  /// The median of the tail: its typical value, which one rare excursion does not move.
  public var median: Double {
    let sorted = tail.sorted(), middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
  }

  /// The median absolute change over a window sliding along `values`: entry k (for k ≥ `window`) is the
  /// `medianAbsoluteChange` of values[k − window ... k]. Shows when a curve starts or stops swinging.
  public static func slidingMedianAbsoluteChange(_ values: [Double], window: Int) -> [Double] {
    guard values.count > window else { return [] }
    return (window..<values.count).map { end in
      TailSpread(Array(values[(end - window)...end]), lastFraction: 1).medianAbsoluteChange
    }
  }

  /// The spread of the last `fraction` of `values` (at least two values).
  public init(_ values: [Double], lastFraction fraction: Double) {
    precondition(fraction > 0 && fraction <= 1, "TailSpread: the fraction must be in (0, 1], got \(fraction)")
    let count = Swift.max(2, Int((Double(values.count) * fraction).rounded()))
    precondition(values.count >= count, "TailSpread: needs at least \(count) values, got \(values.count)")
    tail = Array(values.suffix(count))
  }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif
@inline(__always) private func _logarithm(_ x: Double) -> Double { log(x) }
