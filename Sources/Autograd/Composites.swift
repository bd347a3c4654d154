// Composite functions: built from the primitives, with no backward rule of their own, so every derivative order
// comes for free. Written in numerically stable forms (no exp of a large positive number).

/// max(x, 0): x times the constant mask [x > 0], so the gradient is 1 where x > 0 and 0 elsewhere, and every higher
/// derivative is 0. The product is taken in one pass (the same values as multiplying by the mask).
public func relu(_ x: Tensor) -> Tensor { leakyReLU(x, slope: 0) }

/// x where x > 0, slope * x elsewhere (DCGAN's discriminators use slope 0.2): x times the constant mask
/// (1 where x > 0, else slope), in one pass. Its rule multiplies by the same mask, so it closes under differentiation.
public func leakyReLU(_ x: Tensor, slope: Float = 0.2) -> Tensor {
  Tensor.record("leakyReLU", [x], shape: x.shape, scalars: Kernels.leakyReLU(x.scalars, slope: slope)) { g, _, x in
    [leakyMaskProduct(g, at: x[0], slope: slope)]
  }
}

/// g times leaky ReLU's derivative at x (1 where x > 0, else slope): leaky ReLU's rule, in one pass rather than a mask
/// and a product (the same values). The mask is a constant of x, so this op is linear in g and its rule is itself.
func leakyMaskProduct(_ g: Tensor, at x: Tensor, slope: Float) -> Tensor {
  let product = Kernels.binary(g, x, .leakyMaskProduct(slope), op: "leakyReLU's rule")
  return Tensor.record("leakyMaskProduct", [g], shape: product.shape, scalars: product.values) { gg, _, _ in
    [leakyMaskProduct(gg, at: x, slope: slope)]
  }
}

/// The side of 0 each value is on, as constants: `positive` is 1 where x > 0 (else 0), `sign` is +1 there and -1
/// elsewhere (0 included). Multiplying by a constant sign gives |x| with the derivative ±1 and no kink: each side's
/// formula below is an identity for all x, the sign only picks the one that does not overflow, so every derivative
/// is the exact derivative of the function, at x = 0 too.
private func sides(_ x: Tensor) -> (positive: Tensor, sign: Tensor) {
  let positive = x.isGreater(0)
  return (positive, 2 * positive - 1)
}

/// log(1 + e^x) = max(x, 0) + log1p(e^-|x|), with max(x, 0) and |x| through the constant sides of `sides(_:)`:
/// x + log1p(e^-x) and log1p(e^x) are both exact for every x, so the first derivative is σ(x) everywhere, 1/2 at
/// x = 0 (a max and |x| with their own kinks would give 0 there; the Dirac-GAN of lesson 09 sits exactly at that point).
/// log1p keeps full precision far below 0, where log(1 + e^x) rounds 1 + e^x to 1 and returns 0; e^-|x| never
/// overflows.
public func softplus(_ x: Tensor) -> Tensor {
  let (positive, sign) = sides(x)
  // `where` rather than x * positive: at x = -inf the product is NaN, the selection 0.
  return `where`(positive, x, Tensor(0)) + log1p(exp(-(sign * x)))
}

/// 1 / (1 + e^-x), computed as e^-softplus(-x) so that no exponential overflows.
public func sigmoid(_ x: Tensor) -> Tensor { exp(-softplus(-x)) }

/// log σ(x) = -softplus(-x).
public func logSigmoid(_ x: Tensor) -> Tensor { -softplus(-x) }

/// tanh x = sign(x) (1 - e^-2|x|) / (1 + e^-2|x|) = -sign(x) u / (2 + u) with u = expm1(-2|x|) in (-1, 0]. expm1 keeps
/// full relative precision at tiny |x| (2σ(2x) - 1 or 1 - e^-2|x| cancel there: tanh(1e-8) came out 0), and e^-2|x|
/// never overflows. The derivative, (1 - tanh²) computed this way as 4e^-2|x| / (1 + e^-2|x|)², stays accurate far out
/// where 1 - tanh² would be 0 in Float32.
public func tanh(_ x: Tensor) -> Tensor {
  let sign = sides(x).sign
  let u = expm1(-2 * sign * x)
  return -sign * u / (2 + u)
}

/// log softmax along `axis`: x - max - log Σ e^(x - max). The max is a constant shift (it cancels in the value).
public func logSoftmax(_ x: Tensor, axis: Int = -1) -> Tensor {
  let shifted = x - x.max(alongAxes: axis).detached()
  return shifted - log(exp(shifted).sum(alongAxes: axis))
}

/// softmax along `axis`.
public func softmax(_ x: Tensor, axis: Int = -1) -> Tensor { exp(logSoftmax(x, axis: axis)) }

/// Mean binary cross-entropy of σ(logits) against targets in [0, 1]:
/// -[t log σ(x) + (1 - t) log(1 - σ(x))] = softplus(x) - t x.
public func binaryCrossEntropy(logits: Tensor, targets: Tensor) -> Tensor {
  (softplus(logits) - logits * targets).mean()
}

/// Mean binary cross-entropy against one target value for the whole batch (1 = real, 0 = fake).
public func binaryCrossEntropy(logits: Tensor, target: Float) -> Tensor {
  target == 0 ? softplus(logits).mean() : (softplus(logits) - target * logits).mean()
}

/// Mean cross-entropy of logits [N, classes] against integer labels.
public func crossEntropy(logits: Tensor, labels: [Int]) -> Tensor {
  precondition(logits.rank == 2 && logits.shape[0] == labels.count,
               "crossEntropy: logits \(logits.shape) do not match \(labels.count) labels")
  let classes = logits.shape[1]
  var oneHot = [Float](repeating: 0, count: logits.count)
  for (i, label) in labels.enumerated() {
    precondition(label >= 0 && label < classes, "crossEntropy: label \(label) is outside 0..<\(classes)")
    oneHot[i * classes + label] = 1
  }
  return -(logSoftmax(logits) * Tensor(shape: logits.shape, scalars: oneHot)).sum() / Float(labels.count)
}

/// Mean squared error.
public func meanSquaredError(_ prediction: Tensor, _ target: Tensor) -> Tensor { pow(prediction - target, 2).mean() }

/// Mean absolute error (L1).
public func meanAbsoluteError(_ prediction: Tensor, _ target: Tensor) -> Tensor { abs(prediction - target).mean() }

extension Tensor {
  /// The Euclidean norm of each row of a batch ([N, ...] -> [N]), with a small epsilon inside the root so the
  /// gradient stays finite at zero.
  public func rowNorms(epsilon: Float = 1e-12) -> Tensor {
    sqrt(pow(self.flattened(), 2).sum(squeezingAxes: 1) + epsilon)
  }
}
