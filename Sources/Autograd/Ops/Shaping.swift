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

extension Kernels {
  /// Output axis i is input axis axes[i]; the inner loop runs along the last output axis.
  static func permute(_ x: [Float], shape: [Int], axes: [Int]) -> ([Int], [Float]) {
    let rank = shape.count
    let newShape = axes.map { shape[$0] }
    let inStrides = Shape.strides(shape)
    let strides = axes.map { inStrides[$0] }
    let n = x.count
    var out = [Float](repeating: 0, count: n)
    if n == 0 { return (newShape, out) }
    let inner = newShape[rank - 1], innerStride = strides[rank - 1]
    let outerDims = Array(newShape.dropLast())
    let rows = n / Swift.max(inner, 1)
    x.withUnsafeBufferPointer { px in
      out.withUnsafeMutableBufferPointer { po in
        let p = px.baseAddress!, o = po.baseAddress!
        var index = [Int](repeating: 0, count: outerDims.count)
        var offset = 0
        for row in 0..<rows {
          let dst = o + row * inner
          if innerStride == 1 {
            dst.update(from: p + offset, count: inner)
          } else {
            for i in 0..<inner { dst[i] = p[offset + i * innerStride] }
          }
          var d = outerDims.count - 1
          while d >= 0 {
            index[d] += 1
            offset += strides[d]
            if index[d] < outerDims[d] { break }
            offset -= strides[d] * outerDims[d]
            index[d] = 0
            d -= 1
          }
        }
      }
    }
    return (newShape, out)
  }

  /// Copies a box between two shapes: either the box of `to`'s size at `offset` inside `from` (slicing), or all of
  /// `from` placed at `placedAt` inside a zero tensor of shape `to` (padding).
  static func copyBox(
    _ x: [Float], from shape: [Int], offset: [Int]?, to newShape: [Int], into: [Float]?, placedAt: [Int]?
  ) -> [Float] {
    let rank = shape.count
    var out = into ?? [Float](repeating: 0, count: newShape.reduce(1, *))
    let box = offset != nil ? newShape : shape  // the region copied
    if box.contains(0) { return out }
    let srcStrides = Shape.strides(shape), dstStrides = Shape.strides(newShape)
    let start = offset ?? [Int](repeating: 0, count: rank)
    let place = placedAt ?? [Int](repeating: 0, count: rank)
    if rank == 0 {
      out[0] = x[0]
      return out
    }
    let inner = box[rank - 1]
    let outerDims = Array(box.dropLast())
    let rows = outerDims.reduce(1, *)
    x.withUnsafeBufferPointer { px in
      out.withUnsafeMutableBufferPointer { po in
        var index = [Int](repeating: 0, count: outerDims.count)
        for _ in 0..<rows {
          var s = start[rank - 1], d = place[rank - 1]
          for k in 0..<outerDims.count {
            s += (index[k] + start[k]) * srcStrides[k]
            d += (index[k] + place[k]) * dstStrides[k]
          }
          (po.baseAddress! + d).update(from: px.baseAddress! + s, count: inner)
          var k = outerDims.count - 1
          while k >= 0 {
            index[k] += 1
            if index[k] < outerDims[k] { break }
            index[k] = 0
            k -= 1
          }
        }
      }
    }
    return out
  }

  @inline(__always) static func reflect(_ i: Int, _ n: Int) -> Int {
    i < 0 ? -i : (i >= n ? 2 * n - 2 - i : i)
  }

  static func reflectionPad(_ x: [Float], shape: [Int], padding p: Int) -> [Float] {
    let rank = shape.count
    let h = shape[rank - 2], w = shape[rank - 1]
    let planes = x.count / Swift.max(h * w, 1)
    let ho = h + 2 * p, wo = w + 2 * p
    var out = uninitialized(planes * ho * wo)  // every element is written
    x.withUnsafeBufferPointer { px in
      out.withUnsafeMutableBufferPointer { po in
        guard let source = px.baseAddress, let target = po.baseAddress else { return }
        forEachRange(planes, grain: ho * wo) { range in
          for plane in range {
            let src = source + plane * h * w, dst = target + plane * ho * wo
            for y in 0..<ho {
              let line = src + reflect(y - p, h) * w, row = dst + y * wo
              for xo in 0..<p { row[xo] = line[p - xo] }
              for xo in 0..<w { row[p + xo] = line[xo] }
              for xo in 0..<p { row[p + w + xo] = line[w - 2 - xo] }
            }
          }
        }
      }
    }
    return out
  }

  static func reflectionPadAdjoint(_ g: [Float], shape: [Int], padding p: Int) -> [Float] {
    let rank = shape.count
    let ho = shape[rank - 2], wo = shape[rank - 1]
    let h = ho - 2 * p, w = wo - 2 * p
    let planes = g.count / Swift.max(ho * wo, 1)
    var out = [Float](repeating: 0, count: planes * h * w)
    g.withUnsafeBufferPointer { pg in
      out.withUnsafeMutableBufferPointer { po in
        guard let source = pg.baseAddress, let target = po.baseAddress else { return }
        forEachRange(planes, grain: ho * wo) { range in
          for plane in range {
            let src = source + plane * ho * wo, dst = target + plane * h * w
            for y in 0..<ho {
              let sy = reflect(y - p, h)
              for xo in 0..<wo { dst[sy * w + reflect(xo - p, w)] += src[y * wo + xo] }
            }
          }
        }
      }
    }
    return out
  }
}
