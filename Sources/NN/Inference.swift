import Autograd

/// `body` applied to `input` in slices of at most `batchSize` examples (the first axis), without recording gradients,
/// and the results joined along the first axis: inference on more examples than one batch should hold. Each slice
/// is computed exactly as a call on that slice alone (layers in training mode still use the slice's own batch
/// statistics, as during training).
///
/// ```swift
/// let samples = inBatches(noise, of: 250) { generator($0) }
/// ```
public func inBatches(_ input: Tensor, of batchSize: Int, _ body: (Tensor) -> Tensor) -> Tensor {
  precondition(batchSize >= 1 && input.rank >= 1, "inBatches: batch size \(batchSize) for input \(input.shape)")
  let count = input.shape[0]
  let parts: [Tensor] = withoutGradients {
    stride(from: 0, to: count, by: batchSize).map { start in
      let end = Swift.min(count, start + batchSize)
      return body(start == 0 && end == count ? input : input.sliced(axis: 0, start..<end)).detached()
    }
  }
  if parts.count == 1 { return parts[0] }
  return concatenate(parts, alongAxis: 0).detached()
}
