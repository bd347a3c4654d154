import Autograd

/// Mode coverage on a mixture of Gaussians, the standard protocol of the mode-collapse literature (e.g. VEEGAN,
/// PacGAN, Unrolled GAN): a sample is "high quality" if it lies within `threshold` standard deviations of its
/// nearest mode; a mode is "captured" if at least `minimumCount` high-quality samples fall on it.
public struct ModeCoverage: Sendable, Equatable {
  /// High-quality samples per mode.
  public let counts: [Int]
  public let sampleCount: Int
  public let minimumCount: Int
  /// Modes with at least `minimumCount` high-quality samples.
  public var modesCaptured: Int { counts.filter { $0 >= minimumCount }.count }
  /// The share of samples within the threshold of a mode.
  public var highQualityFraction: Double { sampleCount == 0 ? 0 : Double(counts.reduce(0, +)) / Double(sampleCount) }
  /// Which modes are captured.
  public var captured: [Bool] { counts.map { $0 >= minimumCount } }

  /// KL(p ‖ uniform) of the high-quality samples' mode histogram p, in nats: 0 when every mode gets the same share,
  /// ln(modes) when all samples sit on one mode. (The "reverse KL" of the PacGAN/VEEGAN tables.)
  public var klToUniform: Double {
    let total = Double(counts.reduce(0, +))
    guard total > 0 else { return Double.infinity }
    let k = Double(counts.count)
    var kl = 0.0
    for c in counts where c > 0 {
      let p = Double(c) / total
      kl += p * _log(p * k)
    }
    return kl
  }

  /// How many of `samples` [N, D] have each center as their nearest, counting only samples within `radius` of it.
  public static func nearestModeCounts(_ samples: Tensor, centers: [[Float]], radius: Float) -> [Int] {
    let n = samples.shape[0], d = samples.shape[1]
    var counts = [Int](repeating: 0, count: centers.count)
    let limit = radius * radius
    samples.scalars.withUnsafeBufferPointer { values in
      for i in 0..<n {
        var best = 0
        var bestDistance = Float.infinity
        for (m, c) in centers.enumerated() {
          var distance: Float = 0
          for j in 0..<d {
            let difference = values[i * d + j] - c[j]
            distance += difference * difference
          }
          if distance < bestDistance {
            bestDistance = distance
            best = m
          }
        }
        if bestDistance <= limit { counts[best] += 1 }
      }
    }
    return counts
  }

  /// Measures `samples` [N, D] against mode `centers` (each of length D) with per-mode standard deviation `std`.
  public init(samples: Tensor, centers: [[Float]], std: Float, threshold: Float = 3, minimumCount: Int = 20) {
    precondition(samples.rank == 2, "ModeCoverage: samples must be [N, D], got \(samples.shape)")
    let d = samples.shape[1]
    precondition(centers.allSatisfy { $0.count == d }, "ModeCoverage: centers must have \(d) coordinates")
    let counts = ModeCoverage.nearestModeCounts(samples, centers: centers, radius: threshold * std)
    self.counts = counts
    self.sampleCount = samples.shape[0]
    self.minimumCount = minimumCount
  }
}

/// The exact Wasserstein-1 distance between two 1D samples: the area between their quantile functions. With equal
/// sizes it is the mean |a₍ᵢ₎ - b₍ᵢ₎| over the sorted samples; otherwise the quantile functions are integrated.
public func wasserstein1D(_ a: [Float], _ b: [Float]) -> Double {
  precondition(!a.isEmpty && !b.isEmpty, "wasserstein1D: empty sample")
  let x = a.sorted(), y = b.sorted()
  if x.count == y.count {
    var total = 0.0
    for i in 0..<x.count { total += Double(Swift.abs(x[i] - y[i])) }
    return total / Double(x.count)
  }
  // Merge the breakpoints of both empirical quantile functions on [0, 1].
  var total = 0.0
  var i = 0, j = 0
  var position = 0.0
  while i < x.count && j < y.count {
    let nextX = Double(i + 1) / Double(x.count), nextY = Double(j + 1) / Double(y.count)
    let next = min(nextX, nextY)
    total += (next - position) * Double(Swift.abs(x[i] - y[j]))
    position = next
    if nextX <= next { i += 1 }
    if nextY <= next { j += 1 }
  }
  return total
}

/// The sliced Wasserstein-1 distance between two samples [N, D] and [M, D]: the mean over `projections` random unit
/// directions of the exact 1D distance between the projected samples. A consistent, cheap estimate in 2D.
public func slicedWasserstein(_ a: Tensor, _ b: Tensor, projections: Int = 64, using generator: inout SeededGenerator)
  -> Double
{
  precondition(a.rank == 2 && b.rank == 2 && a.shape[1] == b.shape[1], "slicedWasserstein: shapes \(a.shape), \(b.shape)")
  let d = a.shape[1]
  var total = 0.0
  for _ in 0..<projections {
    var direction = (0..<d).map { _ in generator.nextNormal() }
    let norm = direction.reduce(0) { $0 + $1 * $1 }.squareRoot()
    direction = direction.map { $0 / norm }
    func project(_ t: Tensor) -> [Float] {
      (0..<t.shape[0]).map { i in (0..<d).reduce(Float(0)) { $0 + t.scalars[i * d + $1] * direction[$1] } }
    }
    total += wasserstein1D(project(a), project(b))
  }
  return total / Double(projections)
}

/// Pearson correlation of two equally long series.
public func correlation(_ x: [Double], _ y: [Double]) -> Double {
  precondition(x.count == y.count && x.count > 1, "correlation: series of lengths \(x.count) and \(y.count)")
  let n = Double(x.count)
  let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
  var sxy = 0.0, sxx = 0.0, syy = 0.0
  for i in 0..<x.count {
    sxy += (x[i] - mx) * (y[i] - my)
    sxx += (x[i] - mx) * (x[i] - mx)
    syy += (y[i] - my) * (y[i] - my)
  }
  return sxy / (sxx * syy).squareRoot()
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif
@inline(__always) func _log(_ x: Double) -> Double { log(x) }

/// The mean Euclidean distance between two different samples of a set [N, ...] (N ≥ 2; the first axis indexes the
/// samples, the others are flattened), over all N(N − 1)/2 pairs: how varied the set is, exactly 0 when every sample
/// is the same. Lesson 08 measures truncation's loss of diversity with it, lesson 11 collapse within a class.
public func meanPairwiseDistance(_ images: Tensor) -> Double {
  precondition(images.rank >= 2 && images.shape[0] >= 2,
               "meanPairwiseDistance: needs at least two images [N, ...], got shape \(images.shape)")
  let n = images.shape[0], size = images.count / n
  var total = 0.0
  images.scalars.withUnsafeBufferPointer { values in
    for i in 0..<n {
      for j in (i + 1)..<n {
        var squares: Float = 0
        for k in 0..<size {
          let difference = values[i * size + k] - values[j * size + k]
          squares += difference * difference
        }
        total += Double(squares.squareRoot())
      }
    }
  }
  return total / Double(n * (n - 1) / 2)
}
