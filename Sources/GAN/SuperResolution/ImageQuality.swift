import Foundation
import NN

// How good is an upscaled image? Three questions, three kinds of number.
//
// - Fidelity: how close is it, pixel by pixel, to the true high-resolution image? The peak signal-to-noise ratio.
// - Sharpness: does it have the fine detail real images have? The mean gradient magnitude and the share of spectral
//   energy above the frequencies the low-resolution image could hold. These compare a set of images with another
//   set (the real ones), not with their own originals.
// - Content: does a classifier still see the right thing? (`MNISTClassifier.accuracy`.)
//
// They disagree on purpose: the image that minimizes the expected squared error is the average of every image that
// fits the input, and an average of sharp images is blurred. So the best PSNR belongs to a blurred image, and a
// sharper guess, even a good one, is punished twice when it puts an edge one pixel off.

/// The peak signal-to-noise ratio of each image against its reference, in decibels:
///
///     PSNR = 10 log10(peak² / MSE),   MSE = the mean of (image − reference)² over the image's pixels,
///
/// with `peak` the range of pixel values: 2 for images in [−1, 1] (the same number as 1 for the same images scaled
/// to [0, 1]). Higher is closer; every halving of the error adds 3 dB. An image equal to its reference gives +∞.
/// Both tensors are [N, ...] with the same shape.
public func peakSignalToNoiseRatios(_ images: Tensor, references: Tensor, peak: Double = 2) -> [Double] {
  precondition(images.shape == references.shape && images.rank >= 2,
               "peakSignalToNoiseRatios: images \(images.shape) and references \(references.shape) must have the same "
                 + "shape [N, ...]")
  let n = images.shape[0], size = images.count / Swift.max(n, 1)
  var result = [Double](repeating: 0, count: n)
  images.scalars.withUnsafeBufferPointer { a in
    references.scalars.withUnsafeBufferPointer { b in
      for i in 0..<n {
        var total = 0.0
        for k in (i * size)..<((i + 1) * size) {
          let d = Double(a[k] - b[k])
          total += d * d
        }
        let mse = total / Double(size)
        result[i] = mse > 0 ? 10 * Foundation.log10(peak * peak / mse) : .infinity
      }
    }
  }
  return result
}

/// The mean gradient magnitude of each image [N, C, H, W]: the average over channels and over the (H−1)(W−1)
/// pixels that have a right and a lower neighbor of √(dx² + dy²), with dx = x[h, w+1] − x[h, w] and
/// dy = x[h+1, w] − x[h, w]. Large for crisp edges, small for blur; a flat image gives 0. In pixel units per pixel.
public func meanGradientMagnitudes(_ images: Tensor) -> [Double] {
  precondition(images.rank == 4 && images.shape[2] >= 2 && images.shape[3] >= 2,
               "meanGradientMagnitudes: expected images [N, C, H, W] with H, W >= 2, got shape \(images.shape)")
  let (n, c, h, w) = (images.shape[0], images.shape[1], images.shape[2], images.shape[3])
  var result = [Double](repeating: 0, count: n)
  images.scalars.withUnsafeBufferPointer { x in
    for i in 0..<n {
      var total = 0.0
      for channel in 0..<c {
        let plane = (i * c + channel) * h * w
        for row in 0..<(h - 1) {
          for column in 0..<(w - 1) {
            let k = plane + row * w + column
            let dx = Double(x[k + 1] - x[k]), dy = Double(x[k + w] - x[k])
            total += (dx * dx + dy * dy).squareRoot()
          }
        }
      }
      result[i] = total / Double(c * (h - 1) * (w - 1))
    }
  }
  return result
}

/// The share of each image's spectral energy above `cutoff` cycles per pixel, for images [N, C, H, W].
///
/// Each channel plane, with its mean removed, goes through the 2D discrete Fourier transform
/// F(u, v) = Σ_h Σ_w x[h, w] e^(−2πi (u h / H + v w / W)); the frequency of (u, v) is the radius
/// √(f_u² + f_v²) with f_u = u / H folded into [−½, ½) (likewise f_v), and the share is
/// Σ_{radius > cutoff} |F|² / Σ |F|² (0 for a flat image). For an image upscaled r times the natural cutoff is
/// 1 / (2r): the highest frequency the low-resolution image can hold (its Nyquist frequency in the large image's
/// pixels), so the share measures the energy an upscaler had to make up. The transform is computed directly, one
/// axis at a time (O(H W (H + W)) per plane), which is quick for small images.
public func highFrequencyEnergyShares(_ images: Tensor, cutoff: Double) -> [Double] {
  precondition(images.rank == 4, "highFrequencyEnergyShares: expected images [N, C, H, W], got shape \(images.shape)")
  precondition(cutoff >= 0, "highFrequencyEnergyShares: the cutoff must not be negative, got \(cutoff)")
  let (n, c, h, w) = (images.shape[0], images.shape[1], images.shape[2], images.shape[3])
  func table(_ size: Int) -> (cos: [Double], sin: [Double]) {
    let angles = (0..<(size * size)).map { 2 * Double.pi * Double(($0 / size) * ($0 % size) % size) / Double(size) }
    return (angles.map { Foundation.cos($0) }, angles.map { Foundation.sin($0) })
  }
  let (rowCos, rowSin) = table(w), (columnCos, columnSin) = table(h)
  func folded(_ k: Int, _ size: Int) -> Double { Double(k <= size / 2 ? k : k - size) / Double(size) }
  var isHigh = [Bool](repeating: false, count: h * w)
  for u in 0..<h {
    for v in 0..<w {
      let fu = folded(u, h), fv = folded(v, w)
      isHigh[u * w + v] = (fu * fu + fv * fv).squareRoot() > cutoff
    }
  }
  var result = [Double](repeating: 0, count: n)
  var plane = [Double](repeating: 0, count: h * w)
  var realRows = [Double](repeating: 0, count: h * w), imaginaryRows = [Double](repeating: 0, count: h * w)
  images.scalars.withUnsafeBufferPointer { x in
    for i in 0..<n {
      var high = 0.0, total = 0.0
      for channel in 0..<c {
        let offset = (i * c + channel) * h * w
        var mean = 0.0
        for k in 0..<(h * w) { mean += Double(x[offset + k]) }
        mean /= Double(h * w)
        for k in 0..<(h * w) { plane[k] = Double(x[offset + k]) - mean }
        // Along each row: R[h, v] = Σ_w x[h, w] e^(−2πi v w / W).
        for row in 0..<h {
          for v in 0..<w {
            var re = 0.0, im = 0.0
            for column in 0..<w {
              let value = plane[row * w + column]
              re += value * rowCos[v * w + column]
              im -= value * rowSin[v * w + column]
            }
            realRows[row * w + v] = re
            imaginaryRows[row * w + v] = im
          }
        }
        // Down each column: F[u, v] = Σ_h R[h, v] e^(−2πi u h / H).
        for u in 0..<h {
          for v in 0..<w {
            var re = 0.0, im = 0.0
            for row in 0..<h {
              let cosine = columnCos[u * h + row], sine = columnSin[u * h + row]
              let a = realRows[row * w + v], b = imaginaryRows[row * w + v]
              re += a * cosine + b * sine
              im += b * cosine - a * sine
            }
            let energy = re * re + im * im
            total += energy
            if isHigh[u * w + v] { high += energy }
          }
        }
      }
      result[i] = total > 0 ? high / total : 0
    }
  }
  return result
}

/// The three kinds of score of a set of upscaled images, each averaged over the images: fidelity (PSNR against the
/// originals), sharpness (mean gradient magnitude and the share of spectral energy above `cutoff`) and content (a
/// classifier's accuracy). Kept together because the lesson's point is that they disagree.
public struct UpscalingScores: Sendable {
  public let psnr: Double
  public let gradient: Double
  public let highFrequency: Double
  public let accuracy: Double

  /// Scores `images` ([N, 1, 28, 28] in [−1, 1]) against their `references` and `labels`.
  public init(images: Tensor, references: Tensor, cutoff: Double, classifier: MNISTClassifier, labels: [Int]) {
    psnr = Self.mean(peakSignalToNoiseRatios(images, references: references))
    gradient = Self.mean(meanGradientMagnitudes(images))
    highFrequency = Self.mean(highFrequencyEnergyShares(images, cutoff: cutoff))
    accuracy = classifier.accuracy(images: images, labels: labels)
  }

  /// The mean of per-image scores (NaN for none, so an empty set cannot pass for a score of 0).
  public static func mean(_ values: [Double]) -> Double {
    values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count)
  }
}
