import Foundation
import XCTest

@testable import GAN

/// StyleGAN2: shapes, parameter counts against the official code's structure, truncation, style mixing, modulation,
/// gradients (first and second order) and the trainer.
final class StyleGANTests: XCTestCase {
  /// The small configuration the tests (and lesson 08) use: 32x32x1, z = w = 64, 4 mapping layers, widths
  /// min(1024 / r, 64) = 64, 64, 64, 32 at 4, 8, 16, 32.
  static let small = StyleGANConfiguration(resolution: 32, channels: 1, zDim: 64, wDim: 64, mappingLayers: 4,
                                           channelBase: 1024, channelMax: 64)

  func makeSmall(seed: UInt64 = 1) -> (StyleGANGenerator, StyleGANDiscriminator) {
    var rng = SeededGenerator(seed: seed)
    return (StyleGANGenerator(configuration: Self.small, using: &rng),
            StyleGANDiscriminator(configuration: Self.small, using: &rng))
  }

  // MARK: - Shapes and structure

  func testShapesAtTheSmallConfiguration() {
    let (g, d) = makeSmall()
    var rng = SeededGenerator(seed: 2)
    let z = Tensor.randomNormal([4, 64], using: &rng)
    XCTAssertEqual(g.styleCount, 8)  // 2 log2(32) - 2
    XCTAssertEqual(g.mapping(z).shape, [4, 64])
    XCTAssertEqual(g.styles(z).shape, [4, 8, 64])
    let images = withoutGradients { g(z) }
    XCTAssertEqual(images.shape, [4, 1, 32, 32])
    XCTAssertTrue(images.scalars.allSatisfy(\.isFinite))
    XCTAssertEqual(withoutGradients { d(images) }.shape, [4, 1])
    XCTAssertEqual(withoutGradients { g(z, psi: 0.5, mixing: true, noise: .none) }.shape, [4, 1, 32, 32])

    // Which resolution each style input modulates, and the coarse / middle / fine split.
    XCTAssertEqual((0..<8).map { Self.small.resolution(ofStyle: $0) }, [4, 8, 8, 16, 16, 32, 32, 32])
    XCTAssertEqual(Self.small.styleIndices(forResolutions: 4...8), 0..<3)
    XCTAssertEqual(Self.small.styleIndices(forResolutions: 16...16), 3..<5)
    XCTAssertEqual(Self.small.styleIndices(forResolutions: 32...32), 5..<8)
    XCTAssertEqual(StyleGANConfiguration.configF1024.styleCount, 18)

    // Checkpoint names: parameters by path, w_avg and the constant noise images as buffers.
    let paths = Set(g.namedParameters().map(\.path))
    for path in ["mappingNetwork.layers.0.weight", "synthesisNetwork.blocks.0.const",
                 "synthesisNetwork.blocks.0.conv1.affine.bias", "synthesisNetwork.blocks.1.conv0.noiseStrength",
                 "synthesisNetwork.blocks.3.toRGB.weight"] {
      XCTAssertTrue(paths.contains(path), path)
    }
    let buffers = Set(g.namedBuffers().map(\.path))
    XCTAssertTrue(buffers.contains("mappingNetwork.averageW"))
    XCTAssertTrue(buffers.contains("synthesisNetwork.blocks.3.conv1.noiseConstant"))
    XCTAssertTrue(Set(d.namedParameters().map(\.path)).isSuperset(of: [
      "blocks.0.fromRGB.weight", "blocks.2.skip.weight", "epilogue.conv.weight", "epilogue.out.bias",
    ]))
  }

  /// Counts from the official structure (stylegan2-ada-pytorch training/networks.py), layer by layer, for the small
  /// configuration (w = 64, image channels 1):
  /// - FullyConnectedLayer(i, o): o·i + o. Mapping: (64·64 + 64) + 3·(64·64 + 64) = 16,640.
  /// - SynthesisLayer(i -> o): affine (64·i + i) + weight o·i·9 + noise strength 1 + bias o.
  ///   64 -> 64: 4,160 + 36,864 + 1 + 64 = 41,089;   64 -> 32: 4,160 + 18,432 + 1 + 32 = 22,625;
  ///   32 -> 32: 2,080 + 9,216 + 1 + 32 = 11,329.
  /// - ToRGBLayer(i): affine (64·i + i) + weight 1·i + bias 1: i = 64: 4,225; i = 32: 2,113.
  /// - b4: const 64·16 = 1,024 + conv1 41,089 + toRGB 4,225 = 46,338; b8 = b16: 41,089 + 41,089 + 4,225 = 86,403;
  ///   b32: 22,625 + 11,329 + 2,113 = 36,067. Synthesis: 46,338 + 2·86,403 + 36,067 = 255,211.
  /// - Discriminator (resnet): b32 fromRGB 1·32 + 32 = 64, conv0 32·32·9 + 32 = 9,248, conv1 32·64·9 + 64 = 18,496,
  ///   skip 32·64 = 2,048 (29,856); b16 = b8: conv0 = conv1 = 64·64·9 + 64 = 36,928, skip 4,096 (77,952 each);
  ///   epilogue: conv 65·64·9 + 64 = 37,504, fc 1,024·64 + 64 = 65,600, out 64 + 1 = 65 (103,169).
  ///   Total 29,856 + 2·77,952 + 103,169 = 288,929.
  func testSmallParameterCounts() {
    let (g, d) = makeSmall()
    XCTAssertEqual(g.mappingNetwork.parameterCount, 16_640)
    XCTAssertEqual(g.synthesisNetwork.parameterCount, 255_211)
    XCTAssertEqual(g.parameterCount, 271_851)
    XCTAssertEqual(d.parameterCount, 288_929)
  }

  /// The reference's resampling has no parameters of its own: the same counts and shapes, another function.
  func testReferenceResamplingKeepsTheCountsAndShapes() {
    var configuration = Self.small
    configuration.resampling = .reference
    var rng = SeededGenerator(seed: 1)
    let g = StyleGANGenerator(configuration: configuration, using: &rng)
    let d = StyleGANDiscriminator(configuration: configuration, using: &rng)
    XCTAssertEqual([g.parameterCount, d.parameterCount], [271_851, 288_929])
    let (simpleG, simpleD) = makeSmall()
    XCTAssertEqual(Set(g.stateTensors().keys), Set(simpleG.stateTensors().keys))
    XCTAssertEqual(Set(d.stateTensors().keys), Set(simpleD.stateTensors().keys))
    try! simpleG.loadState(g.stateTensors())
    try! simpleD.loadState(d.stateTensors())
    let z = Tensor.randomNormal([4, 64], using: &rng)
    let (image, simpleImage) = withoutGradients {
      (g(z, psi: 1, noise: .constant), simpleG(z, psi: 1, noise: .constant))
    }
    XCTAssertEqual(image.shape, [4, 1, 32, 32])
    XCTAssertGreaterThan(maxDifference(image.scalars, simpleImage.scalars), 0.01)
    let (logits, simpleLogits) = withoutGradients { (d(image), simpleD(image)) }
    XCTAssertEqual(logits.shape, [4, 1])
    XCTAssertGreaterThan(maxDifference(logits.scalars, simpleLogits.scalars), 1e-4)
  }

  /// The last-block output drops every toRGB but the last (3 x 4,225 fewer parameters at the small configuration);
  /// AdaIN at 32x32 adds a scale and a shift affine (64 -> 32: 2,080 each) to both layers there (8,320 more).
  func testLastBlockOutputAndAdaptiveNormCounts() {
    var configuration = Self.small
    configuration.output = .lastBlock
    var rng = SeededGenerator(seed: 1)
    let lastBlock = StyleGANGenerator(configuration: configuration, using: &rng)
    XCTAssertEqual(lastBlock.synthesisNetwork.parameterCount, 255_211 - 3 * 4_225)
    let paths = Set(lastBlock.namedParameters().map(\.path))
    XCTAssertTrue(paths.contains("synthesisNetwork.blocks.3.toRGB.weight"))
    XCTAssertFalse(paths.contains("synthesisNetwork.blocks.2.toRGB.weight"))
    configuration.adaptiveNormResolutions = 32...32
    let both = StyleGANGenerator(configuration: configuration, using: &rng)
    XCTAssertEqual(both.synthesisNetwork.parameterCount, 255_211 - 3 * 4_225 + 8_320)
    XCTAssertTrue(Set(both.namedParameters().map(\.path)).isSuperset(of: [
      "synthesisNetwork.blocks.3.conv0.adaptiveScale.weight", "synthesisNetwork.blocks.3.conv1.adaptiveShift.bias"]))
    XCTAssertFalse(
      Set(both.namedParameters().map(\.path)).contains("synthesisNetwork.blocks.2.conv1.adaptiveScale.bias"))
    let z = Tensor.randomNormal([4, 64], using: &rng)
    for g in [lastBlock, both] {
      let images = withoutGradients { g(z, psi: 1, mixing: true, noise: .random, using: &rng) }
      XCTAssertEqual(images.shape, [4, 1, 32, 32])
      XCTAssertTrue(images.scalars.allSatisfy(\.isFinite))
    }
  }

  /// AdaIN: whatever the input's level and spread, each image's each output channel has the mean shift(w) and the
  /// standard deviation |scale(w)|.
  func testAdaptiveNormSetsEachChannelsMeanAndSpreadFromTheStyle() {
    var rng = SeededGenerator(seed: 3)
    let layer = SynthesisLayer(inputChannels: 4, outputChannels: 5, wDim: 8, resolution: 8, upsamples: false,
                               adaptiveNorm: true, using: &rng)
    let w = Tensor.randomNormal([2, 8], using: &rng)
    let x = Tensor.randomNormal([2, 4, 8, 8], mean: 3, std: 5, using: &rng)
    let y = withoutGradients { layer(x, w: w, noise: .none, form: .groupedConvolution, using: &rng) }
    let (scale, shift) = withoutGradients { (layer.adaptiveScale!(w), layer.adaptiveShift!(w)) }
    for n in 0..<2 {
      for c in 0..<5 {
        let values = (0..<64).map { Double(y.scalars[(n * 5 + c) * 64 + $0]) }
        let mean = values.reduce(0, +) / 64
        let spread = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 64).squareRoot()
        XCTAssertEqual(mean, Double(shift.scalars[n * 5 + c]), accuracy: 1e-4)
        XCTAssertEqual(spread, Double(abs(scale.scalars[n * 5 + c])), accuracy: 1e-3)
      }
    }
  }

  /// conv_clamp limits every modulated convolution's activated output (and toRGB's) to ±limit.
  func testConvClampLimitsTheLayers() {
    var rng = SeededGenerator(seed: 2)
    let layer = SynthesisLayer(inputChannels: 4, outputChannels: 6, wDim: 8, resolution: 8, upsamples: true,
                               resampling: .reference, convClamp: 0.1, using: &rng)
    let toRGB = ToRGBLayer(inputChannels: 6, imageChannels: 3, wDim: 8, convClamp: 0.05, using: &rng)
    let w = Tensor.randomNormal([2, 8], using: &rng)
    let h = withoutGradients { layer(Tensor.randomNormal([2, 4, 4, 4], std: 3, using: &rng), w: w, noise: .none,
                                     form: .groupedConvolution, using: &rng) }
    XCTAssertEqual(h.shape, [2, 6, 8, 8])
    XCTAssertEqual(h.scalars.map(Swift.abs).max() ?? 0, 0.1, accuracy: 1e-6)  // some values reach the limit
    let rgb = withoutGradients { toRGB(h * 100, w: w, form: .groupedConvolution) }
    XCTAssertEqual(rgb.scalars.map(Swift.abs).max() ?? 0, 0.05, accuracy: 1e-6)
  }

  /// The full-scale configuration: stylegan2-ada-pytorch `--cfg=paper256` (256x256x3, z = w = 512, 8 mapping layers,
  /// fmaps 0.5 -> channel_base 16384, channel_max 512; widths 512 at 4..32, then 256, 128, 64 at 64, 128, 256).
  /// Counted from training/networks.py layer by layer (FullyConnectedLayer o·i + o; SynthesisLayer 512·i + i +
  /// 9·o·i + 1 + o; ToRGBLayer 513·i + 3·i + 3; Conv2dLayer o·i·k² + o, skip without bias):
  ///
  /// Mapping: 8 · (512·512 + 512) = 8 · 262,656 = 2,101,248.
  /// Synthesis:
  ///   b4    const 8,192 + conv1 2,622,465 + toRGB 264,195                 = 2,894,852
  ///   b8    conv0 2,622,465 + conv1 2,622,465 + toRGB 264,195             = 5,509,125   (same for b16, b32)
  ///   b64   conv0 (512->256) 1,442,561 + conv1 721,409 + toRGB 132,099    = 2,296,069
  ///   b128  conv0 (256->128) 426,369 + conv1 213,249 + toRGB 66,051       =   705,669
  ///   b256  conv0 (128->64) 139,457 + conv1 69,761 + toRGB 33,027         =   242,245
  ///   total 2,894,852 + 3·5,509,125 + 2,296,069 + 705,669 + 242,245       = 22,666,210
  /// Generator: 2,101,248 + 22,666,210 = 24,767,458.
  /// Discriminator:
  ///   b256  fromRGB 3·64 + 64 = 256, conv0 36,928, conv1 (64->128) 73,856, skip 8,192          =   119,232
  ///   b128  conv0 147,584, conv1 (128->256) 295,168, skip 32,768                               =   475,520
  ///   b64   conv0 590,080, conv1 (256->512) 1,180,160, skip 131,072                            = 1,901,312
  ///   b32   conv0 2,359,808, conv1 2,359,808, skip 262,144                                     = 4,981,760  (b16, b8)
  ///   b4    conv 513·512·9 + 512 = 2,364,416, fc 8,192·512 + 512 = 4,194,816, out 513         = 6,559,745
  ///   total 119,232 + 475,520 + 1,901,312 + 3·4,981,760 + 6,559,745                            = 24,001,089
  /// (The per-layer numbers above at 512 and 64 channels are exactly those in the reference's own
  /// `print_module_summary` output at 1024x1024, e.g. synthesis.b8.conv0 2622465, b4.fc 4194816.)
  ///
  /// Builds both networks and runs one forward pass at batch 1.
  func testFullScalePaper256CountsAndForwardPass() {
    var rng = SeededGenerator(seed: 3)
    let configuration = StyleGANConfiguration.paper256
    let g = StyleGANGenerator(configuration: configuration, using: &rng)
    let d = StyleGANDiscriminator(configuration: configuration, using: &rng)
    XCTAssertEqual(g.mappingNetwork.parameterCount, 2_101_248)
    XCTAssertEqual(g.synthesisNetwork.parameterCount, 22_666_210)
    XCTAssertEqual(g.parameterCount, 24_767_458)
    XCTAssertEqual(d.parameterCount, 24_001_089)
    XCTAssertEqual(g.styleCount, 14)

    let start = Date()
    let (image, logit) = withoutGradients { () -> (Tensor, Tensor) in
      let image = g(Tensor.randomNormal([1, 512], using: &rng), psi: 1, noise: .constant)
      return (image, d(image))
    }
    let seconds = Date().timeIntervalSince(start)
    XCTAssertEqual(image.shape, [1, 3, 256, 256])
    XCTAssertEqual(logit.shape, [1, 1])
    XCTAssertTrue(image.scalars.allSatisfy(\.isFinite) && logit.scalar.isFinite)
    print(String(format: "StyleGAN2 paper256 forward (G + D, batch 1): %.2f s", seconds))
  }

  /// The official config F at 1024x1024 (z = w = 512, 8 mapping layers, channel_base 32768, channel_max 512), counted
  /// the same way: mapping 2,101,248; synthesis 2,894,852 (b4) + 4·5,509,125 (b8..b64) + 2,296,069 (b128) +
  /// 705,669 (b256) + 242,245 (b512) + 93,477 (b1024: conv0 32·513 + 32·64·9 + 1 + 32 = 51,297, conv1 25,665,
  /// toRGB 16,515) = 28,268,812; generator 30,370,060. Discriminator: 29,920 (b1024) + 118,976 (b512) + 475,520 +
  /// 1,901,312 + 4·4,981,760 + 6,559,745 = 29,012,513.
  /// Cross-check with the reference's published module summary for this configuration: "Total 29012513" for D,
  /// and 28,794,124 for G with 2 mapping layers (the auto config) = 28,268,812 + 2·262,656.
  /// Only built and counted here (a forward pass at 1024 would take the tests too long).
  func testConfigF1024ParameterCounts() {
    var rng = SeededGenerator(seed: 4)
    let configuration = StyleGANConfiguration.configF1024
    let g = StyleGANGenerator(configuration: configuration, using: &rng)
    XCTAssertEqual(g.mappingNetwork.parameterCount, 2_101_248)
    XCTAssertEqual(g.synthesisNetwork.parameterCount, 28_268_812)
    XCTAssertEqual(g.parameterCount, 30_370_060)
    let d = StyleGANDiscriminator(configuration: configuration, using: &rng)
    XCTAssertEqual(d.parameterCount, 29_012_513)
  }

  // MARK: - Modulated convolution

  /// Both evaluation forms give the same output and the same gradients; demodulation makes the output independent
  /// of the style's overall scale.
  func testModulationFormsAgreeAndDemodulationIsScaleFree() {
    var rng = SeededGenerator(seed: 5)
    let x = Tensor.randomNormal([3, 4, 6, 6], using: &rng)
    let weight = Tensor.randomNormal([5, 4, 3, 3], using: &rng, requiresGrad: true)
    let styles = Tensor.randomNormal([3, 4], mean: 1, std: 0.5, using: &rng, requiresGrad: true)
    // With `upsampling`, the reference's upsampling convolution (transposed, stride 2, then the [1, 3, 3, 1] filter).
    for (demodulate, upsampling) in [(true, false), (false, false), (true, true)] {
      let a = modulatedConv2d(x, weight: weight, styles: styles, demodulate: demodulate, padding: 1,
                              upsampling: upsampling, form: .scaledActivations)
      let b = modulatedConv2d(x, weight: weight, styles: styles, demodulate: demodulate, padding: 1,
                              upsampling: upsampling, form: .groupedConvolution)
      XCTAssertEqual(a.shape, upsampling ? [3, 5, 12, 12] : [3, 5, 6, 6])
      assertClose(a.scalars, b.scalars, tolerance: 1e-4)
      let probe = Tensor.randomNormal(a.shape, using: &rng)
      let ga = gradients(of: (a * probe).sum(), wrt: [weight, styles])
      let gb = gradients(of: (b * probe).sum(), wrt: [weight, styles])
      assertClose(ga[0].scalars, gb[0].scalars, tolerance: 1e-3)
      assertClose(ga[1].scalars, gb[1].scalars, tolerance: 1e-3)
    }
    let scaled = modulatedConv2d(x, weight: weight, styles: styles * 3, demodulate: true, padding: 1)
    assertClose(scaled.scalars, modulatedConv2d(x, weight: weight, styles: styles, padding: 1).scalars, tolerance: 1e-4)
    // Without demodulation the style's scale passes straight through.
    let notDemodulated = modulatedConv2d(x, weight: weight, styles: styles * 3, demodulate: false, padding: 1)
    XCTAssertGreaterThan(maxDifference(notDemodulated.scalars, scaled.scalars), 0.1)

    // A generator makes the same images in either form.
    let (g, _) = makeSmall(seed: 6)
    let z = Tensor.randomNormal([2, 64], using: &rng)
    let ws = g.styles(z)
    XCTAssertEqual(g.synthesisNetwork.modulationForm, .groupedConvolution)
    let viaGroups = withoutGradients { g.synthesize(ws: ws, noise: .constant) }
    g.synthesisNetwork.modulationForm = .scaledActivations
    let viaScaling = withoutGradients { g.synthesize(ws: ws, noise: .constant) }
    assertClose(viaScaling.scalars, viaGroups.scalars, tolerance: 1e-3)
  }

  /// The skip path's [1, 3, 3, 1] upsampling: along each axis out[2i] = ¾ x[i] + ¼ x[i-1], out[2i+1] = ¾ x[i] +
  /// ¼ x[i+1], zero outside; a constant stays constant away from the border.
  func testFilteredUpsampling() {
    let x = Tensor(shape: [1, 1, 1, 3], scalars: [4, 8, 0])
    // Height 1: the row itself gets ¾ (the ¼ neighbors above and below are the zero padding).
    let y = upsampledFiltered(x)
    XCTAssertEqual(y.shape, [1, 1, 2, 6])
    // Horizontally: ¾·4 + ¼·0, ¾·4 + ¼·8, ¾·8 + ¼·4, ¾·8 + ¼·0, ¾·0 + ¼·8, ¾·0 + ¼·0; then ¾ vertically.
    let row: [Float] = [3, 5, 7, 6, 2, 0]
    XCTAssertEqual(y.scalars.map { ($0 * 1e4).rounded() / 1e4 }, (row + row).map { $0 * 0.75 })
    let constant = upsampledFiltered(Tensor.full([2, 3, 4, 4], 2))
    XCTAssertEqual(constant.shape, [2, 3, 8, 8])
    XCTAssertEqual(constant[1, 2, 3, 4], 2)
    XCTAssertEqual(constant[0, 0, 0, 0], 2 * 0.75 * 0.75)  // the zero padding shows at the corner
    // Its gradient is the adjoint: <upsample(x), g> = <x, upsample*(g)>.
    var rng = SeededGenerator(seed: 20)
    let input = Tensor.randomNormal([1, 2, 3, 3], using: &rng, requiresGrad: true)
    let probe = Tensor.randomNormal([1, 2, 6, 6], using: &rng)
    let grad = gradient(of: (upsampledFiltered(input) * probe).sum(), wrt: input)
    let lhs = (upsampledFiltered(input.detached()) * probe).sum().scalar
    let rhs = (input.detached() * grad).sum().scalar
    XCTAssertEqual(lhs, rhs, accuracy: 1e-4)
  }

  // MARK: - Truncation and mixing

  func testTruncationAtPsiZeroGivesOneImage() {
    let (g, _) = makeSmall(seed: 7)
    var rng = SeededGenerator(seed: 8)
    // Give w_avg a value of its own first, as training would.
    for _ in 0..<5 { _ = g.mapping(Tensor.randomNormal([16, 64], using: &rng), updatingAverage: true) }
    XCTAssertGreaterThan(g.mappingNetwork.averageW.value.scalars.map(abs).max()!, 0)
    let z = Tensor.randomNormal([4, 64], using: &rng)
    let truncated = withoutGradients { g(z, psi: 0, noise: .constant) }
    let pixels = 32 * 32
    for i in 1..<4 {
      XCTAssertEqual(Array(truncated.scalars[(i * pixels)..<((i + 1) * pixels)]), Array(truncated.scalars[0..<pixels]))
    }
    // And it is the image of w_avg itself.
    let average = g.mappingNetwork.averageW.value.reshaped(to: [1, 64])
    let ofAverage = withoutGradients { g.synthesize(ws: g.broadcastStyles(average), noise: .constant) }
    assertClose(Array(truncated.scalars[0..<pixels]), ofAverage.scalars, tolerance: 1e-5)
    // ψ = 1 keeps the samples distinct; ψ = 0.5 lies halfway in W.
    let free = withoutGradients { g(z, psi: 1, noise: .constant) }
    XCTAssertGreaterThan(maxDifference(Array(free.scalars[0..<pixels]), Array(free.scalars[pixels..<(2 * pixels)])), 1e-3)
    let w = g.mapping(z)
    let half = g.truncated(w, psi: 0.5)
    assertClose(half.scalars, ((w + g.mappingNetwork.averageW.value) * 0.5).scalars, tolerance: 1e-6)
  }

  /// Replacing the style at index k changes exactly the layers that use styles k and later: every convolution
  /// before k gives bit-identical output, every one from k on changes, and so does the image (index 7 only reaches
  /// the final toRGB).
  func testStyleMixingReachesOnlyTheLayersItShould() {
    let (g, _) = makeSmall(seed: 9)
    var rng = SeededGenerator(seed: 10)
    let a = g.styles(Tensor.randomNormal([2, 64], using: &rng))
    let b = g.styles(Tensor.randomNormal([2, 64], using: &rng))
    var scratch = SeededGenerator(seed: 0)
    let base = withoutGradients { g.synthesisNetwork.layerOutputs(ws: a, noise: .constant, using: &scratch) }
    XCTAssertEqual(base.layers.count, 7)
    for k in 0..<g.styleCount {
      let ws = g.mixedStyles(a, b, replacing: k..<(k + 1))
      let mixed = withoutGradients { g.synthesisNetwork.layerOutputs(ws: ws, noise: .constant, using: &scratch) }
      for (j, (before, after)) in zip(base.layers, mixed.layers).enumerated() {
        if j < k {
          XCTAssertEqual(before.scalars, after.scalars, "layer \(j) changed when style \(k) was swapped")
        } else {
          XCTAssertGreaterThan(maxDifference(before.scalars, after.scalars), 1e-4, "layer \(j), style \(k)")
        }
      }
      XCTAssertGreaterThan(maxDifference(base.image.scalars, mixed.image.scalars), 1e-5, "image, style \(k)")
    }

    // mixedStyles copies rows: coarse (0..<3) from b, the rest from a.
    let coarse = g.mixedStyles(a, b, replacing: 0..<3)
    for i in 0..<2 {
      for s in 0..<8 {
        let source = s < 3 ? b : a
        XCTAssertEqual(row(coarse, i, s), row(source, i, s))
      }
    }
  }

  /// Training-time mixing: about 90% of batches mix, the crossover is uniform over 1..<styleCount, the styles before
  /// it are mapping(z) and those after it one other latent's w; only the first latent moves w_avg.
  func testTrainingStylesMixWithTheRightProbabilityAndLayout() {
    var rng = SeededGenerator(seed: 11)
    let g = StyleGANGenerator(configuration: Self.small, using: &rng)
    var mixing = SeededGenerator(seed: 12)
    let z = Tensor.randomNormal([3, 64], using: &rng)
    let w = withoutGradients { g.mapping(z) }
    var mixedCount = 0
    var crossovers = Set<Int>()
    let draws = 300
    for _ in 0..<draws {
      let averageBefore = g.mappingNetwork.averageW.value.scalars
      let (ws, crossover) = withoutGradients { g.trainingStyles(z, using: &mixing) }
      // w_avg moved by (1 - 0.995)(mean w - w_avg): the first latent's batch only.
      let meanW = (0..<64).map { j in (0..<3).reduce(Float(0)) { $0 + w.scalars[$1 * 64 + j] } / 3 }
      let expected = zip(averageBefore, meanW).map { 0.995 * $0 + 0.005 * $1 }
      assertClose(g.mappingNetwork.averageW.value.scalars, expected, tolerance: 1e-6)
      guard let c = crossover else {
        for i in 0..<3 { for s in 0..<8 { assertClose(row(ws, i, s), rowOf(w, i), tolerance: 1e-6) } }
        continue
      }
      mixedCount += 1
      crossovers.insert(c)
      XCTAssertTrue((1..<8).contains(c))
      for i in 0..<3 {
        for s in 0..<c { assertClose(row(ws, i, s), rowOf(w, i), tolerance: 1e-6) }
        for s in c..<8 { XCTAssertEqual(row(ws, i, s), row(ws, i, c)) }
        XCTAssertGreaterThan(maxDifference(row(ws, i, c), rowOf(w, i)), 1e-3)
      }
    }
    let share = Double(mixedCount) / Double(draws)
    XCTAssertEqual(share, 0.9, accuracy: 0.06)  // 300 draws: standard deviation 0.017
    XCTAssertEqual(crossovers, Set(1..<8))
    g.mixingProbability = 0
    XCTAssertNil(withoutGradients { g.trainingStyles(z, using: &mixing) }.crossover)
  }

  // MARK: - Gradients

  func testGradientFlowsToEveryParameter() {
    let (g, d) = makeSmall(seed: 13)
    var rng = SeededGenerator(seed: 14)
    let z = Tensor.randomNormal([4, 64], using: &rng)
    let fake = g(z, psi: 1, mixing: true, noise: .random, using: &rng)
    let generatorLoss = AdversarialLoss.nonSaturating.generatorLoss(fakeLogits: d(fake))
    for (path, gradient) in zip(g.namedParameters().map(\.path), reachableGradients(of: generatorLoss, wrt: g.parameters())) {
      XCTAssertNotNil(gradient, "no gradient reaches generator parameter \(path)")
      if let gradient { XCTAssertTrue(gradient.scalars.contains { $0 != 0 }, "zero gradient for generator \(path)") }
    }
    let real = Tensor.randomNormal([4, 1, 32, 32], using: &rng)
    let discriminatorLoss = AdversarialLoss.nonSaturating.discriminatorLoss(real: d(real), fake: d(fake.detached()))
    for (path, gradient) in zip(d.namedParameters().map(\.path), reachableGradients(of: discriminatorLoss, wrt: d.parameters())) {
      XCTAssertNotNil(gradient, "no gradient reaches discriminator parameter \(path)")
      if let gradient { XCTAssertTrue(gradient.scalars.contains { $0 != 0 }, "zero gradient for discriminator \(path)") }
    }
  }

  /// R1 differentiates the discriminator's input gradient again: its gradient with respect to weights matches central
  /// finite differences of the penalty. The output layer's weight enters R1 quadratically, so the difference is exact
  /// for any step; inside the network R1 is only piecewise smooth (∇ₓD jumps where a leaky-ReLU input changes sign,
  /// and a step of 1e-3 already crosses such kinks here), so those weights take a step of 1e-4.
  /// Both resamplings (the reference's filters are convolutions too).
  func testR1PenaltyIsDifferentiableInTheWeights() {
    for resampling in StyleGANResampling.allCases {
      checkR1Gradients(StyleGANConfiguration(resolution: 8, channels: 1, channelBase: 64, channelMax: 16,
                                             resampling: resampling))
    }
  }

  func checkR1Gradients(_ configuration: StyleGANConfiguration) {
    var rng = SeededGenerator(seed: 15)
    let d = StyleGANDiscriminator(configuration: configuration, using: &rng)
    let real = Tensor.randomNormal([4, 1, 8, 8], using: &rng)
    let cases: [(String, Tensor, Float, Double)] = [
      ("epilogue.out.weight", d.epilogue.out.weight, 1e-2, 1e-3),
      ("blocks.0.conv0.weight", d.blocks[0].conv0.weight, 1e-4, 0.02),
      ("blocks.0.skip.weight", d.blocks[0].skip.weight, 1e-4, 0.02),
      ("epilogue.conv.weight", d.epilogue.conv.weight, 1e-4, 0.02),
    ]
    for (name, weight, h, tolerance) in cases {
      let penalty = r1Penalty(critic: { d($0) }, real: real, gamma: 10)
      XCTAssertGreaterThan(penalty.scalar, 0)
      let analytic = gradients(of: penalty, wrt: [weight])[0]
      let direction = Tensor.randomNormal(weight.shape, using: &rng)
      let projected = Double(zip(analytic.scalars, direction.scalars).reduce(Float(0)) { $0 + $1.0 * $1.1 })
      let original = weight.scalars
      func penaltyAt(_ step: Float) -> Double {
        weight.scalars = zip(original, direction.scalars).map { $0 + step * $1 }
        defer { weight.scalars = original }
        return Double(r1Penalty(critic: { d($0) }, real: real, gamma: 10).scalar)
      }
      let numeric = (penaltyAt(h) - penaltyAt(-h)) / Double(2 * h)
      XCTAssertGreaterThan(Swift.abs(numeric), 1e-3, "\(name), \(configuration.resampling)")
      XCTAssertEqual(
        projected, numeric, accuracy: tolerance * Swift.abs(numeric), "\(name), \(configuration.resampling)")
    }
  }

  // MARK: - Training

  func testTrainerStepsRunWithLazyR1AndEMA() {
    let (g, d) = makeSmall(seed: 16)
    let trainer = StyleGANTrainer(generator: g, discriminator: d, options: StyleGANTrainingOptions(r1Interval: 2, seed: 17))
    var rng = SeededGenerator(seed: 18)
    let real = clamp(Tensor.randomNormal([4, 1, 32, 32], std: 0.5, using: &rng), min: -1, max: 1)
    let before = g.parameters().map(\.scalars)
    let discriminatorBefore = d.parameters().map(\.scalars)
    var results: [StyleGANStepResult] = []
    for _ in 0..<3 { results.append(trainer.step(real: real)) }
    XCTAssertEqual(results.map { $0.r1Penalty != nil }, [true, false, true])  // every 2 steps, from step 0
    for result in results {
      XCTAssertTrue(result.generatorLoss.isFinite && result.discriminatorLoss.isFinite)
      XCTAssertGreaterThan(result.discriminatorLoss, 0)
    }
    XCTAssertEqual(trainer.iteration, 3)
    XCTAssertEqual(trainer.imagesSeen, 12)
    XCTAssertTrue(zip(before, g.parameters().map(\.scalars)).contains { $0 != $1 })
    XCTAssertTrue(zip(discriminatorBefore, d.parameters().map(\.scalars)).contains { $0 != $1 })
    // The discriminator's Adam runs at lr·c, β2^c with c = 2/3 (lazy regularization every 2 steps).
    XCTAssertEqual(trainer.discriminatorOptimizer.learningRate, 0.002 * 2 / 3, accuracy: 1e-9)
    XCTAssertEqual(trainer.discriminatorOptimizer.beta2, Float(Foundation.pow(0.99, 2.0 / 3)), accuracy: 1e-6)
    XCTAssertEqual(trainer.generatorOptimizer.learningRate, 0.002)
    // EMA ramp-up: at step 0 no images were seen, so β = 0 and the average is the generator itself; then β grows.
    XCTAssertEqual(results[0].emaDecay, 0)
    XCTAssertEqual(results[2].emaDecay, Float(Foundation.pow(0.5, 4 / (8 * 0.05))), accuracy: 1e-6)
    let averaged = trainer.averagedGenerator.stateTensors()
    let shadow = trainer.average.shadows
    for (path, tensor) in averaged { XCTAssertEqual(tensor.scalars, shadow[path]!.value.scalars, path) }
    let difference = zip(trainer.averagedGenerator.parameters(), g.parameters())
      .map { maxDifference($0.scalars, $1.scalars) }.max()!
    XCTAssertGreaterThan(difference, 0)  // β > 0 after step 0, so the average lags the generator
    XCTAssertEqual(trainer.averagedGenerator.mappingNetwork.averageW.value.scalars,
                   g.mappingNetwork.averageW.value.scalars)  // buffers are copied as they are
  }

  // MARK: - Helpers

  private func row(_ ws: Tensor, _ sample: Int, _ index: Int) -> [Float] {
    let (count, width) = (ws.shape[1], ws.shape[2])
    let start = (sample * count + index) * width
    return Array(ws.scalars[start..<(start + width)])
  }

  private func rowOf(_ w: Tensor, _ sample: Int) -> [Float] {
    let width = w.shape[1]
    return Array(w.scalars[(sample * width)..<((sample + 1) * width)])
  }

  private func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
    zip(a, b).map { Swift.abs($0 - $1) }.max() ?? 0
  }

  private func assertClose(_ a: [Float], _ b: [Float], tolerance: Float, file: StaticString = #filePath,
                           line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    let scale = Swift.max(1, b.map { Swift.abs($0) }.max() ?? 1)
    XCTAssertLessThanOrEqual(maxDifference(a, b), tolerance * scale, file: file, line: line)
  }
}
