/// The sizes at which the kernel layer takes its fast paths: splitting work across the cores, splitting small
/// products, folding convolution gradients block by block. They are a configuration,
/// not constants, so that the tests can run the finite-difference table of every primitive a second time with every
/// fast path taken at the table's tiny sizes (`everyFastPath`); the defaults are what measured fastest
/// (Benchmarks/RESULTS.md). Changing them never changes a rule, only which kernel computes a result.
public struct KernelThresholds: Sendable {
  /// Products and convolutions are split across the cores from this many floating-point operations: below it a
  /// split costs more than it saves.
  public var parallelFlops = 1 << 22
  /// ... and each core's part of a product has at least this many rows (or columns) of the output.
  public var rowsPerChunk = 16
  /// Products from this many operations up to `parallelFlops` are split into one part per core, not into
  /// `rowsPerChunk`-row chunks (toy MLPs: 256 x 64 x 64 is 2.1 M).
  public var smallSplitFlops = 1 << 19
  /// Element-wise passes, reductions and optimiser updates are split from this many elements: a hand-off to the
  /// pool's spinning worker costs about a microsecond, a pass over 64k floats tens of microseconds.
  public var parallelElements = 1 << 16
  /// The column block, in floats, that a convolution's input gradient multiplies and folds back at a time: 2 MB,
  /// small enough that col2im reads it from cache right after its product.
  public var foldingBlockFloats = 1 << 19
  /// Stride-1 convolutions with at most 4 output channels take the direct kernels (no im2col) from this many output
  /// pixels per image: below it the column matrix is small and the product fast.
  public var thinConvMinPixels = 256

  public init() {}

  /// Every fast path at any size: what the finite-difference table runs under a second time.
  public static var everyFastPath: KernelThresholds {
    var thresholds = KernelThresholds()
    thresholds.parallelFlops = 1
    thresholds.rowsPerChunk = 1
    thresholds.smallSplitFlops = 1
    thresholds.parallelElements = 2
    thresholds.foldingBlockFloats = 16
    thresholds.thinConvMinPixels = 1
    return thresholds
  }
}

extension Kernels {
  /// The thresholds in force. Set them only while no other thread runs engine work (tests do, around a whole
  /// table): they are read without a lock on every kernel call.
  nonisolated(unsafe) public static var thresholds = KernelThresholds()

  /// Runs `body` with `thresholds` in force, then restores the previous ones.
  public static func withThresholds<T>(_ thresholds: KernelThresholds, _ body: () throws -> T) rethrows -> T {
    let previous = Self.thresholds
    Self.thresholds = thresholds
    defer { Self.thresholds = previous }
    return try body()
  }
}
