// The reduction loops behind Ops/Reductions.swift.

extension Kernels {
  /// Sum or max over one axis: the shape is read as (outer, reduced, inner) and the inner loop runs contiguously.
  static func reduce(_ x: [Float], shape: [Int], axis: Int, max: Bool) -> [Float] {
    let outer = shape[..<axis].reduce(1, *)
    let r = shape[axis]
    let inner = shape[(axis + 1)...].reduce(1, *)
    var out = [Float](repeating: max ? -Float.infinity : 0, count: outer * inner)
    if r == 0 { return max ? out : out }
    x.withUnsafeBufferPointer { px in
      out.withUnsafeMutableBufferPointer { po in
        let p = px.baseAddress!, o = po.baseAddress!
        // Split across the cores along the kept dimensions only (each output sums in the same order on any number of
        // cores): by outer rows, or by inner columns when there is one outer row.
        let columns = outer == 1 ? inner : 0
        Kernels.forEachRange(columns > 0 ? columns : outer, grain: columns > 0 ? r : r * inner) { part in
          let rows = columns > 0 ? 0..<1 : part
          let cols = columns > 0 ? part : 0..<inner
          for a in rows {
            let dst = o + a * inner
            if inner == 1 {
              let src = p + a * r
              if max {
                var m = src[0]
                for j in 1..<r where src[j] > m { m = src[j] }
                dst[0] = m
              } else {
                var s: Float = 0
                for j in 0..<r { s += src[j] }
                dst[0] = s
              }
              continue
            }
            for j in 0..<r {
              let src = p + (a * r + j) * inner
              if max {
                for i in cols where src[i] > dst[i] { dst[i] = src[i] }
              } else {
                for i in cols { dst[i] += src[i] }
              }
            }
          }
        }
      }
    }
    return out
  }
}
