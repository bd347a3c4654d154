import Autograd

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// A mixture of isotropic Gaussians in one or two dimensions: the toy data of the early lessons, where every mode is
/// known, so we can count which modes a generator covers and how tightly it hits them.
///
/// A sample picks mode k with probability `modeWeights[k]`, then adds N(0, modeStds[k]²) noise to each coordinate of
/// `modeCenters[k]`. All randomness comes from the caller's `SeededGenerator`, so a seed fixes the data.
public protocol ToyDistribution: Sendable {
  /// The number of coordinates of a sample (1 or 2).
  var dimension: Int { get }
  /// The center of each mode (`dimension` coordinates each).
  var modeCenters: [[Float]] { get }
  /// The standard deviation of each mode, the same along every coordinate.
  var modeStds: [Float] { get }
  /// The probability of each mode (they sum to 1).
  var modeWeights: [Float] { get }
}

extension ToyDistribution {
  /// The number of modes.
  public var modeCount: Int { modeCenters.count }

  /// `count` samples as a tensor `[count, dimension]`.
  public func sample(count: Int, using generator: inout SeededGenerator) -> Tensor {
    let centers = modeCenters, stds = modeStds
    let cumulative = modeWeights.reduce(into: [Float]()) { $0.append(($0.last ?? 0) + $1) }
    let d = dimension
    var values = [Float](repeating: 0, count: count * d)
    for i in 0..<count {
      let mode = pickMode(cumulative, &generator)
      for j in 0..<d { values[i * d + j] = centers[mode][j] + stds[mode] * generator.nextNormal() }
    }
    return Tensor(shape: [count, d], scalars: values)
  }

  /// Which mode each of `count` draws would come from: the mode labels alone (for stratified checks).
  public func sampleModes(count: Int, using generator: inout SeededGenerator) -> [Int] {
    let cumulative = modeWeights.reduce(into: [Float]()) { $0.append(($0.last ?? 0) + $1) }
    return (0..<count).map { _ in pickMode(cumulative, &generator) }
  }
}

/// Inverse-CDF draw of a mode index from cumulative weights.
private func pickMode(_ cumulative: [Float], _ generator: inout SeededGenerator) -> Int {
  if cumulative.count == 1 { return 0 }
  let u = generator.nextUniform() * cumulative[cumulative.count - 1]
  for (index, bound) in cumulative.enumerated() where u < bound { return index }
  return cumulative.count - 1
}

// MARK: - One dimension

/// The normal distribution N(mean, std²) on the real line.
public struct Gaussian1D: ToyDistribution {
  public let mean: Float
  public let std: Float

  public init(mean: Float = 0, std: Float = 1) {
    precondition(std > 0, "Gaussian1D: std must be positive, got \(std)")
    self.mean = mean
    self.std = std
  }

  public var dimension: Int { 1 }
  public var modeCenters: [[Float]] { [[mean]] }
  public var modeStds: [Float] { [std] }
  public var modeWeights: [Float] { [1] }

  /// The density p(x) = exp(-(x - mean)² / 2std²) / (std √(2π)).
  public func density(at x: Float) -> Float { normalDensity(x, mean: mean, std: std) }
}

/// A weighted sum of Gaussians on the real line: p(x) = Σₖ wₖ N(x; μₖ, σₖ²).
public struct GaussianMixture1D: ToyDistribution {
  /// The mixture weights, normalized to sum to 1.
  public let weights: [Float]
  public let means: [Float]
  public let stds: [Float]

  /// - Parameter weights: relative weights (positive; normalized here).
  public init(weights: [Float], means: [Float], stds: [Float]) {
    precondition(
      !weights.isEmpty && weights.count == means.count && weights.count == stds.count,
      "GaussianMixture1D: \(weights.count) weights, \(means.count) means and \(stds.count) stds must be equal in number")
    precondition(weights.allSatisfy { $0 > 0 }, "GaussianMixture1D: weights must be positive, got \(weights)")
    precondition(stds.allSatisfy { $0 > 0 }, "GaussianMixture1D: stds must be positive, got \(stds)")
    let total = weights.reduce(0, +)
    self.weights = weights.map { $0 / total }
    self.means = means
    self.stds = stds
  }

  /// Equal weights.
  public init(means: [Float], std: Float) {
    self.init(weights: [Float](repeating: 1, count: means.count), means: means, stds: [Float](repeating: std, count: means.count))
  }

  public var dimension: Int { 1 }
  public var modeCenters: [[Float]] { means.map { [$0] } }
  public var modeStds: [Float] { stds }
  public var modeWeights: [Float] { weights }

  /// The mixture's mean Σₖ wₖ μₖ.
  public var mean: Float {
    var total: Float = 0
    for k in 0..<weights.count { total += weights[k] * means[k] }
    return total
  }

  /// The mixture's variance Σₖ wₖ (σₖ² + μₖ²) - mean².
  public var variance: Float {
    var secondMoment: Float = 0
    for k in 0..<weights.count {
      let meanSquare = means[k] * means[k]
      secondMoment += weights[k] * (stds[k] * stds[k] + meanSquare)
    }
    return secondMoment - mean * mean
  }

  /// The density p(x).
  public func density(at x: Float) -> Float {
    var total: Float = 0
    for k in 0..<weights.count { total += weights[k] * normalDensity(x, mean: means[k], std: stds[k]) }
    return total
  }
}

private func normalDensity(_ x: Float, mean: Float, std: Float) -> Float {
  let z = (x - mean) / std
  return exp(-0.5 * z * z) / (std * (2 * Float.pi).squareRoot())
}

// MARK: - Two dimensions

/// `modeCount` Gaussians evenly spaced on a circle: the classic mode-collapse benchmark (8 modes, radius 2,
/// std 0.02, as in the unrolled-GAN and VEEGAN papers). Mode k sits at angle 2πk / modeCount.
public struct GaussianRing: ToyDistribution {
  public let modeCount: Int
  public let radius: Float
  public let std: Float

  public init(modeCount: Int = 8, radius: Float = 2, std: Float = 0.02) {
    precondition(modeCount >= 1 && radius > 0 && std > 0, "GaussianRing: needs modeCount >= 1, radius > 0, std > 0")
    self.modeCount = modeCount
    self.radius = radius
    self.std = std
  }

  public var dimension: Int { 2 }
  public var modeCenters: [[Float]] {
    (0..<modeCount).map { k in
      let angle = 2 * Double.pi * Double(k) / Double(modeCount)
      return [radius * Float(cos(angle)), radius * Float(sin(angle))]
    }
  }
  public var modeStds: [Float] { [Float](repeating: std, count: modeCount) }
  public var modeWeights: [Float] { [Float](repeating: 1 / Float(modeCount), count: modeCount) }
}

/// A `side` x `side` grid of Gaussians, `spacing` apart and centered at the origin: 5 x 5 with spacing 2 puts the
/// centers at -4, -2, 0, 2, 4 on each axis (std 0.05 by default). Mode `row * side + column` is at
/// (x of column, y of row).
public struct GaussianGrid: ToyDistribution {
  public let side: Int
  public let spacing: Float
  public let std: Float

  public init(side: Int = 5, spacing: Float = 2, std: Float = 0.05) {
    precondition(side >= 1 && spacing > 0 && std > 0, "GaussianGrid: needs side >= 1, spacing > 0, std > 0")
    self.side = side
    self.spacing = spacing
    self.std = std
  }

  /// The center coordinates along one axis.
  public var axisPositions: [Float] { (0..<side).map { (Float($0) - Float(side - 1) / 2) * spacing } }

  public var dimension: Int { 2 }
  public var modeCenters: [[Float]] {
    let positions = axisPositions
    return positions.flatMap { y in positions.map { x in [x, y] } }
  }
  public var modeStds: [Float] { [Float](repeating: std, count: side * side) }
  public var modeWeights: [Float] { [Float](repeating: 1 / Float(side * side), count: side * side) }
}
