import NN

/// The StyleGAN2 generator: a mapping network z -> w and a synthesis network styles -> image.
///
/// ```swift
/// var rng = SeededGenerator(seed: 1)
/// let g = StyleGANGenerator(resolution: 32, channels: 1, zDim: 64, wDim: 64, mappingLayers: 4,
///                           channelBase: 1024, channelMax: 64, using: &rng)
/// let z = Tensor.randomNormal([8, 64], using: &rng)
/// let images = g(z, psi: 0.7)                         // truncated samples, [8, 1, 32, 32]
/// let a = g.styles(z), b = g.styles(otherZ)          // [8, 8, 64] each
/// let mixed = g.synthesize(ws: g.mixedStyles(a, b, replacing: 3..<8), noise: .constant)  // coarse from A, rest from B
/// ```
/// The generator carries its own seeded random source (`randomness`) for noise and mixing when no generator is
/// passed; every method also has a `using:` form for callers that manage their own.
public final class StyleGANGenerator: Module, Layer {
  public var mappingNetwork: MappingNetwork
  public var synthesisNetwork: SynthesisNetwork
  public let configuration: StyleGANConfiguration
  /// The probability that a training batch mixes two latents (0.9 in StyleGAN).
  public var mixingProbability: Float = 0.9
  /// The random source for noise and style mixing when none is passed.
  public var randomness: SeededGenerator

  public convenience init(resolution: Int, channels: Int = 3, zDim: Int = 512, wDim: Int = 512,
                          mappingLayers: Int = 8, channelBase: Int = 32768, channelMax: Int = 512,
                          using generator: inout SeededGenerator) {
    self.init(configuration: StyleGANConfiguration(
      resolution: resolution, channels: channels, zDim: zDim, wDim: wDim, mappingLayers: mappingLayers,
      channelBase: channelBase, channelMax: channelMax), using: &generator)
  }

  public init(configuration: StyleGANConfiguration, using generator: inout SeededGenerator) {
    self.configuration = configuration
    synthesisNetwork = SynthesisNetwork(configuration: configuration, using: &generator)
    mappingNetwork = MappingNetwork(zDim: configuration.zDim, wDim: configuration.wDim,
                                    layerCount: configuration.mappingLayers, using: &generator)
    randomness = SeededGenerator(seed: generator.next())
    super.init()
  }

  /// The number of style inputs of the synthesis network (2 log2(resolution) - 2).
  public var styleCount: Int { configuration.styleCount }
  public var zDim: Int { configuration.zDim }
  public var wDim: Int { configuration.wDim }

  // MARK: Latents and styles

  /// z [N, zDim] -> w [N, wDim]. With `updatingAverage`, w_avg moves towards this batch (training only).
  public func mapping(_ z: Tensor, updatingAverage: Bool = false) -> Tensor {
    mappingNetwork(z, updatingAverage: updatingAverage)
  }

  /// One w [N, wDim] repeated for every style input: [N, styleCount, wDim].
  public func broadcastStyles(_ w: Tensor) -> Tensor {
    precondition(w.rank == 2 && w.shape[1] == wDim, "StyleGANGenerator.broadcastStyles: w must be [N, \(wDim)], got \(w.shape)")
    return w.reshaped(to: [w.shape[0], 1, wDim]).broadcasted(to: [w.shape[0], styleCount, wDim])
  }

  /// Truncation, w_avg + ψ (w - w_avg), on w [N, wDim] or styles [N, styleCount, wDim].
  public func truncated(_ w: Tensor, psi: Float) -> Tensor { mappingNetwork.truncated(w, psi: psi) }

  /// The styles of latents z: mapped, repeated for every input and truncated with ψ. [N, styleCount, wDim].
  public func styles(_ z: Tensor, psi: Float = 1) -> Tensor { truncated(broadcastStyles(mapping(z)), psi: psi) }

  /// Styles `a` with the inputs at `indices` taken from `b` (both [N, styleCount, wDim]): style mixing.
  /// `replacing: crossover..<styleCount` is the training-time form (a before the crossover, b after).
  public func mixedStyles(_ a: Tensor, _ b: Tensor, replacing indices: Range<Int>) -> Tensor {
    precondition(a.shape == b.shape && a.rank == 3 && a.shape[1] == styleCount,
                 "StyleGANGenerator.mixedStyles: styles \(a.shape) and \(b.shape) must both be [N, \(styleCount), \(wDim)]")
    precondition(indices.lowerBound >= 0 && indices.upperBound <= styleCount,
                 "StyleGANGenerator.mixedStyles: indices \(indices) are outside 0..<\(styleCount)")
    var parts: [Tensor] = []
    if indices.lowerBound > 0 { parts.append(a.sliced(axis: 1, 0..<indices.lowerBound)) }
    if !indices.isEmpty { parts.append(b.sliced(axis: 1, indices)) }
    if indices.upperBound < styleCount { parts.append(a.sliced(axis: 1, indices.upperBound..<styleCount)) }
    return concatenate(parts, alongAxis: 1)
  }

  /// The styles of a training batch: w = mapping(z) (updating w_avg); with probability `mixingProbability`, a
  /// second latent z₂ ~ N(0, I) takes over from a crossover index drawn uniformly from 1..<styleCount, as in
  /// StyleGAN's mixing regularization (which keeps neighboring styles from relying on each other).
  /// - Returns: the styles and the crossover (nil when this batch is not mixed).
  public func trainingStyles(_ z: Tensor, using generator: inout SeededGenerator) -> (ws: Tensor, crossover: Int?) {
    let ws = broadcastStyles(mapping(z, updatingAverage: true))
    guard styleCount > 1, generator.nextUniform() < mixingProbability else { return (ws, nil) }
    let crossover = 1 + generator.nextInt(below: styleCount - 1)
    let other = broadcastStyles(mapping(Tensor.randomNormal(z.shape, using: &generator)))
    return (mixedStyles(ws, other, replacing: crossover..<styleCount), crossover)
  }

  // MARK: Images

  /// Styles [N, styleCount, wDim] -> images [N, channels, resolution, resolution].
  public func synthesize(ws: Tensor, noise: NoiseMode = .random, using generator: inout SeededGenerator) -> Tensor {
    synthesisNetwork(ws: ws, noise: noise, using: &generator)
  }

  /// `synthesize(ws:noise:using:)` with the generator's own random source.
  public func synthesize(ws: Tensor, noise: NoiseMode = .random) -> Tensor {
    synthesize(ws: ws, noise: noise, using: &randomness)
  }

  /// Latents z [N, zDim] -> images, with truncation ψ and, with `mixing`, StyleGAN's mixing regularization (which
  /// also updates w_avg, as a training forward pass does).
  public func callAsFunction(_ z: Tensor, psi: Float, mixing: Bool = false, noise: NoiseMode = .random,
                             using generator: inout SeededGenerator) -> Tensor {
    let ws = mixing ? trainingStyles(z, using: &generator).ws : broadcastStyles(mapping(z))
    return synthesize(ws: truncated(ws, psi: psi), noise: noise, using: &generator)
  }

  /// `callAsFunction(_:psi:mixing:noise:using:)` with the generator's own random source.
  public func callAsFunction(_ z: Tensor, psi: Float, mixing: Bool = false, noise: NoiseMode = .random) -> Tensor {
    callAsFunction(z, psi: psi, mixing: mixing, noise: noise, using: &randomness)
  }

  /// Latents -> images with ψ = 1, no mixing and random noise (the plain `Layer` call).
  public func callAsFunction(_ z: Tensor) -> Tensor { callAsFunction(z, psi: 1) }
}
