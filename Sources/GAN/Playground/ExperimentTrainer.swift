import Autograd
import NN

/// Alternating GAN training for any data and any pair of networks, with every regularizer the course teaches:
/// `criticSteps` discriminator updates, then one generator update, as `AdversarialTrainer` does for the toy lessons,
/// plus the R1 penalty on real data (Mescheder et al. 2018), which that trainer leaves out.
///
/// The discriminator's objective in each update is
///
///     L_D = loss.discriminatorLoss(D(x), D(G(z)))  [+ λ E(‖∇f(x̂)‖ − 1)²  (gradient penalty)]  [+ γ/2 E‖∇D(x)‖²  (R1)]
///
/// followed by weight clipping when the constraint says so. Real batches come from `realBatch` (a toy distribution
/// or an image sampler); noise is z ~ N(0, I) of size `noiseSize`.
///
/// ```swift
/// let trainer = ExperimentTrainer(
///   generator: g, discriminator: d, generatorOptimizer: Adam(for: g, learningRate: 2e-4, beta1: 0.5),
///   discriminatorOptimizer: Adam(for: d, learningRate: 2e-4, beta1: 0.5), loss: .hinge, r1Gamma: 1,
///   batchSize: 64, noiseSize: 100, realBatch: { rng in sampler.next().examples })
/// for _ in 1...steps { trainer.step(using: &rng) }
/// ```
public final class ExperimentTrainer {
  public let generator: any Layer
  public let discriminator: any Layer
  public let generatorOptimizer: any Optimizer
  public let discriminatorOptimizer: any Optimizer
  public let loss: AdversarialLoss
  /// Weight clipping or the WGAN-GP gradient penalty (or neither).
  public let constraint: CriticConstraint
  /// γ of the R1 penalty on real data, or nil for none.
  public let r1Gamma: Float?
  /// Discriminator updates per generator update.
  public let criticSteps: Int
  public let batchSize: Int
  /// The size of the generator's input z ~ N(0, I).
  public let noiseSize: Int
  /// Draws one real batch of `batchSize` samples.
  public let realBatch: (inout SeededGenerator) -> Tensor

  public init(
    generator: any Layer, discriminator: any Layer, generatorOptimizer: any Optimizer,
    discriminatorOptimizer: any Optimizer, loss: AdversarialLoss, constraint: CriticConstraint = .none,
    r1Gamma: Float? = nil, criticSteps: Int = 1, batchSize: Int, noiseSize: Int,
    realBatch: @escaping (inout SeededGenerator) -> Tensor
  ) {
    precondition(criticSteps >= 1, "ExperimentTrainer: criticSteps must be at least 1, got \(criticSteps)")
    precondition(batchSize >= 1 && noiseSize >= 1, "ExperimentTrainer: batchSize and noiseSize must be positive")
    precondition(generatorOptimizer.model === generator, "ExperimentTrainer: generatorOptimizer is not the generator's")
    precondition(discriminatorOptimizer.model === discriminator,
                 "ExperimentTrainer: discriminatorOptimizer is not the discriminator's")
    self.generator = generator
    self.discriminator = discriminator
    self.generatorOptimizer = generatorOptimizer
    self.discriminatorOptimizer = discriminatorOptimizer
    self.loss = loss
    self.constraint = constraint
    self.r1Gamma = r1Gamma
    self.criticSteps = criticSteps
    self.batchSize = batchSize
    self.noiseSize = noiseSize
    self.realBatch = realBatch
  }

  /// What one discriminator update saw (values before the update).
  public struct DiscriminatorUpdate: Sendable {
    /// The adversarial loss alone.
    public var loss: Float
    /// The gradient penalty plus the R1 penalty (0 without either).
    public var penalty: Float
    /// Mean score on the real batch minus mean score on the fake batch (for a Wasserstein critic: its W₁ estimate).
    public var scoreGap: Float
  }

  /// What one full step (critic updates and a generator update) saw.
  public struct Step: Sendable {
    public var discriminator: DiscriminatorUpdate
    public var generatorLoss: Float
  }

  /// Noise z ~ N(0, I), [count, noiseSize].
  public func noise(_ count: Int, using rng: inout SeededGenerator) -> Tensor {
    Tensor.randomNormal([count, noiseSize], using: &rng)
  }

  /// `count` generated samples (no graph kept), made in chunks of at most `chunk`.
  public func generate(_ count: Int, chunk: Int = 500, using rng: inout SeededGenerator) -> Tensor {
    generate(from: noise(count, using: &rng), chunk: chunk)
  }

  /// The generator's samples for given noise (no graph kept), in chunks of at most `chunk`.
  public func generate(from z: Tensor, chunk: Int = 500) -> Tensor {
    let count = z.shape[0]
    if count <= chunk { return withoutGradients { generator(z) }.detached() }
    var parts: [Tensor] = []
    var start = 0
    while start < count {
      let end = min(count, start + chunk)
      parts.append(withoutGradients { generator(z.sliced(axis: 0, start..<end)) })
      start = end
    }
    return concatenate(parts, alongAxis: 0).detached()
  }

  /// One discriminator update on a fresh real batch and fresh fakes, then the constraint.
  @discardableResult
  public func discriminatorStep(using rng: inout SeededGenerator) -> DiscriminatorUpdate {
    let real = realBatch(&rng)
    let fake = withoutGradients { generator(noise(real.shape[0], using: &rng)) }.detached()
    let realScores = discriminator(real), fakeScores = discriminator(fake)
    let objective = loss.discriminatorLoss(real: realScores, fake: fakeScores)
    var total = objective
    var penaltyValue: Float = 0
    let discriminator = self.discriminator
    if case .gradientPenalty(let weight) = constraint {
      let penalty = gradientPenalty(critic: { discriminator($0) }, real: real, fake: fake, weight: weight, using: &rng)
      penaltyValue += penalty.scalar
      total = total + penalty
    }
    if let r1Gamma {
      let penalty = r1Penalty(critic: { discriminator($0) }, real: real, gamma: r1Gamma)
      penaltyValue += penalty.scalar
      total = total + penalty
    }
    let gap = mean(realScores.scalars) - mean(fakeScores.scalars)
    discriminatorOptimizer.minimize(total)
    if case .weightClipping(let limit) = constraint { clipWeights(of: discriminator, to: limit) }
    return DiscriminatorUpdate(loss: objective.scalar, penalty: penaltyValue, scoreGap: gap)
  }

  /// One generator update on fresh noise; only the generator's parameters move. Returns the generator's loss.
  @discardableResult
  public func generatorStep(using rng: inout SeededGenerator) -> Float {
    let fake = generator(noise(batchSize, using: &rng))
    return generatorOptimizer.minimize(loss.generatorLoss(fakeLogits: discriminator(fake)))
  }

  /// `criticSteps` discriminator updates, then one generator update.
  @discardableResult
  public func step(using rng: inout SeededGenerator) -> Step {
    var last = DiscriminatorUpdate(loss: .nan, penalty: 0, scoreGap: .nan)
    for _ in 0..<criticSteps { last = discriminatorStep(using: &rng) }
    return Step(discriminator: last, generatorLoss: generatorStep(using: &rng))
  }

  private func mean(_ values: [Float]) -> Float {
    values.isEmpty ? .nan : values.reduce(0, +) / Float(values.count)
  }
}
