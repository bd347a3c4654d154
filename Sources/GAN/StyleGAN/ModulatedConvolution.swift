/// How `modulatedConv2d` is evaluated. Both compute the same function (up to rounding) with ordinary differentiable
/// ops, so both can be differentiated to any order.
public enum ModulationForm: String, Sendable, CaseIterable {
  /// Scale the input channels by the style, convolve with the shared weight, scale the output channels by the
  /// demodulation coefficients: conv(x ⊙ s, W) ⊙ d. One convolution with a shared weight for the whole batch (the
  /// reference trains with this form, as grouped convolutions are slow on GPUs).
  case scaledActivations
  /// Build each sample's own weight W'ᵢ = dᵢ ⊙ W ⊙ sᵢ and run all N convolutions at once as one grouped
  /// convolution: the batch folded into channels [1, N·I, H, W] with N groups (the reference's fused form, and the
  /// faster one on this engine's CPU kernels: it skips the two activation-sized scalings and their gradients).
  case groupedConvolution
}

/// StyleGAN2's modulated convolution with (optional) demodulation.
///
/// For sample n with style s (one scale per input channel), the weight is modulated,
///   W'[o, i, k] = W[o, i, k] · s[i],
/// and, with `demodulate`, divided by its norm per output channel,
///   W''[o, i, k] = W'[o, i, k] / √(Σ_{i,k} W'[o, i, k]² + ε),
/// which restores unit output variance for unit-variance inputs: the "demodulation" that replaces StyleGAN's AdaIN
/// (whose instance normalization caused the droplet artefacts).
///
/// - Parameters:
///   - x: [N, I, H, W].
///   - weight: [O, I, k, k].
///   - styles: [N, I].
///   - padding: zero padding (k / 2 keeps the size).
///   - upsampling: double the size as the reference's upsampling layer does: the modulated weight as a stride-2
///     transposed convolution ([N, O, 2H + 1, 2W + 1] for a 3x3 kernel), then the [1, 3, 3, 1] low-pass filter with
///     padding 1 and gain 4 ([N, O, 2H, 2W]). Needs a 3x3 kernel and padding 1, the only ones the reference uses.
public func modulatedConv2d(
  _ x: Tensor, weight: Tensor, styles: Tensor, demodulate: Bool = true, padding: Int = 0, upsampling: Bool = false,
  form: ModulationForm = .groupedConvolution, epsilon: Float = 1e-8
) -> Tensor {
  let n = x.shape[0]
  let (outputs, inputs, kernelH, kernelW) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3])
  precondition(x.rank == 4 && x.shape[1] == inputs && weight.rank == 4,
               "modulatedConv2d: input \(x.shape) does not fit weight \(weight.shape)")
  precondition(styles.shape == [n, inputs], "modulatedConv2d: styles must be [\(n), \(inputs)], got \(styles.shape)")
  precondition(!upsampling || (kernelH == 3 && kernelW == 3 && padding == 1),
               "modulatedConv2d: upsampling needs a 3x3 kernel and padding 1, got \(weight.shape) and \(padding)")
  // The transposed convolution reads the weight as [inputs, outputs, k, k] (the reference's w.transpose(0, 1),
  // not flipped), and the filter then smooths the zeros the stride left between the samples.
  func upsampled(_ x: Tensor, _ w: Tensor, groups: Int) -> Tensor {
    lowPassFiltered(convTranspose2d(x, w, stride: 2, groups: groups), padding: 1, gain: 4)
  }
  switch form {
  case .scaledActivations:
    let scaled = x * styles.reshaped(to: [n, inputs, 1, 1])
    var y = upsampling
      ? upsampled(scaled, weight.permuted(1, 0, 2, 3), groups: 1) : conv2d(scaled, weight, padding: padding)
    if demodulate {
      // Σ_{i,k} (W[o,i,k] s[n,i])² = Σ_i s[n,i]² Σ_k W[o,i,k]²: one small product [N, I] x [I, O].
      let weightEnergy = pow(weight, 2).sum(alongAxes: [2, 3]).reshaped(to: [outputs, inputs])
      let energy = matmul(pow(styles, 2), weightEnergy, transposeB: true)
      y = y * pow(energy + epsilon, -0.5).reshaped(to: [n, outputs, 1, 1])
    }
    return y
  case .groupedConvolution:
    var w = weight.reshaped(to: [1, outputs, inputs, kernelH, kernelW]) * styles.reshaped(to: [n, 1, inputs, 1, 1])
    if demodulate {
      w = w * pow(pow(w, 2).sum(alongAxes: [2, 3, 4]) + epsilon, -0.5)
    }
    let folded = x.reshaped(to: [1, n * inputs, x.shape[2], x.shape[3]])
    let y = upsampling
      ? upsampled(folded, w.permuted(0, 2, 1, 3, 4).reshaped(to: [n * inputs, outputs, kernelH, kernelW]), groups: n)
      : conv2d(folded, w.reshaped(to: [n * outputs, inputs, kernelH, kernelW]), padding: padding, groups: n)
    return y.reshaped(to: [n, outputs, y.shape[2], y.shape[3]])
  }
}
