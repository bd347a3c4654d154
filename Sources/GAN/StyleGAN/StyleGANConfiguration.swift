// StyleGAN2 (Karras et al. 2020, "Analyzing and Improving the Image Quality of StyleGAN"), written for this engine.
// The structure follows the official code (NVlabs/stylegan2-ada-pytorch, training/networks.py): the same layers,
// widths and parameter counts. `StyleGANResampling.reference` computes exactly what the reference computes (so its
// weights move both ways, Tools/convert_checkpoint.py); the lessons use `.simplified`, two parameter-free changes
// that are easier to read and cheaper on a CPU:
// - the features are upsampled by nearest neighbor before a 3x3 convolution and downsampled by 2x2 average
//   pooling, where the reference uses the [1, 3, 3, 1] low-pass filter (upfirdn2d) inside transposed and strided
//   convolutions (the generator's skip images use that filter either way, `upsampledFiltered`);
// - the discriminator's downsampling convolution pools first and then runs a 3x3 convolution at the lower resolution.

/// The sizes of a StyleGAN2 generator and discriminator.
///
/// Widths follow the reference: a feature map at resolution r has `min(channelBase / r, channelMax)` channels, so
/// the coarse layers are wide and the fine ones narrow.
public struct StyleGANConfiguration: Sendable, Equatable, CustomStringConvertible {
  /// Output side length: a power of two, at least 4.
  public var resolution: Int
  /// Image channels (1 for MNIST, 3 for RGB).
  public var channels: Int
  /// Length of the input latent z.
  public var zDim: Int
  /// Length of the intermediate latent w (and of each style input).
  public var wDim: Int
  /// Fully connected layers in the mapping network.
  public var mappingLayers: Int
  public var channelBase: Int
  public var channelMax: Int
  /// How features change resolution inside the networks.
  public var resampling: StyleGANResampling
  /// The reference's `conv_clamp`: every convolution's activated output is limited to ±convClamp (times the layer's
  /// gain), which its train.py sets to 256 for float16 training; nil (the networks' own default) clamps nothing.
  public var convClamp: Float?
  /// Which blocks draw the image: all of them, summed (StyleGAN2's skip generator), or the last one alone.
  public var output: SynthesisOutput
  /// The resolutions whose synthesis layers end in StyleGAN1's adaptive instance normalization (see
  /// `SynthesisLayer.adaptiveNorm`); nil (StyleGAN2) for none. Adds parameters: the reference has no such layers.
  public var adaptiveNormResolutions: ClosedRange<Int>?

  public init(resolution: Int, channels: Int = 3, zDim: Int = 512, wDim: Int = 512, mappingLayers: Int = 8,
              channelBase: Int = 32768, channelMax: Int = 512, resampling: StyleGANResampling = .simplified,
              convClamp: Float? = nil, output: SynthesisOutput = .skip,
              adaptiveNormResolutions: ClosedRange<Int>? = nil) {
    precondition(resolution >= 4 && resolution & (resolution - 1) == 0,
                 "StyleGAN: resolution must be a power of two, at least 4, got \(resolution)")
    precondition(channels >= 1 && zDim >= 1 && wDim >= 1 && mappingLayers >= 1,
                 "StyleGAN: channels \(channels), zDim \(zDim), wDim \(wDim), mappingLayers \(mappingLayers) must be positive")
    precondition(channelMax >= 1 && channelBase >= resolution,
                 "StyleGAN: channelBase \(channelBase) must be at least the resolution \(resolution) (one channel at the top), channelMax \(channelMax) positive")
    self.resolution = resolution
    self.channels = channels
    self.zDim = zDim
    self.wDim = wDim
    self.mappingLayers = mappingLayers
    self.channelBase = channelBase
    self.channelMax = channelMax
    self.resampling = resampling
    self.convClamp = convClamp
    self.output = output
    self.adaptiveNormResolutions = adaptiveNormResolutions
  }

  /// The official StyleGAN2 config F at 1024x1024 (FFHQ): z = w = 512, 8 mapping layers, channel_base 32768
  /// (fmaps 1), channel_max 512. stylegan2-ada-pytorch's `--cfg=stylegan2` and `paper1024` use these widths.
  public static let configF1024 = StyleGANConfiguration(resolution: 1024)

  /// stylegan2-ada-pytorch's `paper256` configuration: 256x256, fmaps 0.5, so channel_base = 0.5 * 32768 = 16384,
  /// channel_max 512, 8 mapping layers (its R1 gamma is 1 and its minibatch-stddev group 8; neither changes the
  /// networks' parameters).
  public static let paper256 = StyleGANConfiguration(resolution: 256, channelBase: 16384)

  /// log2 of the resolution.
  public var resolutionLog2: Int { resolution.trailingZeroBitCount }

  /// The synthesis blocks' resolutions, 4, 8, ..., resolution.
  public var blockResolutions: [Int] { (2...resolutionLog2).map { 1 << $0 } }

  /// The feature channels at a resolution: min(channelBase / r, channelMax).
  public func width(at resolution: Int) -> Int { Swift.max(1, Swift.min(channelBase / resolution, channelMax)) }

  /// The number of style inputs (w vectors) the synthesis network takes: one per modulated convolution plus one
  /// for the last toRGB, 2 log2(resolution) - 2 (18 at 1024x1024, 8 at 32x32). Each toRGB shares its w with the
  /// next block's first convolution, as in the reference.
  public var styleCount: Int { 2 * resolutionLog2 - 2 }

  /// The resolution of the feature map that style input `index` modulates: index 0 is the 4x4 convolution; indices
  /// 2k - 1 and 2k are the two convolutions at 4·2^k; the last index is the final toRGB only.
  public func resolution(ofStyle index: Int) -> Int {
    precondition(index >= 0 && index < styleCount, "StyleGAN: style index \(index) is outside 0..<\(styleCount)")
    return Swift.min(4 << ((index + 1) / 2), resolution)
  }

  /// The style indices whose convolutions run at resolutions inside `resolutions`, e.g. 4...8 for the coarse
  /// styles (pose, shape), 16...32 for the middle ones, 64...resolution for the fine ones (the paper's split).
  public func styleIndices(forResolutions resolutions: ClosedRange<Int>) -> Range<Int> {
    let indices = (0..<styleCount).filter { resolutions.contains(resolution(ofStyle: $0)) }
    guard let first = indices.first, let last = indices.last else { return 0..<0 }
    return first..<(last + 1)
  }

  public var description: String {
    "StyleGAN2 \(resolution)x\(resolution)x\(channels), z \(zDim), w \(wDim), \(mappingLayers) mapping layers, "
      + "channel base \(channelBase), max \(channelMax)"
      + (resampling == .reference ? ", the reference's resampling" : "") + (convClamp.map { ", clamp \($0)" } ?? "")
      + (output == .lastBlock ? ", image from the last block only" : "")
      + (adaptiveNormResolutions.map { ", AdaIN at \($0.lowerBound)-\($0.upperBound)" } ?? "")
  }
}

/// StyleGAN's activation: leaky ReLU with slope 0.2, scaled by `gain` (√2 by default, the reference's `def_gain`
/// for 'lrelu', which keeps the activations' second moment about constant with unit-variance weights).
func styleGANActivation(_ x: Tensor, gain: Float = Float(2).squareRoot()) -> Tensor {
  let y = leakyReLU(x, slope: 0.2)
  return gain == 1 ? y : y * gain
}

/// x limited to ±limit, the reference's conv_clamp (nil: x as it is).
func clampedActivation(_ x: Tensor, _ limit: Float?) -> Tensor {
  guard let limit else { return x }
  return clamp(x, min: -limit, max: limit)
}
