import Autograd
import Foundation

enum Scratch {
  static func run() {
    var rng = SeededGenerator(seed: 1)
    let x = Tensor.randomNormal([256, 64], using: &rng)
    let w = Tensor.randomNormal([64, 64], using: &rng, requiresGrad: true)
    let b = Tensor.randomNormal([64], using: &rng, requiresGrad: true)
    let small = Tensor.randomNormal([4], using: &rng, requiresGrad: true)
    func time(_ name: String, _ n: Int, _ body: () -> Void) {
      let t = KernelBench.median(reps: 3, calls: n, body)
      print(name.padding(toLength: 40, withPad: " ", startingAt: 0), String(format: "%.2f us", t * 1e6))
    }
    time("small add (4)", 20000) { _ = small + small }
    time("small add no grad", 20000) { withoutGradients { _ = small + small } }
    time("matmul 256x64x64", 2000) { _ = matmul(x, w) }
    time("add bias 256x64", 2000) { _ = x + b }
    time("leakyReLU 256x64", 2000) { _ = leakyReLU(x) }
    time("sigmoid 256x64", 2000) { _ = sigmoid(x) }
    time("linear+lrelu fwd+bwd", 1000) {
      let y = leakyReLU(matmul(x, w) + b)
      y.sum().backward()
    }
    time("bce 256x1 fwd+bwd", 2000) {
      let l = binaryCrossEntropy(logits: x.sliced(axis: 1, 0..<1) * w.sliced(axis: 1, 0..<1).sum(), target: 1)
      l.backward()
    }
  }
}
extension Scratch {
  static func split() {
    for (m, n, k) in [(256, 64, 64), (512, 256, 256), (256, 256, 256), (512, 256, 2), (512, 2, 256), (64, 512, 128)] {
      var rng = SeededGenerator(seed: 1)
      let a = Tensor.randomNormal([m * k], using: &rng).scalars, b = Tensor.randomNormal([k * n], using: &rng).scalars
      var c = [Float](repeating: 0, count: m * n)
      let t1 = KernelBench.median(reps: 5, calls: 200) { Kernels.benchmarkGEMM(m: m, n: n, k: k, a: a, b: b, c: &c, parallel: false) }
      let t2 = KernelBench.median(reps: 5, calls: 200) { Kernels.benchmarkGEMM(m: m, n: n, k: k, a: a, b: b, c: &c, parallel: true) }
      print(m, n, k, "flops", 2 * m * n * k, String(format: "single %.1f us  split %.1f us", t1 * 1e6, t2 * 1e6))
    }
  }
}
