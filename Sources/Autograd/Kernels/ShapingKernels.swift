// The copies behind the shape primitives of Ops/Shaping.swift: permutations, boxes, reflection padding.

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
