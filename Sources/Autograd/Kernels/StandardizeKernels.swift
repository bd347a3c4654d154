// The fused standardization kernels behind Ops/Standardize.swift: moments in eight lanes, the closed-form
// backward pass, the [N, C] layout that sums row by row.

/// The reduced axes must sit around one contiguous block of kept axes: the tensor is read as [outer, groups, inner]
/// with statistics per group (batch norm: [N, C, H·W]; instance norm: [1, N·C, H·W]; layer norm: [1, N, features]).
struct StandardizeLayout: Equatable {
  let outer, groups, inner: Int
  var count: Int { outer * inner }

  init?(shape: [Int], axes: [Int]) {
    let reduced = Set(axes)
    let kept = (0..<shape.count).filter { !reduced.contains($0) }
    if let first = kept.first, let last = kept.last {
      guard last - first + 1 == kept.count else { return nil }
      outer = shape[..<first].reduce(1, *)
      groups = shape[first...last].reduce(1, *)
      inner = shape[(last + 1)...].reduce(1, *)
    } else {
      (outer, groups, inner) = (1, 1, shape.reduce(1, *))
    }
  }
}

extension Kernels {
  /// Σ (x - shift) and Σ (x - shift)² over n floats: eight lanes of partial sums (a single running sum would wait on
  /// each addition), totals in Double.
  @inline(__always)
  static func shiftedMoments(_ p: UnsafePointer<Float>, _ n: Int, shift: Float) -> (Double, Double) {
    var sum = SIMD8<Float>(), squares = SIMD8<Float>()
    let s = SIMD8<Float>(repeating: shift)
    var i = 0
    while i + 8 <= n {
      let v = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self) - s
      sum += v
      squares += v * v
      i += 8
    }
    var total = Double(sum.sum()), totalSquares = Double(squares.sum())
    while i < n {
      let v = Double(p[i] - shift)
      total += v
      totalSquares += v * v
      i += 1
    }
    return (total, totalSquares)
  }

  /// Σ g and Σ g x̂ over n floats, as `shiftedMoments`.
  @inline(__always)
  static func productSums(_ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ n: Int) -> (Double, Double) {
    var sum = SIMD8<Float>(), products = SIMD8<Float>()
    var i = 0
    while i + 8 <= n {
      let a = UnsafeRawPointer(g + i).loadUnaligned(as: SIMD8<Float>.self)
      let b = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
      sum += a
      products += a * b
      i += 8
    }
    var total = Double(sum.sum()), totalProducts = Double(products.sum())
    while i < n {
      total += Double(g[i])
      totalProducts += Double(g[i]) * Double(x[i])
      i += 1
    }
    return (total, totalProducts)
  }

  /// x̂, μ, σ² and 1/√(σ² + ε) per group; groups are shared out across the cores. The moments are taken about the
  /// group's first value (no cancellation when the mean is large against the spread).
  static func standardize(_ x: [Float], _ layout: StandardizeLayout, epsilon: Float)
    -> (values: [Float], mean: [Float], variance: [Float], inverseDeviation: [Float])
  {
    let (outer, groups, inner) = (layout.outer, layout.groups, layout.inner)
    let n = Double(layout.count)
    var out = uninitialized(x.count)
    var mean = uninitialized(groups), variance = uninitialized(groups), inverse = uninitialized(groups)
    x.withUnsafeBufferPointer { px in
      out.withUnsafeMutableBufferPointer { po in
        mean.withUnsafeMutableBufferPointer { pm in
          variance.withUnsafeMutableBufferPointer { pv in
            inverse.withUnsafeMutableBufferPointer { pi in
              let (p, o, m, v, inv) = (px.baseAddress!, po.baseAddress!, pm.baseAddress!, pv.baseAddress!, pi.baseAddress!)
              forEachRange(groups, grain: layout.count) { range in
                if inner == 1 {
                  // One value per (row, group), groups side by side ([N, C] batch norm): the same sums per group, in
                  // the same order, taken row by row across the groups so that the loops run over contiguous memory.
                  standardizeColumns(p, o, m, v, inv, rows: outer, groups: groups, range, count: n, epsilon: epsilon)
                  return
                }
                for group in range {
                  let pivot = p[group * inner]
                  var sum = 0.0, squares = 0.0
                  for a in 0..<outer {
                    let (s1, s2) = shiftedMoments(p + (a * groups + group) * inner, inner, shift: pivot)
                    sum += s1
                    squares += s2
                  }
                  (m[group], v[group], inv[group]) = statistics(sum, squares, pivot: pivot, count: n, epsilon: epsilon)
                  let (shift, scale) = (m[group], inv[group])
                  for a in 0..<outer {
                    let start = (a * groups + group) * inner
                    let (row, dst) = (p + start, o + start)
                    for i in 0..<inner { dst[i] = (row[i] - shift) * scale }
                  }
                }
              }
            }
          }
        }
      }
    }
    return (out, mean, variance, inverse)
  }

  /// μ, σ² and 1/√(σ² + ε) from the sums of (x - pivot) and of its squares over n values.
  @inline(__always)
  private static func statistics(_ sum: Double, _ squares: Double, pivot: Float, count n: Double, epsilon: Float)
    -> (mean: Float, variance: Float, inverseDeviation: Float)
  {
    let offset = sum / n
    let sigma2 = Swift.max(0, squares / n - offset * offset)
    return (Float(Double(pivot) + offset), Float(sigma2), Float(1 / (sigma2 + Double(epsilon)).squareRoot()))
  }

  /// `standardize` for inner size 1, groups `range`: the moments of each group accumulate row by row exactly as
  /// shiftedMoments over one value does (Double(x - pivot), added to the sum and its square to the squares).
  private static func standardizeColumns(
    _ p: UnsafePointer<Float>, _ o: UnsafeMutablePointer<Float>, _ m: UnsafeMutablePointer<Float>,
    _ v: UnsafeMutablePointer<Float>, _ inv: UnsafeMutablePointer<Float>, rows: Int, groups: Int, _ range: Range<Int>,
    count n: Double, epsilon: Float
  ) {
    let width = range.count
    var sum = [Double](repeating: 0, count: width), squares = [Double](repeating: 0, count: width)
    sum.withUnsafeMutableBufferPointer { ps in
      squares.withUnsafeMutableBufferPointer { pq in
        let (s1, s2) = (ps.baseAddress!, pq.baseAddress!)
        let pivots = p + range.lowerBound
        for a in 0..<rows {
          let row = p + a * groups + range.lowerBound
          for j in 0..<width {
            let value = Double(row[j] - pivots[j])
            s1[j] += value
            s2[j] += value * value
          }
        }
        for j in 0..<width {
          let group = range.lowerBound + j
          (m[group], v[group], inv[group]) = statistics(s1[j], s2[j], pivot: pivots[j], count: n, epsilon: epsilon)
        }
        for a in 0..<rows {
          let start = a * groups + range.lowerBound
          for j in 0..<width { o[start + j] = (p[start + j] - m[range.lowerBound + j]) * inv[range.lowerBound + j] }
        }
      }
    }
  }

  /// `standardizeBackward` for inner size 1, groups `range`, with productSums' arithmetic over one value per row.
  private static func standardizeColumnsBackward(
    _ gp: UnsafePointer<Float>, _ xp: UnsafePointer<Float>, _ inv: UnsafePointer<Float>,
    _ d: UnsafeMutablePointer<Float>, rows: Int, groups: Int, _ range: Range<Int>, count n: Double
  ) {
    let width = range.count
    var sums = [Double](repeating: 0, count: width), products = [Double](repeating: 0, count: width)
    var means = [Float](repeating: 0, count: 2 * width)
    sums.withUnsafeMutableBufferPointer { ps in
      products.withUnsafeMutableBufferPointer { pp in
        means.withUnsafeMutableBufferPointer { pm in
          let (s1, s2, mg) = (ps.baseAddress!, pp.baseAddress!, pm.baseAddress!)
          for a in 0..<rows {
            let start = a * groups + range.lowerBound
            for j in 0..<width {
              s1[j] += Double(gp[start + j])
              s2[j] += Double(gp[start + j]) * Double(xp[start + j])
            }
          }
          for j in 0..<width {
            mg[j] = Float(s1[j] / n)
            mg[width + j] = Float(s2[j] / n)
          }
          for a in 0..<rows {
            let start = a * groups + range.lowerBound
            for j in 0..<width {
              d[start + j] = (gp[start + j] - mg[j] - xp[start + j] * mg[width + j]) * inv[range.lowerBound + j]
            }
          }
        }
      }
    }
  }

  /// (g - mean(g) - x̂ · mean(g x̂)) / √(σ² + ε) per group, from g, x̂ and 1/√(σ² + ε).
  static func standardizeBackward(_ g: [Float], _ normalized: [Float], _ inverseDeviation: [Float],
                                  _ layout: StandardizeLayout) -> [Float]
  {
    let (outer, groups, inner) = (layout.outer, layout.groups, layout.inner)
    let n = Double(layout.count)
    var dx = uninitialized(g.count)
    g.withUnsafeBufferPointer { pg in
      normalized.withUnsafeBufferPointer { px in
        inverseDeviation.withUnsafeBufferPointer { pi in
          dx.withUnsafeMutableBufferPointer { pd in
            let (gp, xp, inv, d) = (pg.baseAddress!, px.baseAddress!, pi.baseAddress!, pd.baseAddress!)
            forEachRange(groups, grain: layout.count) { range in
              if inner == 1 {
                standardizeColumnsBackward(gp, xp, inv, d, rows: outer, groups: groups, range, count: n)
                return
              }
              for group in range {
                var sumG = 0.0, sumGX = 0.0
                for a in 0..<outer {
                  let start = (a * groups + group) * inner
                  let (s1, s2) = productSums(gp + start, xp + start, inner)
                  sumG += s1
                  sumGX += s2
                }
                let meanG = Float(sumG / n), meanGX = Float(sumGX / n), scale = inv[group]
                for a in 0..<outer {
                  let start = (a * groups + group) * inner
                  let (gr, xr, dr) = (gp + start, xp + start, d + start)
                  for i in 0..<inner { dr[i] = (gr[i] - meanG - xr[i] * meanGX) * scale }
                }
              }
            }
          }
        }
      }
    }
    return dx
  }
}
