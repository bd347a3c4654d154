import CKernels

extension Kernels {
  /// One Adam step without weight decay on `count` values, in place:
  /// m = m + (1 - β1)(g - m), v = β2 v + (1 - β2) g², θ = θ - stepSize · m / (√v / √(1 - β2ᵗ) + ε).
  /// The arithmetic of NN.Adam's reference loop, operation for operation and without fused multiply-adds, so the
  /// results are the same bit for bit; in C because Swift kept the loop scalar, with a call to sqrtf per element
  /// (Sources/CKernels/optim.c).
  public static func adamUpdate(
    theta: UnsafeMutablePointer<Float>, gradient: UnsafePointer<Float>, m: UnsafeMutablePointer<Float>,
    v: UnsafeMutablePointer<Float>, count: Int, beta1: Float, beta2: Float, stepSize: Float,
    biasCorrection2Root: Float, epsilon: Float
  ) {
    gc_adam_update(theta, gradient, m, v, count, beta2, 1 - beta1, 1 - beta2, stepSize, biasCorrection2Root, epsilon)
  }
}
