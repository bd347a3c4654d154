import Foundation
import NN

/// A training batch for super-resolution: the originals, their box-downsampled inputs, and a fixed classifier's
/// features of the originals (the content loss's targets, computed once per batch, without gradients).
public struct SuperResolutionBatch {
  public let low: Tensor
  public let high: Tensor
  public let features: Tensor

  public init(high: Tensor, factor: Int, classifier: MNISTClassifier) {
    self.high = high
    low = boxDownsampled(high, factor: factor)
    features = withoutGradients { classifier.features(high) }
  }
}

/// SRGAN's content loss at MNIST scale: pixel mean squared error plus λ_feature times the mean squared distance
/// between a fixed classifier's features of the output and of the original (SRGAN used VGG features). The pixel
/// part is returned on its own too, for the curves: it is what every generator is compared by.
public struct SuperResolutionContentLoss {
  public let classifier: MNISTClassifier
  public let featureWeight: Float

  public init(classifier: MNISTClassifier, featureWeight: Float) {
    self.classifier = classifier
    self.featureWeight = featureWeight
  }

  public func callAsFunction(_ upscaled: Tensor, _ batch: SuperResolutionBatch) -> (total: Tensor, pixel: Float) {
    let pixel = meanSquaredError(upscaled, batch.high)
    guard featureWeight > 0 else { return (pixel, pixel.scalar) }
    return (pixel + featureWeight * meanSquaredError(classifier.features(upscaled), batch.features), pixel.scalar)
  }
}

extension SuperResolutionGenerator {
  /// Upscales many low-resolution images without recording gradients, `batchSize` at a time, clamped to [−1, 1]
  /// (the network's output is unbounded; an image file would clamp it too).
  public func upscaled(_ images: Tensor, batchSize: Int = 250) -> Tensor {
    inBatches(images, of: batchSize) { clamp(self($0), min: -1, max: 1) }
  }
}

/// SRGAN against its content-only twin, the comparison of Ledig et al. made fair: both generators share the
/// initialization and a content-only start; at the fork SRGAN's generator becomes an exact copy (weights and Adam
/// state), and from then on both see the same batches, one on the content loss alone, the other with the
/// adversarial term λ_adv · (−log D(G(x_lr))) added. The only difference between them is that term.
public final class SRGANComparison {
  public let contentOnly: SuperResolutionGenerator
  public let contentOptimizer: Adam
  public let contentLoss: SuperResolutionContentLoss
  public let adversarialWeight: Float
  public let adversarial = AdversarialLoss.nonSaturating
  /// SRGAN's generator, discriminator and their optimizers, from the fork on.
  public private(set) var srgan: SuperResolutionGenerator?
  public private(set) var srganOptimizer: Adam?
  public private(set) var discriminator: MNISTDiscriminator?
  public private(set) var discriminatorOptimizer: Adam?

  /// What one step of the game measured.
  public struct GameStep {
    /// SRGAN's pixel MSE on the batch, and the content-only twin's.
    public var pixel: Float
    public var contentPixel: Float
    public var discriminatorLoss: Float
    /// −log D(G(x_lr)), the adversarial term before its weight.
    public var adversarial: Float
  }

  /// Adam with β = (0.9, 0.999) for the generators, as SRGAN.
  public init(
    contentOnly: SuperResolutionGenerator, learningRate: Float, contentLoss: SuperResolutionContentLoss,
    adversarialWeight: Float
  ) {
    self.contentOnly = contentOnly
    contentOptimizer = Adam(for: contentOnly, learningRate: learningRate, beta1: 0.9, beta2: 0.999)
    self.contentLoss = contentLoss
    self.adversarialWeight = adversarialWeight
  }

  /// One content-only step; returns its pixel MSE.
  @discardableResult
  public func contentStep(_ batch: SuperResolutionBatch) -> Float {
    let (loss, pixel) = contentLoss(contentOnly(batch.low), batch)
    _ = contentOptimizer.minimize(loss)
    return pixel
  }

  /// The fork: `srgan` (any generator of the same shape) becomes a copy of the content-only generator, its Adam a
  /// copy of the content-only Adam, and `discriminator` joins with Adam (`discriminatorLearningRate`, β₁ = 0.5).
  public func fork(
    srgan: SuperResolutionGenerator, discriminator: MNISTDiscriminator, discriminatorLearningRate: Float
  ) throws {
    let optimizer = Adam(
      for: srgan, learningRate: contentOptimizer.learningRate, beta1: contentOptimizer.beta1,
      beta2: contentOptimizer.beta2)
    try srgan.loadState(contentOnly.stateTensors(), source: "the content-only generator")
    try optimizer.loadStateContents(contentOptimizer.stateContents(), source: "the content-only optimizer")
    self.srgan = srgan
    srganOptimizer = optimizer
    self.discriminator = discriminator
    discriminatorOptimizer = Adam(for: discriminator, learningRate: discriminatorLearningRate, beta1: 0.5, beta2: 0.999)
  }

  /// One step of both generators on the same batch (after `fork`): the content-only step, D on real against
  /// SRGAN's upscaled images, then SRGAN's generator on the content loss plus the weighted adversarial term.
  public func gameStep(_ batch: SuperResolutionBatch) -> GameStep {
    guard let srgan, let srganOptimizer, let discriminator, let discriminatorOptimizer else {
      preconditionFailure("SRGANComparison.gameStep: call fork(srgan:discriminator:discriminatorLearningRate:) first")
    }
    let contentPixel = contentStep(batch)
    let upscaled = srgan(batch.low)
    let lossD = discriminatorOptimizer.minimize(
      adversarial.discriminatorLoss(real: discriminator(batch.high), fake: discriminator(upscaled.detached())))
    let (content, pixel) = contentLoss(upscaled, batch)
    let fooling = adversarial.generatorLoss(fakeLogits: discriminator(upscaled))
    _ = srganOptimizer.minimize(content + adversarialWeight * fooling)
    return GameStep(pixel: pixel, contentPixel: contentPixel, discriminatorLoss: lossD, adversarial: fooling.scalar)
  }
}

/// A quick look at an upscaler during training: its mean PSNR and mean gradient magnitude (sharpness) on a fixed
/// probe of test images, `low` the inputs and `high` the originals.
public struct UpscalingProbe: Sendable {
  public let psnr: Double
  public let gradient: Double

  public init(_ generator: SuperResolutionGenerator, low: Tensor, high: Tensor) {
    let images = generator.upscaled(low)
    psnr = UpscalingScores.mean(peakSignalToNoiseRatios(images, references: high))
    gradient = UpscalingScores.mean(meanGradientMagnitudes(images))
  }
}
