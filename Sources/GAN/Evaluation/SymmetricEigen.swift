// Eigen-decomposition of a real symmetric matrix by Jacobi rotations, in Double, and the square root of a symmetric
// positive semi-definite matrix built on it: what the Fréchet distance needs, without LAPACK.
//
// Matrices are row-major [Double] arrays of size n x n.

/// The eigenvalues and eigenvectors of a symmetric matrix: A = V diag(values) Vᵀ.
public struct SymmetricEigenDecomposition: Sendable {
  /// The eigenvalues, in ascending order.
  public let values: [Double]
  /// The eigenvectors as the columns of an n x n row-major matrix: column j belongs to `values[j]`.
  public let vectors: [Double]
  /// The matrix size n.
  public let size: Int
  /// The Jacobi sweeps it took.
  public let sweeps: Int
}

/// The eigen-decomposition of the symmetric n x n matrix `matrix` (row-major) by the cyclic Jacobi method.
///
/// Each rotation J in the (p, q) plane is chosen so that (Jᵀ A J)[p][q] = 0: with θ = (a_qq - a_pp) / (2 a_pq),
/// t = tan φ is the smaller root of t² + 2θt - 1 = 0, t = sign(θ) / (|θ| + √(θ² + 1)), c = 1/√(1 + t²), s = t c.
/// A rotation destroys zeros made earlier, but the sum of squares off the diagonal shrinks with every rotation, so
/// sweeping over all pairs repeatedly drives A to diagonal form (quadratically, once it is nearly diagonal). The
/// product of the rotations holds the eigenvectors. It is slower than LAPACK's QR-based routines (n³ per sweep,
/// typically 6-10 sweeps) but short, and accurate to a few ulps of the largest eigenvalue: for n = 128 it takes
/// tens of milliseconds.
///
/// The sweeps end when a whole sweep finds every off-diagonal element too small to change the diagonal entries it
/// would mix (or after `maximumSweeps`). Only the upper triangle is read; the matrix is symmetrized from it.
public func symmetricEigenDecomposition(_ matrix: [Double], size n: Int, maximumSweeps: Int = 100)
  -> SymmetricEigenDecomposition
{
  precondition(n >= 0 && matrix.count == n * n, "symmetricEigenDecomposition: \(matrix.count) values for a \(n)x\(n) matrix")
  var a = matrix
  for i in 0..<n { for j in (i + 1)..<n { a[j * n + i] = a[i * n + j] } }
  var v = [Double](repeating: 0, count: n * n)
  for i in 0..<n { v[i * n + i] = 1 }
  var sweeps = 0
  a.withUnsafeMutableBufferPointer { pa in
    v.withUnsafeMutableBufferPointer { pv in
      let a = pa.baseAddress!, v = pv.baseAddress!
      while sweeps < maximumSweeps {
        var rotated = false
        for p in 0..<n {
          for q in (p + 1)..<n {
            let apq = a[p * n + q]
            if apq == 0 { continue }
            let app = a[p * n + p], aqq = a[q * n + q]
            // An element too small to change either diagonal entry in Double is set to zero instead of rotated
            // away: this is how the iteration ends despite rounding.
            let scaled = 100 * Swift.abs(apq)
            if Swift.abs(app) + scaled == Swift.abs(app) && Swift.abs(aqq) + scaled == Swift.abs(aqq) {
              a[p * n + q] = 0
              a[q * n + p] = 0
              continue
            }
            rotated = true
            let theta = (aqq - app) / (2 * apq)
            let t = (theta >= 0 ? 1.0 : -1.0) / (Swift.abs(theta) + (theta * theta + 1).squareRoot())
            let c = 1 / (t * t + 1).squareRoot(), s = t * c
            // A <- A J (columns p and q), then A <- Jᵀ A (rows p and q), V <- V J.
            for k in 0..<n {
              let akp = a[k * n + p], akq = a[k * n + q]
              a[k * n + p] = c * akp - s * akq
              a[k * n + q] = s * akp + c * akq
            }
            for k in 0..<n {
              let apk = a[p * n + k], aqk = a[q * n + k]
              a[p * n + k] = c * apk - s * aqk
              a[q * n + k] = s * apk + c * aqk
            }
            a[p * n + q] = 0
            a[q * n + p] = 0
            for k in 0..<n {
              let vkp = v[k * n + p], vkq = v[k * n + q]
              v[k * n + p] = c * vkp - s * vkq
              v[k * n + q] = s * vkp + c * vkq
            }
          }
        }
        if !rotated { break }
        sweeps += 1
      }
    }
  }
  // Sort ascending, moving the eigenvector columns along.
  let order = (0..<n).sorted { a[$0 * n + $0] < a[$1 * n + $1] }
  var vectors = [Double](repeating: 0, count: n * n)
  for (column, source) in order.enumerated() {
    for k in 0..<n { vectors[k * n + column] = v[k * n + source] }
  }
  return SymmetricEigenDecomposition(
    values: order.map { a[$0 * n + $0] }, vectors: vectors, size: n, sweeps: sweeps)
}

/// The square root S of a symmetric positive semi-definite n x n matrix: the symmetric PSD matrix with S S = A,
/// S = V diag(√λ) Vᵀ from A = V diag(λ) Vᵀ. Eigenvalues that rounding pushed slightly below zero count as zero.
public func symmetricSquareRoot(_ matrix: [Double], size n: Int) -> [Double] {
  let decomposition = symmetricEigenDecomposition(matrix, size: n)
  let roots = decomposition.values.map { Swift.max($0, 0).squareRoot() }
  let v = decomposition.vectors
  var s = [Double](repeating: 0, count: n * n)
  for i in 0..<n {
    for j in i..<n {
      var sum = 0.0
      for k in 0..<n { sum += v[i * n + k] * roots[k] * v[j * n + k] }
      s[i * n + j] = sum
      s[j * n + i] = sum
    }
  }
  return s
}

/// The product of two n x n row-major matrices.
func multiplySquare(_ a: [Double], _ b: [Double], size n: Int) -> [Double] {
  var c = [Double](repeating: 0, count: n * n)
  a.withUnsafeBufferPointer { pa in
    b.withUnsafeBufferPointer { pb in
      c.withUnsafeMutableBufferPointer { pc in
        for i in 0..<n {
          for k in 0..<n {
            let aik = pa[i * n + k]
            if aik == 0 { continue }
            for j in 0..<n { pc[i * n + j] += aik * pb[k * n + j] }
          }
        }
      }
    }
  }
  return c
}
