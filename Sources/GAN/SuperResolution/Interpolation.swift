import Foundation
import NN

// Classical upscaling: what a super-resolution network has to beat.
//
// Both methods here are fixed linear maps. Upscaling an H x W image by s is Y = M_h X M_wᵀ with an interpolation
// matrix M of shape [s·n, n] per axis, each row holding the weights that one output pixel gives the input pixels.
// Nearest neighbor copies one pixel (a row with a single 1); bicubic mixes four per axis with the cubic convolution
// kernel of Keys (1981). Neither can add detail the low-resolution image does not hold: a linear map of the input
// can only blur or sharpen what is there.
//
// Pixel centers follow the "half-pixel" convention (PyTorch's align_corners=false, MATLAB's imresize): output
// pixel o of an axis upscaled by s sits at input coordinate x = (o + 0.5) / s − 0.5. Neighbors beyond the border
// are the border pixel repeated.

/// The cubic convolution kernel of Keys (1981) at distance x, with free parameter a:
///
///     W(x) = (a + 2)|x|³ − (a + 3)|x|² + 1          for |x| <= 1
///     W(x) = a|x|³ − 5a|x|² + 8a|x| − 4a             for 1 < |x| < 2
///     W(x) = 0                                        otherwise
///
/// W(0) = 1 and W(±1) = W(±2) = 0, so the interpolant passes through the samples, and the weights of the four
/// neighbors of any point sum to 1. a = −0.5 (Keys' choice, MATLAB's `imresize`) makes the interpolation exact for
/// quadratic polynomials; a = −0.75 (PyTorch, OpenCV) gives a little more overshoot at edges, which looks sharper.
public func cubicConvolutionWeight(_ x: Double, a: Double = -0.5) -> Double {
  let t = Swift.abs(x)
  if t <= 1 { return ((a + 2) * t - (a + 3)) * t * t + 1 }
  if t < 2 { return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a }
  return 0
}

/// The [n·factor, n] matrix that upscales one axis of length n by `factor` with the cubic convolution kernel
/// (half-pixel centers, border pixels repeated). Row o holds W(x − k) at the four neighbors k of
/// x = (o + 0.5) / factor − 0.5, with k clamped to 0..<n.
public func bicubicInterpolationMatrix(inputSize n: Int, factor: Int, a: Double = -0.5) -> Tensor {
  precondition(n >= 1 && factor >= 1, "bicubicInterpolationMatrix: size \(n) and factor \(factor) must be positive")
  let outputSize = n * factor
  var matrix = [Double](repeating: 0, count: outputSize * n)
  for o in 0..<outputSize {
    let x = (Double(o) + 0.5) / Double(factor) - 0.5
    let base = Int(x.rounded(.down))
    for k in (base - 1)...(base + 2) {
      let clamped = Swift.min(Swift.max(k, 0), n - 1)
      matrix[o * n + clamped] += cubicConvolutionWeight(x - Double(k), a: a)
    }
  }
  return Tensor(shape: [outputSize, n], scalars: matrix.map(Float.init))
}

/// Bicubic upscaling of images [N, C, H, W] by `factor`: [N, C, H·factor, W·factor], computed as M_h X M_wᵀ with
/// `bicubicInterpolationMatrix` (so it is differentiable, though nothing here needs that). The result may overshoot
/// the input's range slightly near edges (the kernel has negative lobes); clamp it if the range matters.
public func bicubicUpsampled(_ images: Tensor, factor: Int, a: Double = -0.5) -> Tensor {
  precondition(images.rank == 4, "bicubicUpsampled: expected images [N, C, H, W], got shape \(images.shape)")
  let (n, c, h, w) = (images.shape[0], images.shape[1], images.shape[2], images.shape[3])
  let rows = bicubicInterpolationMatrix(inputSize: h, factor: factor, a: a)     // [H·s, H]
  let columns = bicubicInterpolationMatrix(inputSize: w, factor: factor, a: a)  // [W·s, W]
  // Along the width: [NC, H, W] · M_wᵀ -> [NC, H, W·s]; along the height, with the axes swapped.
  let wide = matmul(images.reshaped(to: [n * c, h, w]), columns, transposeB: true)
  let tall = matmul(wide.transposed(), rows, transposeB: true)                   // [NC, W·s, H·s]
  return tall.transposed().reshaped(to: [n, c, h * factor, w * factor])
}

/// The box filter that makes our low-resolution inputs: the mean of each `factor` x `factor` block, [N, C, H, W] ->
/// [N, C, H / factor, W / factor] (a camera pixel averages the light that falls on it). SRGAN used bicubic
/// downsampling; the box is simpler to state and gives the same kind of loss of detail.
public func boxDownsampled(_ images: Tensor, factor: Int) -> Tensor { images.avgPooled2D(factor) }
