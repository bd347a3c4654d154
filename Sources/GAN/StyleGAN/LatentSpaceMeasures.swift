import Foundation

// Measures of a generator's latent spaces used by lesson 08 (style mixing, truncation, path length): interpolation
// paths in Z and W, the diversity of a set of samples, the ink of digit images, and perceptual path lengths from
// per-sample distances. Everything here works on plain Float32 tensors and has no gradient.

/// Spherical interpolation between the rows of `a` and `b` ([N, D] each) at fractions `t` (one per row):
/// slerp(a, b; t) = sin((1 - t)θ)/sin θ · a + sin(tθ)/sin θ · b, θ the angle between the (normalized) rows. StyleGAN's
/// path length in Z uses it because z ~ N(0, I) lives near a sphere; the result keeps the length of the linear
/// interpolation of the norms, so a row of equal-length latents stays on their sphere. (Rows that are parallel
/// fall back to linear interpolation.)
public func slerp(_ a: Tensor, _ b: Tensor, t: [Float]) -> Tensor {
  precondition(a.rank == 2 && a.shape == b.shape, "slerp: a \(a.shape) and b \(b.shape) must both be [N, D]")
  let n = a.shape[0], d = a.shape[1]
  precondition(t.count == n, "slerp: \(t.count) fractions for \(n) rows")
  var result = [Float](repeating: 0, count: n * d)
  a.scalars.withUnsafeBufferPointer { x in
    b.scalars.withUnsafeBufferPointer { y in
      for row in 0..<n {
        let base = row * d
        var xx: Float = 0, yy: Float = 0, xy: Float = 0
        for j in 0..<d {
          xx += x[base + j] * x[base + j]
          yy += y[base + j] * y[base + j]
          xy += x[base + j] * y[base + j]
        }
        let normX = xx.squareRoot(), normY = yy.squareRoot()
        let cosine = Swift.max(-1, Swift.min(1, xy / Swift.max(normX * normY, 1e-12)))
        let theta = Foundation.acos(cosine)
        let s = t[row]
        // Interpolate the direction on the unit sphere, and the length linearly.
        let length = (1 - s) * normX + s * normY
        var wa: Float, wb: Float
        if Foundation.sin(theta) < 1e-6 {
          wa = (1 - s) / Swift.max(normX, 1e-12)
          wb = s / Swift.max(normY, 1e-12)
        } else {
          wa = Foundation.sin((1 - s) * theta) / Foundation.sin(theta) / Swift.max(normX, 1e-12)
          wb = Foundation.sin(s * theta) / Foundation.sin(theta) / Swift.max(normY, 1e-12)
        }
        var directionNorm: Float = 0
        for j in 0..<d {
          let v = wa * x[base + j] + wb * y[base + j]
          result[base + j] = v
          directionNorm += v * v
        }
        let scale = length / Swift.max(directionNorm.squareRoot(), 1e-12)
        for j in 0..<d { result[base + j] *= scale }
      }
    }
  }
  return Tensor(shape: [n, d], scalars: result)
}

/// Linear interpolation (1 - t) a + t b between the rows of `a` and `b` ([N, D] each), one fraction per row.
/// StyleGAN's path length in W uses it.
public func lerp(_ a: Tensor, _ b: Tensor, t: [Float]) -> Tensor {
  precondition(a.rank == 2 && a.shape == b.shape, "lerp: a \(a.shape) and b \(b.shape) must both be [N, D]")
  precondition(t.count == a.shape[0], "lerp: \(t.count) fractions for \(a.shape[0]) rows")
  let fractions = Tensor(shape: [t.count, 1], scalars: t)
  return a * (1 - fractions) + b * fractions
}

/// The squared Euclidean distance between row i of `a` and row i of `b`, for every row (flattening the other axes).
public func rowwiseSquaredDistances(_ a: Tensor, _ b: Tensor) -> [Double] {
  precondition(a.shape == b.shape && a.rank >= 1, "rowwiseSquaredDistances: shapes \(a.shape) and \(b.shape) differ")
  let n = a.shape[0], d = n == 0 ? 0 : a.count / n
  var result = [Double](repeating: 0, count: n)
  a.scalars.withUnsafeBufferPointer { x in
    b.scalars.withUnsafeBufferPointer { y in
      for row in 0..<n {
        var total: Double = 0
        for j in 0..<d {
          let difference = Double(x[row * d + j]) - Double(y[row * d + j])
          total += difference * difference
        }
        result[row] = total
      }
    }
  }
  return result
}

/// The ink of each image in [N, C, H, W] with values in [-1, 1] (background -1): the mean of (x + 1) / 2, so 0 is a
/// blank page and 1 all black. For digits of one class, more ink means thicker strokes.
public func inkMass(_ images: Tensor) -> [Double] {
  precondition(images.rank == 4, "inkMass: images must be [N, C, H, W], got \(images.shape)")
  let n = images.shape[0], size = images.count / Swift.max(n, 1)
  var result = [Double](repeating: 0, count: n)
  images.scalars.withUnsafeBufferPointer { x in
    for i in 0..<n {
      var total: Double = 0
      for j in 0..<size { total += (Double(Swift.min(1, Swift.max(-1, x[i * size + j]))) + 1) / 2 }
      result[i] = total / Double(size)
    }
  }
  return result
}

/// The entropy (nats) of the histogram of `classes` over 0..<classCount: ln 10 for ten equally common digits, 0 for
/// one class only.
public func classEntropy(_ classes: [Int], classCount: Int = 10) -> Double {
  guard !classes.isEmpty else { return 0 }
  var counts = [Int](repeating: 0, count: classCount)
  for c in classes where c >= 0 && c < classCount { counts[c] += 1 }
  let total = Double(classes.count)
  return counts.reduce(0) { entropy, count in
    count == 0 ? entropy : entropy - Double(count) / total * Foundation.log(Double(count) / total)
  }
}

/// Pearson's correlation of two equally long series (0 when either is constant).
public func pearsonCorrelation(_ x: [Double], _ y: [Double]) -> Double {
  precondition(x.count == y.count, "pearsonCorrelation: \(x.count) and \(y.count) values")
  let n = Double(x.count)
  guard x.count >= 2 else { return 0 }
  let meanX = x.reduce(0, +) / n, meanY = y.reduce(0, +) / n
  var sxy = 0.0, sxx = 0.0, syy = 0.0
  for (a, b) in zip(x, y) {
    sxy += (a - meanX) * (b - meanY)
    sxx += (a - meanX) * (a - meanX)
    syy += (b - meanY) * (b - meanY)
  }
  return sxx > 0 && syy > 0 ? sxy / (sxx * syy).squareRoot() : 0
}

/// The perceptual path length of StyleGAN (Karras et al. 2019, section 3): the mean of d(G(p(t)), G(p(t + ε))) / ε²
/// over random paths p and fractions t, d a squared perceptual distance. As in the paper, the samples below the
/// `lowerPercentile` and above the `upperPercentile` (1 and 99) are dropped before averaging, since a few path
/// pieces cross a class boundary and would dominate the mean.
///
/// - Parameter squaredDistances: d for each sample, already divided by nothing (the function divides by ε²).
public func perceptualPathLength(squaredDistances: [Double], epsilon: Double, lowerPercentile: Double = 1,
                                 upperPercentile: Double = 99) -> Double {
  precondition(epsilon > 0, "perceptualPathLength: epsilon must be positive, got \(epsilon)")
  let lengths = squaredDistances.map { $0 / (epsilon * epsilon) }.sorted()
  guard !lengths.isEmpty else { return .nan }
  let low = percentile(lengths, lowerPercentile), high = percentile(lengths, upperPercentile)
  let kept = lengths.filter { $0 >= low && $0 <= high }
  return kept.reduce(0, +) / Double(Swift.max(kept.count, 1))
}

/// The p-th percentile (0...100) of sorted values, linearly interpolated between neighbors (numpy's default).
public func percentile(_ sorted: [Double], _ p: Double) -> Double {
  guard let first = sorted.first else { return .nan }
  if sorted.count == 1 { return first }
  let position = Swift.max(0, Swift.min(1, p / 100)) * Double(sorted.count - 1)
  let below = Int(position.rounded(.down)), above = Swift.min(below + 1, sorted.count - 1)
  let fraction = position - Double(below)
  return sorted[below] * (1 - fraction) + sorted[above] * fraction
}
