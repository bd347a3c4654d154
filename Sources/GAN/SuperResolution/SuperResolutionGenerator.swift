import NN

// The SRResNet / SRGAN generator of Ledig et al. (2017), "Photo-realistic single image super-resolution using a
// generative adversarial network", scaled down for small gray images.
//
//   head      conv 3x3, image channels -> w, leaky ReLU                      (the paper: 9x9, 64 channels, PReLU)
//   blocks    B residual blocks at low resolution: x + conv(act(conv(x)))   (the paper: 16, with batch norm)
//   body      conv 3x3, w -> w, then + the head's output (a long skip connection over all blocks)
//   upsample  log2(r) times: conv 3x3, w -> 4w, pixel shuffle x2, leaky ReLU (doubles height and width)
//   tail      conv 3x3, w -> image channels, no activation                 (the paper: 9x9)
//
// Almost all the work happens at the low resolution, where it is cheap; the image is enlarged only at the end, by
// convolutions whose r² outputs per channel the pixel shuffle spreads into r x r blocks. We leave out batch
// normalization, as EDSR (Lim et al. 2017) and ESRGAN (Wang et al. 2018) later did for super-resolution: it shifts
// a network's output by its batch's statistics and buys little in a small network. The activation is leaky ReLU with
// a fixed slope of 0.2 instead of PReLU's learned one. The output is linear, as in the paper: a tanh at the end
// can saturate at the background value (−1 is most of an MNIST digit) early in training, and then no gradient
// reaches the network any more. Clamp the output to the pixel range when you measure or save it.

/// One residual block: x + conv2(leakyReLU(conv1(x))), 3x3 convolutions with zero padding 1, w channels kept.
/// Parameters `conv1.weight` [w, w, 3, 3], `conv1.bias` [w], the same for `conv2`: 2 (9w² + w).
public final class SuperResolutionBlock: Module, Layer {
  public let conv1: Conv2D
  public let conv2: Conv2D

  public init(channels: Int, using generator: inout SeededGenerator) {
    conv1 = Conv2D(inputChannels: channels, outputChannels: channels, kernelSize: 3, padding: 1, using: &generator)
    conv2 = Conv2D(inputChannels: channels, outputChannels: channels, kernelSize: 3, padding: 1, using: &generator)
    super.init()
  }

  /// [N, w, H, W] -> [N, w, H, W].
  public func callAsFunction(_ input: Tensor) -> Tensor {
    input + conv2(leakyReLU(conv1(input), slope: SuperResolutionGenerator.slope))
  }
}

/// The residual super-resolution generator (SRResNet, the generator of SRGAN): low-resolution images
/// [N, C, H, W] in [−1, 1] -> high-resolution images [N, C, H·r, W·r] (unbounded: clamp to [−1, 1] for use), for r a
/// power of two.
///
/// Parameter paths: `head`, `blocks.0` ... `blocks.<B-1>` (each `conv1`, `conv2`), `body`, `upsampling.0` ...
/// `upsampling.<log2 r − 1>`, `tail`, each with `.weight` and `.bias`. With C image channels, width w, B blocks and
/// u = log2 r upsampling stages there are
///
///     (9Cw + w) + B·2(9w² + w) + (9w² + w) + u(36w² + 4w) + (9wC + C)
///
/// parameters: 157,825 for C = 1, w = 32, B = 4, r = 4.
public final class SuperResolutionGenerator: Module, Layer {
  public let head: Conv2D
  public let blocks: [SuperResolutionBlock]
  public let body: Conv2D
  /// Each stage: a convolution to 4w channels, then `PixelShuffle(factor: 2)` back to w channels at twice the size.
  public let upsampling: [Conv2D]
  public let tail: Conv2D
  public let shuffle: PixelShuffle
  /// The upscaling factor r.
  public let factor: Int
  public let imageChannels: Int
  public let width: Int

  /// The slope of every leaky ReLU in the generator.
  public static let slope: Float = 0.2

  /// - Parameters:
  ///   - imageChannels: C, 1 for gray images, 3 for RGB.
  ///   - width: w, the channels of every hidden layer (64 in the paper).
  ///   - blocks: B, the residual blocks (16 in the paper).
  ///   - factor: r, the upscaling factor: 2, 4, 8, ...
  public init(imageChannels: Int = 1, width: Int = 32, blocks: Int = 4, factor: Int = 4,
              using generator: inout SeededGenerator) {
    precondition(factor >= 2 && factor & (factor - 1) == 0,
                 "SuperResolutionGenerator: the factor must be a power of two (2, 4, 8, ...), got \(factor)")
    precondition(imageChannels >= 1 && width >= 1 && blocks >= 0,
                 "SuperResolutionGenerator: channels \(imageChannels) and width \(width) must be positive, "
                   + "blocks \(blocks) not negative")
    self.factor = factor
    self.imageChannels = imageChannels
    self.width = width
    func conv(_ input: Int, _ output: Int) -> Conv2D {
      Conv2D(inputChannels: input, outputChannels: output, kernelSize: 3, padding: 1, using: &generator)
    }
    head = conv(imageChannels, width)
    var residual: [SuperResolutionBlock] = []
    for _ in 0..<blocks { residual.append(SuperResolutionBlock(channels: width, using: &generator)) }
    self.blocks = residual
    body = conv(width, width)
    var stages: [Conv2D] = []
    var size = 1
    while size < factor {
      stages.append(conv(width, 4 * width))
      size *= 2
    }
    upsampling = stages
    tail = conv(width, imageChannels)
    shuffle = PixelShuffle(factor: 2)
    super.init()
  }

  /// [N, C, H, W] -> [N, C, H·r, W·r].
  public func callAsFunction(_ input: Tensor) -> Tensor {
    precondition(input.rank == 4 && input.shape[1] == imageChannels,
                 "SuperResolutionGenerator: expected images [N, \(imageChannels), H, W], got shape \(input.shape)")
    let start = leakyReLU(head(input), slope: Self.slope)
    var x = start
    for block in blocks { x = block(x) }
    x = body(x) + start
    for stage in upsampling { x = leakyReLU(shuffle(stage(x)), slope: Self.slope) }
    return tail(x)
  }
}
