import Foundation
import XCTest

@testable import GAN

final class PixelShuffleTests: XCTestCase {
  /// The shuffle against its defining formula, output[n, c, h·r + i, w·r + j] = input[n, c·r² + i·r + j, h, w],
  /// element by element, for r = 2 and r = 3 on non-square maps.
  func testMatchesTheIndexFormula() {
    var rng = SeededGenerator(seed: 1)
    for (r, n, c, h, w) in [(2, 2, 3, 3, 5), (3, 1, 2, 4, 2)] {
      let input = Tensor.randomNormal([n, c * r * r, h, w], using: &rng)
      let output = input.pixelShuffled(r)
      XCTAssertEqual(output.shape, [n, c, h * r, w * r])
      for b in 0..<n {
        for channel in 0..<c {
          for y in 0..<(h * r) {
            for x in 0..<(w * r) {
              let (row, i) = y.quotientAndRemainder(dividingBy: r), (column, j) = x.quotientAndRemainder(dividingBy: r)
              let source = ((b * c * r * r + channel * r * r + i * r + j) * h + row) * w + column
              let target = ((b * c + channel) * h * r + y) * w * r + x
              XCTAssertEqual(output.scalars[target], input.scalars[source], "r \(r) at [\(b), \(channel), \(y), \(x)]")
            }
          }
        }
      }
      XCTAssertEqual(output.pixelUnshuffled(r).scalars, input.scalars, "unshuffle undoes shuffle (r \(r))")
      XCTAssertEqual(PixelShuffle(factor: r)(input).scalars, output.scalars)
    }
  }

  /// First derivatives of L = Σ (ρ ⊙ y + ½ y²), y = shuffle(x), against central differences in Double, and the
  /// second derivative through the recorded backward pass (a Hessian-vector product, which for this L is
  /// shuffleᵀ shuffle v = v).
  func testGradientAgainstFiniteDifferences() {
    var rng = SeededGenerator(seed: 2)
    let x = Tensor.randomNormal([1, 8, 2, 3], using: &rng)
    let rho = Tensor.randomNormal([1, 2, 4, 6], using: &rng)
    func loss(_ values: [Float]) -> Double {
      let y = Tensor(shape: x.shape, scalars: values).pixelShuffled(2).scalars
      return zip(y, rho.scalars).reduce(0.0) { $0 + Double($1.1) * Double($1.0) + 0.5 * Double($1.0) * Double($1.0) }
    }
    let leaf = Tensor(shape: x.shape, scalars: x.scalars, requiresGrad: true)
    let y = leaf.pixelShuffled(2)
    let gradient = gradients(of: (rho * y + 0.5 * y * y).sum(), wrt: [leaf], createGraph: true)[0]
    let epsilon: Float = 1e-2
    for k in 0..<x.count {
      var plus = x.scalars, minus = x.scalars
      plus[k] += epsilon
      minus[k] -= epsilon
      let difference = (loss(plus) - loss(minus)) / Double(2 * epsilon)
      XCTAssertEqual(Double(gradient.scalars[k]), difference, accuracy: 1e-3 + 1e-3 * Swift.abs(difference), "d/dx[\(k)]")
    }
    let v = Tensor.randomNormal(x.shape, using: &rng)
    let hessianVector = gradients(of: (gradient * v).sum(), wrt: [leaf])[0]
    for (a, b) in zip(hessianVector.scalars, v.scalars) { XCTAssertEqual(a, b, accuracy: 1e-5) }
  }
}

final class InterpolationTests: XCTestCase {
  /// Keys' kernel interpolates (1 at 0, 0 at the other integers), is continuous at |x| = 1 and vanishes from 2 on.
  func testCubicKernel() {
    for a in [-0.5, -0.75] {
      XCTAssertEqual(cubicConvolutionWeight(0, a: a), 1, accuracy: 1e-12)
      for x in [1.0, -1.0, 2.0, -2.0, 2.5] { XCTAssertEqual(cubicConvolutionWeight(x, a: a), 0, accuracy: 1e-12) }
      XCTAssertEqual(cubicConvolutionWeight(1 - 1e-9, a: a), cubicConvolutionWeight(1 + 1e-9, a: a), accuracy: 1e-7)
      for t in stride(from: 0.0, to: 1.0, by: 0.125) {
        let total = (-1...2).map { cubicConvolutionWeight(t - Double($0), a: a) }.reduce(0, +)
        XCTAssertEqual(total, 1, accuracy: 1e-12, "the four weights at offset \(t) sum to 1")
      }
    }
    XCTAssertEqual(cubicConvolutionWeight(0.5, a: -0.5), 0.5625, accuracy: 1e-12)
    XCTAssertEqual(cubicConvolutionWeight(1.5, a: -0.5), -0.0625, accuracy: 1e-12)
  }

  /// The matrix form against a direct per-pixel evaluation of the half-pixel formula with clamped neighbors; a
  /// constant stays constant; with a = −0.5 a quadratic is reproduced exactly away from the border.
  func testBicubicUpsampling() {
    var rng = SeededGenerator(seed: 3)
    let (h, w, s) = (5, 7, 4)
    let image = Tensor.randomNormal([2, 1, h, w], using: &rng)
    let upscaled = bicubicUpsampled(image, factor: s, a: -0.75)
    XCTAssertEqual(upscaled.shape, [2, 1, h * s, w * s])
    func direct(_ b: Int, _ y: Int, _ x: Int) -> Double {
      let sy = (Double(y) + 0.5) / Double(s) - 0.5, sx = (Double(x) + 0.5) / Double(s) - 0.5
      let by = Int(sy.rounded(.down)), bx = Int(sx.rounded(.down))
      var total = 0.0
      for ky in (by - 1)...(by + 2) {
        for kx in (bx - 1)...(bx + 2) {
          let value = image.scalars[b * h * w + min(max(ky, 0), h - 1) * w + min(max(kx, 0), w - 1)]
          total += Double(value) * cubicConvolutionWeight(sy - Double(ky), a: -0.75)
            * cubicConvolutionWeight(sx - Double(kx), a: -0.75)
        }
      }
      return total
    }
    for b in 0..<2 {
      for y in 0..<(h * s) {
        for x in 0..<(w * s) {
          XCTAssertEqual(Double(upscaled.scalars[(b * h * s + y) * w * s + x]), direct(b, y, x), accuracy: 1e-5)
        }
      }
    }
    let constant = bicubicUpsampled(Tensor.full([1, 1, 3, 3], 0.3), factor: 2)
    for value in constant.scalars { XCTAssertEqual(value, 0.3, accuracy: 1e-6) }

    let n = 8
    let quadratic = Tensor(shape: [1, 1, 1, n], scalars: (0..<n).map { Float(0.05 * Double($0 * $0) - 0.3 * Double($0)) })
    let smooth = bicubicUpsampled(quadratic, factor: 4, a: -0.5)
    for x in 0..<(n * 4) {
      let position = (Double(x) + 0.5) / 4 - 0.5
      guard position >= 1, position <= Double(n - 2) else { continue }  // all four neighbors inside
      XCTAssertEqual(Double(smooth.scalars[x]), 0.05 * position * position - 0.3 * position, accuracy: 1e-5)
    }
    XCTAssertEqual(boxDownsampled(Tensor.full([1, 1, 8, 8], 0.5), factor: 4).shape, [1, 1, 2, 2])
  }
}

final class SuperResolutionGeneratorTests: XCTestCase {
  /// Shapes for r = 4 and r = 2, the parameter count formula, and outputs in (−1, 1).
  func testShapesAndParameterCounts() {
    var rng = SeededGenerator(seed: 4)
    let g = SuperResolutionGenerator(imageChannels: 1, width: 32, blocks: 4, factor: 4, using: &rng)
    XCTAssertEqual(g.parameterCount, 157_825)
    let output = g(Tensor.randomUniform([3, 1, 7, 7], low: -1, high: 1, using: &rng))
    XCTAssertEqual(output.shape, [3, 1, 28, 28])
    let paths = g.namedParameters().map(\.path)
    XCTAssertEqual(paths.first, "head.weight")
    XCTAssertTrue(paths.contains("blocks.3.conv2.bias"))
    XCTAssertTrue(paths.contains("upsampling.1.weight"))
    XCTAssertEqual(paths.last, "tail.bias")

    let doubling = SuperResolutionGenerator(imageChannels: 1, width: 8, blocks: 1, factor: 2, using: &rng)
    XCTAssertEqual(doubling(Tensor.zeros([1, 1, 14, 14])).shape, [1, 1, 28, 28])
    // SRGAN's size (w 64, 16 blocks, x4, RGB) without its batch norms, with 3x3 instead of 9x9 head and tail.
    let full = SuperResolutionGenerator(imageChannels: 3, width: 64, blocks: 16, factor: 4, using: &rng)
    XCTAssertEqual(full.parameterCount, 1_517_571)
  }
}

final class ImageQualityTests: XCTestCase {
  func testPeakSignalToNoiseRatio() {
    let reference = Tensor.full([2, 1, 4, 4], 0.2)
    let shifted = Tensor(shape: [2, 1, 4, 4], scalars: (0..<32).map { $0 < 16 ? 0.3 : 0.2 })
    let psnr = peakSignalToNoiseRatios(shifted, references: reference)
    XCTAssertEqual(psnr[0], 10 * log10(4 / 0.01), accuracy: 1e-3)  // 26.02 dB for an error of 0.1 on [−1, 1]
    XCTAssertEqual(psnr[1], .infinity)
  }

  func testMeanGradientMagnitude() {
    let ramp = Tensor(shape: [1, 1, 4, 5], scalars: (0..<20).map { Float($0 % 5) * 0.1 })
    XCTAssertEqual(meanGradientMagnitudes(ramp)[0], 0.1, accuracy: 1e-6)
    let diagonal = Tensor(shape: [1, 1, 3, 3], scalars: (0..<9).map { Float($0 / 3 + $0 % 3) })
    XCTAssertEqual(meanGradientMagnitudes(diagonal)[0], 2.0.squareRoot(), accuracy: 1e-6)
    XCTAssertEqual(meanGradientMagnitudes(Tensor.full([1, 1, 3, 3], 0.7))[0], 0)
  }

  /// Pure waves put all their energy at one frequency: 0.25 cycles/pixel is above a cutoff of 1/8, 1/14 is below;
  /// the checkerboard sits at radius √½; a mixture splits by the amplitudes squared.
  func testHighFrequencyShare() {
    let size = 28
    func wave(_ frequency: Double, amplitude: Double = 1) -> [Float] {
      (0..<(size * size)).map { Float(amplitude * cos(2 * .pi * frequency * Double($0 % size))) }
    }
    func share(_ values: [Float], cutoff: Double = 0.125) -> Double {
      highFrequencyEnergyShares(Tensor(shape: [1, 1, size, size], scalars: values), cutoff: cutoff)[0]
    }
    XCTAssertEqual(share(wave(0.25)), 1, accuracy: 1e-9)
    XCTAssertEqual(share(wave(0.25), cutoff: 0.3), 0, accuracy: 1e-9)
    XCTAssertEqual(share(wave(1.0 / 14)), 0, accuracy: 1e-9)
    let checkerboard = (0..<(size * size)).map { Float(($0 / size + $0 % size) % 2 == 0 ? 1 : -1) }
    XCTAssertEqual(share(checkerboard, cutoff: 0.7), 1, accuracy: 1e-9)
    XCTAssertEqual(share(checkerboard, cutoff: 0.71), 0, accuracy: 1e-9)
    let mixture = zip(wave(1.0 / 14), wave(0.25, amplitude: 0.5)).map { $0 + $1 }
    XCTAssertEqual(share(mixture), 0.25 / 1.25, accuracy: 1e-7)  // the waves are stored as Float32
    XCTAssertEqual(share([Float](repeating: 0.4, count: size * size)), 0)
  }
}
