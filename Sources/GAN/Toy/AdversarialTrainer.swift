import Autograd
import NN

/// How a critic is kept in check. A Wasserstein critic must be (close to) 1-Lipschitz, or E f(real) − E f(fake)
/// can be made as large as it likes; the two classic ways are clipping its weights and penalizing its gradient.
public enum CriticConstraint: Sendable, Equatable {
  /// Nothing: the probabilistic discriminator of the standard GAN, whose sigmoid already bounds it.
  case none
  /// WGAN (Arjovsky et al. 2017): after every critic update, clamp every critic parameter into [−limit, limit]
  /// (0.01 in the paper). A crude bound on the Lipschitz constant: it holds, but the weights pile up at ±limit and
  /// the critic can only draw very simple functions.
  case weightClipping(limit: Float)
  /// WGAN-GP (Gulrajani et al. 2017): add λ E[(‖∇f(x̂)‖ − 1)²] at random points x̂ between real and generated samples
  /// (λ = 10 in the paper), so the critic's slope is pulled to 1 where it matters.
  case gradientPenalty(weight: Float)
}

/// Alternating GAN training on small data: `criticSteps` critic (discriminator) updates on fresh batches, then one
/// generator update, as in Goodfellow et al. 2014 (one critic step) and the WGAN papers (five).
///
/// The same loop serves the standard GAN with either generator loss and both Wasserstein critics: the objective is
/// an `AdversarialLoss`, the critic's constraint a `CriticConstraint`, and each network has its own optimizer.
///
/// ```swift
/// let trainer = AdversarialTrainer(
///   generator: g, critic: f, generatorOptimizer: Adam(for: g, learningRate: 1e-4, beta1: 0.5, beta2: 0.9),
///   criticOptimizer: Adam(for: f, learningRate: 1e-4, beta1: 0.5, beta2: 0.9), loss: .wasserstein,
///   constraint: .gradientPenalty(weight: 10), criticSteps: 5, batchSize: 256, noiseSize: 2,
///   sampleData: { count, rng in ring.sample(count: count, using: &rng) })
/// for _ in 1...steps { trainer.step(using: &rng) }
/// ```
public final class AdversarialTrainer {
  public let generator: any Layer
  public let critic: any Layer
  public let generatorOptimizer: any Optimizer
  public let criticOptimizer: any Optimizer
  public let loss: AdversarialLoss
  public let constraint: CriticConstraint
  /// Critic updates per generator update.
  public let criticSteps: Int
  public let batchSize: Int
  /// The size of the generator's input z ~ N(0, I).
  public let noiseSize: Int
  /// Draws `count` real samples as a [count, dimension] tensor.
  public let sampleData: (Int, inout SeededGenerator) -> Tensor

  public init(
    generator: any Layer, critic: any Layer, generatorOptimizer: any Optimizer, criticOptimizer: any Optimizer,
    loss: AdversarialLoss, constraint: CriticConstraint = .none, criticSteps: Int = 1, batchSize: Int,
    noiseSize: Int, sampleData: @escaping (Int, inout SeededGenerator) -> Tensor
  ) {
    precondition(criticSteps >= 1, "AdversarialTrainer: criticSteps must be at least 1, got \(criticSteps)")
    precondition(batchSize >= 1 && noiseSize >= 1, "AdversarialTrainer: batchSize and noiseSize must be positive")
    precondition(generatorOptimizer.model === generator, "AdversarialTrainer: generatorOptimizer is not the generator's")
    precondition(criticOptimizer.model === critic, "AdversarialTrainer: criticOptimizer is not the critic's")
    self.generator = generator
    self.critic = critic
    self.generatorOptimizer = generatorOptimizer
    self.criticOptimizer = criticOptimizer
    self.loss = loss
    self.constraint = constraint
    self.criticSteps = criticSteps
    self.batchSize = batchSize
    self.noiseSize = noiseSize
    self.sampleData = sampleData
  }

  /// What one critic update saw.
  public struct CriticUpdate: Sendable {
    /// The critic's loss before the update, without the penalty.
    public var loss: Float
    /// The gradient penalty (0 without one).
    public var penalty: Float
    /// Mean critic score on the real batch minus that on the fake batch: for a Wasserstein critic, its estimate of
    /// W₁ (up to the unknown Lipschitz constant under clipping).
    public var scoreGap: Float
  }

  /// Noise z ~ N(0, I), [count, noiseSize].
  public func noise(_ count: Int, using rng: inout SeededGenerator) -> Tensor {
    Tensor.randomNormal([count, noiseSize], using: &rng)
  }

  /// `count` generated samples (no graph kept).
  public func generate(_ count: Int, using rng: inout SeededGenerator) -> Tensor {
    let z = noise(count, using: &rng)
    return withoutGradients { generator(z) }
  }

  /// One critic update on a fresh real batch and fresh fakes (the generator is not changed), then the constraint.
  @discardableResult
  public func criticStep(using rng: inout SeededGenerator) -> CriticUpdate {
    let real = sampleData(batchSize, &rng)
    let fake = generate(batchSize, using: &rng)
    let realScores = critic(real), fakeScores = critic(fake)
    let objective = loss.discriminatorLoss(real: realScores, fake: fakeScores)
    var total = objective
    var penaltyValue: Float = 0
    if case .gradientPenalty(let weight) = constraint {
      let critic = self.critic
      let penalty = gradientPenalty(critic: { critic($0) }, real: real, fake: fake, weight: weight, using: &rng)
      penaltyValue = penalty.scalar
      total = total + penalty
    }
    let gap = realScores.scalars.reduce(0, +) / Float(batchSize) - fakeScores.scalars.reduce(0, +) / Float(batchSize)
    criticOptimizer.minimize(total)
    if case .weightClipping(let limit) = constraint { clipWeights(of: critic, to: limit) }
    return CriticUpdate(loss: objective.scalar, penalty: penaltyValue, scoreGap: gap)
  }

  /// One generator update on fresh noise; only the generator's parameters move. Returns the generator's loss.
  @discardableResult
  public func generatorStep(using rng: inout SeededGenerator) -> Float {
    let fake = generator(noise(batchSize, using: &rng))
    return generatorOptimizer.minimize(loss.generatorLoss(fakeLogits: critic(fake)))
  }

  /// `criticSteps` critic updates, then one generator update. Returns the last critic update and the generator loss.
  @discardableResult
  public func step(using rng: inout SeededGenerator) -> (critic: CriticUpdate, generatorLoss: Float) {
    var last = CriticUpdate(loss: .nan, penalty: 0, scoreGap: .nan)
    for _ in 0..<criticSteps { last = criticStep(using: &rng) }
    let generatorLoss = generatorStep(using: &rng)
    return (last, generatorLoss)
  }
}
