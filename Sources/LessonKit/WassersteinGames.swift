import Autograd
import Datasets
import Foundation
import GAN
import Plotting

// Lesson 05's games and figures: three GANs from lesson 04's poor start on the ring (saturating, clipped critic,
// penalized critic), measured the same way so their curves can share a figure.

extension Lesson {
  /// Plays one game on the ring from the shared start and measures it about `measurements` times: the exact W1
  /// between 200 generated and 200 data samples (an optimal assignment), the critic's own estimate
  /// E f(real) − E f(fake) on 1000 fresh samples each, the modes captured by 2500 samples and, under weight
  /// clipping, the share of weights within 10% of the bounds; a frame of the samples of `fixedNoise` (a panel over
  /// `dataPreview`) about `frames` times. Every step's critic loss is logged as "critic loss".
  public func playRingGame(
    _ name: String, _ trainer: GANTrainer, ring: GaussianRing, steps: Int, measurements: Int, frames: Int,
    fixedNoise: Tensor, dataPreview: Tensor, using rng: inout SeededGenerator
  ) -> TrainingLog<Panel> {
    let sampleRing: (Int, inout SeededGenerator) -> Tensor = { count, rng in ring.sample(count: count, using: &rng) }
    return train(
      steps: steps, label: name, measureEvery: .times(measurements, start: true),
      framesEvery: .times(frames, start: true)
    ) { _ in
      ["critic loss": Double(trainer.step(using: &rng).critic.loss)]
    } measure: { _ in
      let w1 = DisjointSupportStart.distance(of: trainer.generator, to: sampleRing, count: 200, using: &rng)
      let real = ring.sample(count: 1000, using: &rng), fake = trainer.generate(1000, using: &rng)
      let gap = withoutGradients { trainer.critic(real).mean().scalar - trainer.critic(fake).mean().scalar }
      let coverage = ModeCoverage(
        samples: trainer.generate(2500, using: &rng), centers: ring.modeCenters, std: ring.std)
      var values: TrainingValues = ["W1": w1, "estimate": Double(gap), "modes": Double(coverage.modesCaptured)]
      if case .weightClipping(let limit) = trainer.constraint {
        values["at bounds"] = fractionAtClippingBounds(of: trainer.critic, limit: limit, relativeTolerance: 0.1)
      }
      return values
    } frame: { step in
      Panel.toySamples(
        title: "\(name), step \(step)", data: dataPreview, samples: trainer.generate(from: fixedNoise), extent: 2.8)
    }
  }
}

extension Lesson {
  /// Trains every critic against its trainer's generator, which stays frozen (only critic steps are taken), for
  /// `steps` critic steps each, and measures about 150 times: the norm of the gradient each trainer's generator
  /// would get from its critic, ‖∇θ L_G‖ on `noise` ("norm 0", "norm 1", … in the order of `trainers`), and the
  /// share of `clipped`'s weights within 10% of ±`clip` ("at bounds"). A trained critic is only useful if that
  /// gradient survives its training.
  public func trainCriticsAgainstFrozenGenerators(
    _ trainers: [GANTrainer], steps: Int, label: String, noise: Tensor, clipped: Module, clip: Float,
    using rng: inout SeededGenerator
  ) -> TrainingLog<Void> {
    train(steps: steps, label: label, measureEvery: .times(150, start: true)) { _ in
      for trainer in trainers { trainer.criticStep(using: &rng) }
      return [:]
    } measure: { _ in
      var values: TrainingValues = [
        "at bounds": fractionAtClippingBounds(of: clipped, limit: clip, relativeTolerance: 0.1)
      ]
      for (i, trainer) in trainers.enumerated() {
        values["norm \(i)"] = generatorGradientNorm(
          generator: trainer.generator, critic: trainer.critic, loss: trainer.loss, noise: noise)
      }
      return values
    }
  }
}

extension Figure {
  /// What each critic says against the true distance, one panel per game: WGAN-GP's estimate beside the exact W1,
  /// the clipped critic's estimate alone (it is K·W1 for an unknown K), the saturating discriminator's loss beside
  /// the exact W1. Logs as `Lesson.playRingGame` writes them.
  public static func criticEstimates(
    penalized: TrainingLog<Panel>, clipped: TrainingLog<Panel>, saturating: TrainingLog<Panel>, steps: Int
  ) -> Figure {
    let estimate = "critic's E f(real) − E f(fake)"
    var panels = [
      Panel(
        title: "WGAN-GP", xLabel: "generator steps", yLabel: "W1",
        series: [
          .line(x: penalized.steps, y: penalized["W1"], label: "exact W1", color: .darkGrey, dashed: true),
          .line(x: penalized.steps, y: penalized["estimate"], label: estimate, color: .blue),
        ]),
      Panel(
        title: "WGAN (clipping): K·W1, K unknown", xLabel: "generator steps", yLabel: "critic's estimate",
        series: [.line(x: clipped.steps, y: clipped["estimate"], label: estimate, color: .orange)]),
      Panel(
        title: "saturating GAN", xLabel: "generator steps", yLabel: "W1, loss",
        series: [
          .line(x: saturating.steps, y: saturating["W1"], label: "exact W1", color: .darkGrey, dashed: true),
          .line(
            x: saturating.steps, y: saturating["critic loss"], label: "discriminator's loss", color: .vermillion),
        ]),
    ]
    // Room above the curves for the legends.
    let highest = Swift.max(penalized["W1"].max()!, penalized["estimate"].max()!)
    panels[0].yAxis.range = Swift.min(0, penalized["estimate"].min()!)...(highest * 1.6)
    panels[1].yAxis.range = Swift.min(0, clipped["estimate"].min()!)...(clipped["estimate"].max()! * 1.6)
    panels[2].yAxis.range = -0.1...(saturating["W1"].max()! * 1.6)
    for i in panels.indices { panels[i].xAxis.range = 0...Double(steps) }
    return Figure(
      name: "w1-estimate", title: "What each critic says, against the true distance", width: 1400, height: 1500,
      columns: 1, panels: panels)
  }

  /// Where a clipped critic's weights go: a histogram of its weights at the start and after training (±c marked),
  /// and the share within 10% of ±c over all critic steps, `steps` counted in critic steps, with the start of the
  /// game marked at `gameStart`.
  public static func clippedWeights(
    start: [Float], end: [Float], clip: Float, steps: [Int], shares: [Double], gameStart: Int
  ) -> Figure {
    let edge = Double(clip) * 1.15
    var histogram = Panel(title: "weights before and after training", xLabel: "weight", yLabel: "density",
                          legend: .topLeft)
    histogram.series = [
      .histogram(start, bins: 46, range: -edge...edge, label: "at the start", color: .gray),
      .histogram(end, bins: 46, range: -edge...edge, label: "after training", color: .orange),
    ]
    histogram.referenceLines = [.vertical(-Double(clip), label: "±c"), .vertical(Double(clip))]
    histogram.yAxis.range = 0...(Double(histogram.series.map { $0.columns[1].max() ?? 0 }.max()!) * 1.9)
    var share = Panel(
      title: "share of weights within 10% of ±c", xLabel: "critic steps (thousands)", yLabel: "share",
      series: [.line(x: steps.map { Double($0) / 1000 }, y: shares, label: "clipped critic", color: .orange)],
      referenceLines: [
        .horizontal(0.1, label: "an even spread"), .vertical(Double(gameStart) / 1000, label: "the game starts"),
      ])
    share.yAxis.range = 0...1.5
    return Figure(
      name: "clipped-weights", title: "Where the clipped critic's weights go", width: 1600, height: 720,
      columns: 2, panels: [histogram, share])
  }
}

extension Figure {
  /// The exact W1 to the data (left, with the sampling floor of two data samples dashed) and the modes captured
  /// (right) while each game trains, one colored line per game.
  public static func ringDistances(
    games: [(name: String, log: TrainingLog<Panel>, color: Color)], dataFloor: Double, steps: Int
  ) -> Figure {
    func panel(_ title: String, _ unit: String, _ name: String, legend: Legend) -> Panel {
      var panel = Panel(
        title: title, xLabel: "generator steps", yLabel: unit,
        series: games.map { Series.line(x: $0.log.steps, y: $0.log[name], label: $0.name, color: $0.color) },
        legend: legend)
      panel.xAxis.range = 0...Double(steps)
      return panel
    }
    var distance = panel("W1 (200 vs 200 samples, optimal assignment)", "W1", "W1", legend: .topRight)
    distance.yAxis.range = 0...(games.flatMap { $0.log["W1"] }.max()! * 1.65)
    distance.referenceLines = [.horizontal(dataFloor, label: "data vs data (sampling floor)")]
    var modes = panel("modes captured (of 8)", "modes", "modes", legend: .topLeft)
    modes.yAxis.range = -0.3...12.5
    return Figure(
      name: "distance", title: "Exact W1 to the data while the generators train", width: 1600, height: 720,
      columns: 2, panels: [distance, modes])
  }
}

extension Figure {
  /// The norm of the gradient a frozen generator gets from each critic while the critics train, relative to the same
  /// critic's value before its first step (log scale, 1 marked): whether a critic's gradient fades as it wins. The
  /// absolute norms differ by orders of magnitude between critics (a clipped critic's scale is set by c), so only
  /// the relative curves compare.
  public static func criticGradients(steps: [Int], critics: [(name: String, color: Color, norms: [Double])]) -> Figure {
    var figure = Figure(
      name: "critic-gradients", title: "The generator's gradient while each critic trains (G frozen)",
      xLabel: "critic steps", yLabel: "‖∇θ L_G‖ / its value at step 0 (log scale)")
    let relative = critics.map { critic in critic.norms.map { $0 / critic.norms[0] } }
    for (critic, norms) in zip(critics, relative) {
      figure.add(.line(x: steps, y: norms, label: critic.name, color: critic.color))
    }
    figure.add(.horizontal(1))
    figure.panel.yAxis.logScale = true
    figure.panel.legend = .bottomLeft
    figure.panel.yAxis.range = Axis.decades(covering: relative.flatMap { $0 }, below: 1)
    return figure
  }

  /// Critics side by side over the plane, 800 pixels square each (`Panel.critic`: the value as color, ∇f as arrows),
  /// each over `data` and the generated samples it judges.
  public static func critics(
    name: String, title: String, _ critics: [(title: String, critic: any Layer, samples: Tensor)], data: Tensor
  ) -> Figure {
    Figure(
      name: name, title: title, width: 800 * critics.count, height: 800, columns: critics.count,
      panels: critics.map { entry in
        .critic({ entry.critic($0) }, title: entry.title, data: data, samples: entry.samples)
      })
  }
}

/// The exact W1 (an optimal assignment) between two independent `count`-point samples of the same distribution,
/// averaged over `draws` pairs: the distance a perfect generator would still show with samples this size, the floor
/// a measured W1 is read against.
public func samplingFloorW1(
  draws: Int, count: Int, sample: (Int, inout SeededGenerator) -> Tensor, using rng: inout SeededGenerator
) -> Double {
  (0..<draws).map { _ in
    assignmentWasserstein(sample(count, &rng), sample(count, &rng))
  }.reduce(0, +) / Double(draws)
}
