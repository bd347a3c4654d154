import Autograd

// The Fréchet distance between two sets of images, measured on a classifier's features (Heusel et al. 2017, "GANs
// trained by a two time-scale update rule converge to a local Nash equilibrium": FID, on Inception-v3's 2048 pool
// features). Ours uses the MNIST classifier's 128 penultimate features instead.
//
// Fit a Gaussian to each set of features, N(μ₁, C₁) and N(μ₂, C₂). The Fréchet (2-Wasserstein) distance between two
// Gaussians has a closed form:
//
//     d² = ‖μ₁ - μ₂‖² + tr(C₁ + C₂ - 2 (C₁^½ C₂ C₁^½)^½)
//
// The first term compares where the two clouds sit, the second their shapes and spreads. For 1D Gaussians it is
// (μ₁ - μ₂)² + (σ₁ - σ₂)². We report d² (as FID does) and call it "the Fréchet distance".
//
// C₁^½ C₂ C₁^½ is symmetric PSD (unlike C₁ C₂, whose square root FID code usually takes through a general complex
// sqrtm), so both square roots come from symmetric eigen-decompositions, in Double.
//
// Estimated from samples, d² is biased upwards: two samples of the same distribution give d² > 0, shrinking roughly
// like 1/N. So a number means something only beside the real-vs-real floor at the same sample counts.

/// The mean and covariance of a set of feature vectors, in Double: one side of a Fréchet distance.
public struct FeatureStatistics: Sendable {
  /// The mean feature vector μ, length `dimension`.
  public let mean: [Double]
  /// The covariance C (dimension x dimension, row-major), with the unbiased 1/(N - 1) normalization, as numpy's
  /// `np.cov` in the FID reference code.
  public let covariance: [Double]
  /// The feature length.
  public let dimension: Int
  /// How many vectors the statistics come from.
  public let sampleCount: Int

  public init(mean: [Double], covariance: [Double], sampleCount: Int) {
    precondition(
      covariance.count == mean.count * mean.count,
      "FeatureStatistics: covariance of \(covariance.count) values does not fit a mean of length \(mean.count)")
    self.mean = mean
    self.covariance = covariance
    self.dimension = mean.count
    self.sampleCount = sampleCount
  }

  /// The statistics of the rows of `features` [N, D], N >= 2.
  public init(features: Tensor) {
    precondition(
      features.rank == 2 && features.shape[0] >= 2,
      "FeatureStatistics: features must be [N, D] with N >= 2, got \(features.shape)")
    let n = features.shape[0], d = features.shape[1]
    var mean = [Double](repeating: 0, count: d)
    var covariance = [Double](repeating: 0, count: d * d)
    features.scalars.withUnsafeBufferPointer { x in
      for i in 0..<n { for j in 0..<d { mean[j] += Double(x[i * d + j]) } }
      for j in 0..<d { mean[j] /= Double(n) }
      var centered = [Double](repeating: 0, count: d)
      covariance.withUnsafeMutableBufferPointer { c in
        for i in 0..<n {
          for j in 0..<d { centered[j] = Double(x[i * d + j]) - mean[j] }
          // The upper triangle only; mirrored below.
          for j in 0..<d {
            let xj = centered[j]
            if xj == 0 { continue }
            let row = c.baseAddress! + j * d
            for k in j..<d { row[k] += xj * centered[k] }
          }
        }
      }
    }
    let scale = 1 / Double(n - 1)
    for j in 0..<d {
      for k in j..<d {
        covariance[j * d + k] *= scale
        covariance[k * d + j] = covariance[j * d + k]
      }
    }
    self.init(mean: mean, covariance: covariance, sampleCount: n)
  }

  /// The statistics of the classifier's 128 penultimate features (after the ReLU of its `hidden` layer) over
  /// `images` [N, 1, 28, 28] in [-1, 1], computed `batchSize` images at a time without gradients.
  public init(images: Tensor, classifier: MNISTClassifier, batchSize: Int = 256) {
    self.init(features: classifier.outputs(for: images, batchSize: batchSize).features)
  }

  /// tr C: the total variance.
  public var totalVariance: Double { (0..<dimension).reduce(0) { $0 + covariance[$1 * dimension + $1] } }
}

/// The Fréchet distance d² = ‖μ₁ - μ₂‖² + tr(C₁ + C₂ - 2 (C₁^½ C₂ C₁^½)^½) between the Gaussians fitted to two sets
/// of features. Symmetric in its arguments (up to rounding), zero for identical statistics.
public func frechetDistance(_ first: FeatureStatistics, _ second: FeatureStatistics) -> Double {
  precondition(
    first.dimension == second.dimension,
    "frechetDistance: features of length \(first.dimension) and \(second.dimension) cannot be compared")
  let d = first.dimension
  var meanTerm = 0.0
  for j in 0..<d {
    let difference = first.mean[j] - second.mean[j]
    meanTerm += difference * difference
  }
  let root1 = symmetricSquareRoot(first.covariance, size: d)
  let product = multiplySquare(multiplySquare(root1, second.covariance, size: d), root1, size: d)
  // Symmetric in exact arithmetic; average the two triangles so the eigen-solver sees a symmetric matrix.
  var symmetric = product
  for i in 0..<d {
    for j in (i + 1)..<d {
      let average = 0.5 * (product[i * d + j] + product[j * d + i])
      symmetric[i * d + j] = average
      symmetric[j * d + i] = average
    }
  }
  // tr((C₁^½ C₂ C₁^½)^½) is the sum of the square roots of its eigenvalues.
  let eigenvalues = symmetricEigenDecomposition(symmetric, size: d).values
  let crossTrace = eigenvalues.reduce(0) { $0 + Swift.max($1, 0).squareRoot() }
  let distance = meanTerm + first.totalVariance + second.totalVariance - 2 * crossTrace
  // Identical statistics give 0 up to rounding, which may land a hair below.
  return Swift.max(distance, 0)
}

extension MNISTClassifier {
  /// The Fréchet distance between two sets of images [N, 1, 28, 28] on this classifier's 128 penultimate features.
  /// Use thousands of images per side (FID uses 10,000 or 50,000); compare only numbers at the same sample counts.
  public func frechetDistance(_ first: Tensor, _ second: Tensor, batchSize: Int = 256) -> Double {
    GAN.frechetDistance(
      FeatureStatistics(images: first, classifier: self, batchSize: batchSize),
      FeatureStatistics(images: second, classifier: self, batchSize: batchSize))
  }

  /// The real-vs-real floor: the Fréchet distance between `count` training images and `count` test images (the first
  /// `count` of each tensor given). Two samples of the same distribution, so this is the smallest value a generator can
  /// be expected to reach at this sample count; report it beside every generated-vs-real distance.
  public func realFrechetFloor(train: Tensor, test: Tensor, count: Int, batchSize: Int = 256) -> Double {
    precondition(
      train.rank == 4 && test.rank == 4 && train.shape[0] >= count && test.shape[0] >= count && count >= 2,
      "realFrechetFloor: needs at least \(count) (>= 2) images on each side, got \(train.shape) and \(test.shape)")
    return frechetDistance(
      train.sliced(axis: 0, 0..<count).detached(), test.sliced(axis: 0, 0..<count).detached(), batchSize: batchSize)
  }
}
