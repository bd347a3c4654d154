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
  let channels = x.shape[1]
  let taps: [Float] = [1, 3, 3, 1]
  var kernel = [Float](repeating: 0, count: 16)
  for row in 0..<4 { for column in 0..<4 { kernel[row * 4 + column] = taps[row] * taps[column] / 16 } }
  let weight = Tensor(shape: [channels, 1, 4, 4], scalars: Array((0..<channels).map { _ in kernel }.joined()))
  return convTranspose2d(x, weight, stride: 2, padding: 1, groups: channels)
}
