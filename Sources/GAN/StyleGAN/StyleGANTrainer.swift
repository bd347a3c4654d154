import Foundation
import NN

/// The hyperparameters of `StyleGANTrainer`; the defaults are StyleGAN2's (stylegan2-ada-pytorch `--cfg=stylegan2`).
public struct StyleGANTrainingOptions: Sendable, Equatable {
  /// Adam's learning rate for both networks (0.002).
  public var learningRate: Float
  /// Adam's β1 and β2 (0 and 0.99: no momentum, as in StyleGAN).
  public var beta1: Float
  public var beta2: Float
  public var epsilon: Float
  /// R1 weight γ (10 for config F; 1 for paper256; smaller images usually want less).
  public var r1Gamma: Float
  /// Lazy regularization: R1 runs every `r1Interval` steps (16), scaled by the interval, so that on average it
  /// weighs what it would every step. 0 disables R1.
  public var r1Interval: Int
  /// The probability of style mixing in a training batch (0.9).
  public var mixingProbability: Float
  /// The generator EMA's half-life in images (10,000 = the reference's ema_kimg 10): after each step,
  /// β = 0.5^(batch / halfLife).
  public var emaHalfLifeImages: Double
  /// The EMA's ramp-up (the reference's ema_rampup, 0.05 in its automatic config, nil to disable): the half-life
  /// is at most `rampUp` times the images seen so far, so early on the average follows the generator closely.
  public var emaRampUp: Double?
  /// Seeds the trainer's latents, noise and mixing.
  public var seed: UInt64

  public init(learningRate: Float = 0.002, beta1: Float = 0, beta2: Float = 0.99, epsilon: Float = 1e-8,
              r1Gamma: Float = 10, r1Interval: Int = 16, mixingProbability: Float = 0.9,
              emaHalfLifeImages: Double = 10_000, emaRampUp: Double? = 0.05, seed: UInt64 = 0) {
    precondition(r1Interval >= 0, "StyleGANTrainingOptions: r1Interval must not be negative, got \(r1Interval)")
    precondition(mixingProbability >= 0 && mixingProbability <= 1,
                 "StyleGANTrainingOptions: mixingProbability \(mixingProbability) is outside [0, 1]")
    precondition(emaHalfLifeImages >= 0, "StyleGANTrainingOptions: emaHalfLifeImages must not be negative")
    self.learningRate = learningRate
    self.beta1 = beta1
    self.beta2 = beta2
    self.epsilon = epsilon
    self.r1Gamma = r1Gamma
    self.r1Interval = r1Interval
    self.mixingProbability = mixingProbability
    self.emaHalfLifeImages = emaHalfLifeImages
    self.emaRampUp = emaRampUp
    self.seed = seed
  }
}

/// What one `StyleGANTrainer.step(real:)` measured.
public struct StyleGANStepResult: Sendable, Equatable {
  /// The generator's non-saturating loss, E[softplus(-D(G(z)))].
  public var generatorLoss: Float
  /// The discriminator's logistic loss, E[softplus(D(G(z)))] + E[softplus(-D(x))].
  public var discriminatorLoss: Float
  /// The R1 penalty γ/2 E[‖∇ₓD(x)‖²] on this batch when the step regularized (before scaling by the interval).
  public var r1Penalty: Float?
  /// Mean raw discriminator outputs on the real and generated images of the discriminator step.
  public var realScore: Float
  public var fakeScore: Float
  /// The style-mixing crossover of the generator step (nil when not mixed).
  public var crossover: Int?
  /// The EMA decay β used after this step.
  public var emaDecay: Float
}

/// StyleGAN2's training loop, one step at a time, as the reference's phases run it (without path-length
/// regularization):
/// 1. G: non-saturating logistic loss on a batch of mixed-style fakes; only the generator is updated.
/// 2. D: logistic loss on fresh fakes and the real batch.
/// 3. D, every `r1Interval` steps (from step 0): R1 on the real batch times the interval (lazy regularization).
/// 4. The generator EMA (`averagedGenerator`, the one to sample from) moves towards the generator.
///
/// Because R1 runs lazily, the discriminator's Adam uses lr·c and β^c with c = interval / (interval + 1), as the
/// reference does to keep the average step the same. (The generator has no lazy regularizer here, so it keeps lr.)
/// w_avg is updated on every mapping of a training batch's first latent, in the G and the D step, as in the reference.
public final class StyleGANTrainer {
  public let generator: StyleGANGenerator
  public let discriminator: StyleGANDiscriminator
  /// The exponential moving average of the generator's weights, copied into `averagedGenerator` after every step.
  public let average: ExponentialMovingAverage
  /// A generator of the same configuration holding the averaged weights: sample from this one.
  public let averagedGenerator: StyleGANGenerator
  public let generatorOptimizer: Adam
  public let discriminatorOptimizer: Adam
  public let options: StyleGANTrainingOptions
  /// Steps taken so far.
  public private(set) var iteration = 0
  /// Real images shown to the discriminator so far.
  public private(set) var imagesSeen = 0
  /// The source of latents, noise and mixing decisions.
  public var randomness: SeededGenerator

  public init(generator: StyleGANGenerator, discriminator: StyleGANDiscriminator,
              options: StyleGANTrainingOptions = StyleGANTrainingOptions()) {
    precondition(generator.configuration.resolution == discriminator.configuration.resolution
                   && generator.configuration.channels == discriminator.configuration.channels,
                 "StyleGANTrainer: generator (\(generator.configuration)) and discriminator "
                   + "(\(discriminator.configuration)) disagree on the image size")
    self.generator = generator
    self.discriminator = discriminator
    self.options = options
    generator.mixingProbability = options.mixingProbability
    randomness = SeededGenerator(seed: options.seed)
    average = ExponentialMovingAverage(of: generator, decay: 0)
    var scratch = SeededGenerator(seed: options.seed ^ 0x5EED)
    averagedGenerator = StyleGANGenerator(configuration: generator.configuration, using: &scratch)
    average.copy(into: averagedGenerator)
    generatorOptimizer = Adam(for: generator, learningRate: options.learningRate, beta1: options.beta1,
                              beta2: options.beta2, epsilon: options.epsilon)
    let c = options.r1Interval > 0 ? Float(options.r1Interval) / Float(options.r1Interval + 1) : 1
    discriminatorOptimizer = Adam(for: discriminator, learningRate: options.learningRate * c,
                                  beta1: Foundation.pow(options.beta1, c), beta2: Foundation.pow(options.beta2, c),
                                  epsilon: options.epsilon)
  }

  /// Continues a saved run: the step and image counts, the random stream, and the moving average taken from
  /// `averagedGenerator` (whose weights the caller has loaded from the checkpoint; the average and that
  /// generator are equal after every step, so the one restores the other).
  public func resume(iteration: Int, imagesSeen: Int, randomness: SeededGenerator) {
    precondition(iteration >= 0 && imagesSeen >= 0, "StyleGANTrainer.resume: negative counts")
    self.iteration = iteration
    self.imagesSeen = imagesSeen
    self.randomness = randomness
    average.load(from: averagedGenerator)
  }

  /// Whether the step with this iteration number applies R1.
  public func regularizes(atIteration iteration: Int) -> Bool {
    options.r1Interval > 0 && options.r1Gamma != 0 && iteration % options.r1Interval == 0
  }

  /// One training step on a batch of real images [N, channels, resolution, resolution] (values in [-1, 1]).
  /// N must be divisible by min(4, N) for the minibatch standard deviation.
  @discardableResult
  public func step(real: Tensor) -> StyleGANStepResult {
    let configuration = generator.configuration
    let r = configuration.resolution
    precondition(real.rank == 4 && real.shape[1] == configuration.channels && real.shape[2] == r && real.shape[3] == r,
                 "StyleGANTrainer.step: real images must be [N, \(configuration.channels), \(r), \(r)], got \(real.shape)")
    let n = real.shape[0]
    let zShape = [n, configuration.zDim]

    // 1. Generator: make the discriminator call the fakes real.
    let (ws, crossover) = generator.trainingStyles(Tensor.randomNormal(zShape, using: &randomness), using: &randomness)
    let fake = generator.synthesize(ws: ws, noise: .random, using: &randomness)
    let generatorLoss = generatorOptimizer.minimize(
      AdversarialLoss.nonSaturating.generatorLoss(fakeLogits: discriminator(fake)))

    // 2. Discriminator: tell fresh fakes from the real batch.
    let fresh = withoutGradients {
      generator.synthesize(
        ws: generator.trainingStyles(Tensor.randomNormal(zShape, using: &randomness), using: &randomness).ws,
        noise: .random, using: &randomness)
    }
    let fakeLogits = discriminator(fresh)
    let realLogits = discriminator(real.detached())
    let discriminatorLoss = discriminatorOptimizer.minimize(
      AdversarialLoss.nonSaturating.discriminatorLoss(real: realLogits, fake: fakeLogits))

    // 3. Lazy R1 on the real batch, weighted by the interval.
    var penaltyValue: Float?
    if regularizes(atIteration: iteration) {
      let penalty = r1Penalty(critic: { self.discriminator($0) }, real: real, gamma: options.r1Gamma)
      penaltyValue = penalty.scalar
      discriminatorOptimizer.minimize(penalty * Float(options.r1Interval))
    }

    // 4. The generator EMA: β = 0.5^(batch / half-life), the half-life ramped up with the images seen.
    var halfLife = options.emaHalfLifeImages
    if let rampUp = options.emaRampUp { halfLife = Swift.min(halfLife, Double(imagesSeen) * rampUp) }
    let decay = Float(Foundation.pow(0.5, Double(n) / Swift.max(halfLife, 1e-8)))
    average.decay = decay
    average.update(from: generator)
    average.copy(into: averagedGenerator)

    iteration += 1
    imagesSeen += n
    return StyleGANStepResult(
      generatorLoss: generatorLoss, discriminatorLoss: discriminatorLoss, r1Penalty: penaltyValue,
      realScore: realLogits.mean().scalar, fakeScore: fakeLogits.mean().scalar, crossover: crossover,
      emaDecay: decay)
  }
}
