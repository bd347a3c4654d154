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

/// Alternating GAN training for any data and any pair of networks: `criticSteps` critic (discriminator) updates on
/// fresh batches, then one generator update, as in Goodfellow et al. 2014 (one critic step) and the WGAN papers
/// (five). One loop serves every lesson and the playground, so each regularizer the course teaches is written once.
///
/// The critic's objective in each update is
///
///     L_D = loss.discriminatorLoss(D(x), D(G(z)))  [+ λ E(‖∇f(x̂)‖ − 1)²  (gradient penalty)]  [+ γ/2 E‖∇D(x)‖²  (R1)]
///
/// followed by weight clipping when the constraint says so. Real batches come from `realBatch` (a toy distribution
/// or an image sampler); noise is z ~ N(0, I) of size `noiseSize`. With `averagedGenerator`, an exponential moving
/// average of G's weights is kept after every generator update (ProGAN, StyleGAN and BigGAN sample from one, since
/// the game's iterates circle the equilibrium rather than land on it), and `generate` samples from it.
///
/// ```swift
/// let trainer = GANTrainer(
///   generator: g, critic: f, generatorOptimizer: Adam(for: g, learningRate: 1e-4, beta1: 0.5, beta2: 0.9),
///   criticOptimizer: Adam(for: f, learningRate: 1e-4, beta1: 0.5, beta2: 0.9), loss: .wasserstein,
///   constraint: .gradientPenalty(weight: 10), criticSteps: 5, batchSize: 256, noiseSize: 2,
///   sampleData: { count, rng in ring.sample(count: count, using: &rng) })
/// for _ in 1...steps { trainer.step(using: &rng) }
/// ```
public final class GANTrainer {
  public let generator: any Layer
  /// The critic (discriminator): the same network whether the loss reads its output as a logit or a score.
  public let critic: any Layer
  public let generatorOptimizer: any Optimizer
  public let criticOptimizer: any Optimizer
  /// The adversarial loss (a `var`: the playground's viewer may switch it while training under `--serve`).
  public var loss: AdversarialLoss
  /// Weight clipping or the WGAN-GP gradient penalty (or neither).
  public let constraint: CriticConstraint
  /// γ of the R1 penalty on real data (Mescheder et al. 2018), or nil for none.
  public let r1Gamma: Float?
  /// Critic updates per generator update.
  public let criticSteps: Int
  public let batchSize: Int
  /// The size of the generator's input z ~ N(0, I).
  public let noiseSize: Int
  /// Draws one real batch.
  public let realBatch: (inout SeededGenerator) -> Tensor
  /// A second generator of the same architecture that holds the moving average of G's weights (nil: none).
  public let averagedGenerator: (any Layer)?
  /// The moving average's decay once warmed up.
  public let averageDecay: Float
  private let average: ExponentialMovingAverage?
  private var generatorUpdates = 0

  /// - Parameters:
  ///   - averagedGenerator: a generator of the same architecture to sample from, holding the moving average of
  ///     `generator`'s weights with decay `averageDecay` (0: a copy of G itself).
  public init(
    generator: any Layer, critic: any Layer, generatorOptimizer: any Optimizer, criticOptimizer: any Optimizer,
    loss: AdversarialLoss, constraint: CriticConstraint = .none, r1Gamma: Float? = nil, criticSteps: Int = 1,
    batchSize: Int, noiseSize: Int, averagedGenerator: (any Layer)? = nil, averageDecay: Float = 0.999,
    realBatch: @escaping (inout SeededGenerator) -> Tensor
  ) {
    precondition(criticSteps >= 1, "GANTrainer: criticSteps must be at least 1, got \(criticSteps)")
    precondition(batchSize >= 1 && noiseSize >= 1, "GANTrainer: batchSize and noiseSize must be positive")
    precondition(generatorOptimizer.model === generator, "GANTrainer: generatorOptimizer is not the generator's")
    precondition(criticOptimizer.model === critic, "GANTrainer: criticOptimizer is not the critic's")
    precondition(averagedGenerator !== generator, "GANTrainer: the averaged generator must be a second network")
    self.generator = generator
    self.critic = critic
    self.generatorOptimizer = generatorOptimizer
    self.criticOptimizer = criticOptimizer
    self.loss = loss
    self.constraint = constraint
    self.r1Gamma = r1Gamma
    self.criticSteps = criticSteps
    self.batchSize = batchSize
    self.noiseSize = noiseSize
    self.realBatch = realBatch
    self.averagedGenerator = averagedGenerator
    self.averageDecay = averageDecay
    average = averagedGenerator.map { _ in ExponentialMovingAverage(of: generator, decay: averageDecay) }
    if let averagedGenerator { average?.copy(into: averagedGenerator) }
  }

  /// A trainer whose real batches are `sampleData(batchSize, &rng)` (a toy distribution's sampler).
  public convenience init(
    generator: any Layer, critic: any Layer, generatorOptimizer: any Optimizer, criticOptimizer: any Optimizer,
    loss: AdversarialLoss, constraint: CriticConstraint = .none, r1Gamma: Float? = nil, criticSteps: Int = 1,
    batchSize: Int, noiseSize: Int, averagedGenerator: (any Layer)? = nil, averageDecay: Float = 0.999,
    sampleData: @escaping (Int, inout SeededGenerator) -> Tensor
  ) {
    self.init(
      generator: generator, critic: critic, generatorOptimizer: generatorOptimizer, criticOptimizer: criticOptimizer,
      loss: loss, constraint: constraint, r1Gamma: r1Gamma, criticSteps: criticSteps, batchSize: batchSize,
      noiseSize: noiseSize, averagedGenerator: averagedGenerator, averageDecay: averageDecay,
      realBatch: { rng in sampleData(batchSize, &rng) })
  }

  /// What one critic update saw (values before the update).
  public struct CriticUpdate: Sendable {
    /// The adversarial loss alone.
    public var loss: Float
    /// The gradient penalty plus the R1 penalty (0 without either).
    public var penalty: Float
    /// Mean score on the real batch minus mean score on the fake batch: for a Wasserstein critic, its estimate of
    /// W₁ (up to the unknown Lipschitz constant under clipping).
    public var scoreGap: Float
  }

  /// What one full step (critic updates and a generator update) saw.
  public struct Step: Sendable {
    /// The last critic update.
    public var critic: CriticUpdate
    public var generatorLoss: Float
  }

  /// Noise z ~ N(0, I), [count, noiseSize].
  public func noise(_ count: Int, using rng: inout SeededGenerator) -> Tensor {
    Tensor.randomNormal([count, noiseSize], using: &rng)
  }

  /// The network samples come from: the averaged generator when there is one, else the generator.
  public var sampler: any Layer { averagedGenerator ?? generator }

  /// `count` generated samples from `sampler` (no graph kept), made in chunks of at most `chunk`.
  public func generate(_ count: Int, chunk: Int = 500, using rng: inout SeededGenerator) -> Tensor {
    generate(from: noise(count, using: &rng), chunk: chunk)
  }

  /// `sampler`'s samples for given noise (no graph kept), in chunks of at most `chunk`.
  public func generate(from z: Tensor, chunk: Int = 500) -> Tensor {
    let sampler = self.sampler
    return inBatches(z, of: chunk) { sampler($0) }
  }

  /// One critic update on a fresh real batch and fresh fakes from the generator itself, then the constraint.
  @discardableResult
  public func criticStep(using rng: inout SeededGenerator) -> CriticUpdate {
    let real = realBatch(&rng)
    let fake = withoutGradients { generator(noise(real.shape[0], using: &rng)) }.detached()
    let realScores = critic(real), fakeScores = critic(fake)
    let objective = loss.discriminatorLoss(real: realScores, fake: fakeScores)
    var total = objective
    var penaltyValue: Float = 0
    let critic = self.critic
    if case .gradientPenalty(let weight) = constraint {
      let penalty = gradientPenalty(critic: { critic($0) }, real: real, fake: fake, weight: weight, using: &rng)
      penaltyValue += penalty.scalar
      total = total + penalty
    }
    if let r1Gamma {
      let penalty = r1Penalty(critic: { critic($0) }, real: real, gamma: r1Gamma)
      penaltyValue += penalty.scalar
      total = total + penalty
    }
    let gap = Self.mean(realScores.scalars) - Self.mean(fakeScores.scalars)
    criticOptimizer.minimize(total)
    if case .weightClipping(let limit) = constraint { clipWeights(of: critic, to: limit) }
    return CriticUpdate(loss: objective.scalar, penalty: penaltyValue, scoreGap: gap)
  }

  /// One generator update on fresh noise; only the generator's parameters move. Then the moving average, if any,
  /// takes a step. Returns the generator's loss.
  @discardableResult
  public func generatorStep(using rng: inout SeededGenerator) -> Float {
    let fake = generator(noise(batchSize, using: &rng))
    let value = generatorOptimizer.minimize(loss.generatorLoss(fakeLogits: critic(fake)))
    if let average, let averagedGenerator {
      // A warm-up on the decay (as common EMA implementations do), so early averages are not dragged to the start.
      generatorUpdates += 1
      average.decay = min(averageDecay, Float(1 + generatorUpdates) / Float(10 + generatorUpdates))
      average.update(from: generator)
      average.copy(into: averagedGenerator)
    }
    return value
  }

  /// `criticSteps` critic updates, then one generator update.
  @discardableResult
  public func step(using rng: inout SeededGenerator) -> Step {
    var last = CriticUpdate(loss: .nan, penalty: 0, scoreGap: .nan)
    for _ in 0..<criticSteps { last = criticStep(using: &rng) }
    return Step(critic: last, generatorLoss: generatorStep(using: &rng))
  }

  private static func mean(_ values: [Float]) -> Float {
    values.isEmpty ? .nan : values.reduce(0, +) / Float(values.count)
  }
}
