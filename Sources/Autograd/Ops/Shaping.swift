// Shape primitives: reshape, permute, broadcast, concatenate, slice and padding. Each is linear, and each backward
// rule is its adjoint written with another shape op (slice <-> zero padding, reflection padding <-> its adjoint).

extension Tensor {
  /// The same values under another shape with the same count. One dimension may be -1 (inferred).
  public func reshaped(to newShape: [Int]) -> Tensor {
    var target = newShape
    if let inferred = newShape.firstIndex(of: -1) {
      let known = newShape.enumerated().filter { $0.offset != inferred }.reduce(1) { $0 * $1.element }
      if known == 0 || count % known != 0 {
        shapeFailure(ShapeError(op: "reshape", "cannot infer -1 in \(newShape) from \(shape) (\(count) values)"))
      }
      target[inferred] = count / known
    }
    if target.reduce(1, *) != count {
      shapeFailure(ShapeError(op: "reshape", "cannot reshape \(shape) (\(count) values) to \(newShape)"))
    }
    if target == shape { return self }
    let inputShape = shape
    return Tensor.record("reshaped", [self], shape: target, scalars: scalars) { g, _, _ in [g.reshaped(to: inputShape)] }
  }

  public func reshaped(to newShape: Int...) -> Tensor { reshaped(to: newShape) }

  /// All dimensions but the first merged into one: [N, ...] -> [N, rest].
  public func flattened() -> Tensor { reshaped(to: [shape.first ?? 1, -1]) }

  /// The axes reordered: output axis i is input axis `axes[i]`. The rule applies the inverse permutation.
  public func permuted(_ axes: [Int]) -> Tensor {
    guard axes.sorted() == Array(0..<rank) else {
      shapeFailure(ShapeError(op: "permute", "\(axes) is not a permutation of the axes of \(shape)"))
    }
    if axes == Array(0..<rank) { return self }
    var inverse = [Int](repeating: 0, count: rank)
    for (i, a) in axes.enumerated() { inverse[a] = i }
    let (newShape, values) = Kernels.permute(scalars, shape: shape, axes: axes)
    return Tensor.record("permuted", [self], shape: newShape, scalars: values) { g, _, _ in [g.permuted(inverse)] }
  }

  public func permuted(_ axes: Int...) -> Tensor { permuted(axes) }

  /// The last two axes swapped.
  public func transposed() -> Tensor {
    precondition(rank >= 2, "transposed: needs rank 2 or more, got shape \(shape)")
    var axes = Array(0..<rank)
    axes.swapAt(rank - 1, rank - 2)
    return permuted(axes)
  }

  /// The values repeated along size-1 (or missing leading) dimensions to fill `target`.
  /// The gradient is summed back to this shape (done centrally by the engine).
  public func broadcasted(to target: [Int]) -> Tensor {
    if target == shape { return self }
    guard Shape.canBroadcast(shape, to: target) else {
      shapeFailure(ShapeError(op: "broadcast", "shape \(shape) cannot be broadcast to \(target)"))
    }
    let values = broadcastValues(to: target)
    return Tensor.record("broadcasted", [self], shape: target, scalars: values) { g, _, _ in [g] }
  }

  /// The sum of broadcast copies back to `target` (the adjoint of `broadcasted(to:)`).
  public func summed(toShape target: [Int]) -> Tensor {
    if target == shape { return self }
    guard Shape.canBroadcast(target, to: shape) else {
      shapeFailure(ShapeError(op: "sumToShape", "shape \(shape) cannot be summed to \(target)"))
    }
    let offset = rank - target.count
    var axes = Array(0..<offset)
    for (i, d) in target.enumerated() where d == 1 && shape[i + offset] != 1 { axes.append(i + offset) }
    let summed = axes.isEmpty ? self : sum(alongAxes: axes)
    return summed.reshaped(to: target)
  }

  /// A view of a box: `lower[i]..<upper[i]` along each axis. The rule zero-pads the gradient back.
  public func sliced(lower: [Int], upper: [Int]) -> Tensor {
    guard lower.count == rank, upper.count == rank,
      zip(lower, upper).enumerated().allSatisfy({ $0.element.0 >= 0 && $0.element.0 <= $0.element.1 && $0.element.1 <= shape[$0.offset] })
    else {
      shapeFailure(ShapeError(op: "slice", "bounds \(lower)..<\(upper) do not fit shape \(shape)"))
    }
    let newShape = zip(lower, upper).map { $1 - $0 }
    if newShape == shape { return self }
    let values = Kernels.copyBox(scalars, from: shape, offset: lower, to: newShape, into: nil, placedAt: nil)
    let after = zip(shape, upper).map { $0 - $1 }
    return Tensor.record("sliced", [self], shape: newShape, scalars: values) { g, _, _ in
      [g.padded(before: lower, after: after)]
    }
  }

  /// The part of one axis in `range`.
  public func sliced(axis: Int, _ range: Range<Int>) -> Tensor {
    let a = Shape.normalize(axis: axis, rank: rank, op: "slice")
    var lower = [Int](repeating: 0, count: rank), upper = shape
    lower[a] = range.lowerBound
    upper[a] = range.upperBound
    return sliced(lower: lower, upper: upper)
  }

  /// Zeros added before and after each axis. The rule slices the gradient back out.
  public func padded(before: [Int], after: [Int]) -> Tensor {
    guard before.count == rank, after.count == rank, (before + after).allSatisfy({ $0 >= 0 }) else {
      shapeFailure(ShapeError(op: "pad", "padding \(before)/\(after) does not fit shape \(shape)"))
    }
    let newShape = (0..<rank).map { shape[$0] + before[$0] + after[$0] }
    if newShape == shape { return self }
    let values = Kernels.copyBox(scalars, from: shape, offset: nil, to: newShape, into: nil, placedAt: before)
    let inputShape = shape
    return Tensor.record("padded", [self], shape: newShape, scalars: values) { g, _, _ in
      [g.sliced(lower: before, upper: zip(before, inputShape).map { $0 + $1 })]
    }
  }

  /// Zero padding of the last two axes (images): `padding` rows above and below, columns left and right.
  public func zeroPadded2D(_ padding: Int) -> Tensor {
    precondition(rank >= 2, "zeroPadded2D: needs rank 2 or more, got \(shape)")
    let before = [Int](repeating: 0, count: rank - 2) + [padding, padding]
    return padded(before: before, after: before)
  }

  /// Reflection padding of the last two axes, as in CycleGAN's generator: the border mirrors the image without
  /// repeating the edge pixel. The rule is the adjoint, which folds gradient from the border back in.
  public func reflectionPadded2D(_ padding: Int) -> Tensor {
    precondition(rank >= 2, "reflectionPadded2D: needs rank 2 or more, got \(shape)")
    let h = shape[rank - 2], w = shape[rank - 1]
    if padding == 0 { return self }
    guard padding < h && padding < w else {
      shapeFailure(ShapeError(op: "reflectionPad", "padding \(padding) needs height and width above it, got \(shape)"))
    }
    let values = Kernels.reflectionPad(scalars, shape: shape, padding: padding)
    var newShape = shape
    newShape[rank - 2] += 2 * padding
    newShape[rank - 1] += 2 * padding
    return Tensor.record("reflectionPadded2D", [self], shape: newShape, scalars: values) { g, _, _ in
      [g.reflectionPadAdjoint(padding)]
    }
  }

  /// The adjoint of `reflectionPadded2D`: each border value is added back onto the pixel it mirrors.
  func reflectionPadAdjoint(_ padding: Int) -> Tensor {
    let values = Kernels.reflectionPadAdjoint(scalars, shape: shape, padding: padding)
    var newShape = shape
    newShape[rank - 2] -= 2 * padding
    newShape[rank - 1] -= 2 * padding
    return Tensor.record("reflectionPadAdjoint", [self], shape: newShape, scalars: values) { g, _, _ in
      [g.reflectionPadded2D(padding)]
    }
  }
}

/// The tensors joined along `axis` (every other dimension must agree). The rule slices the gradient apart.
public func concatenate(_ tensors: [Tensor], alongAxis axis: Int) -> Tensor {
  precondition(!tensors.isEmpty, "concatenate: no tensors")
  let first = tensors[0]
  let a = Shape.normalize(axis: axis, rank: first.rank, op: "concatenate")
  for t in tensors where t.rank != first.rank || (0..<first.rank).contains(where: { $0 != a && t.shape[$0] != first.shape[$0] }) {
    shapeFailure(ShapeError(op: "concatenate", "shapes \(first.shape) and \(t.shape) differ off axis \(a)"))
  }
  if tensors.count == 1 { return first }
  var shape = first.shape
  shape[a] = tensors.reduce(0) { $0 + $1.shape[a] }
  let outer = first.shape[..<a].reduce(1, *)
  let rowLength = shape[a...].reduce(1, *)
  var out = [Float](repeating: 0, count: shape.reduce(1, *))
  var offset = 0
  for t in tensors {
    let inner = t.shape[a...].reduce(1, *)
    t.scalars.withUnsafeBufferPointer { src in
      out.withUnsafeMutableBufferPointer { dst in
        for o in 0..<outer where inner > 0 {
          (dst.baseAddress! + o * rowLength + offset).update(from: src.baseAddress! + o * inner, count: inner)
        }
      }
    }
    offset += inner
  }
  let sizes = tensors.map { $0.shape[a] }
  return Tensor.record("concatenate", tensors, shape: shape, scalars: out) { g, _, _ in
    var start = 0
    return sizes.map { size in
      defer { start += size }
      return g.sliced(axis: a, start..<(start + size))
    }
  }
}

extension Tensor {
  /// Joined with `other` along `axis`.
  public func concatenated(with other: Tensor, alongAxis axis: Int) -> Tensor {
    concatenate([self, other], alongAxis: axis)
  }
}
