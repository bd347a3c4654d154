// Matrix products. One primitive with transpose flags, so that every backward rule is again a product with flags
// (no transposed copies), and the rules close under differentiation.

/// op(a) · op(b) for rank-2 operands, or batches of them: [B, M, K] · [B, K, N], or [B, M, K] · [K, N].
/// `transposeA`/`transposeB` use the transpose of the last two axes.
public func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
  func fail() -> Never {
    shapeFailure(ShapeError(
      op: "matmul",
      "cannot multiply \(a.shape)\(transposeA ? "ᵀ" : "") by \(b.shape)\(transposeB ? "ᵀ" : "")"))
  }
  guard a.rank >= 2, b.rank >= 2, a.rank <= 3, b.rank <= 3 else { fail() }
  // A batch times one shared matrix is one big product.
  if a.rank == 3 && b.rank == 2 && !transposeA {
    let batch = a.shape[0]
    let flat = matmul(a.reshaped(to: [batch * a.shape[1], a.shape[2]]), b, transposeB: transposeB)
    return flat.reshaped(to: [batch, a.shape[1], flat.shape[1]])
  }
  if a.rank == 2 && b.rank == 3 {
    return matmul(a.broadcasted(to: [b.shape[0]] + a.shape), b, transposeA: transposeA, transposeB: transposeB)
  }
  if a.rank == 3 && b.rank == 2 {
    return matmul(a, b.broadcasted(to: [a.shape[0]] + b.shape), transposeA: transposeA, transposeB: transposeB)
  }
  let batch = a.rank == 3 ? a.shape[0] : 1
  if a.rank == 3 && b.shape[0] != batch { fail() }
  let (ar, ac) = (a.shape[a.rank - 2], a.shape[a.rank - 1])
  let (br, bc) = (b.shape[b.rank - 2], b.shape[b.rank - 1])
  let (m, k) = transposeA ? (ac, ar) : (ar, ac)
  let (k2, n) = transposeB ? (bc, br) : (br, bc)
  guard k == k2 else { fail() }
  // The product overwrites every element (beta 0), so the output starts uninitialized unless there is nothing to sum.
  var out = k == 0 ? [Float](repeating: 0, count: batch * m * n) : uninitialized(batch * m * n)
  a.scalars.withUnsafeBufferPointer { pa in
    b.scalars.withUnsafeBufferPointer { pb in
      out.withUnsafeMutableBufferPointer { po in
        let chunks = chunkCount(cost: 2 * batch * m * n * k, items: batch)
        let A = UncheckedBox(pa.baseAddress!), B = UncheckedBox(pb.baseAddress!), C = SharedPointer(base: po.baseAddress!)
        Kernels.parallelFor(chunks) { chunk in
          for i in Kernels.chunkRange(chunk, of: chunks, total: batch) {
            Kernels.gemm(
              transA: transposeA, transB: transposeB, m: m, n: n, k: k, A.value + i * ar * ac, lda: ac,
              B.value + i * br * bc, ldb: bc, C.base + i * m * n, ldc: n, parallel: chunks == 1)
          }
        }
      }
    }
  }
  let shape = a.rank == 3 ? [batch, m, n] : [m, n]
  return Tensor.record("matmul", [a, b], shape: shape, scalars: out, selectiveRule: { g, _, x, needed in
    let (A, B) = (x[0], x[1])
    switch (transposeA, transposeB) {
    case (false, false):
      return [needed[0] ? matmul(g, B, transposeB: true) : nil, needed[1] ? matmul(A, g, transposeA: true) : nil]
    case (true, false):
      return [needed[0] ? matmul(B, g, transposeB: true) : nil, needed[1] ? matmul(A, g) : nil]
    case (false, true):
      return [needed[0] ? matmul(g, B) : nil, needed[1] ? matmul(g, A, transposeA: true) : nil]
    case (true, true):
      return [
        needed[0] ? matmul(B, g, transposeA: true, transposeB: true) : nil,
        needed[1] ? matmul(g, A, transposeA: true, transposeB: true) : nil,
      ]
    }
  })
}
