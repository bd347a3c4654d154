/// How StyleGAN2's networks change the features' resolution.
public enum StyleGANResampling: String, Sendable, CaseIterable {
  /// Nearest-neighbor upsampling before the synthesis network's 3x3 convolution; 2x2 average pooling in the
  /// discriminator's blocks (before its 3x3 convolution, which then runs at the lower resolution, and before the
  /// 1x1 skip). What the lessons use.
  case simplified
  /// The reference's (NVlabs/stylegan2-ada-pytorch, torch_utils/ops/conv2d_resample.py): the synthesis network's
  /// upsampling layer is a stride-2 transposed convolution followed by the [1, 3, 3, 1] low-pass filter (padding 1,
  /// gain 4); the discriminator's conv1 filters (padding 2) and then convolves with stride 2, and its skip filters
  /// with stride 2 (padding 1) before the 1x1 convolution.
  case reference
}

/// Where the synthesis network's image comes from.
public enum SynthesisOutput: String, Sendable, CaseIterable {
  /// Every block has a toRGB; their images are upsampled and summed (StyleGAN2's default, the reference's
  /// `architecture='skip'`).
  case skip
  /// Only the last block has a toRGB (the reference's `architecture='orig'`, StyleGAN1's output after its
  /// progressive growing): every color the image shows passes through the last block's layers and styles.
  case lastBlock = "last-block"
}

/// How the synthesis network's skip path enlarges the summed image between resolutions.
public enum ImageUpsampling: String, Sendable, CaseIterable {
  /// Each pixel repeated into a 2x2 block: the coarse toRGB outputs then show as blocks in the final image.
  case nearest
  /// The reference's [1, 3, 3, 1] low-pass filter (bilinear interpolation at half-pixel offsets, zero padding at the
  /// border, as upfirdn2d): see `upsampledFiltered(_:)`.
  case filtered
}

/// x [N, C, H, W] -> [N, C, 2H, 2W] with the [1, 3, 3, 1] filter of StyleGAN2's skip generator: along each axis,
/// output 2i = ¾ x[i] + ¼ x[i - 1] and output 2i + 1 = ¾ x[i] + ¼ x[i + 1] (zero outside the image).
///
/// It is the transposed convolution with stride 2 of the fixed kernel fᵀf / 16, f = [1, 3, 3, 1], one group per
/// channel; as an engine convolution it is differentiable to every order and has no parameters.
public func upsampledFiltered(_ x: Tensor) -> Tensor {
  precondition(x.rank == 4, "upsampledFiltered: expected [N, C, H, W], got \(x.shape)")
  return convTranspose2d(x, lowPassKernel(channels: x.shape[1], gain: 4), stride: 2, padding: 1, groups: x.shape[1])
}

/// x [N, C, H, W] filtered per channel by the [1, 3, 3, 1] low-pass kernel fᵀf · gain / 64 (upfirdn2d without up- or
/// downsampling factors of its own), with `padding` zeros on every side, keeping every `stride`-th output.
public func lowPassFiltered(_ x: Tensor, padding: Int, stride: Int = 1, gain: Float = 1) -> Tensor {
  precondition(x.rank == 4, "lowPassFiltered: expected [N, C, H, W], got \(x.shape)")
  let channels = x.shape[1]
  return conv2d(x, lowPassKernel(channels: channels, gain: gain), stride: stride, padding: padding, groups: channels)
}

/// The depthwise kernel [channels, 1, 4, 4] of fᵀf · gain / 64, f = [1, 3, 3, 1] (symmetric, so convolution and
/// cross-correlation agree).
func lowPassKernel(channels: Int, gain: Float) -> Tensor {
  let taps: [Float] = [1, 3, 3, 1]
  var kernel = [Float](repeating: 0, count: 16)
  for row in 0..<4 { for column in 0..<4 { kernel[row * 4 + column] = taps[row] * taps[column] * gain / 64 } }
  return Tensor(shape: [channels, 1, 4, 4], scalars: Array((0..<channels).map { _ in kernel }.joined()))
}
