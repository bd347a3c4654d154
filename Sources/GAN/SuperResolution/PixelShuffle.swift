import NN

// Pixel shuffle (Shi et al. 2016, "sub-pixel convolution"): the upsampling layer of ESPCN, SRResNet and SRGAN.
//
// A convolution at low resolution computes r² output channels per image channel; the shuffle then spreads those r²
// numbers over an r x r block of output pixels:
//
//     output[n, c, h·r + i, w·r + j] = input[n, c·r² + i·r + j, h, w]      (0 <= i, j < r)
//
// It moves values and computes nothing, so it is a reshape and a permutation of axes, and its gradient is the
// inverse permutation (the engine's `permuted` rule). Compared with a transposed convolution, every output pixel of
// a block gets its own filter and no two filters overlap, which avoids the checkerboard pattern of uneven overlap.

extension Tensor {
  /// Pixel shuffle by `factor` r: [N, C·r², H, W] -> [N, C, H·r, W·r], with
  /// `output[n, c, h·r + i, w·r + j] = input[n, c·r² + i·r + j, h, w]`.
  ///
  /// Written as reshape [N, C, r, r, H, W] -> permute to [N, C, H, r, W, r] -> reshape [N, C, H·r, W·r], so it is
  /// differentiable to any order.
  public func pixelShuffled(_ factor: Int) -> Tensor {
    precondition(factor >= 1, "pixelShuffled: the factor must be at least 1, got \(factor)")
    precondition(
      rank == 4 && shape[1] % (factor * factor) == 0,
      "pixelShuffled(\(factor)): expected [N, C·\(factor * factor), H, W] (channels divisible by \(factor * factor)), "
        + "got shape \(shape)")
    let (n, c, h, w) = (shape[0], shape[1] / (factor * factor), shape[2], shape[3])
    return reshaped(to: [n, c, factor, factor, h, w])
      .permuted(0, 1, 4, 2, 5, 3)
      .reshaped(to: [n, c, h * factor, w * factor])
  }

  /// The inverse of `pixelShuffled(_:)` ("space to depth"): [N, C, H·r, W·r] -> [N, C·r², H, W], with
  /// `output[n, c·r² + i·r + j, h, w] = input[n, c, h·r + i, w·r + j]`.
  public func pixelUnshuffled(_ factor: Int) -> Tensor {
    precondition(factor >= 1, "pixelUnshuffled: the factor must be at least 1, got \(factor)")
    precondition(
      rank == 4 && shape[2] % factor == 0 && shape[3] % factor == 0,
      "pixelUnshuffled(\(factor)): expected [N, C, H, W] with H and W divisible by \(factor), got shape \(shape)")
    let (n, c, h, w) = (shape[0], shape[1], shape[2] / factor, shape[3] / factor)
    return reshaped(to: [n, c, h, factor, w, factor])
      .permuted(0, 1, 3, 5, 2, 4)
      .reshaped(to: [n, c * factor * factor, h, w])
  }
}

/// The pixel-shuffle layer: [N, C·r², H, W] -> [N, C, H·r, W·r] (see `Tensor.pixelShuffled(_:)`). No parameters.
public final class PixelShuffle: Module, Layer {
  /// The upscaling factor r.
  public let factor: Int

  public init(factor: Int) {
    precondition(factor >= 1, "PixelShuffle: the factor must be at least 1, got \(factor)")
    self.factor = factor
    super.init()
  }

  public func callAsFunction(_ input: Tensor) -> Tensor { input.pixelShuffled(factor) }
}

/// The pixel shuffle computed straight from its index formula, one value at a time: a reference for
/// `pixelShuffled`, which gets the same result from a reshape and a permutation (lesson 10 checks the two agree).
public func pixelShuffleByIndex(_ input: Tensor, factor r: Int) -> Tensor {
  precondition(input.rank == 4 && input.shape[1] % (r * r) == 0, "pixelShuffleByIndex: bad shape \(input.shape)")
  let (n, c, h, w) = (input.shape[0], input.shape[1] / (r * r), input.shape[2], input.shape[3])
  let values = input.scalars
  var output = [Float](repeating: 0, count: values.count)
  for image in 0..<n {
    for channel in 0..<c {
      for i in 0..<r {
        for j in 0..<r {
          for row in 0..<h {
            for column in 0..<w {
              let source = ((image * c * r * r + channel * r * r + i * r + j) * h + row) * w + column
              let target = ((image * c + channel) * h * r + row * r + i) * w * r + column * r + j
              output[target] = values[source]
            }
          }
        }
      }
    }
  }
  return Tensor(shape: [n, c, h * r, w * r], scalars: output)
}
