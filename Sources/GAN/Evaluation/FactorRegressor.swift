import Foundation
import NN

/// Reads the factors an image was rendered from back out of the image: the judge of the StyleGAN lesson's cartoon
/// faces (`Datasets.CartoonFaces`).
///
/// Trained on images rendered from random factors (free, labeled, unlimited), it turns "the coarse styles control the
/// pose" into a number: regress the pose of a style-mixed face and see whether it is A's or B's. Its 128 penultimate
/// features also serve as the perceptual space of the path length, as the MNIST classifier's do for digits.
public final class FactorRegressor: Module, Layer {
  public let conv1: Conv2D
  public let conv2: Conv2D
  public let conv3: Conv2D
  public let hidden: Linear
  public let output: Linear

  /// The length of the penultimate feature vector.
  public static let featureSize = 128
  /// The input shape of one image; larger images of 32·2ᵏ pixels are averaged down to it first.
  public static let imageShape = [3, 32, 32]

  /// The number of factors read out.
  public let factorCount: Int

  public init(factorCount: Int, using generator: inout SeededGenerator) {
    self.factorCount = factorCount
    conv1 = Conv2D(inputChannels: 3, outputChannels: 32, kernelSize: 3, padding: 1, using: &generator)
    conv2 = Conv2D(inputChannels: 32, outputChannels: 64, kernelSize: 3, padding: 1, using: &generator)
    conv3 = Conv2D(inputChannels: 64, outputChannels: 64, kernelSize: 3, padding: 1, using: &generator)
    hidden = Linear(inputSize: 64 * 4 * 4, outputSize: Self.featureSize, using: &generator)
    output = Linear(inputSize: Self.featureSize, outputSize: factorCount, using: &generator)
    super.init()
  }

  /// Faces [N, 3, S, S] in [−1, 1], S = 32, 64, 128, … -> features [N, 128]. A face larger than 32×32 is averaged
  /// down 2×2 at a time: the factors are all visible at 32×32, and one judge then serves every image size.
  public func features(_ images: Tensor) -> Tensor {
    var x = images
    while x.rank == 4 && x.shape[2] > 32 && x.shape[2] % 2 == 0 && x.shape[2] == x.shape[3] { x = x.avgPooled2D(2) }
    precondition(
      x.rank == 4 && Array(x.shape.dropFirst()) == Self.imageShape,
      "FactorRegressor: expected images [N, 3, S, S] with S = 32·2ᵏ, got shape \(images.shape)")
    x = maxPooled2x2(relu(conv1(x)))
    x = maxPooled2x2(relu(conv2(x)))
    x = maxPooled2x2(relu(conv3(x))).flattened()
    return relu(hidden(x))
  }

  /// Faces [N, 3, 32, 32] -> the regressed factors [N, 8] (about [0, 1]; not clamped, so errors stay visible).
  public func callAsFunction(_ images: Tensor) -> Tensor { output(features(images)) }

  /// The factors and features of many faces, without gradients, `batchSize` at a time.
  public func outputs(for images: Tensor, batchSize: Int = 256) -> (factors: Tensor, features: Tensor) {
    let features = inBatches(images, of: batchSize) { self.features($0) }
    return (inBatches(features, of: batchSize) { self.output($0) }, features)
  }

  /// Trains on `steps` batches from `nextBatch` (Adam, mean squared error, cosine-decayed learning rate). With a
  /// renderer behind `nextBatch`, every batch is new and the regressor cannot memorize. Calls `progress(step, loss)`
  /// after each step.
  public func train(
    steps: Int, learningRate: Float = 2e-3, nextBatch: () -> (images: Tensor, factors: Tensor),
    progress: (Int, Float) -> Void = { _, _ in }
  ) {
    let optimizer = Adam(for: self, learningRate: learningRate)
    for step in 0..<steps {
      optimizer.learningRate = learningRate * Float(0.5 * (1 + cos(Double.pi * Double(step) / Double(steps))))
      let batch = nextBatch()
      let loss = optimizer.minimize(meanSquaredError(self(batch.images), batch.factors))
      progress(step + 1, loss)
    }
  }

  /// The coefficient of determination R² of each factor on held-out `images` with their true `factors` [N, K]:
  /// 1 is perfect, 0 is no better than predicting the mean.
  public func explainedVariance(images: Tensor, factors: Tensor) -> [Double] {
    let predicted = outputs(for: images).factors
    return (0..<factorCount).map { k in
      let truth = column(factors, k), guess = column(predicted, k)
      let mean = truth.reduce(0, +) / Double(truth.count)
      let residual = zip(truth, guess).map { ($0 - $1) * ($0 - $1) }.reduce(0, +)
      let total = truth.map { ($0 - mean) * ($0 - mean) }.reduce(0, +)
      return 1 - residual / Swift.max(total, 1e-12)
    }
  }
}

/// Column `k` of a [N, K] tensor, as Doubles.
func column(_ x: Tensor, _ k: Int) -> [Double] {
  let (n, width) = (x.shape[0], x.shape[1])
  let scalars = x.scalars
  return (0..<n).map { Double(scalars[$0 * width + k]) }
}

/// The maximum over each 2×2 window of [N, C, H, W] (H, W even): a view as [N, C, H/2, 2, W/2, 2] and a max over the
/// two window axes. The gradient goes to the window's largest element.
func maxPooled2x2(_ x: Tensor) -> Tensor {
  let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
  return x.reshaped(to: [n, c, h / 2, 2, w / 2, 2]).max(alongAxes: 3, 5).reshaped(to: [n, c, h / 2, w / 2])
}
