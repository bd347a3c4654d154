import NN

/// DCGAN (Radford et al. 2016) as in pytorch/examples `dcgan/main.py`: transposed convolutions with batch norm and
/// ReLU up from a 4x4 map, tanh on the output, no convolution biases, weights from N(0, 0.02) and batch-norm scales
/// from N(1, 0.02). `resolution` is a power of two from 8 up; every doubling adds a layer, and the widths halve on
/// the way up from `width * resolution / 8` channels at 4x4. At 64x64, nz 100, width 64 and 3 channels it has
/// 3,576,704 parameters, as the reference.
public final class DCGANGenerator: Module, Layer {
  public var main: Sequential
  public let noiseSize: Int
  public let resolution: Int

  public init(resolution: Int = 64, noiseSize: Int = 100, width: Int = 64, channels: Int = 3,
              using generator: inout SeededGenerator) {
    let doublings = dcganDoublings(resolution)
    self.noiseSize = noiseSize
    self.resolution = resolution
    var multiplier = 1 << (doublings - 1)
    var layers: [any Layer] = [
      ConvTranspose2D(inputChannels: noiseSize, outputChannels: width * multiplier, kernelSize: 4, stride: 1,
                      padding: 0, bias: false, weightInitializer: .dcgan, using: &generator),
      dcganBatchNorm(width * multiplier, using: &generator), ReLU(),
    ]
    while multiplier > 1 {
      layers += [
        ConvTranspose2D(inputChannels: width * multiplier, outputChannels: width * multiplier / 2, kernelSize: 4,
                        stride: 2, padding: 1, bias: false, weightInitializer: .dcgan, using: &generator),
        dcganBatchNorm(width * multiplier / 2, using: &generator), ReLU(),
      ]
      multiplier /= 2
    }
    layers += [
      ConvTranspose2D(inputChannels: width, outputChannels: channels, kernelSize: 4, stride: 2, padding: 1,
                      bias: false, weightInitializer: .dcgan, using: &generator),
      Tanh(),
    ]
    main = Sequential(layers)
    super.init()
  }

  /// Noise [N, nz] or [N, nz, 1, 1] -> images [N, channels, resolution, resolution] in [-1, 1].
  public func callAsFunction(_ input: Tensor) -> Tensor {
    main(input.reshaped(to: [input.shape[0], noiseSize, 1, 1]))
  }
}

/// DCGAN's discriminator, the mirror image: strided convolutions with batch norm (not on the first) and
/// LeakyReLU(0.2) down to 4x4, then a 4x4 convolution to one logit (the reference's final sigmoid is folded into
/// the loss). 2,765,568 parameters at 64x64 with width 64 and 3 channels.
public final class DCGANDiscriminator: Module, Layer {
  public var main: Sequential

  public init(resolution: Int = 64, width: Int = 64, channels: Int = 3, using generator: inout SeededGenerator) {
    let doublings = dcganDoublings(resolution)
    var layers: [any Layer] = [
      Conv2D(inputChannels: channels, outputChannels: width, kernelSize: 4, stride: 2, padding: 1, bias: false,
             weightInitializer: .dcgan, using: &generator),
      LeakyReLU(slope: 0.2),
    ]
    var multiplier = 1
    for _ in 1..<doublings {
      layers += [
        Conv2D(inputChannels: width * multiplier, outputChannels: width * multiplier * 2, kernelSize: 4, stride: 2,
               padding: 1, bias: false, weightInitializer: .dcgan, using: &generator),
        dcganBatchNorm(width * multiplier * 2, using: &generator), LeakyReLU(slope: 0.2),
      ]
      multiplier *= 2
    }
    layers.append(
      Conv2D(inputChannels: width * multiplier, outputChannels: 1, kernelSize: 4, stride: 1, padding: 0, bias: false,
             weightInitializer: .dcgan, using: &generator))
    main = Sequential(layers)
    super.init()
  }

  /// Images [N, channels, resolution, resolution] -> logits [N, 1].
  public func callAsFunction(_ input: Tensor) -> Tensor {
    main(input).reshaped(to: [input.shape[0], 1])
  }
}

/// The DCGAN configuration for 28x28 MNIST used by lesson 06 and the W4 benchmark: a linear layer to 2w x 7 x 7 with
/// batch norm, then two transposed convolutions (7 -> 14 -> 28), batch norm and ReLU between, tanh out.
/// With nz 100 and w 64: Linear(100, 6272) BN1d(6272), ConvT(128, 64, 4, 2, 1) BN2d(64), ConvT(64, 1, 4, 2, 1).
public final class MNISTGenerator: Module, Layer {
  public var project: Linear
  public var projectNorm: BatchNorm
  public var main: Sequential
  public let noiseSize: Int
  public let width: Int

  /// - Parameter refined: adds a 3x3 convolution with batch norm and ReLU at 7x7 and at 14x14, so that each
  ///   resolution has a layer that shapes strokes without also doubling the size.
  public init(noiseSize: Int = 100, width: Int = 64, refined: Bool = false, using generator: inout SeededGenerator) {
    self.noiseSize = noiseSize
    self.width = width
    project = Linear(inputSize: noiseSize, outputSize: 2 * width * 49, using: &generator)
    projectNorm = BatchNorm(featureCount: 2 * width * 49)
    func refinement(_ channels: Int, using generator: inout SeededGenerator) -> [any Layer] {
      guard refined else { return [] }
      return [
        Conv2D(inputChannels: channels, outputChannels: channels, kernelSize: 3, stride: 1, padding: 1,
               using: &generator),
        BatchNorm(featureCount: channels), ReLU(),
      ]
    }
    main = Sequential(
      refinement(2 * width, using: &generator) + [
        ConvTranspose2D(inputChannels: 2 * width, outputChannels: width, kernelSize: 4, stride: 2, padding: 1,
                        using: &generator),
        BatchNorm(featureCount: width), ReLU(),
      ] + refinement(width, using: &generator) + [
        ConvTranspose2D(inputChannels: width, outputChannels: 1, kernelSize: 4, stride: 2, padding: 1,
                        using: &generator),
        Tanh(),
      ])
    super.init()
  }

  /// Noise [N, nz] -> images [N, 1, 28, 28] in [-1, 1].
  public func callAsFunction(_ input: Tensor) -> Tensor {
    let h = relu(projectNorm(project(input))).reshaped(to: [input.shape[0], 2 * width, 7, 7])
    return main(h)
  }
}

/// The matching 28x28 discriminator: Conv(1, w, 4, 2, 1) LeakyReLU, Conv(w, 2w, 4, 2, 1) BN2d LeakyReLU, then a
/// linear layer from 2w x 7 x 7 to one logit.
public final class MNISTDiscriminator: Module, Layer {
  public var main: Sequential
  public var head: Linear

  public init(width: Int = 64, using generator: inout SeededGenerator) {
    main = Sequential([
      Conv2D(inputChannels: 1, outputChannels: width, kernelSize: 4, stride: 2, padding: 1, using: &generator),
      LeakyReLU(slope: 0.2),
      Conv2D(inputChannels: width, outputChannels: 2 * width, kernelSize: 4, stride: 2, padding: 1, using: &generator),
      BatchNorm(featureCount: 2 * width), LeakyReLU(slope: 0.2),
    ])
    head = Linear(inputSize: 2 * width * 49, outputSize: 1, using: &generator)
    super.init()
  }

  /// The features before the head: [N, 2w * 49].
  public func features(_ input: Tensor) -> Tensor { main(input).flattened() }

  /// Images [N, 1, 28, 28] -> logits [N, 1].
  public func callAsFunction(_ input: Tensor) -> Tensor { head(features(input)) }
}

func dcganDoublings(_ resolution: Int) -> Int {
  precondition(resolution >= 8 && resolution & (resolution - 1) == 0,
               "DCGAN: resolution must be a power of two, at least 8, got \(resolution)")
  return resolution.trailingZeroBitCount - 2
}

/// Batch norm initialized as the DCGAN reference does: scale from N(1, 0.02), shift 0.
func dcganBatchNorm(_ channels: Int, using generator: inout SeededGenerator) -> BatchNorm {
  let norm = BatchNorm(featureCount: channels)
  if let weight = norm.weight {
    Initializer.normal(mean: 1, std: 0.02).fill(weight, using: &generator)
  }
  return norm
}
