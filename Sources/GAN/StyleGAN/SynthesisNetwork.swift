import NN

/// Where the synthesis network's per-pixel noise comes from.
public enum NoiseMode: String, Sendable, CaseIterable {
  /// Fresh N(0, 1) noise for every image and layer (training, and sampling as the paper does).
  case random
  /// Each layer's fixed noise image (a buffer drawn once at construction, shared by every sample): the same w then
  /// always gives the same image, which style-mixing grids and truncation sweeps need.
  case constant
  /// No noise at all.
  case none
}

/// One modulated 3x3 convolution of the synthesis network: style = affine(w) (one scale per input channel, the
/// affine's bias starting at 1), modulated and demodulated convolution, per-pixel noise times a learned strength
/// (starting at 0), bias, leaky ReLU with gain √2. With `upsamples`, the output has twice the input's size: by
/// nearest-neighbor upsampling before the convolution (`.simplified`), or by the reference's transposed convolution
/// and [1, 3, 3, 1] filter (`.reference`).
public final class SynthesisLayer: Module {
  public var affine: EqualizedLinear
  /// [outputChannels, inputChannels, 3, 3], N(0, 1): demodulation makes any fixed scale irrelevant.
  public var weight: Tensor
  public var bias: Tensor
  /// The noise's learned scale, a scalar.
  public var noiseStrength: Tensor
  /// The fixed noise image for `NoiseMode.constant`, [1, 1, resolution, resolution].
  public let noiseConstant: Buffer
  public let resolution: Int
  public let upsamples: Bool
  public let resampling: StyleGANResampling
  public let convClamp: Float?
  /// StyleGAN1's adaptive instance normalization after the activation, when present: each image's each channel is
  /// standardized over its pixels, then scaled by `adaptiveScale(w)` (starting at 1) and shifted by
  /// `adaptiveShift(w)` (starting at 0). The standardization wipes out the per-channel level and spread the earlier
  /// layers set, and the style sets them anew, so a layer's style can recolor a whole region; StyleGAN2's modulation
  /// only rescales the layer's input channels and leaves those statistics to the layers before. Lesson 08 measures
  /// what that does to the levels' roles.
  public var adaptiveScale: EqualizedLinear?
  public var adaptiveShift: EqualizedLinear?

  public init(inputChannels: Int, outputChannels: Int, wDim: Int, resolution: Int, upsamples: Bool,
              resampling: StyleGANResampling = .simplified, convClamp: Float? = nil, adaptiveNorm: Bool = false,
              using generator: inout SeededGenerator) {
    self.resolution = resolution
    self.upsamples = upsamples
    self.resampling = resampling
    self.convClamp = convClamp
    affine = EqualizedLinear(inputSize: wDim, outputSize: inputChannels, biasInitial: 1, using: &generator)
    weight = Tensor.randomNormal([outputChannels, inputChannels, 3, 3], using: &generator, requiresGrad: true)
    bias = Tensor.zeros([outputChannels], requiresGrad: true)
    noiseStrength = Tensor.zeros([], requiresGrad: true)
    noiseConstant = Buffer(Tensor.randomNormal([1, 1, resolution, resolution], using: &generator))
    if adaptiveNorm {
      adaptiveScale = EqualizedLinear(inputSize: wDim, outputSize: outputChannels, biasInitial: 1, using: &generator)
      adaptiveShift = EqualizedLinear(inputSize: wDim, outputSize: outputChannels, using: &generator)
    }
    super.init()
  }

  public func callAsFunction(_ x: Tensor, w: Tensor, noise: NoiseMode, form: ModulationForm,
                             using generator: inout SeededGenerator) -> Tensor {
    precondition(x.shape[2] * (upsamples ? 2 : 1) == resolution && x.shape[3] * (upsamples ? 2 : 1) == resolution,
                 "SynthesisLayer(\(resolution)x\(resolution)): input \(x.shape) has the wrong size")
    let transposed = upsamples && resampling == .reference
    let input = upsamples && !transposed ? x.upsampledNearest(2) : x
    var y = modulatedConv2d(
      input, weight: weight, styles: affine(w), demodulate: true, padding: 1, upsampling: transposed, form: form)
    switch noise {
    case .random:
      y = y + Tensor.randomNormal([x.shape[0], 1, resolution, resolution], using: &generator) * noiseStrength
    case .constant:
      y = y + noiseConstant.value * noiseStrength
    case .none:
      break
    }
    y = clampedActivation(styleGANActivation(y + bias.reshaped(to: [1, bias.count, 1, 1])), convClamp)
    guard let scale = adaptiveScale, let shift = adaptiveShift else { return y }
    let perChannel = [x.shape[0], bias.count, 1, 1]
    return standardizedChannels(y) * scale(w).reshaped(to: perChannel) + shift(w).reshaped(to: perChannel)
  }
}

/// x [N, C, H, W] with each image's each channel standardized over its H x W pixels (instance normalization
/// without parameters, epsilon 1e-8 as StyleGAN1's).
func standardizedChannels(_ x: Tensor) -> Tensor {
  let centered = x - x.mean(alongAxes: [2, 3])
  return centered / sqrt((centered * centered).mean(alongAxes: [2, 3]) + 1e-8)
}

/// The toRGB layer: a modulated 1x1 convolution without demodulation, from features to image channels, plus a
/// bias and no activation. The style is scaled by 1/√inputChannels (the equalized-learning-rate factor, which
/// demodulation would otherwise have absorbed).
public final class ToRGBLayer: Module {
  public var affine: EqualizedLinear
  /// [imageChannels, inputChannels, 1, 1], N(0, 1).
  public var weight: Tensor
  public var bias: Tensor
  let styleGain: Float
  public let convClamp: Float?

  public init(inputChannels: Int, imageChannels: Int, wDim: Int, convClamp: Float? = nil,
              using generator: inout SeededGenerator) {
    self.convClamp = convClamp
    affine = EqualizedLinear(inputSize: wDim, outputSize: inputChannels, biasInitial: 1, using: &generator)
    weight = Tensor.randomNormal([imageChannels, inputChannels, 1, 1], using: &generator, requiresGrad: true)
    bias = Tensor.zeros([imageChannels], requiresGrad: true)
    styleGain = 1 / Float(inputChannels).squareRoot()
    super.init()
  }

  public func callAsFunction(_ x: Tensor, w: Tensor, form: ModulationForm) -> Tensor {
    let y = modulatedConv2d(x, weight: weight, styles: affine(w) * styleGain, demodulate: false, form: form)
    return clampedActivation(y + bias.reshaped(to: [1, bias.count, 1, 1]), convClamp)
  }
}

/// One resolution of the synthesis network. The first block (4x4) starts from a learned constant and has one
/// convolution; every later block upsamples and has two. With `SynthesisOutput.skip` every block has a toRGB whose
/// image is added to the upsampled image of the blocks before it (the "skip" generator of StyleGAN2); with
/// `.lastBlock` only the last block has one.
public final class SynthesisBlock: Module {
  /// The learned 4x4 input [channels, 4, 4] of the first block, N(0, 1).
  public var const: Tensor?
  public var conv0: SynthesisLayer?
  public var conv1: SynthesisLayer
  public var toRGB: ToRGBLayer?
  public let resolution: Int

  public init(inputChannels: Int, outputChannels: Int, wDim: Int, resolution: Int, imageChannels: Int,
              resampling: StyleGANResampling = .simplified, convClamp: Float? = nil, drawsImage: Bool = true,
              adaptiveNorm: Bool = false, using generator: inout SeededGenerator) {
    self.resolution = resolution
    if resolution == 4 {
      const = Tensor.randomNormal([outputChannels, 4, 4], using: &generator, requiresGrad: true)
    } else {
      conv0 = SynthesisLayer(inputChannels: inputChannels, outputChannels: outputChannels, wDim: wDim,
                             resolution: resolution, upsamples: true, resampling: resampling, convClamp: convClamp,
                             adaptiveNorm: adaptiveNorm, using: &generator)
    }
    conv1 = SynthesisLayer(inputChannels: outputChannels, outputChannels: outputChannels, wDim: wDim,
                           resolution: resolution, upsamples: false, convClamp: convClamp, adaptiveNorm: adaptiveNorm,
                           using: &generator)
    if drawsImage {
      toRGB = ToRGBLayer(inputChannels: outputChannels, imageChannels: imageChannels, wDim: wDim,
                         convClamp: convClamp, using: &generator)
    }
    super.init()
  }
}

/// The synthesis network g: styles -> image. A learned constant 4x4 input, then per resolution two modulated 3x3
/// convolutions (one at 4x4), each driven by its own style input, with noise; toRGB outputs upsampled (by the
/// reference's [1, 3, 3, 1] filter unless `imageUpsampling` says otherwise) and summed.
///
/// Style inputs: `ws` is [N, styleCount, wDim]. Index 0 drives the 4x4 convolution; block k >= 1 (resolution 4·2^k)
/// takes index 2k - 1 for its first convolution and 2k for its second; a block's toRGB takes the index after its
/// last convolution (shared with the next block's first convolution), so the final toRGB takes the last index.
/// Feeding the same w at every index is ordinary generation; feeding different ones is style mixing.
public final class SynthesisNetwork: Module {
  public var blocks: [SynthesisBlock]
  public let configuration: StyleGANConfiguration
  /// How the modulated convolutions are evaluated (same result either way). The grouped form is the default: on
  /// this engine a training step of the 32x32 test configuration at batch 32 measured about 20% faster with it.
  public var modulationForm: ModulationForm = .groupedConvolution
  /// How the summed image grows between resolutions (the features always use nearest upsampling, followed by a
  /// learned 3x3 convolution that can smooth them).
  public var imageUpsampling: ImageUpsampling = .filtered

  public init(configuration: StyleGANConfiguration, using generator: inout SeededGenerator) {
    self.configuration = configuration
    blocks = configuration.blockResolutions.map { r in
      SynthesisBlock(inputChannels: r == 4 ? 0 : configuration.width(at: r / 2), outputChannels: configuration.width(at: r),
                     wDim: configuration.wDim, resolution: r, imageChannels: configuration.channels,
                     resampling: configuration.resampling, convClamp: configuration.convClamp,
                     drawsImage: configuration.output == .skip || r == configuration.resolution,
                     adaptiveNorm: configuration.adaptiveNormResolutions?.contains(r) ?? false, using: &generator)
    }
    super.init()
  }

  /// The number of style inputs.
  public var styleCount: Int { configuration.styleCount }

  /// Styles [N, styleCount, wDim] -> images [N, channels, resolution, resolution] (not squashed: like the
  /// reference, the output is linear, and training pulls it into the data's range [-1, 1]).
  public func callAsFunction(ws: Tensor, noise: NoiseMode, using generator: inout SeededGenerator) -> Tensor {
    run(ws: ws, noise: noise, recordingLayers: false, using: &generator).image
  }

  /// The image and every modulated convolution's output in order (4x4 conv, then conv0 and conv1 of each later
  /// block): layer j's output depends on style indices 0...j only, which the style-mixing test checks.
  public func layerOutputs(ws: Tensor, noise: NoiseMode, using generator: inout SeededGenerator)
    -> (image: Tensor, layers: [Tensor])
  {
    run(ws: ws, noise: noise, recordingLayers: true, using: &generator)
  }

  private func run(ws: Tensor, noise: NoiseMode, recordingLayers: Bool, using generator: inout SeededGenerator)
    -> (image: Tensor, layers: [Tensor])
  {
    let wDim = configuration.wDim
    precondition(ws.rank == 3 && ws.shape[1] == styleCount && ws.shape[2] == wDim,
                 "SynthesisNetwork: ws must be [N, \(styleCount), \(wDim)], got \(ws.shape)")
    let n = ws.shape[0]
    func style(_ index: Int) -> Tensor { ws.sliced(axis: 1, index..<(index + 1)).reshaped(to: [n, wDim]) }
    var layers: [Tensor] = []
    var x: Tensor?
    var image: Tensor?
    for (k, block) in blocks.enumerated() {
      var h: Tensor
      if let const = block.const {
        h = const.reshaped(to: [1] + const.shape).broadcasted(to: [n] + const.shape)
        h = block.conv1(h, w: style(0), noise: noise, form: modulationForm, using: &generator)
        if recordingLayers { layers.append(h) }
      } else {
        h = block.conv0!(x!, w: style(2 * k - 1), noise: noise, form: modulationForm, using: &generator)
        if recordingLayers { layers.append(h) }
        h = block.conv1(h, w: style(2 * k), noise: noise, form: modulationForm, using: &generator)
        if recordingLayers { layers.append(h) }
      }
      x = h
      guard let toRGB = block.toRGB else { continue }
      let rgb = toRGB(h, w: style(k == 0 ? 1 : 2 * k + 1), form: modulationForm)
      if let previous = image {
        image = (imageUpsampling == .filtered ? upsampledFiltered(previous) : previous.upsampledNearest(2)) + rgb
      } else {
        image = rgb
      }
    }
    return (image!, layers)
  }
}
