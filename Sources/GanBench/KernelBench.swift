import Autograd
import Foundation

/// The engine's kernel benchmark: GEMM on one and two cores, and convolutions at the DCGAN-on-MNIST shapes against
/// the GEMM rate they reduce to. Prints one JSON object per line (record "kernel") and a readable summary.
enum KernelBench {
  static func seconds(_ body: () -> Void) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
  }

  /// The median over `reps` of the mean time per call, each rep running `calls` calls after one warm-up call.
  static func median(reps: Int, calls: Int, _ body: () -> Void) -> Double {
    body()
    var times: [Double] = []
    for _ in 0..<reps { times.append(seconds { for _ in 0..<calls { body() } } / Double(calls)) }
    return times.sorted()[times.count / 2]
  }

  static func gemmRate(_ m: Int, _ n: Int, _ k: Int, parallel: Bool, reps: Int) -> Double {
    var rng = SeededGenerator(seed: 1)
    let a = Tensor.randomNormal([m * k], using: &rng).scalars, b = Tensor.randomNormal([k * n], using: &rng).scalars
    var c = [Float](repeating: 0, count: m * n)
    let flops = 2.0 * Double(m * n * k)
    let calls = max(1, Int(2e9 / flops))
    let t = median(reps: reps, calls: calls) { Kernels.benchmarkGEMM(m: m, n: n, k: k, a: a, b: b, c: &c, parallel: parallel) }
    return flops / t / 1e9
  }

  struct ConvCase {
    let name: String
    let transposed: Bool
    let input: [Int]
    let weight: [Int]
  }

  static func run(reps: Int, emit: (String) -> Void) {
    emit(#"{"record": "blas", "description": "\#(Kernels.blasDescription)", "cores": \#(Kernels.cores)}"#)
    let peak = Kernels.fmaPeak()
    emit(#"{"record": "kernel", "kernel": "FMA peak (12 chains in registers, \#(peak.vectorBits)-bit), 1 core", "gflops": \#(round1(peak.gflops))}"#)
    let single256 = gemmRate(256, 256, 256, parallel: false, reps: reps)
    let single1024 = gemmRate(1024, 1024, 1024, parallel: false, reps: reps)
    let both1024 = gemmRate(1024, 1024, 1024, parallel: true, reps: reps)
    emit(#"{"record": "kernel", "kernel": "sgemm 256x256x256, 1 core", "gflops": \#(round1(single256))}"#)
    emit(#"{"record": "kernel", "kernel": "sgemm 1024x1024x1024, 1 core", "gflops": \#(round1(single1024))}"#)
    emit(#"{"record": "kernel", "kernel": "sgemm 1024x1024x1024, \#(Kernels.cores) cores", "gflops": \#(round1(both1024)), "speedup": \#(round2(both1024 / single1024))}"#)

    // DCGAN on MNIST, batch 64: the discriminator's convolutions and the generator's transposed convolutions.
    let cases = [
      ConvCase(name: "D conv 1->64, 28->14", transposed: false, input: [64, 1, 28, 28], weight: [64, 1, 4, 4]),
      ConvCase(name: "D conv 64->128, 14->7", transposed: false, input: [64, 64, 14, 14], weight: [128, 64, 4, 4]),
      ConvCase(name: "G convT 128->64, 7->14", transposed: true, input: [64, 128, 7, 7], weight: [128, 64, 4, 4]),
      ConvCase(name: "G convT 64->1, 14->28", transposed: true, input: [64, 64, 14, 14], weight: [64, 1, 4, 4]),
    ]
    var rng = SeededGenerator(seed: 2)
    for c in cases {
      let x = Tensor.randomNormal(c.input, using: &rng, requiresGrad: true)
      let w = Tensor.randomNormal(c.weight, std: 0.02, using: &rng, requiresGrad: true)
      func forward() -> Tensor {
        c.transposed ? convTranspose2d(x, w, stride: 2, padding: 1) : conv2d(x, w, stride: 2, padding: 1)
      }
      let y = forward()
      let seed = Tensor.randomNormal(y.shape, using: &rng)
      // The three products of forward + backward: the conv's own GEMM, its input gradient, its weight gradient.
      let (m, n, k) = gemmShape(c, output: y.shape)
      let flops = 3 * 2.0 * Double(m * n * k)
      let tConv = median(reps: reps, calls: 5) {
        let out = forward()
        _ = gradients(of: out, wrt: [x, w], seed: seed)
      }
      let tGEMM = gemmOnlyTime(m: m, n: n, k: k, reps: reps)
      let rate = flops / tConv / 1e9, gemmRate = flops / tGEMM / 1e9
      emit(#"{"record": "kernel", "kernel": "\#(c.name) forward+backward", "gflops": \#(round1(rate)), "gemm_gflops": \#(round1(gemmRate)), "fraction_of_gemm": \#(round2(rate / gemmRate))}"#)
    }
  }

  /// The GEMM a convolution reduces to (as the im2col product of the whole batch): M x N x K.
  static func gemmShape(_ c: ConvCase, output: [Int]) -> (Int, Int, Int) {
    if c.transposed {
      // convT from x [N, Cin, H, W] = input-gradient of a conv from [N, Cout, Ho, Wo] to x.
      let (cin, cout, k) = (c.weight[0], c.weight[1], c.weight[2])
      return (cin, c.input[0] * c.input[2] * c.input[3], cout * k * k)
    }
    let (cout, cin, k) = (c.weight[0], c.weight[1], c.weight[2])
    return (cout, output[0] * output[2] * output[3], cin * k * k)
  }

  /// Time of the three products (forward, input gradient, weight gradient) as plain GEMMs on preallocated buffers,
  /// split across the cores the same way.
  static func gemmOnlyTime(m: Int, n: Int, k: Int, reps: Int) -> Double {
    var rng = SeededGenerator(seed: 3)
    let w = Tensor.randomNormal([m * k], using: &rng).scalars, col = Tensor.randomNormal([k * n], using: &rng).scalars
    let g = Tensor.randomNormal([m * n], using: &rng).scalars
    var y = [Float](repeating: 0, count: m * n), dcol = [Float](repeating: 0, count: k * n)
    var dw = [Float](repeating: 0, count: m * k)
    return median(reps: reps, calls: 5) {
      Kernels.benchmarkGEMM(m: m, n: n, k: k, a: w, b: col, c: &y, parallel: true)
      Kernels.benchmarkGEMM(transA: true, m: k, n: n, k: m, a: w, b: g, c: &dcol, parallel: true)
      Kernels.benchmarkGEMM(transB: true, m: m, n: k, k: n, a: g, b: col, c: &dw, parallel: true)
    }
  }

  static func round1(_ x: Double) -> Double { (x * 10).rounded() / 10 }
  static func round2(_ x: Double) -> Double { (x * 100).rounded() / 100 }
}
