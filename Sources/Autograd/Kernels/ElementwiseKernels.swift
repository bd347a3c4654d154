#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// The element-wise binary kernels (with broadcasting).
enum BinaryKernel {
  case add, subtract, multiply, divide, maximum, minimum
}

extension Kernels {
  /// `a op b` with NumPy broadcasting. Same shapes and scalar operands take straight loops; otherwise the shapes are
  /// coalesced so the inner loop runs over the longest stretch where each operand's stride is constant.
  static func binary(_ a: Tensor, _ b: Tensor, _ kernel: BinaryKernel, op: String) -> (shape: [Int], values: [Float]) {
    let shape: [Int]
    do { shape = try Shape.broadcast(a.shape, b.shape, op: op) } catch { shapeFailure(error) }
    let n = shape.reduce(1, *)
    var out = [Float](unsafeUninitializedCapacity: n) { _, count in count = n }
    a.scalars.withUnsafeBufferPointer { pa in
      b.scalars.withUnsafeBufferPointer { pb in
        out.withUnsafeMutableBufferPointer { po in
          let x = pa.baseAddress!, y = pb.baseAddress!, o = po.baseAddress!
          if n == 0 { return }
          if a.shape == b.shape {
            run(kernel, n, x, 1, y, 1, o)
          } else if a.count == n && b.count == 1 {
            run(kernel, n, x, 1, y, 0, o)
          } else if a.count == 1 && b.count == n {
            run(kernel, n, x, 0, y, 1, o)
          } else {
            strided(kernel, shape, a.shape, b.shape, x, y, o)
          }
        }
      }
    }
    return (shape, out)
  }

  private static func strided(
    _ kernel: BinaryKernel, _ shape: [Int], _ aShape: [Int], _ bShape: [Int],
    _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ o: UnsafeMutablePointer<Float>
  ) {
    let (dims, sa, sb) = coalescedBroadcast(shape, aShape, bShape)
    let inner = dims.last!
    let innerA = sa.last!, innerB = sb.last!
    let outerDims = Array(dims.dropLast())
    let outer = outerDims.reduce(1, *)
    var index = [Int](repeating: 0, count: outerDims.count)
    var offA = 0, offB = 0
    for row in 0..<outer {
      run(kernel, inner, x + offA, innerA, y + offB, innerB, o + row * inner)
      // Advance the outer counter.
      var d = outerDims.count - 1
      while d >= 0 {
        index[d] += 1
        offA += sa[d]
        offB += sb[d]
        if index[d] < outerDims[d] { break }
        offA -= sa[d] * outerDims[d]
        offB -= sb[d] * outerDims[d]
        index[d] = 0
        d -= 1
      }
    }
  }

  /// The output shape with dimensions merged where both operands stay contiguous (or both stay broadcast), and each
  /// operand's stride per merged dimension (0 where it is broadcast).
  static func coalescedBroadcast(_ shape: [Int], _ aShape: [Int], _ bShape: [Int]) -> ([Int], [Int], [Int]) {
    func broadcastStrides(_ s: [Int]) -> [Int] {
      let padded = [Int](repeating: 1, count: shape.count - s.count) + s
      let st = Shape.strides(padded)
      return zip(padded, st).map { $0.0 == 1 ? 0 : $0.1 }
    }
    let fa = broadcastStrides(aShape), fb = broadcastStrides(bShape)
    var dims: [Int] = [], sa: [Int] = [], sb: [Int] = []
    for i in 0..<shape.count where shape[i] != 1 || i == shape.count - 1 {
      if shape[i] == 1 && !dims.isEmpty { continue }
      if let last = dims.last, sa.last! == fa[i] * shape[i], sb.last! == fb[i] * shape[i] {
        dims[dims.count - 1] = last * shape[i]
        sa[sa.count - 1] = fa[i]
        sb[sb.count - 1] = fb[i]
      } else {
        dims.append(shape[i])
        sa.append(fa[i])
        sb.append(fb[i])
      }
    }
    if dims.isEmpty { return ([1], [0], [0]) }
    return (dims, sa, sb)
  }

  @inline(__always)
  private static func run(
    _ kernel: BinaryKernel, _ n: Int, _ x: UnsafePointer<Float>, _ sx: Int, _ y: UnsafePointer<Float>, _ sy: Int,
    _ o: UnsafeMutablePointer<Float>
  ) {
    switch kernel {
    case .add: loop(n, x, sx, y, sy, o) { $0 + $1 }
    case .subtract: loop(n, x, sx, y, sy, o) { $0 - $1 }
    case .multiply: loop(n, x, sx, y, sy, o) { $0 * $1 }
    case .divide: loop(n, x, sx, y, sy, o) { $0 / $1 }
    case .maximum: loop(n, x, sx, y, sy, o) { $0 >= $1 ? $0 : $1 }
    case .minimum: loop(n, x, sx, y, sy, o) { $0 <= $1 ? $0 : $1 }
    }
  }

  @inline(__always)
  private static func loop(
    _ n: Int, _ x: UnsafePointer<Float>, _ sx: Int, _ y: UnsafePointer<Float>, _ sy: Int,
    _ o: UnsafeMutablePointer<Float>, _ f: (Float, Float) -> Float
  ) {
    if sx == 1 && sy == 1 {
      for i in 0..<n { o[i] = f(x[i], y[i]) }
    } else if sx == 1 && sy == 0 {
      let v = y[0]
      for i in 0..<n { o[i] = f(x[i], v) }
    } else if sx == 0 && sy == 1 {
      let v = x[0]
      for i in 0..<n { o[i] = f(v, y[i]) }
    } else {
      for i in 0..<n { o[i] = f(x[i * sx], y[i * sy]) }
    }
  }

  /// Applies `f` to every value. (The loop sits directly inside `withUnsafe...Pointer`, which are always inlined,
  /// so `f` is inlined into it; inside `Array(unsafeUninitializedCapacity:)` it became a call per element.)
  @inline(__always)
  static func map(_ x: [Float], _ f: (Float) -> Float) -> [Float] {
    let n = x.count
    var out = uninitialised(n)
    x.withUnsafeBufferPointer { px in
      out.withUnsafeMutableBufferPointer { po in
        guard let p = px.baseAddress, let o = po.baseAddress else { return }
        for i in 0..<n { o[i] = f(p[i]) }
      }
    }
    return out
  }

  static func exp(_ x: [Float]) -> [Float] { map(x) { expf($0) } }
  static func log(_ x: [Float]) -> [Float] { map(x) { logf($0) } }
  static func sqrt(_ x: [Float]) -> [Float] { map(x) { $0.squareRoot() } }
  static func abs(_ x: [Float]) -> [Float] { map(x) { Swift.abs($0) } }
  static func negate(_ x: [Float]) -> [Float] { map(x) { -$0 } }
  static func sign(_ x: [Float]) -> [Float] { map(x) { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) } }
  static func pow(_ x: [Float], _ p: Float) -> [Float] {
    if p == 2 { return map(x) { $0 * $0 } }
    if p == 1 { return x }
    if p == -1 { return map(x) { 1 / $0 } }
    if p == 0.5 { return map(x) { $0.squareRoot() } }
    if p == 3 { return map(x) { $0 * $0 * $0 } }
    return map(x) { powf($0, p) }
  }
  static func clamp(_ x: [Float], _ low: Float, _ high: Float) -> [Float] {
    map(x) { $0 < low ? low : ($0 > high ? high : $0) }
  }
  static func tanh(_ x: [Float]) -> [Float] { map(x) { tanhf($0) } }
  // The masks below are their own functions in this file: in a debug build each file compiles separately, so a
  // closure handed to `map` from another file would be called once per element instead of being inlined.
  /// 1 where x > 0, `slope` elsewhere (leaky ReLU's derivative).
  static func leakyMask(_ x: [Float], slope: Float) -> [Float] { map(x) { $0 > 0 ? 1 : slope } }
  /// 1 where low <= x <= high, 0 elsewhere.
  static func insideMask(_ x: [Float], _ low: Float, _ high: Float) -> [Float] {
    map(x) { $0 >= low && $0 <= high ? 1 : 0 }
  }
  /// 1 where x > value, 0 elsewhere.
  static func greaterMask(_ x: [Float], _ value: Float) -> [Float] { map(x) { $0 > value ? 1 : 0 } }
}
