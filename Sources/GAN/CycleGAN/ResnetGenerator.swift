import NN

// CycleGAN's networks (Zhu et al. 2017), as the reference code junyanz/pytorch-CycleGAN-and-pix2pix builds them with
// `norm='instance'`: instance norm without a learned scale and shift (PyTorch's `InstanceNorm2d` default,
// affine=false), so every convolution keeps its bias, and reflection padding instead of zero padding.
//
// The paper's shorthand, which the names below follow:
//   c7s1-k   a 7x7 convolution, stride 1, k filters, after a reflection pad of 3 (the size is kept), IN, ReLU
//   dk       a 3x3 convolution, stride 2, k filters (zero padding 1): halves the size, IN, ReLU
//   Rk       a residual block of two 3x3 convolutions with k filters, each after a reflection pad of 1
//   uk       a 3x3 transposed convolution, stride 2, k filters (padding 1, output padding 1): doubles the size, IN, ReLU
// The 9-block generator for 256x256 images is c7s1-64, d128, d256, R256 x 9, u128, u64, c7s1-3 with tanh.

/// One residual block Rk of CycleGAN's generator: x + IN(conv2(pad(ReLU(IN(conv1(pad(x))))))).
///
/// The skip connection means a block starts close to the identity map: a generator with many blocks can leave an
/// image mostly as it is and learn only the change of style, which is what unpaired translation asks for.
/// Parameters: `conv1.weight` [k, k, 3, 3], `conv1.bias` [k], and the same for `conv2`: 2 (9k² + k) in all.
public final class ResnetBlock: Module, Layer {
  public let conv1: Conv2D
  public let norm1: InstanceNorm
  public let conv2: Conv2D
  public let norm2: InstanceNorm
  /// The number of channels k, which the block keeps.
  public let channels: Int

  public init(
    channels: Int, weightInitializer: Initializer = .pyTorchDefault, biasInitializer: Initializer? = nil,
    using generator: inout SeededGenerator
  ) {
    self.channels = channels
    conv1 = Conv2D(inputChannels: channels, outputChannels: channels, kernelSize: 3, weightInitializer: weightInitializer,
                   biasInitializer: biasInitializer, using: &generator)
    norm1 = InstanceNorm(featureCount: channels)
    conv2 = Conv2D(inputChannels: channels, outputChannels: channels, kernelSize: 3, weightInitializer: weightInitializer,
                   biasInitializer: biasInitializer, using: &generator)
    norm2 = InstanceNorm(featureCount: channels)
    super.init()
  }

  /// [N, k, H, W] -> [N, k, H, W].
  public func callAsFunction(_ input: Tensor) -> Tensor {
    let hidden = relu(norm1(conv1(input.reflectionPadded2D(1))))
    return input + norm2(conv2(hidden.reflectionPadded2D(1)))
  }
}

/// CycleGAN's ResNet generator (Johnson et al. 2016's style-transfer network, as CycleGAN uses it): it maps an image
/// of one domain to an image of the same size in the other domain.
///
/// c7s1-w, d2w, d4w, R4w x `blocks`, u2w, uw, then a reflection pad of 3, a 7x7 convolution to `outputChannels` and
/// tanh, so the output lies in [-1, 1] like the training images. Every convolution is followed by instance norm and
/// ReLU except the last. The height and width should be multiples of 4 (two halvings, two doublings) for the output
/// to have the input's size.
///
/// Parameter paths: `inputConv`, `downsampling.0`, `downsampling.1`, `blocks.0` ... `blocks.<n-1>` (each with
/// `conv1` and `conv2`), `upsampling.0`, `upsampling.1`, `outputConv`, each with `.weight` and `.bias`.
///
/// Size: with C in, C' out, width w and n blocks there are
/// (49Cw + w) + (18w² + 2w) + (72w² + 4w) + n·2(144w² + 4w) + (72w² + 2w) + (18w² + w) + (49wC' + C') parameters;
/// at C = C' = 3, w = 64, n = 9 that is 11,378,179, the count of the reference implementation.
public final class ResnetGenerator: Module, Layer {
  /// c7s1-w: 7x7 convolution from the image to w channels (after a reflection pad of 3).
  public let inputConv: Conv2D
  public let inputNorm: InstanceNorm
  /// d2w, d4w: stride-2 3x3 convolutions that halve the size and double the channels.
  public let downsampling: [Conv2D]
  public let downsamplingNorms: [InstanceNorm]
  /// R4w x n: the residual blocks at a quarter of the resolution, where the translation happens.
  public let blocks: [ResnetBlock]
  /// u2w, uw: stride-2 3x3 transposed convolutions that double the size and halve the channels.
  public let upsampling: [ConvTranspose2D]
  public let upsamplingNorms: [InstanceNorm]
  /// c7s1-C': 7x7 convolution back to image channels (after a reflection pad of 3), followed by tanh.
  public let outputConv: Conv2D
  public let inputChannels: Int
  public let outputChannels: Int
  public let width: Int

  /// - Parameters:
  ///   - inputChannels, outputChannels: the image channels of the two domains (3 for RGB).
  ///   - width: w, the channels after the first convolution (the reference's `ngf`, 64 in the paper).
  ///   - blocks: the number of residual blocks (9 for 256x256 images, 6 for 128x128 in the paper).
  ///   - weightInitializer, biasInitializer: PyTorch's default by default, as the reference functions; the CycleGAN
  ///     repository's training script instead re-initializes convolutions with `.normal(mean: 0, std: 0.02)` and
  ///     zero biases (`biasInitializer: .zeros`).
  public init(
    inputChannels: Int = 3, outputChannels: Int = 3, width: Int = 64, blocks: Int = 9,
    weightInitializer: Initializer = .pyTorchDefault, biasInitializer: Initializer? = nil,
    using generator: inout SeededGenerator
  ) {
    precondition(inputChannels > 0 && outputChannels > 0 && width > 0 && blocks >= 0,
                 "ResnetGenerator: channels \(inputChannels) -> \(outputChannels), width \(width) and \(blocks) blocks "
                 + "must be positive (blocks may be 0)")
    self.inputChannels = inputChannels
    self.outputChannels = outputChannels
    self.width = width
    func conv(_ input: Int, _ output: Int, kernel: Int, stride: Int = 1, padding: Int = 0) -> Conv2D {
      Conv2D(inputChannels: input, outputChannels: output, kernelSize: kernel, stride: stride, padding: padding,
             weightInitializer: weightInitializer, biasInitializer: biasInitializer, using: &generator)
    }
    inputConv = conv(inputChannels, width, kernel: 7)
    inputNorm = InstanceNorm(featureCount: width)
    downsampling = [conv(width, 2 * width, kernel: 3, stride: 2, padding: 1),
                    conv(2 * width, 4 * width, kernel: 3, stride: 2, padding: 1)]
    downsamplingNorms = [InstanceNorm(featureCount: 2 * width), InstanceNorm(featureCount: 4 * width)]
    var residualBlocks: [ResnetBlock] = []
    for _ in 0..<blocks {
      residualBlocks.append(ResnetBlock(channels: 4 * width, weightInitializer: weightInitializer,
                                        biasInitializer: biasInitializer, using: &generator))
    }
    self.blocks = residualBlocks
    upsampling = [4, 2].map { multiplier in
      ConvTranspose2D(inputChannels: multiplier * width, outputChannels: multiplier / 2 * width, kernelSize: 3,
                      stride: 2, padding: 1, outputPadding: 1, weightInitializer: weightInitializer,
                      biasInitializer: biasInitializer, using: &generator)
    }
    upsamplingNorms = [InstanceNorm(featureCount: 2 * width), InstanceNorm(featureCount: width)]
    outputConv = conv(width, outputChannels, kernel: 7)
    super.init()
  }

  /// Images [N, inputChannels, H, W] -> images [N, outputChannels, H, W] in [-1, 1] (H and W multiples of 4, at
  /// least 8, so that the 3-pixel reflection pad fits and the residual blocks see at least 2x2).
  public func callAsFunction(_ input: Tensor) -> Tensor {
    precondition(
      input.rank == 4 && input.shape[1] == inputChannels && input.shape[2] >= 8 && input.shape[3] >= 8,
      "ResnetGenerator: input shape \(input.shape) is not [N, \(inputChannels), H, W] with H, W >= 8")
    var x = relu(inputNorm(inputConv(input.reflectionPadded2D(3))))
    for (conv, norm) in zip(downsampling, downsamplingNorms) { x = relu(norm(conv(x))) }
    for block in blocks { x = block(x) }
    for (conv, norm) in zip(upsampling, upsamplingNorms) { x = relu(norm(conv(x))) }
    return tanh(outputConv(x.reflectionPadded2D(3)))
  }
}
