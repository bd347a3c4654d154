import Foundation
import GAN

/// The workloads of ../shared/bench/WORKLOADS.md, step for step as `pytorch_reference.py` defines them.
struct Workload {
  let name: String
  let batch: Int
  let generator: Module
  let discriminator: Module
  let criticSteps: Int?
  let step: () -> Void
}

enum Workloads {
  static let all = ["W1", "W2", "W3", "W4", "W5", "W6"]

  static func make(_ id: String) -> Workload? {
    var rng = SeededGenerator(seed: 0)
    switch id {
    case "W1":
      let batch = 256, nz = 8
      let g = multilayerPerceptron(sizes: [nz, 64, 64, 1], activation: .leakyReLU(slope: 0.2), using: &rng)
      let d = multilayerPerceptron(sizes: [1, 64, 64, 1], activation: .leakyReLU(slope: 0.2), using: &rng)
      let step = standardStep(g, d, batch: batch, real: { rng in
        Tensor.randomNormal([batch, 1], mean: 4, std: 1.25, using: &rng)
      }, noise: [batch, nz])
      return Workload(name: "W1-toy-mlp", batch: batch, generator: g, discriminator: d, criticSteps: nil, step: step)
    case "W2":
      let batch = 512, nz = 16
      let g = multilayerPerceptron(sizes: [nz, 256, 256, 2], activation: .relu, using: &rng)
      let d = multilayerPerceptron(sizes: [2, 256, 256, 1], activation: .relu, using: &rng)
      let step = standardStep(g, d, batch: batch, real: { ring(batch, using: &$0) }, noise: [batch, nz])
      return Workload(name: "W2-ring-mlp", batch: batch, generator: g, discriminator: d, criticSteps: nil, step: step)
    case "W3":
      let batch = 512, nz = 16, criticSteps = 5
      let g = multilayerPerceptron(sizes: [nz, 256, 256, 2], activation: .relu, using: &rng)
      let d = multilayerPerceptron(sizes: [2, 256, 256, 1], activation: .relu, using: &rng)
      let optG = Adam(for: g, learningRate: 1e-4, beta1: 0.5, beta2: 0.9)
      let optD = Adam(for: d, learningRate: 1e-4, beta1: 0.5, beta2: 0.9)
      var state = SeededGenerator(seed: 1)
      let step = {
        for _ in 0..<criticSteps {
          let real = ring(batch, using: &state)
          let fake = withoutGradients { g(Tensor.randomNormal([batch, nz], using: &state)) }
          let penalty = gradientPenalty(critic: { d($0) }, real: real, fake: fake, weight: 10, using: &state)
          optD.minimize(d(fake).mean() - d(real).mean() + penalty)
        }
        optG.minimize(-d(g(Tensor.randomNormal([batch, nz], using: &state))).mean())
      }
      return Workload(name: "W3-wgan-gp-mlp", batch: batch, generator: g, discriminator: d, criticSteps: criticSteps,
                      step: step)
    case "W4":
      let batch = 64, nz = 100
      let g = MNISTGenerator(noiseSize: nz, width: 64, using: &rng), d = MNISTDiscriminator(width: 64, using: &rng)
      let pool = imagePool(batch: batch, shape: [1, 28, 28], using: &rng)
      var index = 0
      let step = standardStep(g, d, batch: batch, real: { _ in
        index = (index + 1) % pool.count
        return pool[index]
      }, noise: [batch, nz])
      return Workload(name: "W4-dcgan-mnist", batch: batch, generator: g, discriminator: d, criticSteps: nil, step: step)
    case "W5":
      let batch = 16, nz = 100
      let g = DCGANGenerator(resolution: 64, noiseSize: nz, width: 64, channels: 3, using: &rng)
      let d = DCGANDiscriminator(resolution: 64, width: 64, channels: 3, using: &rng)
      let pool = imagePool(batch: batch, shape: [3, 64, 64], using: &rng)
      var index = 0
      let step = standardStep(g, d, batch: batch, real: { _ in
        index = (index + 1) % pool.count
        return pool[index]
      }, noise: [batch, nz, 1, 1])
      return Workload(name: "W5-dcgan-64", batch: batch, generator: g, discriminator: d, criticSteps: nil, step: step)
    case "W6":
      // Two ResNet generators (ngf 16, 3 blocks) and two PatchGANs (ndf 16, 3 layers) on 32x32x3, batch 4; the
      // reference's step order; no image pool (the reference omits it: no effect on cost).
      let batch = 4
      let model = CycleGAN(channels: 3, generatorWidth: 16, blocks: 3, discriminatorWidth: 16, discriminatorLayers: 3,
                           configuration: .init(poolSize: 0), using: &rng)
      let poolA = imagePool(batch: batch, shape: [3, 32, 32], using: &rng)
      let poolB = imagePool(batch: batch, shape: [3, 32, 32], using: &rng)
      var index = 0
      let step = {
        index = (index + 1) % poolA.count
        _ = model.step(realA: poolA[index], realB: poolB[index])
      }
      return Workload(name: "W6-cyclegan-small", batch: batch, generator: model.generators.aToB,
                      discriminator: model.discriminators.domainB, criticSteps: nil, step: step)
    default:
      return nil
    }
  }

  /// The reference's step: D on a real batch and on a fake batch from fresh noise (G without gradients), BCE with
  /// logits, Adam; then G on fresh noise through D (D frozen), non-saturating BCE, Adam. Adam(2e-4, 0.5, 0.999).
  static func standardStep(
    _ g: some Layer, _ d: some Layer, batch: Int, real: @escaping (inout SeededGenerator) -> Tensor, noise: [Int]
  ) -> () -> Void {
    let optG = Adam(for: g, learningRate: 2e-4, beta1: 0.5, beta2: 0.999)
    let optD = Adam(for: d, learningRate: 2e-4, beta1: 0.5, beta2: 0.999)
    var state = SeededGenerator(seed: 1)
    return {
      let realBatch = real(&state)
      let fake = withoutGradients { g(Tensor.randomNormal(noise, using: &state)) }
      optD.minimize(
        binaryCrossEntropy(logits: d(realBatch), target: 1) + binaryCrossEntropy(logits: d(fake), target: 0))
      optG.minimize(binaryCrossEntropy(logits: d(g(Tensor.randomNormal(noise, using: &state))), target: 1))
    }
  }

  /// 8 Gaussians on a circle of radius 2, std 0.02.
  static func ring(_ batch: Int, using rng: inout SeededGenerator) -> Tensor {
    var values = [Float](repeating: 0, count: batch * 2)
    for i in 0..<batch {
      let angle = Float(rng.nextInt(below: 8)) * (2 * Float.pi / 8)
      values[2 * i] = 2 * cos(angle) + 0.02 * rng.nextNormal()
      values[2 * i + 1] = 2 * sin(angle) + 0.02 * rng.nextNormal()
    }
    return Tensor(shape: [batch, 2], scalars: values)
  }

  /// A fixed pool of 8 batches of uniform [-1, 1] "images", cycled through (no data loading cost).
  static func imagePool(batch: Int, shape: [Int], using rng: inout SeededGenerator) -> [Tensor] {
    (0..<8).map { _ in Tensor.randomUniform([batch] + shape, low: -1, high: 1, using: &rng) }
  }
}

/// Times a workload as the reference does: warm up, calibrate steps per repetition to last at least `minRepSeconds`,
/// time `reps` repetitions, report the median steps per second.
enum WorkloadTimer {
  static func run(_ w: Workload, reps: Int, minRepSeconds: Double, warmupSeconds: Double) -> [String: Any] {
    let warmStart = Date()
    var warmSteps = 0
    while warmSteps < 3 || Date().timeIntervalSince(warmStart) < warmupSeconds {
      w.step()
      warmSteps += 1
    }
    var one = Double.infinity
    for _ in 0..<3 { one = min(one, KernelBench.seconds(w.step)) }
    let stepsPerRep = max(1, Int((minRepSeconds / one).rounded(.up)))
    var rates: [Double] = []
    for _ in 0..<reps {
      let t = KernelBench.seconds { for _ in 0..<stepsPerRep { w.step() } }
      rates.append(Double(stepsPerRep) / t)
    }
    let median = rates.sorted()[rates.count / 2]
    var record: [String: Any] = [
      "record": "workload", "engine": "swift-gan-course", "workload": w.name, "batch": w.batch,
      "threads": Kernels.cores, "steps_per_s": round3(median), "steps_per_s_min": round3(rates.min()!),
      "steps_per_s_max": round3(rates.max()!), "images_or_samples_per_s": (median * Double(w.batch) * 10).rounded() / 10,
      "ms_per_step": round3(1000 / median), "params_G": w.generator.parameterCount,
      "params_D": w.discriminator.parameterCount, "steps_per_s_reps": rates.map(round3), "steps_per_rep": stepsPerRep,
      "reps": reps, "warmup_steps": warmSteps, "peak_rss_mb": peakResidentMegabytes(),
    ]
    if let critic = w.criticSteps {
      record["critic_steps_per_s"] = round3(median * Double(critic))
      record["generator_steps_per_s"] = round3(median)
    }
    return record
  }

  static func round3(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }

  /// The process's peak resident set size so far (getrusage's ru_maxrss, in MiB).
  static func peakResidentMegabytes() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return (Double(usage.ru_maxrss) / 1024 * 10).rounded() / 10
  }
}
