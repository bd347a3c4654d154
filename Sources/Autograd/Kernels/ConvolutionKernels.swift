import CKernels

/// The sizes of one 2D convolution from x [batch, inChannels, height, width] to
/// y [batch, outChannels, outHeight, outWidth] with weight [outChannels, inChannels / groups, kernelH, kernelW].
public struct ConvGeometry: Equatable, Sendable {
  public var batch, inChannels, height, width: Int
  public var outChannels, kernelH, kernelW, stride, padding, groups: Int
  public var outHeight: Int { (height + 2 * padding - kernelH) / stride + 1 }
  public var outWidth: Int { (width + 2 * padding - kernelW) / stride + 1 }
  var inputShape: [Int] { [batch, inChannels, height, width] }
  var outputShape: [Int] { [batch, outChannels, outHeight, outWidth] }
  var weightShape: [Int] { [outChannels, inChannels / groups, kernelH, kernelW] }
  /// Rows of the im2col matrix: one per (input channel, kernel row, kernel column).
  var columnRows: Int { inChannels * kernelH * kernelW }
  var flops: Int { 2 * batch * outChannels * outHeight * outWidth * (inChannels / groups) * kernelH * kernelW }
}

/// Convolutions as GEMM on im2col matrices. The batch is cut into one chunk per core; each chunk unfolds its images
/// side by side into one column matrix [inChannels * kH * kW, images * outPixels], so each group is a single large
/// product rather than one small product per image.
/// An array whose every element the caller overwrites before reading (im2col and GEMM outputs): skips the zeroing.
@inline(__always) func uninitialized(_ count: Int) -> [Float] {
  [Float](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
}

extension Kernels {
  /// Unfolds images [i0, i0 + count) of x into `col` (columnRows x count*P, P = output pixels). The copies are C
  /// (Sources/CKernels/im2col.c): AVX-512 runs for strides 1 and 2 where the CPU has it, plain loops elsewhere; `plain`
  /// forces the loops (the tests compare both).
  static func im2col(_ x: UnsafePointer<Float>, _ g: ConvGeometry, first i0: Int, count: Int,
                     _ col: UnsafeMutablePointer<Float>, plain: Bool = false) {
    gc_im2col(x + i0 * g.inChannels * g.height * g.width, Int32(g.inChannels), Int32(g.height), Int32(g.width),
              Int32(g.kernelH), Int32(g.kernelW), Int32(g.stride), Int32(g.padding), Int32(count), plain ? 1 : 0, col)
  }

  /// Whether im2col/col2im with this stride take the AVX-512 path on this CPU.
  static func im2colVectorized(stride: Int) -> Bool { gc_im2col_vectorized(Int32(stride)) != 0 }

  /// The adjoint of im2col: adds each column entry back onto the input pixel it came from.
  static func col2im(_ col: UnsafePointer<Float>, _ g: ConvGeometry, first i0: Int, count: Int,
                     _ x: UnsafeMutablePointer<Float>, plain: Bool = false) {
    gc_col2im(col, Int32(g.inChannels), Int32(g.height), Int32(g.width), Int32(g.kernelH), Int32(g.kernelW),
              Int32(g.stride), Int32(g.padding), Int32(count), plain ? 1 : 0, x + i0 * g.inChannels * g.height * g.width)
  }

  /// y[i, o, q] -> t[o, j * P + q] for the chunk's images (j = i - i0), and back.
  static func gatherChannelsFirst(_ y: UnsafePointer<Float>, channels: Int, pixels: Int, first i0: Int, count: Int,
                                  _ t: UnsafeMutablePointer<Float>) {
    for j in 0..<count {
      for o in 0..<channels {
        (t + o * count * pixels + j * pixels).update(from: y + ((i0 + j) * channels + o) * pixels, count: pixels)
      }
    }
  }

  static func scatterChannelsFirst(_ t: UnsafePointer<Float>, channels: Int, pixels: Int, first i0: Int, count: Int,
                                   _ y: UnsafeMutablePointer<Float>) {
    for j in 0..<count {
      for o in 0..<channels {
        (y + ((i0 + j) * channels + o) * pixels).update(from: t + o * count * pixels + j * pixels, count: pixels)
      }
    }
  }

  /// Cuts the batch into one chunk per core (one chunk for small work) and runs `body` for each chunk in parallel with
  /// the chunk's images and two scratch matrices of its own: the column matrix `col` (columnRows x images * P) and
  /// `staging` (outChannels x images * P, channels first, for moving y or gy between layouts; empty for one image).
  /// Images with at least `wideImage` output pixels already make wide products one at a time, so a chunk hands them
  /// to `body` one by one (`accumulate` is true after the chunk's first call): no layout moves, a smaller column
  /// matrix. Small images are unfolded side by side so that the product is wide.
  ///
  /// `keep` stores each chunk's column matrix after `body` (small images only: there it is the whole chunk's); with
  /// `saved` holding them, `body` is told (`ready`) that `col` already holds the chunk's columns.
  private static func forEachChunk(
    _ g: ConvGeometry, keep: SavedColumns? = nil, saved: SavedColumns? = nil,
    _ body: (_ chunk: Int, _ chunks: Int, _ images: Range<Int>, _ accumulate: Bool, _ ready: Bool,
             _ col: UnsafeMutablePointer<Float>, _ staging: UnsafeMutablePointer<Float>) -> Void
  ) {
    let pixels = g.outHeight * g.outWidth
    let chunks = chunkCount(cost: g.flops, items: g.batch)
    parallelFor(chunks) { chunk in
      let images = chunkRange(chunk, of: chunks, total: g.batch)
      let step = keepsColumns(g) ? images.count : 1
      let n = step * pixels
      var staging = uninitialized(step == 1 ? 0 : g.outChannels * n)
      func run(_ col: UnsafeMutablePointer<Float>, ready: Bool) {
        staging.withUnsafeMutableBufferPointer { ps in
          for start in stride(from: images.lowerBound, to: images.upperBound, by: step) {
            let part = start..<Swift.min(start + step, images.upperBound)
            body(chunk, chunks, part, start != images.lowerBound, ready, col, ps.baseAddress ?? col)
          }
        }
      }
      if let cached = saved?.columns(chunk, of: chunks) {
        // Read only (a mutable view would copy the kept array).
        cached.withUnsafeBufferPointer { pc in run(UnsafeMutablePointer(mutating: pc.baseAddress!), ready: true) }
        return
      }
      var col = uninitialized(g.columnRows * n)
      col.withUnsafeMutableBufferPointer { pc in run(pc.baseAddress!, ready: false) }
      keep?.store(col, chunk, of: chunks)
    }
  }

  /// Whether a convolution unfolds each batch chunk into one column matrix (images under 256 output pixels; wider
  /// ones make wide products one image at a time), so that the forward pass's columns can be kept for the weight
  /// gradient.
  static func keepsColumns(_ g: ConvGeometry) -> Bool { g.outHeight * g.outWidth < 256 }

  /// y = conv(x, w); `keep` receives the column matrices when given.
  static func conv2d(_ x: [Float], _ w: [Float], _ g: ConvGeometry, keep: SavedColumns? = nil) -> [Float] {
    if usesThinPath(g) { return thinConv2d(x, w, g) }
    let pixels = g.outHeight * g.outWidth
    var y = uninitialized(g.batch * g.outChannels * pixels)
    let gi = g.inChannels / g.groups * g.kernelH * g.kernelW, go = g.outChannels / g.groups
    x.withUnsafeBufferPointer { px in
      w.withUnsafeBufferPointer { pw in
        y.withUnsafeMutableBufferPointer { py in
          let X = UncheckedBox(px.baseAddress!), W = UncheckedBox(pw.baseAddress!), Y = SharedPointer(base: py.baseAddress!)
          forEachChunk(g, keep: keep) { _, chunks, images, _, _, col, staging in
            let n = images.count * pixels
            im2col(X.value, g, first: images.lowerBound, count: images.count, col)
            let out = images.count == 1 ? Y.base + images.lowerBound * g.outChannels * pixels : staging
            for group in 0..<g.groups {
              gemm(transA: false, transB: false, m: go, n: n, k: gi, W.value + group * go * gi, lda: gi,
                   col + group * gi * n, ldb: n, out + group * go * n, ldc: n, parallel: chunks == 1)
            }
            if images.count > 1 {
              scatterChannelsFirst(staging, channels: g.outChannels, pixels: pixels, first: images.lowerBound,
                                   count: images.count, Y.base)
            }
          }
        }
      }
    }
    return y
  }

  /// The chunk's part of gy as a channels-first matrix (outChannels x images * P): gy itself for one image, else
  /// gathered into `staging`.
  private static func channelsFirst(
    _ gy: UnsafePointer<Float>, _ g: ConvGeometry, _ images: Range<Int>, _ staging: UnsafeMutablePointer<Float>
  ) -> UnsafePointer<Float> {
    let pixels = g.outHeight * g.outWidth
    if images.count == 1 { return gy + images.lowerBound * g.outChannels * pixels }
    gatherChannelsFirst(gy, channels: g.outChannels, pixels: pixels, first: images.lowerBound, count: images.count,
                        staging)
    return UnsafePointer(staging)
  }

  /// The gradient with respect to x of <gy, conv(x, w)>: also the transposed convolution of gy by w.
  static func conv2dInputGrad(_ gy: [Float], _ w: [Float], _ g: ConvGeometry, blockFloats: Int = Kernels.thresholds.foldingBlockFloats)
    -> [Float]
  {
    if usesThinPath(g) { return thinConv2dInputGrad(gy, w, g) }
    let pixels = g.outHeight * g.outWidth
    var x = [Float](repeating: 0, count: g.batch * g.inChannels * g.height * g.width)
    let gi = g.inChannels / g.groups * g.kernelH * g.kernelW, go = g.outChannels / g.groups
    gy.withUnsafeBufferPointer { pg in
      w.withUnsafeBufferPointer { pw in
        x.withUnsafeMutableBufferPointer { px in
          let GY = UncheckedBox(pg.baseAddress!), W = UncheckedBox(pw.baseAddress!), X = SharedPointer(base: px.baseAddress!)
          forEachChunk(g) { _, chunks, images, _, _, col, staging in
            let n = images.count * pixels
            let source = channelsFirst(GY.value, g, images, staging)
            // A few images at a time, so that the column block is still in cache when col2im reads it.
            let block = foldingBlock(g, images: images.count, floats: blockFloats, whole: chunks == 1 && cores > 1)
            for start in stride(from: 0, to: images.count, by: block) {
              let count = Swift.min(block, images.count - start), width = count * pixels
              for group in 0..<g.groups {
                gemm(transA: true, transB: false, m: gi, n: width, k: go, W.value + group * go * gi, lda: gi,
                     source + group * go * n + start * pixels, ldb: n, col + group * gi * width, ldc: width,
                     parallel: chunks == 1)
              }
              col2im(col, g, first: images.lowerBound + start, count: count, X.base)
            }
          }
        }
      }
    }
    return x
  }

  /// How many images of a chunk of `images` conv2dInputGrad multiplies and folds back at a time: enough for a column
  /// block of about `floats` (all of them with `whole`, or when GAN_GEMM_SPLIT=0).
  static func foldingBlock(_ g: ConvGeometry, images: Int, floats: Int, whole: Bool) -> Int {
    let pixels = g.outHeight * g.outWidth
    let block = Swift.max(1, floats / (g.columnRows * pixels))
    if whole || block >= images || !keepsColumns(g) || gc_gemm_split_enabled() == 0 { return images }
    return block
  }

  /// The gradient with respect to w of <gy, conv(x, w)>, summed over the batch. `saved`: the forward pass's column
  /// matrices of this x, if it kept them (the same values im2col would make again).
  static func conv2dWeightGrad(_ x: [Float], _ gy: [Float], _ g: ConvGeometry, saved: SavedColumns? = nil) -> [Float] {
    if usesThinPath(g) { return thinConv2dWeightGrad(x, gy, g) }
    let pixels = g.outHeight * g.outWidth
    let chunks = chunkCount(cost: g.flops, items: g.batch)
    let gi = g.inChannels / g.groups * g.kernelH * g.kernelW, go = g.outChannels / g.groups
    let size = g.outChannels * gi
    var partial = [Float](repeating: 0, count: size * chunks)
    x.withUnsafeBufferPointer { px in
      gy.withUnsafeBufferPointer { pg in
        partial.withUnsafeMutableBufferPointer { pp in
          let X = UncheckedBox(px.baseAddress!), GY = UncheckedBox(pg.baseAddress!), P = SharedPointer(base: pp.baseAddress!)
          forEachChunk(g, saved: saved) { chunk, chunks, images, accumulate, ready, col, staging in
            let n = images.count * pixels
            if !ready { im2col(X.value, g, first: images.lowerBound, count: images.count, col) }
            let source = channelsFirst(GY.value, g, images, staging)
            for group in 0..<g.groups {
              gemm(transA: false, transB: true, m: go, n: gi, k: n, source + group * go * n, lda: n,
                   col + group * gi * n, ldb: n, P.base + chunk * size + group * go * gi, ldc: gi,
                   beta: accumulate ? 1 : 0, parallel: chunks == 1)
            }
          }
        }
      }
    }
    if chunks == 1 { return partial }
    var out = [Float](partial[0..<size])
    for c in 1..<chunks {
      for i in 0..<size { out[i] += partial[c * size + i] }
    }
    return out
  }
}

/// Stride-1 convolutions with few output channels (CycleGAN's last layer), computed directly
/// (Sources/CKernels/thin_conv.c): their column matrix would be kh·kw times the input for a product of 1 to 4 rows.
/// Images (forward, input gradient) or input channels (weight gradient) are split across the cores, each part
/// computed whole by one core, so the result does not depend on the number of cores.
extension Kernels {
  static func usesThinPath(_ g: ConvGeometry) -> Bool {
    g.stride == 1 && g.groups == 1 && g.outChannels <= 4 && g.kernelW <= 16
      && g.outHeight * g.outWidth >= thresholds.thinConvMinPixels && gc_thin_conv_available() != 0
  }

  /// The C geometry, in memory of its own that every core reads (deallocated by the caller).
  private static func thinGeometryPointer(_ g: ConvGeometry) -> UnsafeMutablePointer<gc_thin_geometry> {
    let pointer = UnsafeMutablePointer<gc_thin_geometry>.allocate(capacity: 1)
    pointer.initialize(
      to: gc_thin_geometry(
        in_channels: Int32(g.inChannels), out_channels: Int32(g.outChannels), h: Int32(g.height), w: Int32(g.width),
        kh: Int32(g.kernelH), kw: Int32(g.kernelW), pad: Int32(g.padding)))
    return pointer
  }

  /// Runs `body` over the batch's images, one range per core when the work is large enough.
  private static func forEachImageRange(_ g: ConvGeometry, _ body: (Range<Int>) -> Void) {
    let chunks = chunkCount(cost: g.flops, items: g.batch)
    parallelFor(chunks) { chunk in body(chunkRange(chunk, of: chunks, total: g.batch)) }
  }

  static func thinConv2d(_ x: [Float], _ w: [Float], _ g: ConvGeometry) -> [Float] {
    thinPass(x, w, g, outputCount: g.batch * g.outChannels * g.outHeight * g.outWidth, gc_thin_conv_forward)
  }

  static func thinConv2dInputGrad(_ gy: [Float], _ w: [Float], _ g: ConvGeometry) -> [Float] {
    thinPass(gy, w, g, outputCount: g.batch * g.inChannels * g.height * g.width, gc_thin_conv_input_grad)
  }

  /// Runs a per-image direct kernel (the forward pass or the input gradient) over the batch.
  private static func thinPass(
    _ input: [Float], _ w: [Float], _ g: ConvGeometry, outputCount: Int,
    _ kernel: @convention(c) (
      UnsafePointer<Float>?, UnsafePointer<Float>?, UnsafePointer<gc_thin_geometry>?, Int32, Int32,
      UnsafeMutablePointer<Float>?
    ) -> Int32
  ) -> [Float] {
    var output = uninitialized(outputCount)
    let geometry = UncheckedBox(thinGeometryPointer(g))
    defer { geometry.value.deallocate() }
    input.withUnsafeBufferPointer { pi in
      w.withUnsafeBufferPointer { pw in
        output.withUnsafeMutableBufferPointer { po in
          let I = UncheckedBox(pi.baseAddress!), W = UncheckedBox(pw.baseAddress!), O = SharedPointer(base: po.baseAddress!)
          forEachImageRange(g) { images in
            // 1 only for a geometry usesThinPath refuses, or when the scratch copy cannot be allocated.
            let status = kernel(I.value, W.value, geometry.value, Int32(images.lowerBound), Int32(images.count), O.base)
            precondition(status == 0, "direct convolution kernel failed on \(g)")
          }
        }
      }
    }
    return output
  }

  static func thinConv2dWeightGrad(_ x: [Float], _ gy: [Float], _ g: ConvGeometry) -> [Float] {
    var gw = uninitialized(g.outChannels * g.inChannels * g.kernelH * g.kernelW)
    let geometry = UncheckedBox(thinGeometryPointer(g))
    defer { geometry.value.deallocate() }
    let chunks = chunkCount(cost: g.flops, items: g.inChannels)
    x.withUnsafeBufferPointer { px in
      gy.withUnsafeBufferPointer { pg in
        gw.withUnsafeMutableBufferPointer { pw in
          let X = UncheckedBox(px.baseAddress!), GY = UncheckedBox(pg.baseAddress!), GW = SharedPointer(base: pw.baseAddress!)
          parallelFor(chunks) { chunk in
            let channels = chunkRange(chunk, of: chunks, total: g.inChannels)
            let status = gc_thin_conv_weight_grad(
              X.value, GY.value, geometry.value, Int32(g.batch), Int32(channels.lowerBound), Int32(channels.upperBound),
              GW.base)
            precondition(status == 0, "thinConv2dWeightGrad: geometry \(g) does not fit the direct kernel")
          }
        }
      }
    }
    return gw
  }
}

/// The column matrices of one convolution's forward pass, one per batch chunk, kept for its weight gradient: the
/// backward pass then skips unfolding the same x again (a third of the unfolding in a DCGAN step). Each chunk stores
/// and reads only its own slot.
final class SavedColumns: @unchecked Sendable {
  private let slots: UnsafeMutablePointer<[Float]>
  private let count: Int

  init(chunks: Int) {
    count = chunks
    slots = .allocate(capacity: chunks)
    slots.initialize(repeating: [], count: chunks)
  }

  deinit {
    slots.deinitialize(count: count)
    slots.deallocate()
  }

  func store(_ columns: [Float], _ chunk: Int, of chunks: Int) {
    if chunks == count { slots[chunk] = columns }
  }

  /// The chunk's columns, if stored under the same cut of the batch.
  func columns(_ chunk: Int, of chunks: Int) -> [Float]? {
    chunks == count && !slots[chunk].isEmpty ? slots[chunk] : nil
  }
}
