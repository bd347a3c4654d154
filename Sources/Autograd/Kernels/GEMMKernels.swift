import CKernels

extension Kernels {
  /// Which BLAS is in use and with which core (loaded on first use).
  public static var blasDescription: String { String(cString: gc_blas_description()) }

  /// Row-major C = op(A) op(B) + beta C through the BLAS, where op(A) is M x K and op(B) is K x N.
  /// Large products are split across the cores by rows of C (or by columns when C has few rows), since the BLAS
  /// itself runs single-threaded.
  static func gemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
    _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
    _ c: UnsafeMutablePointer<Float>, ldc: Int, beta: Float = 0, parallel: Bool = true, whole: Bool = false
  ) {
    if m == 0 || n == 0 { return }
    if whole {
      // Never cut for OpenBLAS's small-matrix kernel (the tests compare the two).
      gc_sgemm_whole(transA ? 1 : 0, transB ? 1 : 0, Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), beta,
                     c, Int32(ldc))
      return
    }
    let thresholds = Kernels.thresholds
    var chunks = parallel ? chunkCount(cost: 2 * m * n * k, items: Swift.max(m, n) / thresholds.rowsPerChunk) : 1
    if parallel && chunks <= 1 && 2 * m * n * k >= thresholds.smallSplitFlops && Kernels.cores > 1
      && Swift.max(m, n) >= 2 * thresholds.rowsPerChunk && gc_gemm_split_enabled() != 0
    {
      // Toy networks' products (256 x 64 x 64 is 2.1 MFLOP) are too small for the general threshold, but a hand-off
      // to the spinning worker costs about a microsecond and each half still takes tens.
      chunks = Kernels.cores
    }
    if chunks <= 1 {
      gc_sgemm(transA ? 1 : 0, transB ? 1 : 0, Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), beta, c,
               Int32(ldc))
      return
    }
    let shared = SharedPointer(base: c)
    let pa = UncheckedBox(a), pb = UncheckedBox(b)
    if m >= n {
      parallelFor(chunks) { chunk in
        let rows = chunkRange(chunk, of: chunks, total: m)
        let aOffset = transA ? rows.lowerBound : rows.lowerBound * lda
        gc_sgemm(transA ? 1 : 0, transB ? 1 : 0, Int32(rows.count), Int32(n), Int32(k), 1, pa.value + aOffset,
                 Int32(lda), pb.value, Int32(ldb), beta, shared.base + rows.lowerBound * ldc, Int32(ldc))
      }
    } else {
      parallelFor(chunks) { chunk in
        let cols = chunkRange(chunk, of: chunks, total: n)
        let bOffset = transB ? cols.lowerBound * ldb : cols.lowerBound
        gc_sgemm(transA ? 1 : 0, transB ? 1 : 0, Int32(m), Int32(cols.count), Int32(k), 1, pa.value, Int32(lda),
                 pb.value + bOffset, Int32(ldb), beta, shared.base + cols.lowerBound, Int32(ldc))
      }
    }
  }

  /// One core's fused multiply-add ceiling in GFLOP/s, measured over about `seconds` with the widest vectors this
  /// CPU has (`vectorBits` 512 or 256; 0 where there is neither AVX-512 nor AVX2+FMA).
  public static func fmaPeak(seconds: Double = 0.5) -> (gflops: Double, vectorBits: Int) {
    var bits: Int32 = 0
    let rate = gc_fma_peak_gflops(seconds, &bits)
    return (rate, Int(bits))
  }

  /// Public entry for benchmarks: C = op(A) op(B) for row-major arrays, using the engine's split across cores.
  public static func benchmarkGEMM(
    transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, a: [Float], b: [Float], c: inout [Float],
    parallel: Bool
  ) {
    precondition(a.count >= m * k && b.count >= k * n && c.count >= m * n, "benchmarkGEMM: arrays too small")
    a.withUnsafeBufferPointer { pa in
      b.withUnsafeBufferPointer { pb in
        c.withUnsafeMutableBufferPointer { pc in
          gemm(transA: transA, transB: transB, m: m, n: n, k: k, pa.baseAddress!, lda: transA ? m : k, pb.baseAddress!,
               ldb: transB ? k : n, pc.baseAddress!, ldc: n, parallel: parallel)
        }
      }
    }
  }
}
