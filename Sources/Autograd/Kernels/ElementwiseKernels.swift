import CKernels

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
  /// The right operand, broadcast (a copy: `broadcast(_:from:to:)`).
  case second
  /// The left operand times leaky ReLU's derivative at the right one (1 where it is > 0, else the slope): leaky
  /// ReLU's rule in one pass, the same values as multiplying by the mask.
  case leakyMaskProduct(Float)
}

extension Kernels {
  /// Element-wise passes are split across the cores from this many elements (KernelThresholds.parallelElements).
  /// Each chunk writes its own part of the output, so the result is the same, bit for bit, on any number of cores.
  public static var elementThreshold: Int { thresholds.parallelElements }

  /// Runs `body(chunk)` for chunk in 0..<chunks on the engine's cores (for other modules; 1 chunk runs inline).
  public static func parallel(chunks: Int, _ body: (Int) -> Void) { parallelFor(chunks, body) }

  /// The number of chunks for an element-wise pass over `n` items of `grain` elements each (1 or the core count).
  @inline(__always)
  static func elementChunks(_ n: Int, grain: Int = 1) -> Int {
    n * grain >= elementThreshold && n > 1 ? Swift.min(cores, n) : 1
  }

  /// Runs `body` over 0..<n, cut into one range per core when the pass is large enough (`grain` elements per item).
  @inline(__always)
  static func forEachRange(_ n: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
    let chunks = elementChunks(n, grain: grain)
    if chunks == 1 {
      body(0..<n)
      return
    }
    parallelFor(chunks) { chunk in body(chunkRange(chunk, of: chunks, total: n)) }
  }

  /// `forEachRange` for other modules (optimizers' updates): `body` runs once per range, on the engine's cores.
  public static func forEachElementRange(_ n: Int, _ body: (Range<Int>) -> Void) { forEachRange(n, body) }

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
            forEachRange(n) { r in run(kernel, r.count, x + r.lowerBound, 1, y + r.lowerBound, 1, o + r.lowerBound) }
          } else if a.count == n && b.count == 1 {
            forEachRange(n) { r in run(kernel, r.count, x + r.lowerBound, 1, y, 0, o + r.lowerBound) }
          } else if a.count == 1 && b.count == n {
            forEachRange(n) { r in run(kernel, r.count, x, 0, y + r.lowerBound, 1, o + r.lowerBound) }
          } else if let inner = Self.rowBroadcast(b.shape, into: shape), a.count == n {
            // b repeats along the leading axes (a bias on [N, C]): rows of a against the whole of b.
            forEachRange(n / inner, grain: inner) { rows in
              for r in rows { run(kernel, inner, x + r * inner, 1, y, 1, o + r * inner) }
            }
          } else if let inner = Self.rowBroadcast(a.shape, into: shape), b.count == n {
            forEachRange(n / inner, grain: inner) { rows in
              for r in rows { run(kernel, inner, x, 1, y + r * inner, 1, o + r * inner) }
            }
          } else {
            strided(kernel, shape, a.shape, b.shape, x, y, o)
          }
        }
      }
    }
    return (shape, out)
  }

  /// The size of `operand` when it equals the trailing dimensions of `shape` apart from leading 1s (so it repeats
  /// whole along the leading axes), else nil.
  @inline(__always)
  static func rowBroadcast(_ operand: [Int], into shape: [Int]) -> Int? {
    var trimmed = operand[...]
    while let first = trimmed.first, first == 1, trimmed.count > 1 { trimmed = trimmed.dropFirst() }
    guard trimmed.count < shape.count, shape.suffix(trimmed.count).elementsEqual(trimmed) else { return nil }
    let inner = trimmed.reduce(1, *)
    return inner > 0 ? inner : nil
  }

  /// `values` (of shape `from`) repeated out to the broadcast shape `to`, in one pass.
  static func broadcast(_ values: [Float], from: [Int], to shape: [Int]) -> [Float] {
    let n = shape.reduce(1, *)
    var out = uninitialized(n)
    if n == 0 { return out }
    var unused: Float = 0
    values.withUnsafeBufferPointer { pv in
      out.withUnsafeMutableBufferPointer { po in
        withUnsafePointer(to: &unused) { pu in
          strided(.second, shape, [], from, pu, pv.baseAddress!, po.baseAddress!)
        }
      }
    }
    return out
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
    if outerDims.count == 2 {
      // [N, C, P] against [1, C, 1] and the like (a per-channel scale or shift): two plain loops, no counter array.
      let (n1, sa0, sa1, sb0, sb1) = (outerDims[1], sa[0], sa[1], sb[0], sb[1])
      forEachRange(outer, grain: Swift.max(1, inner)) { rows in
        var i0 = rows.lowerBound / n1, i1 = rows.lowerBound % n1
        for row in rows {
          run(kernel, inner, x + i0 * sa0 + i1 * sa1, innerA, y + i0 * sb0 + i1 * sb1, innerB, o + row * inner)
          i1 += 1
          if i1 == n1 { i1 = 0; i0 += 1 }
        }
      }
      return
    }
    forEachRange(outer, grain: Swift.max(1, inner)) { rows in
      // The outer counter and both offsets at the chunk's first row.
      var index = [Int](repeating: 0, count: outerDims.count)
      var offA = 0, offB = 0, rest = rows.lowerBound
      for d in stride(from: outerDims.count - 1, through: 0, by: -1) {
        index[d] = rest % outerDims[d]
        rest /= outerDims[d]
        offA += index[d] * sa[d]
        offB += index[d] * sb[d]
      }
      for row in rows {
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
    case .second: loop(n, x, sx, y, sy, o) { $1 }
    case .leakyMaskProduct(let slope): loop(n, x, sx, y, sy, o) { $0 * ($1 > 0 ? 1 : slope) }
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

  /// Applies `kernel` to every value, split across the cores for large arrays. The kernel is an enum rather than a
  /// closure: a closure that crosses into the thread pool is not inlined, and becomes a call per element (measured:
  /// leaky ReLU on a WGAN-GP critic ran 4x slower that way), while each case of `runUnary` is a plain loop.
  static func map(_ x: [Float], _ kernel: UnaryKernel) -> [Float] {
    let n = x.count
    var out = uninitialized(n)
    x.withUnsafeBufferPointer { px in
      out.withUnsafeMutableBufferPointer { po in
        guard let p = px.baseAddress, let o = po.baseAddress else { return }
        forEachRange(n) { r in runUnary(kernel, r.count, p + r.lowerBound, o + r.lowerBound) }
      }
    }
    return out
  }

  private static func runUnary(_ kernel: UnaryKernel, _ n: Int, _ p: UnsafePointer<Float>, _ o: UnsafeMutablePointer<Float>) {
    @inline(__always) func apply(_ f: (Float) -> Float) { for i in 0..<n { o[i] = f(p[i]) } }
    switch kernel {
    case .exp: apply { expf($0) }
    case .log: apply { logf($0) }
    case .expm1: apply { expm1f($0) }
    case .log1p: apply { log1pf($0) }
    case .sqrt: apply { $0.squareRoot() }
    case .abs: apply { Swift.abs($0) }
    case .negate: apply { -$0 }
    case .sign: apply { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) }
    case .square: apply { $0 * $0 }
    case .cube: apply { $0 * $0 * $0 }
    case .reciprocal: apply { 1 / $0 }
    case .power(let e): apply { powf($0, e) }
    case .clamp(let low, let high): apply { $0 < low ? low : ($0 > high ? high : $0) }
    case .tanh: apply { tanhf($0) }
    case .leakyReLU(let slope): apply { $0 * ($0 > 0 ? 1 : slope) }
    case .leakyMask(let slope): apply { $0 > 0 ? 1 : slope }
    case .insideMask(let low, let high): apply { $0 >= low && $0 <= high ? 1 : 0 }
    case .greaterMask(let value): apply { $0 > value ? 1 : 0 }
    }
  }

  static func exp(_ x: [Float]) -> [Float] { map(x, .exp) }
  static func log(_ x: [Float]) -> [Float] { map(x, .log) }
  static func expm1(_ x: [Float]) -> [Float] { map(x, .expm1) }
  static func log1p(_ x: [Float]) -> [Float] { map(x, .log1p) }
  static func sqrt(_ x: [Float]) -> [Float] { map(x, .sqrt) }
  static func abs(_ x: [Float]) -> [Float] { map(x, .abs) }
  static func negate(_ x: [Float]) -> [Float] { map(x, .negate) }
  static func sign(_ x: [Float]) -> [Float] { map(x, .sign) }
  static func pow(_ x: [Float], _ p: Float) -> [Float] {
    if p == 2 { return map(x, .square) }
    if p == 1 { return x }
    if p == -1 { return map(x, .reciprocal) }
    if p == 0.5 { return map(x, .sqrt) }
    if p == 3 { return map(x, .cube) }
    return map(x, .power(p))
  }
  static func clamp(_ x: [Float], _ low: Float, _ high: Float) -> [Float] { map(x, .clamp(low, high)) }
  static func tanh(_ x: [Float]) -> [Float] { map(x, .tanh) }
  /// x * (1 where x > 0, else slope): leaky ReLU (ReLU for slope 0), the same values as multiplying by the mask.
  static func leakyReLU(_ x: [Float], slope: Float) -> [Float] { map(x, .leakyReLU(slope)) }
  /// 1 where x > 0, `slope` elsewhere (leaky ReLU's derivative).
  static func leakyMask(_ x: [Float], slope: Float) -> [Float] { map(x, .leakyMask(slope)) }
  /// 1 where low <= x <= high, 0 elsewhere.
  static func insideMask(_ x: [Float], _ low: Float, _ high: Float) -> [Float] { map(x, .insideMask(low, high)) }
  /// 1 where x > value, 0 elsewhere.
  static func greaterMask(_ x: [Float], _ value: Float) -> [Float] { map(x, .greaterMask(value)) }
}

/// The element-wise unary kernels.
enum UnaryKernel {
  case exp, log, expm1, log1p, sqrt, abs, negate, sign, square, cube, reciprocal, tanh
  case power(Float)
  case clamp(Float, Float)
  case leakyReLU(Float), leakyMask(Float), insideMask(Float, Float), greaterMask(Float)
}
