// Element-wise primitives. Each one: the forward kernel, then its backward rule in differentiable ops.
// Binary ops broadcast; their rules return gradients in the output's shape and `gradients(of:wrt:)` sums them back.

// MARK: - Binary

/// a + b. Both inputs receive the incoming gradient.
public func + (a: Tensor, b: Tensor) -> Tensor {
  let (shape, values) = Kernels.binary(a, b, .add, op: "add")
  return Tensor.record("add", [a, b], shape: shape, scalars: values) { g, _, _ in [g, g] }
}

/// a - b. d/da = 1, d/db = -1.
public func - (a: Tensor, b: Tensor) -> Tensor {
  let (shape, values) = Kernels.binary(a, b, .subtract, op: "sub")
  return Tensor.record("sub", [a, b], shape: shape, scalars: values) { g, _, _ in [g, -g] }
}

/// a * b. Each input receives the gradient times the other input.
public func * (a: Tensor, b: Tensor) -> Tensor {
  let (shape, values) = Kernels.binary(a, b, .multiply, op: "mul")
  return Tensor.record("mul", [a, b], shape: shape, scalars: values) { g, _, x in [g * x[1], g * x[0]] }
}

/// a / b. d/da = 1/b, d/db = -a/b² = -out/b.
public func / (a: Tensor, b: Tensor) -> Tensor {
  let (shape, values) = Kernels.binary(a, b, .divide, op: "div")
  return Tensor.record("div", [a, b], shape: shape, scalars: values) { g, out, x in
    [g / x[1], -(g * out) / x[1]]
  }
}

/// The larger of a and b, element-wise. The gradient goes to a where a >= b, to b elsewhere.
public func maximum(_ a: Tensor, _ b: Tensor) -> Tensor {
  let (shape, values) = Kernels.binary(a, b, .maximum, op: "maximum")
  return Tensor.record("maximum", [a, b], shape: shape, scalars: values) { g, _, x in
    let takeA = x[0].isGreaterOrEqual(x[1])
    return [g * takeA, g * (1 - takeA)]
  }
}

/// The smaller of a and b, element-wise. The gradient goes to a where a <= b, to b elsewhere.
public func minimum(_ a: Tensor, _ b: Tensor) -> Tensor {
  let (shape, values) = Kernels.binary(a, b, .minimum, op: "minimum")
  return Tensor.record("minimum", [a, b], shape: shape, scalars: values) { g, _, x in
    let takeA = x[0].isLessOrEqual(x[1])
    return [g * takeA, g * (1 - takeA)]
  }
}

// MARK: - Unary

/// -x.
public prefix func - (x: Tensor) -> Tensor {
  Tensor.record("neg", [x], shape: x.shape, scalars: Kernels.negate(x.scalars)) { g, _, _ in [-g] }
}

/// e^x. d/dx e^x = e^x, so the rule reuses the output.
public func exp(_ x: Tensor) -> Tensor {
  Tensor.record("exp", [x], shape: x.shape, scalars: Kernels.exp(x.scalars)) { g, out, _ in [g * out] }
}

/// e^x - 1, accurate to full relative precision near 0 where exp(x) - 1 would cancel (the composites' tanh needs it).
/// d/dx = e^x, taken from the input rather than as out + 1: far below 0 the output is -1 to Float32 and out + 1 would
/// be 0, while e^x is still a normal number with every bit.
public func expm1(_ x: Tensor) -> Tensor {
  Tensor.record("expm1", [x], shape: x.shape, scalars: Kernels.expm1(x.scalars)) { g, _, x in [g * exp(x[0])] }
}

/// log(1 + x), accurate to full relative precision for tiny x, where 1 + x would round to 1 (the composites'
/// softplus needs it). d/dx = 1/(1 + x).
public func log1p(_ x: Tensor) -> Tensor {
  Tensor.record("log1p", [x], shape: x.shape, scalars: Kernels.log1p(x.scalars)) { g, _, x in [g / (1 + x[0])] }
}

/// Natural logarithm. d/dx log x = 1/x.
public func log(_ x: Tensor) -> Tensor {
  Tensor.record("log", [x], shape: x.shape, scalars: Kernels.log(x.scalars)) { g, _, x in [g / x[0]] }
}

/// x^p for a constant exponent p. d/dx x^p = p x^(p-1).
public func pow(_ x: Tensor, _ p: Float) -> Tensor {
  Tensor.record("pow", [x], shape: x.shape, scalars: Kernels.pow(x.scalars, p)) { g, _, x in
    [g * (p * pow(x[0], p - 1))]
  }
}

/// Square root. d/dx √x = 1/(2√x), which reuses the output.
public func sqrt(_ x: Tensor) -> Tensor {
  Tensor.record("sqrt", [x], shape: x.shape, scalars: Kernels.sqrt(x.scalars)) { g, out, _ in [g / (2 * out)] }
}

/// |x|. d/dx |x| = sign(x) (0 at 0); sign is piecewise constant, so its own derivative is 0.
public func abs(_ x: Tensor) -> Tensor {
  Tensor.record("abs", [x], shape: x.shape, scalars: Kernels.abs(x.scalars)) { g, _, x in
    [g * Tensor(shape: x[0].shape, scalars: Kernels.sign(x[0].scalars))]
  }
}

/// x limited to [low, high]. The gradient passes where x is inside the range.
public func clamp(_ x: Tensor, min low: Float, max high: Float) -> Tensor {
  precondition(low <= high, "clamp: min \(low) is above max \(high)")
  return Tensor.record("clamp", [x], shape: x.shape, scalars: Kernels.clamp(x.scalars, low, high)) { g, _, x in
    let inside = Kernels.insideMask(x[0].scalars, low, high)
    return [g * Tensor(shape: x[0].shape, scalars: inside)]
  }
}

/// Picks `a` where `condition` is non-zero and `b` elsewhere (all three broadcast together).
/// The condition is a mask (a constant): gradients flow to `a` and `b` only.
public func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
  let shape: [Int]
  do {
    shape = try Shape.broadcast(try Shape.broadcast(condition.shape, a.shape, op: "where"), b.shape, op: "where")
  } catch { shapeFailure(error) }
  let c = condition.broadcastValues(to: shape), va = a.broadcastValues(to: shape), vb = b.broadcastValues(to: shape)
  var out = [Float](repeating: 0, count: c.count)
  for i in 0..<c.count { out[i] = c[i] != 0 ? va[i] : vb[i] }
  return Tensor.record("where", [a, b], shape: shape, scalars: out) { g, _, _ in
    let zero = Tensor(0)
    return [`where`(condition, g, zero), `where`(condition, zero, g)]
  }
}

// MARK: - Scalars on either side

public func + (a: Tensor, b: Float) -> Tensor { a + Tensor(b) }
public func + (a: Float, b: Tensor) -> Tensor { Tensor(a) + b }
public func - (a: Tensor, b: Float) -> Tensor { a - Tensor(b) }
public func - (a: Float, b: Tensor) -> Tensor { Tensor(a) - b }
public func * (a: Tensor, b: Float) -> Tensor { a * Tensor(b) }
public func * (a: Float, b: Tensor) -> Tensor { Tensor(a) * b }
public func / (a: Tensor, b: Float) -> Tensor { a / Tensor(b) }
public func / (a: Float, b: Tensor) -> Tensor { Tensor(a) / b }

// MARK: - Comparison masks (constants: no gradient flows through a comparison)

extension Tensor {
  private func compare(_ other: Tensor, _ op: String, _ test: (Float, Float) -> Bool) -> Tensor {
    let shape: [Int]
    do { shape = try Shape.broadcast(self.shape, other.shape, op: op) } catch { shapeFailure(error) }
    let a = broadcastValues(to: shape), b = other.broadcastValues(to: shape)
    var out = [Float](repeating: 0, count: a.count)
    for i in 0..<a.count where test(a[i], b[i]) { out[i] = 1 }
    return Tensor(shape: shape, scalars: out)
  }

  /// 1 where self > other, else 0.
  public func isGreater(_ other: Tensor) -> Tensor { compare(other, "isGreater") { $0 > $1 } }
  /// 1 where self >= other, else 0.
  public func isGreaterOrEqual(_ other: Tensor) -> Tensor { compare(other, "isGreaterOrEqual") { $0 >= $1 } }
  /// 1 where self < other, else 0.
  public func isLess(_ other: Tensor) -> Tensor { compare(other, "isLess") { $0 < $1 } }
  /// 1 where self <= other, else 0.
  public func isLessOrEqual(_ other: Tensor) -> Tensor { compare(other, "isLessOrEqual") { $0 <= $1 } }
  /// 1 where self == other, else 0.
  public func isEqual(_ other: Tensor) -> Tensor { compare(other, "isEqual") { $0 == $1 } }

  public func isGreater(_ value: Float) -> Tensor { Tensor(shape: shape, scalars: Kernels.greaterMask(scalars, value)) }
  public func isLess(_ value: Float) -> Tensor { isLess(Tensor(value)) }

  /// The values repeated out to a broadcast shape (a plain array, outside the graph).
  func broadcastValues(to shape: [Int]) -> [Float] {
    if self.shape == shape { return scalars }
    return Kernels.broadcast(scalars, from: self.shape, to: shape)
  }
}
