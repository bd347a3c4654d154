import NN

/// The two generators of a CycleGAN, as one module so that one optimizer updates both (the reference's
/// `Adam(chain(G_A.parameters(), G_B.parameters()))`). Parameter paths start with `aToB.` and `bToA.`.
public final class CycleGANGenerators: Module {
  /// G: domain A -> domain B (the reference's `G_A`).
  public let aToB: any Layer
  /// F: domain B -> domain A (the reference's `G_B`).
  public let bToA: any Layer

  public init(aToB: any Layer, bToA: any Layer) {
    precondition(aToB !== bToA, "CycleGANGenerators: the two directions need two separate networks")
    self.aToB = aToB
    self.bToA = bToA
    super.init()
  }
}

/// The two discriminators of a CycleGAN, as one module for one optimizer. Named by the domain each one judges:
/// `domainB` tells real B images from G's translations (the reference's `D_A`, named there after G_A, whose
/// output it judges) and `domainA` tells real A images from F's (the reference's `D_B`).
public final class CycleGANDiscriminators: Module {
  /// D_A here, `D_B` in the reference: is this a real image of domain A?
  public let domainA: any Layer
  /// D_B here, `D_A` in the reference: is this a real image of domain B?
  public let domainB: any Layer

  public init(domainA: any Layer, domainB: any Layer) {
    precondition(domainA !== domainB, "CycleGANDiscriminators: the two domains need two separate networks")
    self.domainA = domainA
    self.domainB = domainB
    super.init()
  }
}

/// The loss values of one CycleGAN step (each already multiplied by its weight), measured on the batch the step
/// trained on, before the update.
public struct CycleGANLosses: Sendable, Equatable {
  /// The generators' adversarial loss, both directions summed: L(D_B(G(a))) + L(D_A(F(b))).
  public var generatorAdversarial: Float
  /// λ (mean|F(G(a)) - a| + mean|G(F(b)) - b|). Measured even when the cycle loss is switched off (then it is
  /// not part of what the generators minimize, and shows how far they drift from invertibility).
  public var cycle: Float
  /// λ_idt (mean|G(b) - b| + mean|F(a) - a|); 0 when the identity weight is 0.
  public var identity: Float
  /// What the generators minimized: adversarial + cycle (if switched on) + identity.
  public var generatorTotal: Float
  /// The loss of the discriminator that judges domain A (the reference's `loss_D_B`).
  public var discriminatorA: Float
  /// The loss of the discriminator that judges domain B (the reference's `loss_D_A`).
  public var discriminatorB: Float
  /// The mean absolute reconstruction error, unweighted, averaged over the two directions:
  /// ½(mean|F(G(a)) - a| + mean|G(F(b)) - b|), in the images' units (pixels in [-1, 1]).
  public var reconstructionError: Float

  /// Everything that was minimized in the step: the generators' total plus both discriminators' losses.
  public var total: Float { generatorTotal + discriminatorA + discriminatorB }
}

/// Unpaired image-to-image translation (Zhu et al. 2017): two generators G: A -> B and F: B -> A, two
/// discriminators, and a training step exactly in the order of the reference's `optimize_parameters`:
///
/// 1. **Generators**, discriminators frozen: translate both ways, b̂ = G(a), â = F(b); reconstruct, F(b̂) and G(â);
///    identities G(b) and F(a); minimize the adversarial losses of b̂ against D_B and â against D_A, plus
///    λ times the L1 cycle errors, plus λ_idt times the L1 identity errors, over both generators' parameters only
///    (`Optimizer.minimize`, so the discriminators' weights get no gradient).
/// 2. **Discriminators**, on real images and on fakes from the image pools (the b̂ and â of step 1, detached, mixed
///    with older ones): D_B on (b, pool_B(b̂)) and D_A on (a, pool_A(â)), each with its own adversarial loss (for the
///    least-squares loss ½[(D(real) - 1)² + D(fake)²]), one update of both with the sum.
///
/// The defaults are the paper's: least squares, λ = 10, λ_idt = 5, pools of 50, Adam(2e-4, β1 0.5, β2 0.999) on
/// each pair, and `LinearDecaySchedule` for the learning rate (`applySchedule(_:epoch:)`).
///
/// The class is a `Module` whose parameters are `generators.aToB.…`, `generators.bToA.…`,
/// `discriminators.domainA.…` and `discriminators.domainB.…`, so a checkpoint saves all four networks.
public final class CycleGAN: Module {
  /// The settings of the objective and the optimizers.
  public struct Configuration: Sendable, Equatable {
    /// The adversarial loss; `.leastSquares` (LSGAN) in CycleGAN.
    public var adversarialLoss: AdversarialLoss
    /// λ, the weight of each direction's L1 cycle error.
    public var cycleWeight: Float
    /// The weight of each direction's L1 identity error: 0.5 λ in CycleGAN; 0 switches the identity loss off.
    public var identityWeight: Float
    /// Whether the generators minimize the cycle loss. Switching it off shows what it is for: the generators are
    /// then free to produce convincing images of the other domain that have nothing to do with their input.
    public var usesCycleLoss: Bool
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    /// The capacity of each image pool; 0 trains D on the latest fakes only (as the reference benchmark does).
    public var poolSize: Int

    public init(
      adversarialLoss: AdversarialLoss = .leastSquares, cycleWeight: Float = 10, identityWeight: Float = 5,
      usesCycleLoss: Bool = true, learningRate: Float = 2e-4, beta1: Float = 0.5, beta2: Float = 0.999,
      poolSize: Int = 50
    ) {
      self.adversarialLoss = adversarialLoss
      self.cycleWeight = cycleWeight
      self.identityWeight = identityWeight
      self.usesCycleLoss = usesCycleLoss
      self.learningRate = learningRate
      self.beta1 = beta1
      self.beta2 = beta2
      self.poolSize = poolSize
    }
  }

  public let generators: CycleGANGenerators
  public let discriminators: CycleGANDiscriminators
  public let configuration: Configuration
  /// Adam over both generators.
  public let generatorOptimizer: Adam
  /// Adam over both discriminators.
  public let discriminatorOptimizer: Adam
  /// Past translations into domain A (F's outputs), which D_A trains on.
  public var poolA: ImagePool
  /// Past translations into domain B (G's outputs), which D_B trains on.
  public var poolB: ImagePool

  /// A CycleGAN from any four networks: generators that keep the sample shape of their domains and discriminators
  /// that score a batch (a PatchGAN map, or one score per sample, as for 2D points). The pools are seeded from
  /// `generator`.
  public init(
    aToB: any Layer, bToA: any Layer, discriminatorA: any Layer, discriminatorB: any Layer,
    configuration: Configuration = Configuration(), using generator: inout SeededGenerator
  ) {
    generators = CycleGANGenerators(aToB: aToB, bToA: bToA)
    discriminators = CycleGANDiscriminators(domainA: discriminatorA, domainB: discriminatorB)
    self.configuration = configuration
    generatorOptimizer = Adam(for: generators, learningRate: configuration.learningRate, beta1: configuration.beta1,
                              beta2: configuration.beta2)
    discriminatorOptimizer = Adam(for: discriminators, learningRate: configuration.learningRate,
                                  beta1: configuration.beta1, beta2: configuration.beta2)
    poolA = ImagePool(capacity: configuration.poolSize, seed: generator.next())
    poolB = ImagePool(capacity: configuration.poolSize, seed: generator.next())
    super.init()
  }

  /// The paper's networks for images with `channels` channels in both domains: two `ResnetGenerator`s
  /// (width `generatorWidth`, `blocks` residual blocks) and two `PatchGANDiscriminator`s (width
  /// `discriminatorWidth`, `discriminatorLayers` layers), drawn from `generator` in the order G, F, D_A, D_B.
  public convenience init(
    channels: Int = 3, generatorWidth: Int = 64, blocks: Int = 9, discriminatorWidth: Int = 64,
    discriminatorLayers: Int = 3, configuration: Configuration = Configuration(),
    using generator: inout SeededGenerator
  ) {
    let g = ResnetGenerator(inputChannels: channels, outputChannels: channels, width: generatorWidth, blocks: blocks,
                            using: &generator)
    let f = ResnetGenerator(inputChannels: channels, outputChannels: channels, width: generatorWidth, blocks: blocks,
                            using: &generator)
    let dA = PatchGANDiscriminator(inputChannels: channels, width: discriminatorWidth, layers: discriminatorLayers,
                                   using: &generator)
    let dB = PatchGANDiscriminator(inputChannels: channels, width: discriminatorWidth, layers: discriminatorLayers,
                                   using: &generator)
    self.init(aToB: g, bToA: f, discriminatorA: dA, discriminatorB: dB, configuration: configuration,
              using: &generator)
  }

  /// Sets both optimizers' learning rate to the base rate times the schedule's factor for `epoch`.
  public func applySchedule(_ schedule: LinearDecaySchedule, epoch: Int) {
    let rate = schedule.learningRate(base: configuration.learningRate, epoch: epoch)
    generatorOptimizer.learningRate = rate
    discriminatorOptimizer.learningRate = rate
  }

  /// One training iteration on a batch of each domain (unpaired: image i of `realA` has nothing to do with image i
  /// of `realB`): the generators' update, then the discriminators' (see the type's description).
  @discardableResult
  public func step(realA: Tensor, realB: Tensor) -> CycleGANLosses {
    let generatorStep = updateGenerators(realA: realA, realB: realB)
    let (lossA, lossB) = updateDiscriminators(
      realA: realA, realB: realB, fakeA: generatorStep.fakeA, fakeB: generatorStep.fakeB)
    var losses = generatorStep.losses
    losses.discriminatorA = lossA
    losses.discriminatorB = lossB
    return losses
  }

  /// Step 1: both generators, the discriminators frozen. Returns the losses (the discriminators' still 0) and the
  /// translations b̂ = G(a), â = F(b) made before the update, which step 2 uses.
  func updateGenerators(realA: Tensor, realB: Tensor) -> (losses: CycleGANLosses, fakeA: Tensor, fakeB: Tensor) {
    let c = configuration
    if c.identityWeight != 0 {
      precondition(
        Array(realA.shape.dropFirst()) == Array(realB.shape.dropFirst()),
        "CycleGAN.step: the identity loss feeds B samples to G: A -> B, so the samples must have the same shape, "
          + "but A is \(realA.shape) and B is \(realB.shape) (set identityWeight to 0 for different shapes)")
    }
    let g = generators.aToB, f = generators.bToA
    // The reference's order: translate and reconstruct each way, then the identities, then the discriminators' views.
    let fakeB = g(realA)
    precondition(fakeB.shape == realB.shape.replacingFirst(realA.shape[0]),
                 "CycleGAN.step: G: A -> B made \(fakeB.shape) from A \(realA.shape), but B samples are \(realB.shape)")
    let reconstructedA = c.usesCycleLoss ? f(fakeB) : withoutGradients { f(fakeB) }
    let fakeA = f(realB)
    precondition(fakeA.shape == realA.shape.replacingFirst(realB.shape[0]),
                 "CycleGAN.step: F: B -> A made \(fakeA.shape) from B \(realB.shape), but A samples are \(realA.shape)")
    let reconstructedB = c.usesCycleLoss ? g(fakeA) : withoutGradients { g(fakeA) }
    let identity = c.identityWeight == 0 ? nil
      : identityLoss(translated: g(realB), original: realB, weight: c.identityWeight)
        + identityLoss(translated: f(realA), original: realA, weight: c.identityWeight)
    let adversarial = c.adversarialLoss.generatorLoss(fakeLogits: discriminators.domainB(fakeB))
      + c.adversarialLoss.generatorLoss(fakeLogits: discriminators.domainA(fakeA))
    let errorA = meanAbsoluteError(reconstructedA, realA), errorB = meanAbsoluteError(reconstructedB, realB)
    let cycle = c.cycleWeight * (errorA + errorB)

    var total = c.usesCycleLoss ? adversarial + cycle : adversarial
    if let identity { total = total + identity }
    let totalValue = generatorOptimizer.minimize(total)
    let losses = CycleGANLosses(
      generatorAdversarial: adversarial.scalar, cycle: cycle.scalar, identity: identity?.scalar ?? 0,
      generatorTotal: totalValue, discriminatorA: 0, discriminatorB: 0,
      reconstructionError: (errorA.scalar + errorB.scalar) / 2)
    return (losses, fakeA, fakeB)
  }

  /// Step 2: both discriminators on real images and pooled, detached fakes. Returns (D_A's loss, D_B's loss).
  func updateDiscriminators(realA: Tensor, realB: Tensor, fakeA: Tensor, fakeB: Tensor) -> (Float, Float) {
    let loss = configuration.adversarialLoss
    // The reference's order: first the discriminator of domain B (its D_A), then that of domain A.
    let dA = discriminators.domainA, dB = discriminators.domainB
    let pooledB = poolB.query(fakeB)
    let lossB = loss.discriminatorLoss(real: dB(realB), fake: dB(pooledB))
    let pooledA = poolA.query(fakeA)
    let lossA = loss.discriminatorLoss(real: dA(realA), fake: dA(pooledA))
    discriminatorOptimizer.minimize(lossB + lossA)
    return (lossA.scalar, lossB.scalar)
  }
}

extension Array where Element == Int {
  /// The shape with its first (batch) dimension replaced.
  fileprivate func replacingFirst(_ value: Int) -> [Int] {
    var copy = self
    if !copy.isEmpty { copy[0] = value }
    return copy
  }
}
