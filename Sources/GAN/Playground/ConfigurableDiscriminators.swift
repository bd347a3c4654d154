import NN

/// What a configurable discriminator adds before its last layer so it can see a whole batch at once (the
/// mode-collapse countermeasures of lesson 03), for the MLP and the convolutional discriminator alike.
public enum BatchFeature: String, Sendable, CaseIterable {
  /// Nothing: every sample is judged alone.
  case none
  /// Minibatch discrimination (Salimans et al. 2016): learned closeness features to the other samples of the batch.
  case discrimination
  /// The minibatch standard deviation (Karras et al. 2018): one feature, the batch's spread, averaged.
  case stddev
}

/// Wraps `layer` in spectral normalization when `normalized` is true, so a network can be built with or without it
/// from the same code.
func maybeSpectralNorm<L: WeightedLayer>(_ layer: L, _ normalized: Bool, using generator: inout SeededGenerator)
  -> any Layer
{
  if normalized { return SpectralNorm(layer, using: &generator) }
  return layer
}

/// Appends the chosen batch feature to per-sample features [N, F]: `minibatch` is the discrimination layer (used
/// only for `.discrimination`).
/// The discriminator's last layer over `features` values plus its batch feature: the minibatch-discrimination
/// layer (if chosen, with T's initial scale) and the linear head over the features and what the batch feature adds.
func batchFeatureHead(
  features: Int, _ kind: BatchFeature, initialScale: Float, spectralNorm: Bool, using generator: inout SeededGenerator
) -> (minibatch: MinibatchDiscrimination?, head: any Layer) {
  var headInput = features
  var minibatch: MinibatchDiscrimination?
  switch kind {
  case .none: break
  case .discrimination:
    let layer = MinibatchDiscrimination(inputSize: features, kernels: 8, kernelSize: 4, averaged: true,
                                        initialScale: initialScale, using: &generator)
    minibatch = layer
    headInput += layer.kernels
  case .stddev:
    headInput += 1
  }
  let head = maybeSpectralNorm(Linear(inputSize: headInput, outputSize: 1, using: &generator), spectralNorm,
                               using: &generator)
  return (minibatch, head)
}

func appendBatchFeature(_ features: Tensor, _ kind: BatchFeature, minibatch: MinibatchDiscrimination?) -> Tensor {
  switch kind {
  case .none: return features
  case .discrimination: return minibatch!(features)
  case .stddev: return minibatchStandardDeviation(features, groupSize: features.shape[0])
  }
}

/// A multilayer-perceptron discriminator with the knobs the playground turns: `depth` hidden layers of `width` units
/// (leaky ReLU 0.2 between them), optional spectral normalization of every linear layer, and an optional batch
/// feature before the one-logit head. Inputs of any shape [N, ...] are flattened, so the same class judges 1-D
/// points, 2-D points and 28×28 images.
///
/// ```swift
/// let d = MLPDiscriminator(inputSize: 2, width: 128, depth: 2, spectralNorm: true, batchFeature: .stddev,
///                          using: &rng)
/// let logits = d(points)   // [N, 1]
/// ```
public final class MLPDiscriminator: Module, Layer {
  public var body: Sequential
  public var minibatch: MinibatchDiscrimination?
  public var head: any Layer
  public let batchFeature: BatchFeature

  public init(
    inputSize: Int, width: Int, depth: Int, spectralNorm: Bool = false, batchFeature: BatchFeature = .none,
    using generator: inout SeededGenerator
  ) {
    precondition(inputSize >= 1 && width >= 1 && depth >= 1,
                 "MLPDiscriminator: needs inputSize, width and depth of at least 1, got \(inputSize), \(width), \(depth)")
    self.batchFeature = batchFeature
    var layers: [any Layer] = []
    var size = inputSize
    for _ in 0..<depth {
      layers.append(maybeSpectralNorm(Linear(inputSize: size, outputSize: width, using: &generator), spectralNorm,
                                      using: &generator))
      layers.append(LeakyReLU(slope: 0.2))
      size = width
    }
    body = Sequential(layers)
    // Averaged closeness (in [0, 1] whatever the batch size) with lesson 03's initial scale of T.
    (minibatch, head) = batchFeatureHead(features: width, batchFeature, initialScale: 0.4, spectralNorm: spectralNorm,
                                         using: &generator)
    super.init()
  }

  /// [N, ...] -> logits [N, 1].
  public func callAsFunction(_ input: Tensor) -> Tensor {
    let flat = input.rank == 2 ? input : input.reshaped(to: [input.shape[0], -1])
    return head(appendBatchFeature(body(flat), batchFeature, minibatch: minibatch))
  }
}

/// A multilayer-perceptron generator for images (Goodfellow et al. 2014's kind): `depth` hidden layers of `width`
/// units with ReLU, then a linear layer to every pixel and tanh, reshaped to [N, channels, size, size].
public final class MLPImageGenerator: Module, Layer {
  public var network: Sequential
  public let imageShape: [Int]

  public init(noiseSize: Int, width: Int, depth: Int, imageShape: [Int] = [1, 28, 28],
              using generator: inout SeededGenerator) {
    precondition(noiseSize >= 1 && width >= 1 && depth >= 1, "MLPImageGenerator: sizes must be at least 1")
    self.imageShape = imageShape
    let pixels = imageShape.reduce(1, *)
    network = multilayerPerceptron(sizes: [noiseSize] + Array(repeating: width, count: depth) + [pixels],
                                   activation: .relu, outputActivation: .tanh, using: &generator)
    super.init()
  }

  /// Noise [N, nz] -> images [N, channels, size, size] in [-1, 1].
  public func callAsFunction(_ input: Tensor) -> Tensor {
    network(input).reshaped(to: [input.shape[0]] + imageShape)
  }
}

/// The 28×28 convolutional discriminator of lesson 06 (`MNISTDiscriminator`: Conv 4×4/2 to w×14×14, leaky ReLU,
/// Conv 4×4/2 to 2w×7×7, [batch norm], leaky ReLU, linear to one logit) with the playground's knobs: batch norm can be
/// left out (it must be with a gradient penalty or R1, which are per-sample: batch norm makes each sample's score
/// depend on the others), every weighted layer can be spectrally normalized, and a batch feature can be appended to
/// the flattened features before the head.
public final class ConvolutionalDiscriminator: Module, Layer {
  public var main: Sequential
  public var minibatch: MinibatchDiscrimination?
  public var head: any Layer
  public let batchFeature: BatchFeature
  public let width: Int

  public init(
    width: Int = 64, batchNorm: Bool = true, spectralNorm: Bool = false, batchFeature: BatchFeature = .none,
    channels: Int = 1, refined: Bool = false, using generator: inout SeededGenerator
  ) {
    precondition(width >= 1, "ConvolutionalDiscriminator: width must be at least 1, got \(width)")
    self.width = width
    self.batchFeature = batchFeature
    var layers: [any Layer] = [
      maybeSpectralNorm(Conv2D(inputChannels: channels, outputChannels: width, kernelSize: 4, stride: 2, padding: 1,
                               using: &generator), spectralNorm, using: &generator),
      LeakyReLU(slope: 0.2),
    ]
    if refined {
      layers += [
        maybeSpectralNorm(Conv2D(inputChannels: width, outputChannels: width, kernelSize: 3, stride: 1, padding: 1,
                                 using: &generator), spectralNorm, using: &generator),
        LeakyReLU(slope: 0.2),
      ]
    }
    layers.append(
      maybeSpectralNorm(Conv2D(inputChannels: width, outputChannels: 2 * width, kernelSize: 4, stride: 2, padding: 1,
                               using: &generator), spectralNorm, using: &generator))
    if batchNorm { layers.append(BatchNorm(featureCount: 2 * width)) }
    layers.append(LeakyReLU(slope: 0.2))
    if refined {
      layers.append(
        maybeSpectralNorm(Conv2D(inputChannels: 2 * width, outputChannels: 2 * width, kernelSize: 3, stride: 1,
                                 padding: 1, using: &generator), spectralNorm, using: &generator))
      if batchNorm { layers.append(BatchNorm(featureCount: 2 * width)) }
      layers.append(LeakyReLU(slope: 0.2))
    }
    main = Sequential(layers)
    let features = 2 * width * 49
    (minibatch, head) = batchFeatureHead(features: features, batchFeature, initialScale: 0.02,
                                         spectralNorm: spectralNorm, using: &generator)
    super.init()
  }

  /// Images [N, channels, 28, 28] -> logits [N, 1].
  public func callAsFunction(_ input: Tensor) -> Tensor {
    head(appendBatchFeature(main(input).flattened(), batchFeature, minibatch: minibatch))
  }
}
