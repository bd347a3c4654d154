// Composite functions: built from the primitives, with no backward rule of their own, so every derivative order
// comes for free. Written in numerically stable forms (no exp of a large positive number).

/// max(x, 0): x times the constant mask [x > 0], so the gradient is 1 where x > 0 and 0 elsewhere, and every higher
/// derivative is 0. The product is taken in one pass (the same values as multiplying by the mask).
public func relu(_ x: Tensor) -> Tensor { leakyReLU(x, slope: 0) }

/// x where x > 0, slope * x elsewhere (DCGAN's discriminators use slope 0.2): x times the constant mask
/// (1 where x > 0, else slope), in one pass. Its rule multiplies by the same mask, so it closes under differentiation.
public func leakyReLU(_ x: Tensor, slope: Float = 0.2) -> Tensor {
  Tensor.record("leakyReLU", [x], shape: x.shape, scalars: Kernels.leakyReLU(x.scalars, slope: slope)) { g, _, x in
    [g * Tensor(shape: x[0].shape, scalars: Kernels.leakyMask(x[0].scalars, slope: slope))]
  }
}

/// log(1 + e^x), computed as m + log(e^(x - m) + e^-m) with the constant shift m = max(x, 0), so that no exponential
/// overflows. The value and all its derivatives are the same for every constant m (the first is σ(x)), so the gradient
/// is exact everywhere, x = 0 included: the usual max(x, 0) + log(1 + e^-|x|) gives 0 there instead of 1/2, from the
/// kinks of max and |x| (the Dirac-GAN of lesson 09 sits exactly at that point).
public func softplus(_ x: Tensor) -> Tensor {
  let shift = relu(x).detached()
  return shift + log(exp(x - shift) + exp(-shift))
}

/// 1 / (1 + e^-x), computed as e^-softplus(-x) so that no exponential overflows.
public func sigmoid(_ x: Tensor) -> Tensor { exp(-softplus(-x)) }

/// log σ(x) = -softplus(-x).
public func logSigmoid(_ x: Tensor) -> Tensor { -softplus(-x) }

/// tanh x = 2σ(2x) - 1.
public func tanh(_ x: Tensor) -> Tensor { 2 * sigmoid(2 * x) - 1 }

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
