import Foundation
import XCTest

@testable import Autograd

final class HigherOrderTests: XCTestCase {
  /// d/dx x³ = 3x², d²/dx² x³ = 6x, d³/dx³ = 6.
  func testCubeDerivatives() {
    for value: Float in [-2, -0.5, 0.3, 1.7] {
      let x = Tensor(value, requiresGrad: true)
      let y = pow(x, 3)
      let first = gradient(of: y, wrt: x, createGraph: true)
      let second = gradient(of: first, wrt: x, createGraph: true)
      let third = gradient(of: second, wrt: x)
      XCTAssertEqual(first.scalar, 3 * value * value, accuracy: 1e-5)
      XCTAssertEqual(second.scalar, 6 * value, accuracy: 1e-5)
      XCTAssertEqual(third.scalar, 6, accuracy: 1e-5)
    }
  }

  /// softplus' = σ and softplus'' = σ(1 - σ) exactly, at the kink points of its stable form too (x = 0), and far out
  /// where e^x would overflow.
  func testSoftplusDerivativesIncludingZero() {
    for value: Float in [0, -3, 2.5, 100, -100] {
      let x = Tensor(value, requiresGrad: true)
      let y = softplus(x)
      let first = gradient(of: y, wrt: x, createGraph: true)
      let second = gradient(of: first, wrt: x)
      let s = 1 / (1 + Foundation.exp(-Double(value)))
      XCTAssertEqual(Double(y.scalar), Swift.max(Double(value), 0) + Foundation.log1p(Foundation.exp(-Swift.abs(Double(value)))), accuracy: 1e-5)
      XCTAssertEqual(Double(first.scalar), s, accuracy: 1e-6, "softplus'(\(value))")
      XCTAssertEqual(Double(second.scalar), s * (1 - s), accuracy: 1e-6, "softplus''(\(value))")
    }
    let zero = Tensor(Float(0), requiresGrad: true)
    XCTAssertEqual(gradient(of: sigmoid(zero), wrt: zero).scalar, 0.25, accuracy: 1e-7)
    XCTAssertEqual(gradient(of: binaryCrossEntropy(logits: zero, target: 1), wrt: zero).scalar, -0.5, accuracy: 1e-7)
  }

  /// The WGAN-GP penalty P(θ) = mean over the batch of (|∇ₓ f_θ(x)| - 1)² through a two-layer leakyReLU net; its
  /// gradient in the weights (a gradient of a gradient) against central differences.
  func testGradientPenaltyGradient() {
    var rng = SeededGenerator(seed: 7)
    let x = Tensor.randomNormal([4, 3], using: &rng)
    let w1 = Tensor.randomNormal([3, 5], using: &rng), b1 = Tensor.randomNormal([5], std: 0.1, using: &rng)
    let w2 = Tensor.randomNormal([5, 1], using: &rng)
    func penalty(_ p: [Tensor], createGraph: Bool) -> Tensor {
      let input = Tensor(shape: x.shape, scalars: x.scalars, requiresGrad: true)
      let out = matmul(leakyReLU(matmul(input, p[0]) + p[1], slope: 0.2), p[2])
      let g = gradient(of: out.sum(), wrt: input, createGraph: createGraph)
      return pow(g.rowNorms() - 1, 2).mean()
    }
    let params = [w1, w2].isEmpty ? [] : [w1, b1, w2].map { Tensor(shape: $0.shape, scalars: $0.scalars, requiresGrad: true) }
    let p = penalty(params, createGraph: true)
    let grads = gradients(of: p, wrt: params)
    XCTAssertGreaterThan(grads.map { $0.scalars.map(Swift.abs).max()! }.max()!, 1e-3, "penalty gradient is not zero")
    for (k, param) in params.enumerated() {
      for i in 0..<param.count {
        let plus = params.map { $0.detached() }, minus = params.map { $0.detached() }
        let h: Float = 1e-3
        plus[k].scalars[i] += h
        minus[k].scalars[i] -= h
        let fd = (Double(penalty(plus, createGraph: false).scalar) - Double(penalty(minus, createGraph: false).scalar))
          / Double(plus[k].scalars[i] - minus[k].scalars[i])
        XCTAssertEqual(Double(grads[k].scalars[i]), fd, accuracy: 2e-3 + 1e-2 * Swift.abs(fd), "param \(k)[\(i)]")
      }
    }
  }

  /// backward() accumulates into .grad across calls, and zeroGradient clears it.
  func testBackwardAccumulates() {
    let w = Tensor([1, 2, 3], requiresGrad: true)
    (w * w).sum().backward()
    XCTAssertEqual(w.grad?.scalars, [2, 4, 6])
    (w * 3).sum().backward()
    XCTAssertEqual(w.grad?.scalars, [5, 7, 9])
    w.zeroGradient()
    XCTAssertNil(w.grad)
  }

  func testWithoutGradientsRecordsNothing() {
    let w = Tensor([1, 2], requiresGrad: true)
    let y = withoutGradients { w * w }
    XCTAssertFalse(y.requiresGrad)
    XCTAssertEqual(y.opName, "leaf")
    XCTAssertTrue((w * w).requiresGrad)
  }

  /// A chain of 100,000 ops: the iterative topological sort must not overflow the stack.
  func testLongChain() {
    let x = Tensor(1, requiresGrad: true)
    var y = x
    for _ in 0..<100_000 { y = y + 0.0 }
    XCTAssertEqual(gradient(of: y, wrt: x).scalar, 1)
  }

  func testUnrelatedInputGetsZeros() {
    let x = Tensor([1, 2], requiresGrad: true), z = Tensor([3], requiresGrad: true)
    let g = gradients(of: (x * x).sum(), wrt: [x, z])
    XCTAssertEqual(g[1].scalars, [0])
  }
}

final class ShapeTests: XCTestCase {
  func testBroadcastShapes() throws {
    XCTAssertEqual(try Shape.broadcast([2, 3], [3], op: "add"), [2, 3])
    XCTAssertEqual(try Shape.broadcast([4, 1, 3], [2, 1], op: "add"), [4, 2, 3])
    XCTAssertEqual(try Shape.broadcast([], [2, 2], op: "add"), [2, 2])
    XCTAssertThrowsError(try Shape.broadcast([2, 3], [4], op: "mul")) { error in
      let message = "\(error)"
      XCTAssertTrue(message.contains("mul") && message.contains("[2, 3]") && message.contains("[4]"), message)
    }
  }

  func testBroadcastValuesAndReduction() {
    let a = Tensor([[1, 2, 3], [4, 5, 6]])
    XCTAssertEqual((a + Tensor([10, 20, 30])).scalars, [11, 22, 33, 14, 25, 36])
    XCTAssertEqual((a * Tensor(shape: [2, 1], scalars: [1, -1])).scalars, [1, 2, 3, -4, -5, -6])
    XCTAssertEqual(a.sum(alongAxes: 0).scalars, [5, 7, 9])
    XCTAssertEqual(a.sum(alongAxes: 0).shape, [1, 3])
    XCTAssertEqual(a.sum(squeezingAxes: 1).scalars, [6, 15])
    XCTAssertEqual(a.mean().scalar, 3.5)
    XCTAssertEqual(a.max(squeezingAxes: 0).scalars, [4, 5, 6])
    XCTAssertEqual(a.transposed().scalars, [1, 4, 2, 5, 3, 6])
    XCTAssertEqual(Tensor([[1, 2], [3, 4]]).summed(toShape: [2]).scalars, [4, 6])
    XCTAssertEqual(Tensor([[1, 2], [3, 4]]).summed(toShape: [2, 1]).scalars, [3, 7])
    // Broadcasting in the middle of a 4D shape (per-channel bias on NCHW).
    let x = Tensor.ones([2, 3, 2, 2])
    let bias = Tensor(shape: [1, 3, 1, 1], scalars: [1, 2, 3])
    let y = x + bias
    XCTAssertEqual(Array(y.scalars[0..<12]), [2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4])
    // The gradient of a broadcast operand is summed back to its shape.
    let b = Tensor(shape: [1, 3, 1, 1], scalars: [1, 2, 3], requiresGrad: true)
    XCTAssertEqual(gradient(of: (x * b).sum(), wrt: b).scalars, [8, 8, 8])
  }

  /// Broadcasts that take the strided kernels (two outer dimensions, the per-channel case, and more), large enough to
  /// be split across the cores: every value equals the operation on the two broadcast elements, bit for bit.
  func testStridedBroadcastsAgainstIndexLoops() {
    var rng = SeededGenerator(seed: 37)
    let cases: [([Int], [Int])] = [
      ([8, 16, 700], [1, 16, 1]), ([8, 16, 700], [8, 1, 700]), ([1, 16, 1], [8, 16, 700]), ([8, 16, 700], [16, 1]),
      ([2, 3, 4, 5], [1, 3, 1, 5]), ([4, 6, 30, 30], [1, 6, 1, 1]), ([3, 1, 5, 2], [1, 4, 1, 2]),
    ]
    for (aShape, bShape) in cases {
      let a = Tensor.randomNormal(aShape, using: &rng), b = Tensor.randomNormal(bShape, using: &rng) + 3
      let shape = try! Shape.broadcast(aShape, bShape, op: "test")
      func element(_ t: Tensor, _ index: [Int]) -> Float {
        let padded = [Int](repeating: 1, count: shape.count - t.rank) + t.shape
        var offset = 0
        for (d, size) in padded.enumerated() { offset = offset * size + (size == 1 ? 0 : index[d]) }
        return t.scalars[offset]
      }
      let results: [(Tensor, (Float, Float) -> Float)] = [(a + b, { $0 + $1 }), (a - b, { $0 - $1 }),
                                                         (a * b, { $0 * $1 }), (a / b, { $0 / $1 })]
      for (result, op) in results {
        XCTAssertEqual(result.shape, shape)
        var index = [Int](repeating: 0, count: shape.count), mismatches = 0
        for flat in 0..<result.count {
          var rest = flat
          for d in stride(from: shape.count - 1, through: 0, by: -1) { index[d] = rest % shape[d]; rest /= shape[d] }
          if result.scalars[flat].bitPattern != op(element(a, index), element(b, index)).bitPattern { mismatches += 1 }
        }
        XCTAssertEqual(mismatches, 0, "\(aShape) with \(bShape)")
      }
    }
  }

  func testSlicePadConcat() {
    let a = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
    XCTAssertEqual(a.sliced(axis: 1, 1..<3).scalars, [2, 3, 5, 6])
    XCTAssertEqual(a.padded(before: [0, 1], after: [0, 0]).scalars, [0, 1, 2, 3, 0, 4, 5, 6])
    XCTAssertEqual(concatenate([a, a], alongAxis: 0).shape, [4, 3])
    XCTAssertEqual(concatenate([a, a.sliced(axis: 1, 0..<1)], alongAxis: 1).scalars, [1, 2, 3, 1, 4, 5, 6, 4])
    let img = Tensor(shape: [1, 1, 2, 3], scalars: [1, 2, 3, 4, 5, 6])
    XCTAssertEqual(img.reflectionPadded2D(1).scalars, [5, 4, 5, 6, 5, 2, 1, 2, 3, 2, 5, 4, 5, 6, 5, 2, 1, 2, 3, 2])
  }

  func testSeededRandomIsReproducible() {
    var a = SeededGenerator(seed: 42), b = SeededGenerator(seed: 42), c = SeededGenerator(seed: 43)
    let x = Tensor.randomNormal([1000], using: &a), y = Tensor.randomNormal([1000], using: &b)
    XCTAssertEqual(x.scalars, y.scalars)
    XCTAssertNotEqual(x.scalars, Tensor.randomNormal([1000], using: &c).scalars)
    let mean = x.mean().scalar, std = sqrt(pow(x - mean, 2).mean()).scalar
    XCTAssertEqual(mean, 0, accuracy: 0.1)
    XCTAssertEqual(std, 1, accuracy: 0.1)
    let u = Tensor.randomUniform([1000], low: -1, high: 1, using: &a)
    XCTAssertTrue(u.scalars.allSatisfy { $0 >= -1 && $0 < 1 })
  }

  /// The sampler's numbers are part of every lesson's seeded results: the first draws of seed 2026 and a hash of
  /// 10,000 of them, recorded from the sampler as it was when the lessons' numbers were measured.
  func testNormalSamplerDrawsTheRecordedNumbers() {
    var rng = SeededGenerator(seed: 2026)
    let draws = (0..<10_000).map { _ in rng.nextNormal().bitPattern }
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for bits in draws { hash = (hash ^ UInt64(bits)) &* 0x0000_0100_0000_01b3 }
    XCTAssertEqual(draws.prefix(4).map { String($0, radix: 16) }, ["be62b8ab", "3f83eb2d", "3f0180d1", "becc6211"])
    XCTAssertEqual(String(hash, radix: 16), "de2efc88ed7b183f")
  }

  /// The bulk normal fill (Box-Muller across the cores) draws exactly what one nextNormal() per element draws, and
  /// leaves the generator in the same state: odd and even counts, a spare pending or not, below and above the split,
  /// across the 64k-pair blocks.
  func testBulkNormalFillEqualsOneAtATime() {
    for count in [1, 2, 3, 7, 510, 511, 512, 513, 2048, 5001, 131_072, 131_075, 262_147] {
      for pending in [false, true] {
        var bulk = SeededGenerator(seed: UInt64(count)), single = bulk
        if pending { _ = bulk.nextNormal(); _ = single.nextNormal() }
        var filled = [Float](repeating: .nan, count: count)
        filled.withUnsafeMutableBufferPointer { bulk.fillNormal($0, mean: 4, std: 1.25) }
        let expected = (0..<count).map { _ in 4 + 1.25 * single.nextNormal() }
        XCTAssertTrue(filled == expected, "count \(count), spare pending \(pending)")
        XCTAssertEqual((0..<5).map { _ in bulk.nextNormal() }, (0..<5).map { _ in single.nextNormal() },
                       "state after count \(count), spare pending \(pending)")
      }
    }
  }
}

/// The fast kernels against plain loops, on shapes that take every path (parallel split, batch chunks, padding).
final class KernelTests: XCTestCase {
  func naiveMatmul(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int) -> [Float] {
    var c = [Float](repeating: 0, count: m * n)
    for i in 0..<m { for j in 0..<n { var s: Float = 0; for p in 0..<k { s += a[i * k + p] * b[p * n + j] }; c[i * n + j] = s } }
    return c
  }

  func testGEMMAgainstLoops() {
    var rng = SeededGenerator(seed: 3)
    for (m, n, k) in [(1, 1, 1), (3, 5, 7), (64, 3, 200), (3, 300, 129), (257, 129, 65), (16, 2048, 64)] {
      let a = Tensor.randomNormal([m, k], using: &rng), b = Tensor.randomNormal([k, n], using: &rng)
      let expected = naiveMatmul(a.scalars, b.scalars, m: m, n: n, k: k)
      let c = matmul(a, b)
      for i in 0..<c.count { XCTAssertEqual(c.scalars[i], expected[i], accuracy: 1e-3 * Float(k).squareRoot()) }
      let ct = matmul(a.transposed(), b.transposed(), transposeA: true, transposeB: true)
      XCTAssertEqual(ct.scalars.count, expected.count)
      for i in 0..<c.count { XCTAssertEqual(ct.scalars[i], expected[i], accuracy: 1e-3 * Float(k).squareRoot()) }
    }
  }

  /// Runs each product of `shapes` (all four transpositions, beta 0 and 1, pseudo-random operands and start) as
  /// `first` and as `second`, and asserts the two results agree within the rounding of a float32 product (the
  /// pieces of a cut or split product add the same terms, possibly in another order), and that running `first`
  /// again gives the same bits (a product's result is a function of its shape, the build and the thread count).
  func assertProductsAgree(
    _ shapes: [(Int, Int, Int)], seed: UInt64,
    first: (Bool, Bool, Int, Int, Int, UnsafePointer<Float>, Int, UnsafePointer<Float>, Int, inout [Float], Float) -> Void,
    second: (Bool, Bool, Int, Int, Int, UnsafePointer<Float>, Int, UnsafePointer<Float>, Int, inout [Float], Float) -> Void
  ) {
    var rng = SeededGenerator(seed: seed)
    for (m, n, k) in shapes {
      for (transA, transB) in [(false, false), (false, true), (true, false), (true, true)] {
        for beta: Float in [0, 1] {
          let a = Tensor.randomNormal([m * k], using: &rng).scalars, b = Tensor.randomNormal([k * n], using: &rng).scalars
          let start = Tensor.randomNormal([m * n], using: &rng).scalars
          var one = start, again = start, other = start
          a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
              let (lda, ldb) = (transA ? m : k, transB ? k : n)
              first(transA, transB, m, n, k, pa.baseAddress!, lda, pb.baseAddress!, ldb, &one, beta)
              first(transA, transB, m, n, k, pa.baseAddress!, lda, pb.baseAddress!, ldb, &again, beta)
              second(transA, transB, m, n, k, pa.baseAddress!, lda, pb.baseAddress!, ldb, &other, beta)
            }
          }
          let what = "\(m)x\(n)x\(k) transA \(transA) transB \(transB) beta \(beta)"
          XCTAssertTrue(one == again, "run twice, \(what)")
          // |Σ a b| rounding in any order: at most k ulps of Σ |a||b| (and one of beta c); the operands are N(0, 1),
          // so Σ |a||b| is about 2k/π.
          let bound = 1.2e-7 * Float(k) * (2 * Float(k) / .pi + 6 * Float(k).squareRoot()) + 1e-6
          let worst = zip(one, other).map { abs($0 - $1) }.max() ?? 0
          XCTAssertLessThanOrEqual(worst, bound, what)
        }
      }
    }
  }

  /// Products with few rows are cut into column pieces for OpenBLAS's small-matrix kernel: the result must agree
  /// with the uncut product within rounding, and be the same every time.
  func testCutProductsAgreeWithWholeOnes() {
    let shapes = [(16, 1024, 147), (3, 1024, 784), (32, 256, 144), (64, 6272, 16), (8, 2048, 784), (64, 128, 576),
                  (32, 23912, 288), (16, 147, 1024), (128, 1024, 18)]
    assertProductsAgree(shapes, seed: 17) { transA, transB, m, n, k, a, lda, b, ldb, c, beta in
      Kernels.gemm(transA: transA, transB: transB, m: m, n: n, k: k, a, lda: lda, b, ldb: ldb, &c, ldc: n, beta: beta,
                   parallel: false)
    } second: { transA, transB, m, n, k, a, lda, b, ldb, c, beta in
      Kernels.gemm(transA: transA, transB: transB, m: m, n: n, k: k, a, lda: lda, b, ldb: ldb, &c, ldc: n, beta: beta,
                   parallel: false, whole: true)
    }
  }

  /// Products run on slices at an offset (one float off any vector alignment) with leading dimensions wider than the
  /// matrix: cut and split pieces must address them right (agree with the whole product, never write the padding).
  func testCutAndSplitProductsOnOffsetNonTightLayouts() {
    var rng = SeededGenerator(seed: 41)
    let shapes = [(16, 1024, 147), (32, 256, 144), (64, 128, 576), (256, 64, 64), (64, 64, 256), (128, 1024, 18)]
    for (m, n, k) in shapes {
      for (transA, transB) in [(false, false), (false, true), (true, false), (true, true)] {
        for beta: Float in [0, 1] {
          let (pad, offset) = (3, 1)
          let (rowsA, colsA) = transA ? (k, m) : (m, k), (rowsB, colsB) = transB ? (n, k) : (k, n)
          let (lda, ldb, ldc) = (colsA + pad, colsB + pad, n + pad)
          let a = Tensor.randomNormal([offset + rowsA * lda], using: &rng).scalars
          let b = Tensor.randomNormal([offset + rowsB * ldb], using: &rng).scalars
          let start = Tensor.randomNormal([offset + m * ldc], using: &rng).scalars
          var results: [[Float]] = []
          for (parallel, whole) in [(false, true), (false, false), (true, false)] {
            var c = start
            a.withUnsafeBufferPointer { pa in
              b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                  Kernels.gemm(transA: transA, transB: transB, m: m, n: n, k: k, pa.baseAddress! + offset, lda: lda,
                               pb.baseAddress! + offset, ldb: ldb, pc.baseAddress! + offset, ldc: ldc, beta: beta,
                               parallel: parallel, whole: whole)
                }
              }
            }
            results.append(c)
          }
          let what = "\(m)x\(n)x\(k) transA \(transA) transB \(transB) beta \(beta)"
          let bound = 1.2e-7 * Float(k) * (2 * Float(k) / .pi + 6 * Float(k).squareRoot()) + 1e-6
          for (name, result) in [("cut", results[1]), ("split", results[2])] {
            XCTAssertLessThanOrEqual(zip(result, results[0]).map { abs($0 - $1) }.max() ?? 0, bound, "\(name), \(what)")
            // The padding between rows is never written.
            for row in 0..<m { for j in n..<ldc { XCTAssertEqual(result[offset + row * ldc + j], start[offset + row * ldc + j]) } }
          }
        }
      }
    }
  }

  /// Products below the general parallel threshold are split across the cores (toy MLPs' 256 x 64 x 64): every
  /// product here must agree with the single-threaded one within rounding, and give the same bits run to run.
  func testSmallProductSplitsAgreeWithSerialProducts() {
    let shapes = [(256, 64, 64), (64, 64, 256), (256, 8, 64), (512, 2, 256), (37, 300, 29), (300, 37, 47),
                  (64, 1024, 8), (129, 129, 17)]
    assertProductsAgree(shapes, seed: 23) { transA, transB, m, n, k, a, lda, b, ldb, c, beta in
      Kernels.gemm(transA: transA, transB: transB, m: m, n: n, k: k, a, lda: lda, b, ldb: ldb, &c, ldc: n, beta: beta,
                   parallel: true)
    } second: { transA, transB, m, n, k, a, lda, b, ldb, c, beta in
      Kernels.gemm(transA: transA, transB: transB, m: m, n: n, k: k, a, lda: lda, b, ldb: ldb, &c, ldc: n, beta: beta,
                   parallel: false)
    }
  }

  /// The input gradient (and transposed convolution) multiplies and folds back a few images at a time: the result
  /// must agree with folding whole chunks within rounding, on DCGAN-MNIST's D conv 64 -> 128, grouped and thin layers.
  func testBlockedFoldingAgreesWithWholeChunks() {
    var rng = SeededGenerator(seed: 29)
    let geometries = [
      ConvGeometry(batch: 64, inChannels: 64, height: 14, width: 14, outChannels: 128, kernelH: 4, kernelW: 4,
                   stride: 2, padding: 1, groups: 1),
      ConvGeometry(batch: 64, inChannels: 1, height: 28, width: 28, outChannels: 64, kernelH: 4, kernelW: 4,
                   stride: 2, padding: 1, groups: 1),
      ConvGeometry(batch: 12, inChannels: 8, height: 9, width: 9, outChannels: 6, kernelH: 3, kernelW: 3, stride: 1,
                   padding: 1, groups: 2),
    ]
    for g in geometries {
      let gy = Tensor.randomNormal(g.outputShape, using: &rng).scalars
      let w = Tensor.randomNormal(g.weightShape, using: &rng).scalars
      let whole = Kernels.conv2dInputGrad(gy, w, g, blockFloats: Int.max)
      // Each input gradient sums out-channels x kernel taps products of N(0, 1) values.
      let terms = Float(g.outChannels / g.groups * g.kernelH * g.kernelW)
      for floats in [1, 1 << 12, 1 << 16, 1 << 19] {
        let blocked = Kernels.conv2dInputGrad(gy, w, g, blockFloats: floats)
        XCTAssertTrue(blocked == Kernels.conv2dInputGrad(gy, w, g, blockFloats: floats), "run twice, \(g)")
        let worst = zip(blocked, whole).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, 1.2e-7 * terms * (2 * terms / .pi + 6 * terms.squareRoot()), "\(g), block \(floats)")
      }
    }
  }

  /// Direct convolution by its definition.
  func naiveConv(_ x: Tensor, _ w: Tensor, stride s: Int, padding p: Int, groups: Int) -> [Float] {
    let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (o, cg, kh, kw) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
    let ho = (h + 2 * p - kh) / s + 1, wo = (wd + 2 * p - kw) / s + 1
    var y = [Float](repeating: 0, count: n * o * ho * wo)
    for i in 0..<n { for oc in 0..<o { for oy in 0..<ho { for ox in 0..<wo {
      var sum: Float = 0
      let group = oc / (o / groups)
      for ic in 0..<cg { for ky in 0..<kh { for kx in 0..<kw {
        let iy = oy * s - p + ky, ix = ox * s - p + kx
        if iy < 0 || iy >= h || ix < 0 || ix >= wd { continue }
        sum += x[i, group * cg + ic, iy, ix] * w[oc, ic, ky, kx]
      } } }
      y[((i * o + oc) * ho + oy) * wo + ox] = sum
    } } } }
    _ = c
    return y
  }

  func testConvolutionAgainstDefinition() {
    var rng = SeededGenerator(seed: 5)
    // (batch, in, out, size, kernel, stride, padding, groups)
    let configs = [
      (1, 1, 1, 5, 3, 1, 0, 1), (3, 2, 4, 7, 3, 2, 1, 1), (64, 1, 8, 28, 4, 2, 1, 1), (2, 4, 6, 6, 3, 1, 2, 2),
      (5, 3, 3, 9, 7, 1, 3, 3), (2, 2, 2, 4, 4, 1, 0, 1), (8, 16, 8, 8, 1, 1, 0, 1), (3, 2, 2, 6, 5, 3, 2, 1),
      // Wide images (≥ 256 output pixels) go through the products one image at a time, with the weight gradient
      // accumulated: in one chunk, in two chunks (≥ 4 MFLOP), and with groups.
      (4, 3, 5, 20, 3, 1, 1, 1), (6, 8, 16, 24, 3, 1, 1, 1), (4, 4, 4, 17, 3, 1, 1, 2),
      // Stride 1 with at most 4 outputs and ≥ 256 output pixels: the direct kernels (no columns), with rows of one,
      // two and three vectors, padding wider than the kernel's reach and a 7 x 7 kernel.
      (4, 16, 3, 22, 7, 1, 0, 1), (3, 5, 1, 20, 3, 1, 1, 1), (2, 3, 4, 33, 5, 1, 2, 1), (2, 2, 2, 18, 4, 1, 3, 1),
    ]
    for (b, ci, co, size, k, s, p, g) in configs {
      let x = Tensor.randomNormal([b, ci, size, size], using: &rng)
      let w = Tensor.randomNormal([co, ci / g, k, k], using: &rng)
      let y = conv2d(x, w, stride: s, padding: p, groups: g)
      let expected = naiveConv(x, w, stride: s, padding: p, groups: g)
      XCTAssertEqual(y.count, expected.count)
      for i in 0..<min(y.count, expected.count) { XCTAssertEqual(y.scalars[i], expected[i], accuracy: 1e-3) }
      // The transposed convolution is the adjoint: <conv(x), u> = <x, convT(u)>.
      let u = Tensor.randomNormal(y.shape, using: &rng)
      let lhs = (y * u).sum().scalar
      let geometry = ConvGeometry(
        batch: b, inChannels: ci, height: size, width: size, outChannels: co, kernelH: k, kernelW: k, stride: s,
        padding: p, groups: g)
      let back = conv2dInputGrad(u, w, geometry)
      let rhs = (x * back).sum().scalar
      XCTAssertEqual(lhs, rhs, accuracy: 1e-3 * max(1, Swift.abs(lhs)))
      // And the weight gradient: <conv(x, w), u> = <w, ∂/∂w> (summed over the batch's chunks and images).
      let weightGradient = Kernels.conv2dWeightGrad(x.scalars, u.scalars, geometry)
      XCTAssertEqual(weightGradient.count, w.count)
      let rhsWeights = zip(w.scalars, weightGradient).reduce(Float(0)) { $0 + $1.0 * $1.1 }
      XCTAssertEqual(lhs, rhsWeights, accuracy: 1e-3 * max(1, Swift.abs(lhs)), "weight gradient, config \((b, ci, co, size, k, s, p, g))")
      // Through the graph the weight gradient reuses the forward pass's column matrices (small images): the same
      // numbers, bit for bit, as unfolding x again.
      let trainable = Tensor(shape: w.shape, scalars: w.scalars, requiresGrad: true)
      let viaGraph = gradient(of: (conv2d(x, trainable, stride: s, padding: p, groups: g) * u).sum(), wrt: trainable)
      XCTAssertEqual(viaGraph.scalars, weightGradient, "kept columns, config \((b, ci, co, size, k, s, p, g))")
      // The transposed convolution's two gradients share one unfolding of the incoming gradient: its weight gradient
      // equals the plain kernel's, bit for bit, and its input gradient is the convolution of that gradient.
      let source = Tensor(shape: u.shape, scalars: u.scalars, requiresGrad: true)
      let transposedWeights = Tensor(shape: w.shape, scalars: w.scalars, requiresGrad: true)
      let upstream = Tensor.randomNormal(x.shape, using: &rng)
      let both = gradients(of: (conv2dInputGrad(source, transposedWeights, geometry) * upstream).sum(),
                           wrt: [source, transposedWeights])
      XCTAssertEqual(both[0].scalars, Kernels.conv2d(upstream.scalars, w.scalars, geometry))
      XCTAssertEqual(both[1].scalars, Kernels.conv2dWeightGrad(upstream.scalars, u.scalars, geometry))
    }
  }

  /// Convolutions with at most 4 outputs run directly (Sources/CKernels/thin_conv.c): the same values as through
  /// columns and products within rounding, and the same bits however the work is split across the cores.
  func testThinConvolutionsAgreeWithColumnsAndAnySplit() throws {
    try XCTSkipUnless(Kernels.usesThinPath(ConvGeometry(
      batch: 1, inChannels: 1, height: 16, width: 16, outChannels: 1, kernelH: 1, kernelW: 1, stride: 1, padding: 0,
      groups: 1)), "no AVX-512 on this CPU: convolutions always use columns")
    var rng = SeededGenerator(seed: 41)
    // W6's last layer (reflection-padded 38 x 38, 7 x 7, 16 -> 3), a padded one with a partial vector, one output.
    let geometries = [
      ConvGeometry(batch: 4, inChannels: 16, height: 38, width: 38, outChannels: 3, kernelH: 7, kernelW: 7, stride: 1,
                   padding: 0, groups: 1),
      ConvGeometry(batch: 3, inChannels: 5, height: 21, width: 19, outChannels: 4, kernelH: 3, kernelW: 3, stride: 1,
                   padding: 1, groups: 1),
      ConvGeometry(batch: 2, inChannels: 7, height: 17, width: 40, outChannels: 1, kernelH: 4, kernelW: 2, stride: 1,
                   padding: 2, groups: 1),
    ]
    var columns = KernelThresholds()
    columns.thinConvMinPixels = Int.max
    var serial = KernelThresholds()
    serial.parallelFlops = Int.max
    for g in geometries {
      XCTAssertTrue(Kernels.usesThinPath(g), "\(g)")
      let x = Tensor.randomNormal(g.inputShape, using: &rng).scalars
      let w = Tensor.randomNormal(g.weightShape, using: &rng).scalars
      let gy = Tensor.randomNormal(g.outputShape, using: &rng).scalars
      let direct = (Kernels.conv2d(x, w, g), Kernels.conv2dInputGrad(gy, w, g), Kernels.conv2dWeightGrad(x, gy, g))
      let viaColumns = Kernels.withThresholds(columns) {
        (Kernels.conv2d(x, w, g), Kernels.conv2dInputGrad(gy, w, g), Kernels.conv2dWeightGrad(x, gy, g))
      }
      let oneCore = Kernels.withThresholds(serial) {
        (Kernels.conv2d(x, w, g), Kernels.conv2dInputGrad(gy, w, g), Kernels.conv2dWeightGrad(x, gy, g))
      }
      XCTAssertTrue(direct.0 == oneCore.0 && direct.1 == oneCore.1 && direct.2 == oneCore.2, "split, \(g)")
      // Each output sums in * kh * kw products (a weight gradient: batch * pixels) of N(0, 1) values.
      let taps = Float(g.inChannels * g.kernelH * g.kernelW), pixels = Float(g.batch * g.outHeight * g.outWidth)
      for (name, a, b, terms) in [("forward", direct.0, viaColumns.0, taps),
                                  ("input gradient", direct.1, viaColumns.1, Float(g.outChannels * g.kernelH * g.kernelW)),
                                  ("weight gradient", direct.2, viaColumns.2, pixels)] {
        XCTAssertEqual(a.count, b.count, "\(name), \(g)")
        let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, 1.2e-7 * terms * 6 * terms.squareRoot(), "\(name), \(g)")
        XCTAssertGreaterThan(a.map(abs).max() ?? 0, 1, "\(name) is not all zeros, \(g)")
      }
    }
  }

  /// im2col and col2im take AVX-512 runs for strides 1 and 2 where the CPU has them; they must make exactly the
  /// copies and sums the plain loops make (bit for bit), on every edge case of padding, width and kernel.
  func testIm2colVectorPathEqualsPlainLoops() {
    var rng = SeededGenerator(seed: 11)
    var checked = 0
    for stride in 1...3 {
      for kernel in [1, 2, 3, 4, 7] {
        for padding in 0...3 where padding < kernel + 1 {
          for size in [1, 2, 5, 7, 8, 14, 16, 17, 31, 33, 40] where size + 2 * padding >= kernel {
            let g = ConvGeometry(batch: 3, inChannels: 2, height: size, width: size + 1 - (size % 2), outChannels: 1,
                                 kernelH: kernel, kernelW: kernel, stride: stride, padding: padding, groups: 1)
            guard g.outHeight > 0, g.outWidth > 0 else { continue }
            let x = Tensor.randomNormal(g.inputShape, using: &rng).scalars
            let n = g.columnRows * 2 * g.outHeight * g.outWidth
            var fast = [Float](repeating: .nan, count: n), plain = [Float](repeating: -.nan, count: n)
            x.withUnsafeBufferPointer { px in
              Kernels.im2col(px.baseAddress!, g, first: 1, count: 2, &fast, plain: false)
              Kernels.im2col(px.baseAddress!, g, first: 1, count: 2, &plain, plain: true)
            }
            XCTAssertEqual(fast, plain, "im2col stride \(stride) kernel \(kernel) padding \(padding) size \(size)")
            let cols = Tensor.randomNormal([n], using: &rng).scalars
            var back = x, backPlain = x
            Kernels.col2im(cols, g, first: 1, count: 2, &back, plain: false)
            Kernels.col2im(cols, g, first: 1, count: 2, &backPlain, plain: true)
            XCTAssertEqual(back, backPlain, "col2im stride \(stride) kernel \(kernel) padding \(padding) size \(size)")
            checked += 1
          }
        }
      }
    }
    XCTAssertGreaterThan(checked, 100)
    // On a CPU that has the instructions, the comparison above really was vector path against loops.
    let flags = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
      .split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ").map(String.init) ?? []
    if ["avx512f", "avx512vl", "avx512bw", "avx512dq", "bmi2"].allSatisfy(flags.contains) {
      XCTAssertTrue(Kernels.im2colVectorized(stride: 1) && Kernels.im2colVectorized(stride: 2))
    }
  }

  func testConvTransposeShapes() {
    // DCGAN generator: 1x1 -> 4x4 (stride 1, padding 0), then doubling (stride 2, padding 1).
    let z = Tensor.zeros([2, 100, 1, 1])
    XCTAssertEqual(convTranspose2d(z, Tensor.zeros([100, 512, 4, 4])).shape, [2, 512, 4, 4])
    let h = Tensor.zeros([2, 128, 7, 7])
    XCTAssertEqual(convTranspose2d(h, Tensor.zeros([128, 64, 4, 4]), stride: 2, padding: 1).shape, [2, 64, 14, 14])
    XCTAssertEqual(
      convTranspose2d(h, Tensor.zeros([128, 64, 3, 3]), stride: 2, padding: 1, outputPadding: 1).shape, [2, 64, 14, 14])
  }
}
