import Foundation
import CKernels

/// The number of chunks to split work of `cost` operations into (1 or the core count).
func chunkCount(cost: Int, items: Int) -> Int {
  // Work is split at the level of batches, channels or matrix rows (KernelThresholds.parallelFlops).
  guard cost >= Kernels.thresholds.parallelFlops, items > 1 else { return 1 }
  return min(items, Kernels.cores)
}

public enum Kernels {
  /// The cores used by the engine (the machine's active processors; `GAN_THREADS` overrides).
  public static let cores: Int = {
    var n = max(1, ProcessInfoLite.activeProcessorCount)
    if let text = getenvString("GAN_THREADS") {
      // An environment variable is user input: a value that means nothing is refused, not silently ignored.
      guard let value = Int(text.trimmingCharacters(in: .whitespaces)), (1...256).contains(value) else {
        FileHandle.standardError.write(Data("GAN_THREADS=\(text): must be a whole number from 1 to 256 (or unset: all cores)\n".utf8))
        exit(64)
      }
      n = value
    }
    gc_pool_configure(Int32(n))
    return n
  }()

  /// Runs `body(chunk)` for chunk in 0..<chunks on the engine's thread pool (see Sources/CKernels/pool.c).
  @inline(__always)
  static func parallelFor(_ chunks: Int, _ body: (Int) -> Void) {
    if chunks <= 1 {
      body(0)
      return
    }
    withoutActuallyEscaping(body) { escaping in
      var box = escaping
      withUnsafeMutablePointer(to: &box) { pointer in
        gc_parallel_for(Int32(chunks), { context, chunk in
          context!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(Int(chunk))
        }, pointer)
      }
    }
  }

  /// The range of `total` items that chunk `index` of `chunks` covers.
  @inline(__always)
  static func chunkRange(_ index: Int, of chunks: Int, total: Int) -> Range<Int> {
    let start = total * index / chunks
    let end = total * (index + 1) / chunks
    return start..<end
  }
}

/// Lets a closure that the caller guarantees is safe to share cross into the concurrent loop.
struct UncheckedBox<T>: @unchecked Sendable {
  let value: T
  init(_ value: T) { self.value = value }
}

/// A raw pointer that may cross into a concurrent loop: each chunk writes a disjoint part.
struct SharedPointer: @unchecked Sendable {
  let base: UnsafeMutablePointer<Float>
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

func getenvString(_ name: String) -> String? {
  guard let value = getenv(name) else { return nil }
  return String(cString: value)
}

enum ProcessInfoLite {
  static var activeProcessorCount: Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
}
