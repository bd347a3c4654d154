import XCTest

@testable import Autograd

/// Every primitive (and the composites) against finite differences at first and second order.
final class PrimitiveGradientTests: XCTestCase {
  /// Values from N(0, 1) (seeded); `positive` shifts them to (0.5, ...); `apart` keeps |x| >= 0.2 and values at least
  /// 0.05 apart, away from the kinks of abs, relu, max and clamp.
  static func data(_ shape: [Int], seed: UInt64, positive: Bool = false, apart: Bool = false, avoid: [Float] = [])
    -> Tensor
  {
    var rng = SeededGenerator(seed: seed)
    let n = shape.reduce(1, *)
    var values: [Float] = []
    while values.count < n {
      var v = rng.nextNormal()
      if positive { v = 0.5 + Swift.abs(v) }
      if apart && (Swift.abs(v) < 0.2 || values.contains(where: { Swift.abs($0 - v) < 0.05 })) { continue }
      if avoid.contains(where: { Swift.abs($0 - v) < 0.05 }) { continue }
      values.append(v)
    }
    return Tensor(shape: shape, scalars: values)
  }

  static func d(_ shape: Int..., seed: UInt64 = 1, positive: Bool = false, apart: Bool = false, avoid: [Float] = [])
    -> Tensor
  {
    data(shape, seed: seed, positive: positive, apart: apart, avoid: avoid)
  }

  /// Two tensors whose values are all at least 0.05 apart from each other and from 0 (for maximum and minimum).
  static func apartPair(_ a: [Int], _ b: [Int]) -> [Tensor] {
    let na = a.reduce(1, *), nb = b.reduce(1, *)
    let all = data([na + nb], seed: 9, apart: true).scalars
    return [Tensor(shape: a, scalars: Array(all[..<na])), Tensor(shape: b, scalars: Array(all[na...]))]
  }

  static var cases: [GradientCase] { [
    // Arithmetic, with and without broadcasting.
    GradientCase(name: "add", inputs: [d(2, 3), d(2, 3, seed: 2)]) { $0[0] + $0[1] },
    GradientCase(name: "add broadcast row", inputs: [d(2, 3), d(3, seed: 2)]) { $0[0] + $0[1] },
    GradientCase(name: "sub broadcast column", inputs: [d(3, 1), d(3, 4, seed: 2)]) { $0[0] - $0[1] },
    GradientCase(name: "mul broadcast NCHW channel", inputs: [d(2, 3, 2, 2), d(1, 3, 1, 1, seed: 2)]) { $0[0] * $0[1] },
    GradientCase(name: "mul scalar tensor", inputs: [d(2, 3), d(seed: 2)]) { $0[0] * $0[1] },
    GradientCase(name: "div", inputs: [d(2, 3), d(2, 3, seed: 2, positive: true)]) { $0[0] / $0[1] },
    GradientCase(name: "div broadcast", inputs: [d(1, 3), d(2, 1, seed: 2, positive: true)]) { $0[0] / $0[1] },
    GradientCase(name: "neg", inputs: [d(4)]) { -$0[0] },
    GradientCase(name: "exp", inputs: [d(2, 3)]) { exp($0[0]) },
    GradientCase(name: "log", inputs: [d(2, 3, positive: true)]) { log($0[0]) },
    GradientCase(name: "expm1", inputs: [d(2, 3)]) { expm1($0[0]) },
    GradientCase(name: "log1p", inputs: [d(2, 3, positive: true)]) { log1p($0[0] - 1.2) },
    GradientCase(name: "pow 2", inputs: [d(5)]) { pow($0[0], 2) },
    GradientCase(name: "pow 3", inputs: [d(5)]) { pow($0[0], 3) },
    GradientCase(name: "pow 1.5", inputs: [d(5, positive: true)]) { pow($0[0], 1.5) },
    GradientCase(name: "pow -1", inputs: [d(5, positive: true)]) { pow($0[0], -1) },
    GradientCase(name: "sqrt", inputs: [d(5, positive: true)]) { sqrt($0[0]) },
    GradientCase(name: "abs", inputs: [d(6, apart: true)]) { abs($0[0]) },
    GradientCase(name: "maximum", inputs: apartPair([6], [6])) { maximum($0[0], $0[1]) },
    GradientCase(name: "minimum broadcast", inputs: apartPair([2, 3], [3])) {
      minimum($0[0], $0[1])
    },
    GradientCase(name: "where", inputs: [d(2, 3), d(2, 3, seed: 2)]) { x in
      `where`(Tensor(shape: [2, 3], scalars: [1, 0, 1, 0, 0, 1]), x[0], x[1])
    },
    GradientCase(name: "where broadcast", inputs: [d(2, 3), d(3, seed: 2)]) { x in
      `where`(Tensor(shape: [2, 1], scalars: [1, 0]), x[0] * x[0], x[1])
    },
    GradientCase(name: "clamp", inputs: [d(8, apart: true, avoid: [-0.5, 0.7])]) { clamp($0[0], min: -0.5, max: 0.7) },
    // Reductions.
    GradientCase(name: "sum axis 1", inputs: [d(2, 3, 2)]) { $0[0].sum(alongAxes: 1) },
    GradientCase(name: "sum axes 0,2", inputs: [d(2, 3, 2)]) { $0[0].sum(alongAxes: 0, 2) },
    GradientCase(name: "sum all", inputs: [d(2, 3)]) { $0[0].sum() },
    GradientCase(name: "mean squeezing", inputs: [d(2, 3, 2)]) { $0[0].mean(squeezingAxes: 2) },
    GradientCase(name: "max axis -1", inputs: [d(3, 4, apart: true)]) { $0[0].max(alongAxes: -1) },
    GradientCase(name: "max axes 0,1", inputs: [d(2, 3, 2, apart: true)]) { $0[0].max(alongAxes: 0, 1) },
    // Shapes.
    GradientCase(name: "reshape", inputs: [d(2, 6)]) { $0[0].reshaped(to: 3, -1) * $0[0].reshaped(to: 3, 4) },
    GradientCase(name: "permute", inputs: [d(2, 3, 4)]) { $0[0].permuted(2, 0, 1) },
    GradientCase(name: "transpose", inputs: [d(3, 4)]) { $0[0].transposed() },
    GradientCase(name: "broadcast", inputs: [d(3, 1)]) { $0[0].broadcasted(to: [2, 3, 4]) },
    GradientCase(name: "concatenate axis 1", inputs: [d(2, 2), d(2, 3, seed: 2)]) {
      concatenate([$0[0], $0[1], $0[0]], alongAxis: 1)
    },
    GradientCase(name: "slice", inputs: [d(3, 5)]) { $0[0].sliced(lower: [1, 1], upper: [3, 4]) },
    GradientCase(name: "zero pad", inputs: [d(1, 2, 2, 3)]) { $0[0].zeroPadded2D(1) },
    GradientCase(name: "reflection pad", inputs: [d(1, 2, 3, 4)]) { $0[0].reflectionPadded2D(2) },
    // Products.
    GradientCase(name: "matmul", inputs: [d(2, 3), d(3, 4, seed: 2)]) { matmul($0[0], $0[1]) },
    GradientCase(name: "matmul Aᵀ", inputs: [d(3, 2), d(3, 4, seed: 2)]) { matmul($0[0], $0[1], transposeA: true) },
    GradientCase(name: "matmul Bᵀ", inputs: [d(2, 3), d(4, 3, seed: 2)]) { matmul($0[0], $0[1], transposeB: true) },
    GradientCase(name: "matmul AᵀBᵀ", inputs: [d(3, 2), d(4, 3, seed: 2)]) {
      matmul($0[0], $0[1], transposeA: true, transposeB: true)
    },
    GradientCase(name: "batched matmul", inputs: [d(2, 2, 3), d(2, 3, 2, seed: 2)]) { matmul($0[0], $0[1]) },
    GradientCase(name: "batch times shared matrix", inputs: [d(2, 2, 3), d(3, 2, seed: 2)]) { matmul($0[0], $0[1]) },
    GradientCase(name: "conv2d", inputs: [d(2, 2, 4, 4), d(3, 2, 3, 3, seed: 2)]) { conv2d($0[0], $0[1]) },
    GradientCase(name: "conv2d stride 2 padding 1", inputs: [d(2, 2, 5, 5), d(2, 2, 3, 3, seed: 2)]) {
      conv2d($0[0], $0[1], stride: 2, padding: 1)
    },
    GradientCase(name: "conv2d groups 2", inputs: [d(1, 4, 3, 3), d(4, 2, 2, 2, seed: 2)]) {
      conv2d($0[0], $0[1], padding: 1, groups: 2)
    },
    GradientCase(name: "convTranspose2d stride 2", inputs: [d(2, 3, 3, 3), d(3, 2, 4, 4, seed: 2)]) {
      convTranspose2d($0[0], $0[1], stride: 2, padding: 1)
    },
    GradientCase(name: "convTranspose2d output padding, groups", inputs: [d(1, 2, 2, 2), d(2, 1, 3, 3, seed: 2)]) {
      convTranspose2d($0[0], $0[1], stride: 2, padding: 1, outputPadding: 1, groups: 2)
    },
    GradientCase(name: "avgPool 2x2", inputs: [d(1, 2, 4, 4)]) { $0[0].avgPooled2D(2) },
    GradientCase(name: "avgPool 3x3 stride 2 pad 1", inputs: [d(1, 2, 5, 5)]) {
      avgPool2d($0[0], kernelSize: 3, stride: 2, padding: 1)
    },
    GradientCase(name: "upsample nearest", inputs: [d(1, 2, 2, 3)]) { $0[0].upsampledNearest(2) },
    GradientCase(name: "relu", inputs: [d(6, apart: true)]) { relu($0[0]) },
    GradientCase(name: "leakyReLU", inputs: [d(6, apart: true)]) { leakyReLU($0[0], slope: 0.2) },
    GradientCase(name: "leakyReLU of a product", inputs: [d(2, 3, apart: true), d(2, 3, seed: 2, apart: true)]) {
      leakyReLU($0[0] * $0[1], slope: 0.1)
    },
    // Leaky ReLU's rule as an op of its own (the mask's point held constant, on both sides of 0).
    GradientCase(name: "leakyReLU's rule", inputs: [d(2, 3, apart: true)]) {
      leakyMaskProduct($0[0] * $0[0], at: Tensor(shape: [2, 3], scalars: [-1.5, 0.5, -0.1, 2, 0.3, -0.7]), slope: 0.2)
    },
    GradientCase(name: "standardize, batch-norm axes", inputs: [d(3, 2, 2, 2)]) {
      standardize($0[0], axes: [0, 2, 3], epsilon: 1e-5).normalized * Tensor(shape: [3, 2, 2, 2], scalars: (0..<24).map { Float($0 % 5) - 2 })
    },
    GradientCase(name: "standardize, batch-norm 1d axes ([N, C])", inputs: [d(4, 3)]) {
      standardize($0[0], axes: [0], epsilon: 1e-5).normalized * Tensor(shape: [4, 3], scalars: (0..<12).map { Float($0 % 5) - 2 })
    },
    GradientCase(name: "standardize, instance-norm axes", inputs: [d(2, 2, 3, 2)]) {
      pow(standardize($0[0], axes: [2, 3], epsilon: 1e-3).normalized, 3)
    },
    GradientCase(name: "standardize, layer-norm axis", inputs: [d(3, 4)]) {
      standardize($0[0] * $0[0], axes: [1], epsilon: 1e-5).normalized
    },
    // Composites (no rules of their own).
    GradientCase(name: "sigmoid", inputs: [d(6)]) { sigmoid($0[0] * 3) },
    GradientCase(name: "tanh", inputs: [d(6)]) { tanh($0[0]) },
    GradientCase(name: "tanh, small and large", inputs: [Tensor([-3.5, -1e-3, 2e-3, 2.7])]) { tanh($0[0]) },
    GradientCase(name: "softplus", inputs: [d(6)]) { softplus($0[0] * 2) },
    GradientCase(name: "softplus, far out", inputs: [Tensor([-9, -4.5, 5.5, 8])]) { softplus($0[0]) },
    GradientCase(name: "logSoftmax", inputs: [d(2, 4)]) { logSoftmax($0[0]) },
    GradientCase(name: "binary cross-entropy", inputs: [d(6)]) {
      binaryCrossEntropy(logits: $0[0], targets: Tensor([1, 0, 1, 1, 0, 0.5]))
    },
    GradientCase(name: "cross-entropy", inputs: [d(3, 4)]) { crossEntropy(logits: $0[0], labels: [0, 3, 1]) },
    GradientCase(name: "mean squared error", inputs: [d(5), d(5, seed: 2)]) { meanSquaredError($0[0], $0[1]) },
    GradientCase(name: "L1", inputs: [d(5, apart: true), Tensor(Array(repeating: Float(0), count: 5))]) {
      meanAbsoluteError($0[0], $0[1])
    },
    GradientCase(name: "row norms", inputs: [d(3, 4)]) { $0[0].rowNorms() },
  ] }

  /// The primitives: every op that records a backward rule. The test fails if one is never exercised.
  static let primitives: Set<String> = [
    "add", "sub", "mul", "div", "neg", "exp", "log", "expm1", "log1p", "pow", "sqrt", "abs", "maximum", "minimum", "where", "clamp",
    "sum", "max", "reshaped", "permuted", "broadcasted", "concatenate", "sliced", "padded", "reflectionPadded2D",
    "reflectionPadAdjoint", "matmul", "conv2d", "conv2dInputGrad", "conv2dWeightGrad", "avgPooled2D", "upsampledNearest",
    "leakyReLU", "leakyMaskProduct", "standardize",
  ]

  /// The fused kernels against the same function from element-wise ops: forward values, and the plain backward pass
  /// (fused) against the recorded one (differentiable ops), on every layout the normalization layers use.
  func testStandardizeMatchesItsElementwiseForm() {
    for (shape, axes) in [([8, 3, 5, 5], [0, 2, 3]), ([16, 6], [0]), ([4, 3, 6, 6], [2, 3]), ([5, 7], [1]), ([2, 3, 4], [0, 1, 2])] {
      let x = Self.data(shape, seed: 21)
      let mean = x.mean(alongAxes: axes), centered = x - mean
      let expected = centered / sqrt((centered * centered).mean(alongAxes: axes) + 1e-5)
      let (normalized, mu, _) = standardize(x, axes: axes, epsilon: 1e-5)
      for (a, b) in zip(normalized.scalars, expected.scalars) { XCTAssertEqual(a, b, accuracy: 2e-5, "\(shape) \(axes)") }
      XCTAssertEqual(mu.scalars.count, mean.count)
      for (a, b) in zip(mu.scalars, mean.scalars) { XCTAssertEqual(a, b, accuracy: 1e-6) }
      let weights = Self.data(shape, seed: 22)
      let input = Tensor(shape: shape, scalars: x.scalars, requiresGrad: true)
      let loss = (standardize(input, axes: axes, epsilon: 1e-5).normalized * weights).sum()
      let fused = gradient(of: loss, wrt: input)
      let recorded = gradient(of: loss, wrt: input, createGraph: true)
      let other = Tensor(shape: shape, scalars: x.scalars, requiresGrad: true)
      let otherCentered = other - other.mean(alongAxes: axes)
      let elementwise = otherCentered / sqrt((otherCentered * otherCentered).mean(alongAxes: axes) + 1e-5)
      let composite = gradient(of: (elementwise * weights).sum(), wrt: other)
      for (a, b) in zip(fused.scalars, recorded.scalars) { XCTAssertEqual(a, b, accuracy: 2e-5, "\(shape) \(axes)") }
      for (a, b) in zip(fused.scalars, composite.scalars) { XCTAssertEqual(a, b, accuracy: 1e-4, "\(shape) \(axes)") }
    }
  }

  /// [N, C] batch norm runs row by row across the channels; it must give exactly what the per-channel loops give
  /// (the moments from Kernels.shiftedMoments / productSums over one value per row, in row order): values,
  /// statistics and the fused gradient, bit for bit, on both cores' share of the channels and with a large offset.
  func testStandardizeAcrossChannelsEqualsPerChannelLoopsBitForBit() {
    let (rows, groups) = (64, 6272)
    var rng = SeededGenerator(seed: 31)
    let x = (0..<rows * groups).map { _ in 3 + 2 * rng.nextNormal() }, g = (0..<rows * groups).map { _ in rng.nextNormal() }
    let layout = StandardizeLayout(shape: [rows, groups], axes: [0])!
    let (values, mean, variance, inverse) = Kernels.standardize(x, layout, epsilon: 1e-5)
    let dx = Kernels.standardizeBackward(g, values, inverse, layout)
    let n = Double(rows)
    for c in 0..<groups {
      let pivot = x[c]
      var sum = 0.0, squares = 0.0, sumG = 0.0, sumGX = 0.0
      x.withUnsafeBufferPointer { px in
        for a in 0..<rows {
          let (s1, s2) = Kernels.shiftedMoments(px.baseAddress! + a * groups + c, 1, shift: pivot)
          sum += s1
          squares += s2
        }
      }
      let offset = sum / n, sigma2 = max(0, squares / n - offset * offset)
      let shift = Float(Double(pivot) + offset), scale = Float(1 / (sigma2 + 1e-5).squareRoot())
      XCTAssertEqual(mean[c].bitPattern, shift.bitPattern)
      XCTAssertEqual(variance[c].bitPattern, Float(sigma2).bitPattern)
      XCTAssertEqual(inverse[c].bitPattern, scale.bitPattern)
      for a in 0..<rows { XCTAssertEqual(values[a * groups + c].bitPattern, ((x[a * groups + c] - shift) * scale).bitPattern) }
      g.withUnsafeBufferPointer { pg in
        values.withUnsafeBufferPointer { pv in
          for a in 0..<rows {
            let (s1, s2) = Kernels.productSums(pg.baseAddress! + a * groups + c, pv.baseAddress! + a * groups + c, 1)
            sumG += s1
            sumGX += s2
          }
        }
      }
      let meanG = Float(sumG / n), meanGX = Float(sumGX / n)
      for a in 0..<rows {
        let i = a * groups + c
        XCTAssertEqual(dx[i].bitPattern, ((g[i] - meanG - values[i] * meanGX) * scale).bitPattern)
      }
    }
  }

  func testEveryPrimitiveFirstAndSecondOrder() {
    var seen = Set<String>()
    for c in Self.cases {
      seen.formUnion(GradientCheck.check(c))
    }
    XCTAssertEqual(seen.subtracting(Self.primitives), [], "ops recorded that are not in the primitive list")
    XCTAssertEqual(Self.primitives.subtracting(seen), [], "primitives never exercised at first and second order")
  }

  /// The same table with every fast path taken at the table's tiny sizes: products and convolutions split across the
  /// cores, element-wise passes and reductions split, small products split, convolution
  /// gradients folded in small blocks. The default thresholds keep all of these above the table's shapes, so
  /// without this pass no finite difference would reach them.
  func testEveryPrimitiveFirstAndSecondOrderOnTheFastPaths() {
    Kernels.withThresholds(.everyFastPath) {
      // The decisions the kernels take do change at the table's sizes (on a machine with more than one core).
      XCTAssertEqual(Kernels.elementChunks(4), Swift.min(Kernels.cores, 4))
      XCTAssertEqual(chunkCount(cost: 24, items: 3), Swift.min(Kernels.cores, 3))
      for c in Self.cases { _ = GradientCheck.check(c) }
    }
    XCTAssertEqual(Kernels.elementChunks(4), 1, "the default thresholds are back")
  }
}
