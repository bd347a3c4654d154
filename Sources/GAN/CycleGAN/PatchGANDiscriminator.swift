import NN

/// The PatchGAN discriminator of pix2pix and CycleGAN (Isola et al. 2017): instead of one verdict per image it gives
/// a map of verdicts, one per overlapping patch, so it judges texture and local style and leaves the global content
/// to the cycle loss. It is the reference's `NLayerDiscriminator` with instance norm.
///
/// Layers, all 4x4 convolutions with padding 1 and LeakyReLU(0.2):
/// - `features.0`: image -> w channels, stride 2, no normalization;
/// - `features.1` ... `features.<layers-1>`: stride 2, channels doubling up to 8w, instance norm;
/// - `features.<layers>`: stride 1, channels min(2^layers, 8)·w, instance norm;
/// - `outputConv`: stride 1 to one channel, no activation (the least-squares loss takes the raw scores).
///
/// Each output value sees a 70x70 patch of the input when `layers` = 3 (the "70x70 PatchGAN"): a 256x256 image gives a
/// 30x30 map (256 -> 128 -> 64 -> 32 -> 31 -> 30), a 32x32 image a 2x2 map. At C = 3, w = 64, 3 layers there are
/// (48w + w) + (32w² + 2w) + (128w² + 4w) + (512w² + 8w) + (128w + 1) = 2,764,737 parameters, as the reference.
public final class PatchGANDiscriminator: Module, Layer {
  /// The feature convolutions, in order (see the type's description); `features.0` has no normalization.
  public let features: [Conv2D]
  /// The instance norms after `features.1` ... `features.<layers>` (`norms.i` follows `features.<i+1>`).
  public let norms: [InstanceNorm]
  /// The last convolution, to one score per patch.
  public let outputConv: Conv2D
  public let inputChannels: Int
  public let width: Int
  public let layers: Int

  /// - Parameters:
  ///   - inputChannels: the image channels (3 for RGB).
  ///   - width: w, the channels of the first convolution (the reference's `ndf`, 64 in the paper).
  ///   - layers: the number of stride-2 convolutions (the reference's `n_layers`; 3 gives 70x70 patches).
  public init(
    inputChannels: Int = 3, width: Int = 64, layers: Int = 3, weightInitializer: Initializer = .pyTorchDefault,
    biasInitializer: Initializer? = nil, using generator: inout SeededGenerator
  ) {
    precondition(inputChannels > 0 && width > 0 && layers >= 0,
                 "PatchGANDiscriminator: inputChannels \(inputChannels) and width \(width) must be positive and "
                 + "layers \(layers) not negative")
    self.inputChannels = inputChannels
    self.width = width
    self.layers = layers
    func conv(_ input: Int, _ output: Int, stride: Int) -> Conv2D {
      Conv2D(inputChannels: input, outputChannels: output, kernelSize: 4, stride: stride, padding: 1,
             weightInitializer: weightInitializer, biasInitializer: biasInitializer, using: &generator)
    }
    var convolutions = [conv(inputChannels, width, stride: 2)]
    var normalizations: [InstanceNorm] = []
    var multiplier = 1
    for n in 1..<max(layers, 1) {  // the stride-2 convolutions after the first
      let previous = multiplier
      multiplier = min(1 << n, 8)
      convolutions.append(conv(width * previous, width * multiplier, stride: 2))
      normalizations.append(InstanceNorm(featureCount: width * multiplier))
    }
    // One more at stride 1 (which widens once more and keeps the size), as the reference.
    let previous = multiplier
    multiplier = min(1 << layers, 8)
    convolutions.append(conv(width * previous, width * multiplier, stride: 1))
    normalizations.append(InstanceNorm(featureCount: width * multiplier))
    features = convolutions
    norms = normalizations
    outputConv = conv(width * multiplier, 1, stride: 1)
    super.init()
  }

  /// Images [N, inputChannels, H, W] -> patch scores [N, 1, H', W'] (30x30 for 256x256 with 3 layers).
  public func callAsFunction(_ input: Tensor) -> Tensor {
    // Each stride-2 layer halves the size (rounding down) and each stride-1 layer takes one off: the map is
    // ⌊H / 2^layers⌋ - 2 high, so H and W must be at least 3 · 2^layers.
    let smallest = 3 << layers
    precondition(
      input.rank == 4 && input.shape[1] == inputChannels && input.shape[2] >= smallest && input.shape[3] >= smallest,
      "PatchGANDiscriminator: input shape \(input.shape) is not [N, \(inputChannels), H, W] with H, W >= \(smallest) "
        + "(\(layers) layers)")
    var x = leakyReLU(features[0](input), slope: 0.2)
    for (conv, norm) in zip(features.dropFirst(), norms) { x = leakyReLU(norm(conv(x)), slope: 0.2) }
    return outputConv(x)
  }
}
