import Foundation
import XCTest

@testable import NN

/// Central finite differences in Double of a Float32 function, against the engine's first and second derivatives.
///
/// The test loss is L = Σ (r ⊙ y + ½ y²) with fixed random r (the quadratic term gives every op a non-trivial second
/// derivative). First order: ∂L/∂x vs the five-point stencil. Second order: h(x) = <∂L/∂x, v> built with
/// `createGraph: true`, and ∂h/∂x from the engine vs the stencil of h.
enum FiniteDifferences {
  static let epsilon: Float = 1e-2
  static let absolute = 2e-3
  static let relative = 1e-2

  static func randomValues(_ count: Int, seed: UInt64) -> [Float] {
    var generator = SeededGenerator(seed: seed)
    return (0..<count).map { _ in generator.nextNormal() }
  }

  static func check(
    _ name: String, inputs: [Tensor], secondOrder: Bool = true, _ function: @escaping ([Tensor]) -> Tensor,
    file: StaticString = #filePath, line: UInt = #line
  ) {
    func fresh() -> [Tensor] { inputs.map { Tensor(shape: $0.shape, scalars: $0.scalars, requiresGrad: true) } }
    let r = randomValues(function(fresh()).count, seed: 11)
    func doubleLoss(_ y: Tensor) -> Double {
      zip(y.scalars, r).reduce(0.0) { total, pair in total + Double(pair.1) * Double(pair.0) + 0.5 * Double(pair.0) * Double(pair.0) }
    }
    func engineLoss(_ y: Tensor) -> Tensor { (Tensor(shape: y.shape, scalars: r) * y + 0.5 * y * y).sum() }
    /// The five-point stencil of `value` in element `i` of input `k`.
    func stencil(_ k: Int, _ i: Int, _ value: ([Tensor]) -> Double) -> Double {
      func at(_ offset: Float) -> Double {
        let shifted = fresh()
        shifted[k].scalars[i] += offset
        return value(shifted)
      }
      let e = epsilon
      return (-at(2 * e) + 8 * at(e) - 8 * at(-e) + at(-2 * e)) / (12 * Double(e))
    }
    func compare(_ engine: Float, _ reference: Double, _ what: String) {
      let error = abs(Double(engine) - reference)
      XCTAssertLessThanOrEqual(
        error, absolute + relative * abs(reference), "\(name): \(what): engine \(engine), finite difference \(reference)",
        file: file, line: line)
    }

    let xs = fresh()
    let grads = gradients(of: engineLoss(function(xs)), wrt: xs)
    for k in inputs.indices {
      for i in 0..<inputs[k].count {
        compare(grads[k].scalars[i], stencil(k, i) { doubleLoss(function($0)) }, "dL/dx\(k)[\(i)]")
      }
    }
    guard secondOrder else { return }
    let vs = inputs.indices.map { randomValues(inputs[$0].count, seed: 101 + UInt64($0)) }
    func h(_ xs: [Tensor], createGraph: Bool) -> Tensor {
      let g = gradients(of: engineLoss(function(xs)), wrt: xs, createGraph: createGraph)
      return g.indices.map { (g[$0] * Tensor(shape: g[$0].shape, scalars: vs[$0])).sum() }.reduce(Tensor(0), +)
    }
    let ys = fresh()
    let secondGrads = gradients(of: h(ys, createGraph: true), wrt: ys)
    for k in inputs.indices {
      for i in 0..<inputs[k].count {
        let reference = stencil(k, i) { Double(h($0, createGraph: false).scalar) }
        compare(secondGrads[k].scalars[i], reference, "d<dL/dx, v>/dx\(k)[\(i)]")
      }
    }
  }
}

/// A fresh empty folder for a test's files, removed at the end of the test.
func temporaryFolder(_ test: XCTestCase) throws -> URL {
  let url = FileManager.default.temporaryDirectory.appendingPathComponent("nn-tests-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
  return url
}

/// Every parameter and buffer value of a module, by path (a snapshot to compare against).
func snapshot(_ module: Module) -> [String: [Float]] { module.stateTensors().mapValues(\.scalars) }

/// Bit patterns, so that comparisons are exact (and NaN-safe).
func bits(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }

func assertClose(
  _ actual: [Float], _ expected: [Double], tolerance: Double, _ message: String = "",
  file: StaticString = #filePath, line: UInt = #line
) {
  XCTAssertEqual(actual.count, expected.count, "\(message): count", file: file, line: line)
  for (i, (a, e)) in zip(actual, expected).enumerated() {
    XCTAssertLessThanOrEqual(
      abs(Double(a) - e), tolerance * max(1, abs(e)), "\(message)[\(i)]: \(a) vs expected \(e)", file: file, line: line)
  }
}
