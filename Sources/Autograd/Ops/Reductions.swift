// Reductions: sum and max along axes. Both keep the reduced axes as size 1 (`alongAxes`), so the backward rule is a
// broadcast of the incoming gradient; the `squeezingAxes` forms drop them with a reshape.

extension Tensor {
  /// The sum over `axes`, keeping them as size-1 dimensions. d/dx sum = 1 for every element summed.
  public func sum(alongAxes axes: [Int]) -> Tensor {
    let normalized = Set(axes.map { Shape.normalize(axis: $0, rank: rank, op: "sum") }).sorted()
    var shape = self.shape
    var values = scalars
    for axis in normalized {
      values = Kernels.reduce(values, shape: shape, axis: axis, max: false)
      shape[axis] = 1
    }
    let inputShape = self.shape
    return Tensor.record("sum", [self], shape: shape, scalars: values) { g, _, _ in [g.broadcasted(to: inputShape)] }
  }

  public func sum(alongAxes axes: Int...) -> Tensor { sum(alongAxes: axes) }

  /// The sum over `axes`, which are removed from the shape.
  public func sum(squeezingAxes axes: Int...) -> Tensor {
    let normalized = Set(axes.map { Shape.normalize(axis: $0, rank: rank, op: "sum") })
    return sum(alongAxes: Array(normalized)).reshaped(to: shape.enumerated().filter { !normalized.contains($0.offset) }.map(\.element))
  }

  /// The sum of all values, as a scalar.
  public func sum() -> Tensor {
    rank == 0 ? self : sum(alongAxes: Array(0..<rank)).reshaped(to: [])
  }

  /// The mean over `axes`, keeping them as size 1.
  public func mean(alongAxes axes: [Int]) -> Tensor {
    let normalized = Set(axes.map { Shape.normalize(axis: $0, rank: rank, op: "mean") })
    let n = normalized.reduce(1) { $0 * shape[$1] }
    return sum(alongAxes: Array(normalized)) / Float(n)
  }

  public func mean(alongAxes axes: Int...) -> Tensor { mean(alongAxes: axes) }

  /// The mean over `axes`, which are removed from the shape.
  public func mean(squeezingAxes axes: Int...) -> Tensor {
    let normalized = Set(axes.map { Shape.normalize(axis: $0, rank: rank, op: "mean") })
    let n = normalized.reduce(1) { $0 * shape[$1] }
    return sum(alongAxes: Array(normalized)).reshaped(
      to: shape.enumerated().filter { !normalized.contains($0.offset) }.map(\.element)) / Float(n)
  }

  /// The mean of all values, as a scalar.
  public func mean() -> Tensor { sum() / Float(Swift.max(count, 1)) }

  /// The maximum over `axes`, keeping them as size 1. The gradient goes to the elements that equal the maximum
  /// (shared equally between ties).
  public func max(alongAxes axes: [Int]) -> Tensor {
    let normalized = Set(axes.map { Shape.normalize(axis: $0, rank: rank, op: "max") }).sorted()
    var shape = self.shape
    var values = scalars
    for axis in normalized {
      values = Kernels.reduce(values, shape: shape, axis: axis, max: true)
      shape[axis] = 1
    }
    return Tensor.record("max", [self], shape: shape, scalars: values) { g, out, x in
      let mask = x[0].isEqual(out.detached())
      let ties = mask.sum(alongAxes: normalized)
      return [g * (mask / ties)]
    }
  }

  public func max(alongAxes axes: Int...) -> Tensor { max(alongAxes: axes) }

  /// The maximum over `axes`, which are removed from the shape.
  public func max(squeezingAxes axes: Int...) -> Tensor {
    let normalized = Set(axes.map { Shape.normalize(axis: $0, rank: rank, op: "max") })
    return max(alongAxes: Array(normalized)).reshaped(
      to: shape.enumerated().filter { !normalized.contains($0.offset) }.map(\.element))
  }

  /// The largest value, as a scalar.
  public func max() -> Tensor { rank == 0 ? self : max(alongAxes: Array(0..<rank)).reshaped(to: []) }

  /// The index of the largest value along the last axis, for each row (no gradient).
  public func argmaxLastAxis() -> [Int] {
    let n = shape.last ?? 1
    let rows = n == 0 ? 0 : count / n
    return (0..<rows).map { r in
      var best = 0
      for j in 1..<Swift.max(n, 1) where scalars[r * n + j] > scalars[r * n + best] { best = j }
      return best
    }
  }
}
