import NN

/// A class-conditional generator for 28x28 digits (Mirza & Osindero 2014, "Conditional Generative Adversarial Nets"):
/// the class label y is looked up in a learned embedding E and concatenated to the noise, and the lesson-06 DCGAN
/// generator maps the joint vector to an image,
///
///     G(z, y) = MNISTGenerator([z, E(y)])        z ∈ ℝ^noiseSize, E(y) ∈ ℝ^embeddingSize.
///
/// Nothing forces G to use E(y): only the discriminator's dependence on y (see `ProjectionMNISTDiscriminator`) makes
/// an image that does not look like its label a bad forgery. Parameter names: `embedding.weight`, `base.project.weight`, ...
///
/// A trap worth knowing: the label passes through the first linear layer and then a batch norm that, in training mode,
/// normalizes every feature over the batch. In a batch whose labels are all the same, E(y) adds the same constant to
/// each sample's features, and the normalization subtracts it again: the label is lost, and G(z, 3) comes out as
/// whatever digit the noise suggests. Label only batches with mixed labels (training does, with uniform labels), or
/// switch the generator to evaluation mode, which uses the running statistics instead.
public final class ConditionalMNISTGenerator: Module {
  public var embedding: Embedding
  public var base: MNISTGenerator
  public let noiseSize: Int
  public let classCount: Int

  /// `width` is the base width w of the DCGAN generator (2w channels at 7x7, w at 14x14).
  public init(noiseSize: Int = 64, embeddingSize: Int = 16, classCount: Int = 10, width: Int = 32,
              using generator: inout SeededGenerator) {
    precondition(noiseSize >= 1 && embeddingSize >= 1 && classCount >= 2 && width >= 1,
                 "ConditionalMNISTGenerator: sizes must be positive and classCount at least 2, got noise \(noiseSize),"
                   + " embedding \(embeddingSize), classes \(classCount), width \(width)")
    self.noiseSize = noiseSize
    self.classCount = classCount
    embedding = Embedding(count: classCount, dimension: embeddingSize, using: &generator)
    base = MNISTGenerator(noiseSize: noiseSize + embeddingSize, width: width, using: &generator)
    super.init()
  }

  /// Noise [N, noiseSize] and N labels -> images [N, 1, 28, 28] in [-1, 1].
  public func callAsFunction(_ noise: Tensor, labels: [Int]) -> Tensor {
    precondition(noise.rank == 2 && noise.shape[1] == noiseSize && noise.shape[0] == labels.count,
                 "ConditionalMNISTGenerator: expected noise [\(labels.count), \(noiseSize)] for \(labels.count) labels,"
                   + " got \(noise.shape)")
    return base(concatenate([noise, embedding(labels)], alongAxis: 1))
  }

  /// `count` images of the given labels (cycled), from fresh noise, computed without gradients in chunks of at most
  /// 256 (batch statistics in the batch norms, as during training).
  public func samples(labels: [Int], using generator: inout SeededGenerator) -> Tensor {
    var parts: [Tensor] = []
    var start = 0
    while start < labels.count {
      let end = Swift.min(labels.count, start + 256)
      let z = Tensor.randomNormal([end - start, noiseSize], using: &generator)
      parts.append(withoutGradients { self(z, labels: Array(labels[start..<end])) })
      start = end
    }
    return parts.count == 1 ? parts[0].detached() : concatenate(parts, alongAxis: 0).detached()
  }
}

/// The projection discriminator (Miyato & Koyama 2018, "cGANs with Projection Discriminator") on the lesson-06 DCGAN
/// discriminator: with φ(x) its convolutional features and ψ its linear head,
///
///     D(x, y) = ψ(φ(x)) + ⟨E(y), φ(x)⟩.
///
/// The first term asks "is this a digit?", the second "is it this digit?": the inner product with a learned vector per
/// class is what the optimal discriminator's log-ratio looks like when p(y|x) is a softmax over the same features,
/// which is why projection works better than concatenating y to D's input. E starts from N(0, 0.02²), so at first
/// D ignores the label and learns the unconditional question first.
public final class ProjectionMNISTDiscriminator: Module {
  public var base: MNISTDiscriminator
  public var embedding: Embedding
  public let classCount: Int

  public init(classCount: Int = 10, width: Int = 32, using generator: inout SeededGenerator) {
    precondition(classCount >= 2 && width >= 1,
                 "ProjectionMNISTDiscriminator: classCount must be at least 2 and width positive, got \(classCount), \(width)")
    self.classCount = classCount
    base = MNISTDiscriminator(width: width, using: &generator)
    embedding = Embedding(count: classCount, dimension: 2 * width * 49, weightInitializer: .normal(mean: 0, std: 0.02),
                          using: &generator)
    super.init()
  }

  /// Images [N, 1, 28, 28] and N labels -> logits [N, 1].
  public func callAsFunction(_ images: Tensor, labels: [Int]) -> Tensor {
    precondition(images.rank == 4 && images.shape[0] == labels.count,
                 "ProjectionMNISTDiscriminator: \(labels.count) labels for images of shape \(images.shape)")
    let features = base.features(images)
    let projection = (embedding(labels) * features).sum(alongAxes: 1)  // [N, 1]
    return base.head(features) + projection
  }
}

/// One conditional GAN, trained one step at a time on labeled real images: D on (real image, its label) against
/// (G(z, y), y) with labels y drawn uniformly, then G through the frozen D, with the given adversarial loss
/// (non-saturating by default) and DCGAN's Adam settings unless told otherwise.
public final class ConditionalGANTrainer {
  public let generator: ConditionalMNISTGenerator
  public let discriminator: ProjectionMNISTDiscriminator
  public let loss: AdversarialLoss
  public let generatorOptimizer: Adam
  public let discriminatorOptimizer: Adam

  public init(generator: ConditionalMNISTGenerator, discriminator: ProjectionMNISTDiscriminator,
              loss: AdversarialLoss = .nonSaturating, learningRate: Float = 2e-4, beta1: Float = 0.5) {
    precondition(generator.classCount == discriminator.classCount,
                 "ConditionalGANTrainer: the generator has \(generator.classCount) classes, the discriminator"
                   + " \(discriminator.classCount)")
    self.generator = generator
    self.discriminator = discriminator
    self.loss = loss
    generatorOptimizer = Adam(for: generator, learningRate: learningRate, beta1: beta1, beta2: 0.999)
    discriminatorOptimizer = Adam(for: discriminator, learningRate: learningRate, beta1: beta1, beta2: 0.999)
  }

  /// One discriminator step and one generator step; returns both losses.
  @discardableResult
  public func step(real: Tensor, labels: [Int], using rng: inout SeededGenerator) -> (discriminator: Float, generator: Float) {
    let n = labels.count
    let fakeLabels = (0..<n).map { _ in rng.nextInt(below: generator.classCount) }
    let fake = withoutGradients { generator(Tensor.randomNormal([n, generator.noiseSize], using: &rng), labels: fakeLabels) }
    let lossD = discriminatorOptimizer.minimize(
      loss.discriminatorLoss(real: discriminator(real, labels: labels), fake: discriminator(fake, labels: fakeLabels)))
    let generatorLabels = (0..<n).map { _ in rng.nextInt(below: generator.classCount) }
    let generated = generator(Tensor.randomNormal([n, generator.noiseSize], using: &rng), labels: generatorLabels)
    let lossG = generatorOptimizer.minimize(loss.generatorLoss(fakeLogits: discriminator(generated, labels: generatorLabels)))
    return (lossD, lossG)
  }
}
