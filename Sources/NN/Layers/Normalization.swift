// Normalization layers. All three compute x̂ = (x - μ) / √(σ² + ε) over some axes and then γ x̂ + β, with μ and σ²
// the mean and biased variance (a mean of squared deviations). x̂ is the engine's `standardize` primitive: gradients
// flow through the statistics themselves, and second derivatives (gradient penalties) work.

/// (x - μ) / √(σ² + ε) with μ and σ² the mean and biased variance over `axes` (kept as size 1), plus μ and σ² (as
/// values).
func standardized(_ x: Tensor, axes: [Int], epsilon: Float) -> (normalized: Tensor, mean: Tensor, variance: Tensor) {
  standardize(x, axes: axes, epsilon: epsilon)
}

/// Batch normalization over a batch, per feature (channel), as PyTorch's `BatchNorm1d` and `BatchNorm2d`:
/// the input is [N, C] or [N, C, L] or [N, C, H, W], and the statistics are taken over every axis but C.
///
/// - Training: μ and σ² come from the batch (σ² biased, dividing by the n values per channel), and the running
///   statistics move towards them: running_mean ← (1 - m) running_mean + m μ and
///   running_var ← (1 - m) running_var + m σ² n / (n - 1) (the unbiased variance), with momentum m = 0.1.
/// - Evaluation: the running statistics replace the batch's, so one sample's output does not depend on the others.
///
/// Parameters `weight` (γ, ones) and `bias` (β, zeros); buffers `runningMean` (zeros) and `runningVariance` (ones).
public final class BatchNorm: Module, Layer {
  public var weight: Tensor?
  public var bias: Tensor?
  public let runningMean: Buffer
  public let runningVariance: Buffer
  public let featureCount: Int
  public let momentum: Float
  public let epsilon: Float

  public init(featureCount: Int, momentum: Float = 0.1, epsilon: Float = 1e-5, affine: Bool = true) {
    self.featureCount = featureCount
    self.momentum = momentum
    self.epsilon = epsilon
    if affine {
      weight = Tensor.ones([featureCount], requiresGrad: true)
      bias = Tensor.zeros([featureCount], requiresGrad: true)
    }
    runningMean = Buffer(Tensor.zeros([featureCount]))
    runningVariance = Buffer(Tensor.ones([featureCount]))
    super.init()
  }

  public func callAsFunction(_ input: Tensor) -> Tensor {
    precondition(
      input.rank >= 2 && input.shape[1] == featureCount,
      "BatchNorm(\(featureCount)): input shape \(input.shape) is not [N, \(featureCount), ...]")
    let axes = [0] + Array(2..<input.rank)
    let perChannel = [1, featureCount] + [Int](repeating: 1, count: input.rank - 2)
    let normalized: Tensor
    if isTraining {
      let valuesPerChannel = input.count / featureCount
      precondition(valuesPerChannel > 1, "BatchNorm: training needs more than one value per channel, got \(input.shape)")
      let statistics = standardized(input, axes: axes, epsilon: epsilon)
      normalized = statistics.normalized
      updateRunningStatistics(
        mean: statistics.mean.scalars, variance: statistics.variance.scalars, count: valuesPerChannel)
    } else {
      let inverseDeviation = runningVariance.value.scalars.map { 1 / ($0 + epsilon).squareRoot() }
      normalized = (input - runningMean.value.reshaped(to: perChannel))
        * Tensor(shape: perChannel, scalars: inverseDeviation)
    }
    return affine(normalized, weight: weight, bias: bias, shape: perChannel)
  }

  private func updateRunningStatistics(mean: [Float], variance: [Float], count: Int) {
    let m = momentum, unbiasing = Float(count) / Float(count - 1)
    for c in 0..<featureCount {
      runningMean.value.scalars[c] = (1 - m) * runningMean.value.scalars[c] + m * mean[c]
      runningVariance.value.scalars[c] = (1 - m) * runningVariance.value.scalars[c] + m * variance[c] * unbiasing
    }
  }
}

/// Instance normalization, as PyTorch's `InstanceNorm2d` (CycleGAN's and style transfer's normalizer): each
/// sample's each channel is standardized over its own H x W values, in training and evaluation alike.
/// The input is [N, C, H, W] (or [N, C, L]). Without `affine` (PyTorch's default) there are no parameters.
public final class InstanceNorm: Module, Layer {
  public var weight: Tensor?
  public var bias: Tensor?
  public let featureCount: Int
  public let epsilon: Float

  public init(featureCount: Int, epsilon: Float = 1e-5, affine: Bool = false) {
    self.featureCount = featureCount
    self.epsilon = epsilon
    if affine {
      weight = Tensor.ones([featureCount], requiresGrad: true)
      bias = Tensor.zeros([featureCount], requiresGrad: true)
    }
    super.init()
  }

  public func callAsFunction(_ input: Tensor) -> Tensor {
    precondition(
      input.rank >= 3 && input.shape[1] == featureCount,
      "InstanceNorm(\(featureCount)): input shape \(input.shape) is not [N, \(featureCount), H, W]")
    let normalized = standardized(input, axes: Array(2..<input.rank), epsilon: epsilon).normalized
    let perChannel = [1, featureCount] + [Int](repeating: 1, count: input.rank - 2)
    return affine(normalized, weight: weight, bias: bias, shape: perChannel)
  }
}

/// Layer normalization, as PyTorch's `LayerNorm`: each sample is standardized over its last axes, those of
/// `normalizedShape` (e.g. [C] for [N, C], or [C, H, W] for images), then scaled and shifted element-wise by
/// `weight` and `bias` of that shape.
public final class LayerNorm: Module, Layer {
  public var weight: Tensor?
  public var bias: Tensor?
  public let normalizedShape: [Int]
  public let epsilon: Float

  public init(normalizedShape: [Int], epsilon: Float = 1e-5, elementwiseAffine: Bool = true) {
    self.normalizedShape = normalizedShape
    self.epsilon = epsilon
    if elementwiseAffine {
      weight = Tensor.ones(normalizedShape, requiresGrad: true)
      bias = Tensor.zeros(normalizedShape, requiresGrad: true)
    }
    super.init()
  }

  public func callAsFunction(_ input: Tensor) -> Tensor {
    let k = normalizedShape.count
    precondition(
      input.rank > k && Array(input.shape.suffix(k)) == normalizedShape,
      "LayerNorm(\(normalizedShape)): input shape \(input.shape) does not end in \(normalizedShape)")
    let normalized = standardized(input, axes: Array((input.rank - k)..<input.rank), epsilon: epsilon).normalized
    return affine(normalized, weight: weight, bias: bias, shape: normalizedShape)
  }
}

/// γ x̂ + β with γ and β reshaped to `shape` for broadcasting (either may be absent).
private func affine(_ normalized: Tensor, weight: Tensor?, bias: Tensor?, shape: [Int]) -> Tensor {
  var output = normalized
  if let weight { output = output * weight.reshaped(to: shape) }
  if let bias { output = output + bias.reshaped(to: shape) }
  return output
}
