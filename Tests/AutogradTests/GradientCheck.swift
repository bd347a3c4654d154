import XCTest

@testable import Autograd

/// Central finite differences against the engine, at first and second order.
///
/// For a case y = f(x1, ..., xk) the test loss is L = Σ (r ⊙ y + ½ y²) with a fixed random r: the quadratic term
/// makes even a linear op's second derivative non-trivial. The finite differences accumulate L in Double from the
/// Float32 values f produces, so Float32 rounding enters only through f itself.
/// - First order: ∂L/∂x from the engine vs (L(x + εe) - L(x - εe)) / 2ε for every element.
/// - Second order: with a fixed random v, h(x) = <∂L/∂x, v> where ∂L/∂x comes from the engine with
///   `createGraph: true`; ∂h/∂x from the engine (differentiating the backward rules) vs central differences of h.
struct GradientCase {
  let name: String
  let inputs: [Tensor]
  let function: ([Tensor]) -> Tensor
  /// Whether the second-order check applies (false only for ops whose second derivative is a distribution,
  /// e.g. the kink of abs at 0 — the inputs here stay away from kinks, so this is true for every case).
  var secondOrder = true
}

enum GradientCheck {
  /// The step. The five-point stencil's truncation error is O(ε⁴), so a larger step keeps Float32 rounding in f
  /// (which enters as ~ulp/ε) small without a visible truncation error.
  static let epsilon: Float = 1e-2
  /// |engine - finite difference| <= absolute + relative * |finite difference|, element by element.
  static let absolute: Double = 2e-3
  static let relative: Double = 1e-2

  static func weights(_ count: Int, seed: UInt64) -> [Float] {
    var rng = SeededGenerator(seed: seed)
    return (0..<count).map { _ in rng.nextNormal() }
  }

  /// L in Double from f's Float32 output.
  static func loss(_ y: Tensor, _ r: [Float]) -> Double {
    var total = 0.0
    for (value, weight) in zip(y.scalars, r) {
      let v = Double(value)
      total += Double(weight) * v + 0.5 * v * v
    }
    return total
  }

  /// L built from engine ops, for differentiation.
  static func engineLoss(_ y: Tensor, _ r: [Float]) -> Tensor {
    (Tensor(shape: y.shape, scalars: r) * y + 0.5 * y * y).sum()
  }

  static func fresh(_ inputs: [Tensor]) -> [Tensor] {
    inputs.map { Tensor(shape: $0.shape, scalars: $0.scalars, requiresGrad: true) }
  }

  static func check(_ c: GradientCase, file: StaticString = #filePath, line: UInt = #line) -> Set<String> {
    var ops = Set<String>()
    let y0 = c.function(fresh(c.inputs))
    let r = weights(y0.count, seed: 11)

    // First order.
    let xs = fresh(c.inputs)
    let y = c.function(xs)
    collectOps(y, into: &ops)
    let grads = gradients(of: engineLoss(y, r), wrt: xs)
    for (k, input) in c.inputs.enumerated() {
      XCTAssertEqual(grads[k].shape, input.shape, "\(c.name): gradient shape for input \(k)", file: file, line: line)
      for i in 0..<input.count {
        let fd = difference(c, input: k, element: i) { loss(c.function($0), r) }
        compare(Double(grads[k].scalars[i]), fd, "\(c.name): d/dx\(k)[\(i)]", file: file, line: line)
      }
    }
    guard c.secondOrder else { return ops }

    // Second order.
    let vs = c.inputs.enumerated().map { k, input in weights(input.count, seed: 101 + UInt64(k)) }
    func h(_ inputs: [Tensor], createGraph: Bool) -> Tensor {
      let y = c.function(inputs)
      let g = gradients(of: engineLoss(y, r), wrt: inputs, createGraph: createGraph)
      var total = Tensor(0)
      for (k, gk) in g.enumerated() { total = total + (gk * Tensor(shape: gk.shape, scalars: vs[k])).sum() }
      return total
    }
    let xs2 = fresh(c.inputs)
    let hx = h(xs2, createGraph: true)
    collectOps(hx, into: &ops)
    let second = gradients(of: hx, wrt: xs2)
    for (k, input) in c.inputs.enumerated() {
      for i in 0..<input.count {
        let fd = difference(c, input: k, element: i) { inputs in
          Double(h(inputs.map { Tensor(shape: $0.shape, scalars: $0.scalars, requiresGrad: true) }, createGraph: false).scalar)
        }
        compare(Double(second[k].scalars[i]), fd, "\(c.name): d²/dx\(k)[\(i)]", file: file, line: line)
      }
    }
    return ops
  }

  /// The five-point central difference [-f(x+2h) + 8f(x+h) - 8f(x-h) + f(x-2h)] / 12h in element i of input k.
  static func difference(_ c: GradientCase, input k: Int, element i: Int, _ f: ([Tensor]) -> Double) -> Double {
    let x = c.inputs[k].scalars[i]
    let h = epsilon * max(1, Swift.abs(x))
    func at(_ offset: Float) -> Double {
      let inputs = c.inputs.map { $0.detached() }
      inputs[k].scalars[i] = x + offset
      return f(inputs)
    }
    return (-at(2 * h) + 8 * at(h) - 8 * at(-h) + at(-2 * h)) / (12 * Double(h))
  }

  static func compare(_ engine: Double, _ fd: Double, _ what: String, file: StaticString, line: UInt) {
    let ok = Swift.abs(engine - fd) <= absolute + relative * Swift.abs(fd)
    XCTAssertTrue(ok, "\(what): engine \(engine) vs finite difference \(fd)", file: file, line: line)
  }

  static func collectOps(_ root: Tensor, into ops: inout Set<String>) {
    for t in topologicalOrder(from: root) { if let node = t.node { ops.insert(node.op) } }
  }
}
