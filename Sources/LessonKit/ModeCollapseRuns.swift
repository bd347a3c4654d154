import Autograd
import Datasets
import Foundation
import GAN
import NN
import Plotting

// Lesson 03's runs: the same GAN on a toy target with one countermeasure in D, and the standard report of each
// group of runs (modes over training, final samples, the protocol's three numbers).

/// The GAN of lesson 03 and how it is measured: G and D are MLPs with two hidden layers (leaky ReLU 0.2), Adam with
/// β₁ = 0.5, both learning rates falling linearly to zero after `cooldownFrom` of the steps; a run is counted on
/// `sampleCount` samples, a mode captured with at least `minimumCount` high-quality samples.
public struct ModeCollapseSettings {
  public var noise: Int
  public var hidden: Int
  public var batch: Int
  public var learningRateG: Float
  public var learningRateD: Float
  public var cooldownFrom: Double
  /// The minibatch-discrimination layer: kernels (rows of T), numbers per row, the initial scale of T, and whether
  /// the closeness is summed over the batch (the paper) rather than averaged.
  public var kernels: Int
  public var kernelSize: Int
  public var kernelScale: Float
  public var summedCloseness: Bool
  public var sampleCount: Int
  public var minimumCount: Int

  public init(
    noise: Int, hidden: Int, batch: Int, learningRateG: Float, learningRateD: Float, cooldownFrom: Double,
    kernels: Int, kernelSize: Int, kernelScale: Float, summedCloseness: Bool, sampleCount: Int, minimumCount: Int
  ) {
    (self.noise, self.hidden, self.batch) = (noise, hidden, batch)
    (self.learningRateG, self.learningRateD, self.cooldownFrom) = (learningRateG, learningRateD, cooldownFrom)
    (self.kernels, self.kernelSize, self.kernelScale) = (kernels, kernelSize, kernelScale)
    (self.summedCloseness, self.sampleCount, self.minimumCount) = (summedCloseness, sampleCount, minimumCount)
  }
}

/// One run of lesson 03: the trainer (to sample from), the mode timeline, and the log whose frames are samples.
public typealias ModeCollapseRun = (trainer: GANTrainer, timeline: ModeTimeline, log: TrainingLog<Tensor>)

/// How a group of runs is drawn: one color and one short panel title per countermeasure, in `variants` order.
public struct ModeCollapseStyle {
  public var variants: [ToyDiscriminator.Countermeasure]
  public var colors: [Color]
  public var shortTitles: [String]

  public init(variants: [ToyDiscriminator.Countermeasure], colors: [Color], shortTitles: [String]) {
    (self.variants, self.colors, self.shortTitles) = (variants, colors, shortTitles)
  }
}

extension Lesson {
  /// Trains the GAN of `settings` with one countermeasure in D on `target`; records the mode timeline `checkpoints`
  /// times and 600 samples `frames` times. Separate random streams make every variant start from the same G and see
  /// the same data and noise.
  public func playModeCollapse(
    _ countermeasure: ToyDiscriminator.Countermeasure, on target: any ToyDistribution, steps: Int, checkpoints: Int,
    frames: Int, label: String, settings s: ModeCollapseSettings
  ) -> ModeCollapseRun {
    var gInit = makeGenerator(offset: 1), dInit = makeGenerator(offset: 2)
    var rng = makeGenerator(offset: 3), measureRNG = makeGenerator(offset: 4)
    let g = multilayerPerceptron(
      sizes: [s.noise, s.hidden, s.hidden, 2], activation: .leakyReLU(slope: 0.2), using: &gInit)
    let d = ToyDiscriminator(
      sizes: [2, s.hidden, s.hidden], activation: .leakyReLU(slope: 0.2), countermeasure: countermeasure,
      minibatchKernels: s.kernels, minibatchKernelSize: s.kernelSize, averagedCloseness: !s.summedCloseness,
      minibatchInitialScale: s.kernelScale, using: &dInit)
    let optG = Adam(for: g, learningRate: s.learningRateG, beta1: 0.5)
    let optD = Adam(for: d, learningRate: s.learningRateD, beta1: 0.5)
    let trainer = GANTrainer(
      generator: g, critic: d, generatorOptimizer: optG, criticOptimizer: optD, loss: .nonSaturating,
      batchSize: s.batch, noiseSize: s.noise, sampleData: { count, rng in target.sample(count: count, using: &rng) })
    let cooldownStart = Int(Double(steps) * s.cooldownFrom)
    let cooldown = LinearDecaySchedule(constantEpochs: cooldownStart, decayEpochs: steps - cooldownStart)
    var timeline = ModeTimeline(centers: target.modeCenters, std: target.modeStds[0], minimumCount: s.minimumCount)
    let log = train(
      steps: steps, label: label, measureEvery: .times(checkpoints),
      framesEvery: .times(frames, start: true, end: false)
    ) { step in
      optG.learningRate = cooldown.learningRate(base: s.learningRateG, epoch: step - 1)
      optD.learningRate = cooldown.learningRate(base: s.learningRateD, epoch: step - 1)
      let result = trainer.step(using: &rng)
      return ["D loss": Double(result.critic.loss), "G loss": Double(result.generatorLoss)]
    } measure: { step in
      timeline.record(step: step, samples: trainer.generate(s.sampleCount, using: &measureRNG))
      return ["modes": Double(timeline.coverages.last!.modesCaptured)]
    } frame: { _ in
      trainer.generate(600, using: &measureRNG)
    }
    return (trainer, timeline, log)
  }

  /// Draws the modes each run captured during training (`[PREFIX-]modes-captured.png`), measures each run on the
  /// same `sampleCount` noise vectors, writes those samples (`final-samples-[PREFIX-]VARIANT.dat`), draws them side
  /// by side (`[PREFIX-]final-samples.png`) and tabulates the protocol's three numbers; returns the final coverages.
  public func reportModeCollapse(
    _ runs: [ModeCollapseRun], on target: any ToyDistribution, style: ModeCollapseStyle, prefix: String,
    extent: Double, title: String, settings: ModeCollapseSettings, caption: String
  ) -> [ModeCoverage] {
    let (variants, colors) = (style.variants, style.colors)
    let name = { (file: String) in prefix.isEmpty ? file : "\(prefix)-\(file)" }
    var captured = Figure(
      name: name("modes-captured"), title: "\(title): modes captured during training (of \(target.modeCount))",
      xLabel: "step", yLabel: "modes captured")
    for (i, run) in runs.enumerated() {
      let counts = run.timeline.coverages.map(\.modesCaptured)
      captured.add(.line(x: run.timeline.steps, y: counts, label: variants[i].title, color: colors[i]))
    }
    let most = runs.flatMap { $0.timeline.coverages.map(\.modesCaptured) }.max() ?? 0
    captured.panel.yAxis.range = -0.3...(Double(Swift.max(5, most)) + 0.5)
    captured.panel.legend = .topLeft
    figure(captured, caption: "Measured on \(settings.sampleCount) fresh samples at each checkpoint.")

    let samples = runs.map { run in
      var rng = makeGenerator(offset: 5)
      return run.trainer.generate(settings.sampleCount, using: &rng)
    }
    let coverages = samples.map {
      ModeCoverage(
        samples: $0, centers: target.modeCenters, std: target.modeStds[0], minimumCount: settings.minimumCount)
    }
    for (i, variant) in variants.enumerated() {
      writePoints(
        samples[i], name: "final-samples-\(name(variant.fileName))",
        about: "\(title): final samples of the \(variant.title)")
    }
    let panels = variants.indices.map { i in
      Panel.samples(
        title: "\(style.shortTitles[i]): \(coverages[i].modesCaptured) of \(target.modeCount)", samples[i],
        centers: target.modeCenters, extent: extent, color: colors[i])
    }
    figure(
      Figure(
        name: name("final-samples"), title: "\(title): \(settings.sampleCount) samples each (same noise)",
        width: 1500, height: 600, columns: 3, panels: panels),
      caption: caption)

    var table = "| run | modes captured (of \(target.modeCount)) | high quality | KL to uniform | training time |\n"
    table += "|---|---|---|---|---|\n"
    for (i, c) in coverages.enumerated() {
      table +=
        "| \(variants[i].title) | \(c.modesCaptured) | \(String(format: "%.1f", 100 * c.highQualityFraction))% | "
        + "\(c.klText) | \(String(format: "%.1f", runs[i].log.seconds)) s |\n"
    }
    narrate(table)
    for (i, c) in coverages.enumerated() {
      let run = prefix.isEmpty ? variants[i].title : "\(prefix), \(variants[i].title)"
      show("\(run): modes captured", c.modesCaptured)
      show("\(run): high quality", 100 * c.highQualityFraction, unit: "%")
      show("\(run): KL to uniform", c.klToUniform)
    }
    return coverages
  }
}
