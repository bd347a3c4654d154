import NN

/// One residual block of the StyleGAN2 discriminator at resolution r (tmp = width(r), out = width(r/2)):
///   main:  conv0 3x3 (tmp -> tmp), leaky ReLU·√2; 2x2 average pool; conv1 3x3 (tmp -> out), leaky ReLU·√2·√½
///   skip:  2x2 average pool; 1x1 (tmp -> out, no bias), scaled by √½
/// and the output is their sum (the √½ factors keep the sum's variance that of one branch). The first block also
/// has fromRGB, a 1x1 convolution from the image channels with leaky ReLU·√2. With `.reference` resampling the
/// pooling is the reference's: conv1 low-pass filters (padding 2) and convolves with stride 2, and the skip
/// low-pass filters with stride 2 (padding 1) before its 1x1 convolution.
public final class StyleGANDiscriminatorBlock: Module {
  public var fromRGB: EqualizedConv2D?
  public var conv0: EqualizedConv2D
  public var conv1: EqualizedConv2D
  public var skip: EqualizedConv2D
  public let resolution: Int
  public let resampling: StyleGANResampling
  public let convClamp: Float?

  public init(imageChannels: Int?, temporaryChannels: Int, outputChannels: Int, resolution: Int,
              resampling: StyleGANResampling = .simplified, convClamp: Float? = nil,
              using generator: inout SeededGenerator) {
    self.resolution = resolution
    self.resampling = resampling
    self.convClamp = convClamp
    let strided = resampling == .reference
    if let imageChannels {
      fromRGB = EqualizedConv2D(inputChannels: imageChannels, outputChannels: temporaryChannels, kernelSize: 1,
                                using: &generator)
    }
    conv0 = EqualizedConv2D(inputChannels: temporaryChannels, outputChannels: temporaryChannels, kernelSize: 3,
                            padding: 1, using: &generator)
    conv1 = EqualizedConv2D(inputChannels: temporaryChannels, outputChannels: outputChannels, kernelSize: 3,
                            stride: strided ? 2 : 1, padding: strided ? 0 : 1, using: &generator)
    skip = EqualizedConv2D(inputChannels: temporaryChannels, outputChannels: outputChannels, kernelSize: 1,
                           bias: false, using: &generator)
    super.init()
  }

  /// Features [N, tmp, r, r] (or, for the first block, images [N, C, r, r]) -> [N, out, r/2, r/2].
  public func callAsFunction(_ input: Tensor) -> Tensor {
    let x = fromRGB.map { clampedActivation(styleGANActivation($0(input)), convClamp) } ?? input
    let half = Float(0.5).squareRoot()
    let h = clampedActivation(styleGANActivation(conv0(x)), convClamp)
    let (pooled, filtered) = resampling == .reference
      ? (lowPassFiltered(x, padding: 1, stride: 2), lowPassFiltered(h, padding: 2))
      : (x.avgPooled2D(2), h.avgPooled2D(2))
    let limit = convClamp.map { $0 * half }
    let shortcut = clampedActivation(skip(pooled) * half, limit)
    let main = clampedActivation(styleGANActivation(conv1(filtered), gain: 1), limit)
    return shortcut + main
  }
}

/// The discriminator's 4x4 head: minibatch standard deviation (one extra feature map), a 3x3 convolution with
/// leaky ReLU·√2, a fully connected layer from the flattened 4x4 map (leaky ReLU·√2), and a linear output.
public final class StyleGANDiscriminatorEpilogue: Module {
  public var conv: EqualizedConv2D
  public var fc: EqualizedLinear
  public var out: EqualizedLinear
  public let minibatchGroupSize: Int
  public let convClamp: Float?

  public init(channels: Int, minibatchGroupSize: Int, convClamp: Float? = nil, using generator: inout SeededGenerator) {
    self.minibatchGroupSize = minibatchGroupSize
    self.convClamp = convClamp
    conv = EqualizedConv2D(inputChannels: channels + 1, outputChannels: channels, kernelSize: 3, padding: 1,
                           using: &generator)
    fc = EqualizedLinear(inputSize: channels * 16, outputSize: channels, using: &generator)
    out = EqualizedLinear(inputSize: channels, outputSize: 1, using: &generator)
    super.init()
  }

  /// [N, channels, 4, 4] -> logits [N, 1].
  public func callAsFunction(_ x: Tensor) -> Tensor {
    let withStatistics = minibatchStandardDeviation(x, groupSize: minibatchGroupSize)
    let h = clampedActivation(styleGANActivation(conv(withStatistics)), convClamp).flattened()
    return out(styleGANActivation(fc(h)))
  }
}

/// The StyleGAN2 discriminator (the reference's residual architecture, config F's): fromRGB at full resolution,
/// one residual block per halving down to 4x4, then the epilogue with minibatch standard deviation. Every layer
/// uses the equalized learning rate. Widths as the generator's: min(channelBase / r, channelMax).
///
/// The batch must be divisible by min(minibatchGroupSize, N), as in the reference.
public final class StyleGANDiscriminator: Module, Layer {
  public var blocks: [StyleGANDiscriminatorBlock]
  public var epilogue: StyleGANDiscriminatorEpilogue
  public let configuration: StyleGANConfiguration

  public convenience init(resolution: Int, channels: Int = 3, channelBase: Int = 32768, channelMax: Int = 512,
                          minibatchGroupSize: Int = 4, using generator: inout SeededGenerator) {
    self.init(configuration: StyleGANConfiguration(resolution: resolution, channels: channels,
                                                   channelBase: channelBase, channelMax: channelMax),
              minibatchGroupSize: minibatchGroupSize, using: &generator)
  }

  /// The discriminator for a generator's configuration (only resolution, channels and widths are used).
  public init(configuration: StyleGANConfiguration, minibatchGroupSize: Int = 4, using generator: inout SeededGenerator) {
    precondition(minibatchGroupSize >= 1, "StyleGANDiscriminator: minibatchGroupSize must be positive, got \(minibatchGroupSize)")
    precondition(configuration.resolution >= 8,
                 "StyleGANDiscriminator: resolution must be at least 8 (one block before the 4x4 head), got \(configuration.resolution)")
    self.configuration = configuration
    let resolutions = configuration.blockResolutions.reversed().dropLast()  // resolution, ..., 8
    blocks = resolutions.map { r in
      StyleGANDiscriminatorBlock(
        imageChannels: r == configuration.resolution ? configuration.channels : nil,
        temporaryChannels: configuration.width(at: r), outputChannels: configuration.width(at: r / 2), resolution: r,
        resampling: configuration.resampling, convClamp: configuration.convClamp, using: &generator)
    }
    epilogue = StyleGANDiscriminatorEpilogue(channels: configuration.width(at: 4), minibatchGroupSize: minibatchGroupSize,
                                             convClamp: configuration.convClamp, using: &generator)
    super.init()
  }

  /// Images [N, channels, resolution, resolution] -> logits [N, 1].
  public func callAsFunction(_ input: Tensor) -> Tensor {
    let r = configuration.resolution
    precondition(input.rank == 4 && input.shape[1] == configuration.channels && input.shape[2] == r && input.shape[3] == r,
                 "StyleGANDiscriminator: images must be [N, \(configuration.channels), \(r), \(r)], got \(input.shape)")
    var x = input
    for block in blocks { x = block(x) }
    return epilogue(x)
  }
}
