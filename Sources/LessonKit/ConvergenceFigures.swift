import Autograd
import Datasets
import Foundation
import GAN
import Plotting

// Lesson 09's runs and figures: Dirac-GAN trajectories against the linear theory, and GANs on the ring measured
// for how much they still move.

/// A named, colored Dirac-GAN trajectory, as lesson 09's figures draw it.
public typealias DiracSetting = (name: String, color: Color, run: DiracTrajectory)

extension Panel {
  /// A Dirac-GAN trajectory over the direction of the field its steps follow, from the black dot at its start to
  /// (or away from) the green square at the equilibrium, in a square of half-width `extent`. The field is scaled by
  /// the rates relative to `referenceRate`, so two time scales draw the field they really follow.
  public static func diracTrajectory(_ setting: DiracSetting, extent: Float, referenceRate: Float) -> Panel {
    let run = setting.run, start = run.states[0]
    let field = run.game.fieldDirections(
      extent: extent, count: 14, generatorRate: run.generatorRate / referenceRate,
      discriminatorRate: run.discriminatorRate / referenceRate)
    let rates =
      run.generatorRate == run.discriminatorRate
      ? "h = \(run.discriminatorRate)" : "h_G = \(run.generatorRate), h_D = \(run.discriminatorRate)"
    var panel = Panel(
      title: "\(setting.name) (\(rates)\(run.game.r1Weight > 0 ? ", γ = \(run.game.r1Weight)" : ""))",
      xLabel: "θ (generator)", yLabel: "ψ (discriminator)", legend: .hidden, equalAspect: true)
    panel.series = [
      .vectors(x: field.x, y: field.y, dx: field.dx, dy: field.dy, color: .gray, width: 1.5),
      .line(x: run.states.map(\.theta), y: run.states.map(\.psi), color: setting.color, width: 2.5),
      .points(x: [start.theta], y: [start.psi], color: .black, size: 2.5),
      .points(x: [Float(0)], y: [Float(0)], color: .green, size: 3, pointType: 5),
    ]
    panel.xAxis.range = -Double(extent)...Double(extent)
    panel.yAxis.range = -Double(extent)...Double(extent)
    return panel
  }
}

extension Figure {
  /// Every trajectory over the training field it follows (`Panel.diracTrajectory`), two panels a row, all in one
  /// square that holds the farthest point any of them reached (at least ±1.1), so that their sizes compare.
  public static func diracField(_ settings: [DiracSetting], steps: Int, referenceRate: Float) -> Figure {
    let farthest = settings.map { $0.run.states.map(\.distanceToEquilibrium).max()! }.max()!
    let extent = Float(Swift.max(1.1, 1.15 * farthest))
    return Figure(
      name: "dirac-field", title: "The Dirac-GAN: training field and \(steps) steps from the same start",
      width: 1500, height: 1500, columns: 2,
      panels: settings.map { .diracTrajectory($0, extent: extent, referenceRate: referenceRate) })
  }

  /// The distance of each trajectory from the equilibrium relative to its start (solid, log scale), against the
  /// linear theory's ρᵏ, ρ the spectral radius of the update matrix (dashed, same color).
  public static func diracDistances(_ settings: [DiracSetting], steps: Int) -> Figure {
    var figure = Figure(
      name: "dirac-distance", title: "Distance to the equilibrium: measured and predicted",
      xLabel: "step", yLabel: "distance / distance at the start (log scale)", width: 1900, height: 850)
    let stepsAxis = Array(0...steps)
    for (name, color, run) in settings {
      let r0 = run.distances[0], rho = run.matrix.spectralRadius
      figure.add(.line(x: stepsAxis, y: run.distances.map { $0 / r0 }, label: "\(name), measured", color: color))
      figure.add(
        .line(
          x: stepsAxis, y: stepsAxis.map { pow(rho, Double($0)) },
          label: "predicted ρᵏ, ρ = \(String(format: "%.5f", rho))", color: color, width: 2, dashed: true))
    }
    figure.panel.yAxis.logScale = true
    figure.panel.legend = .outside
    let ratios = settings.flatMap { setting in setting.run.distances.map { $0 / setting.run.distances[0] } }
    figure.panel.yAxis.range = Axis.decades(covering: ratios)
    figure.panel.xAxis.range = 0...Double(steps)
    return figure
  }
}

/// One GAN on the ring with its measurements (see `Lesson.playRingStability`).
public typealias RingRun = (name: String, color: Color, trainer: GANTrainer, log: TrainingLog<Void>)

extension Lesson {
  /// Trains a GAN on `ring` with the non-saturating loss for `steps` steps and measures it about `measurements`
  /// times: W1 from G's images of `fixedNoise` to the fixed data set `fixedReal` (fixed sets, so the curve moves
  /// only when G moves), how far those images moved since the previous measurement ("movement", mean ‖ΔG(z)‖),
  /// and the modes captured by G's images of `plotNoise` (at least 8 within 3σ). The trainer brings G and D; its
  /// randomness comes from `stream`.
  public func playRingStability(
    _ name: String, color: Color, trainer: GANTrainer, ring: GaussianRing, steps: Int, measurements: Int,
    fixedNoise: Tensor, fixedReal: Tensor, plotNoise: Tensor, stream: inout SeededGenerator
  ) -> RingRun {
    var previous: Tensor?
    let log = train(steps: steps, label: name, measureEvery: .times(measurements, start: true)) { _ in
      trainer.step(using: &stream)
      return [:]
    } measure: { _ in
      let fake = trainer.generate(from: fixedNoise)
      defer { previous = fake }
      let coverage = ModeCoverage(
        samples: trainer.generate(from: plotNoise), centers: ring.modeCenters, std: ring.std, minimumCount: 8)
      var values: TrainingValues = [
        "W1": assignmentWasserstein(fixedReal, fake), "modes": Double(coverage.modesCaptured),
      ]
      values["movement"] = previous.map { Double((fake - $0).rowNorms().mean().scalar) }
      return values
    }
    return (name, color, trainer, log)
  }
}

extension Lesson {
  /// A GAN for the ring of lesson 09: G and D are MLPs with two hidden layers of `hidden` units (ReLU in G, leaky
  /// ReLU 0.2 in D) on `noiseSize`-dimensional noise, D spectrally normalized when `powerIterations` is given, the
  /// non-saturating loss, one D step per G step, Adam with β = (`beta1`, 0.999). The weights come from streams of
  /// their own (seed offsets 10 and 11, the normalization's 12), so every setting starts from the same G and D.
  public func ringGAN(
    ring: GaussianRing, hidden: Int, noiseSize: Int, batch: Int, generatorRate: Float, discriminatorRate: Float,
    beta1: Float, spectralNorm powerIterations: Int?
  ) -> GANTrainer {
    var gStream = makeGenerator(offset: 10), dStream = makeGenerator(offset: 11)
    var snStream = makeGenerator(offset: 12)
    let g = multilayerPerceptron(sizes: [noiseSize, hidden, hidden, 2], activation: .relu, using: &gStream)
    var d = multilayerPerceptron(sizes: [2, hidden, hidden, 1], activation: .leakyReLU(slope: 0.2), using: &dStream)
    if let powerIterations { d = spectrallyNormalized(d, powerIterations: powerIterations, using: &snStream) }
    return GANTrainer(
      generator: g, critic: d, generatorOptimizer: Adam(for: g, learningRate: generatorRate, beta1: beta1),
      criticOptimizer: Adam(for: d, learningRate: discriminatorRate, beta1: beta1), loss: .nonSaturating,
      batchSize: batch, noiseSize: noiseSize, sampleData: { count, rng in ring.sample(count: count, using: &rng) })
  }
}

extension Lesson {
  /// Shows how much a ring run still swings at the end: the spread of its W1 over the tail `w1` (standard
  /// deviation, max − min, mean, median and mean |change| per measurement), the median `movement` of G's points per
  /// measurement, the modes captured at the end and the run's seconds. The labels say "last half": lesson 09
  /// measures the last half of training.
  public func showStability(_ run: RingRun, w1: TailSpread, movement: TailSpread) {
    show("\(run.name): W1 std over the last half", w1.standardDeviation)
    show("\(run.name): W1 max − min over the last half", w1.range)
    show("\(run.name): mean W1 over the last half", w1.mean)
    show("\(run.name): median |change| of W1 per measurement, last half", w1.medianAbsoluteChange)
    show("\(run.name): mean |change| of W1 per measurement, last half", w1.meanAbsoluteChange)
    show("\(run.name): median movement of G's points per measurement", movement.median)
    show("\(run.name): modes captured at the end", run.log.last("modes"))
    show("\(run.name): seconds", run.log.seconds, unit: "s")
  }
}

extension Figure {
  /// Each ring run's samples at the end: G's images of `noise` in the run's color over `data` in gray, one panel
  /// per run, titled with the step it reached.
  public static func ringSamples(_ runs: [RingRun], noise: Tensor, data: Tensor, steps: Int) -> Figure {
    let (x, y) = planeColumns(data)
    return Figure(
      name: "ring-samples", title: "After \(steps) steps: \(noise.shape[0]) generated samples on the data (gray)",
      width: 1800, height: 660, columns: 3,
      panels: runs.map { run in
        var panel = Panel.samples(
          title: "\(run.name), step \(steps)", run.trainer.generate(from: noise), centers: [], extent: 3,
          color: run.color, size: 1)
        panel.series.insert(.scatter(x: x, y: y, color: .gray, size: 1, opacity: 0.6), at: 0)
        return panel
      })
  }
}

extension Figure {
  /// Ring runs over training in four panels, one colored line per run and a vertical line where the stability
  /// measurement starts (`tailStart`): W1 (log scale, with the sampling floor `dataFloor`), the W1 jitter (median
  /// |ΔW1| over a sliding window of `window` measurements), G's movement per measurement, and the modes captured.
  public static func ringStability(
    _ runs: [RingRun], steps: Int, tailStart: Double, window: Int, dataFloor: Double
  ) -> Figure {
    func panel(_ title: String, _ yLabel: String, logScale: Bool = true, _ curve: (TrainingLog<Void>)
      -> (x: [Int], y: [Double])) -> Panel
    {
      var panel = Panel(title: title, xLabel: "step", yLabel: yLabel, legend: .hidden)
      let curves = runs.map { curve($0.log) }
      panel.series = zip(runs, curves).map { .line(x: $1.x, y: $1.y, label: $0.name, color: $0.color, width: 2) }
      panel.referenceLines = [.vertical(tailStart)]
      panel.xAxis.range = 0...Double(steps)
      panel.yAxis.logScale = logScale
      if logScale { panel.yAxis.range = Axis.decades(covering: curves.flatMap(\.y)) }
      return panel
    }
    var w1 = panel("W1 (200 fixed data points vs G of 200 fixed noise vectors)", "W1 (log scale)") {
      ($0.steps, $0["W1"])
    }
    w1.referenceLines = [
      .horizontal(dataFloor, label: "data vs data (sampling floor)"),
      .vertical(tailStart, label: "stability measured from here"),
    ]
    let largestW1 = runs.flatMap { $0.log["W1"] }.max()!
    w1.yAxis.range = 0.1...Swift.max(10, pow(10, log10(largestW1).rounded(.up)))
    var modes = panel("modes captured (of 8)", "modes", logScale: false) { ($0.steps, $0["modes"]) }
    modes.yAxis.range = -0.3...12
    modes.legend = .topRight
    return Figure(
      name: "ring-stability", title: "Three ring GANs over training", width: 2200, height: 1400, columns: 2,
      panels: [
        w1,
        panel("W1 jitter: median |ΔW1| over the last \(window) measurements", "median |ΔW1| (log scale)") {
          (Array($0.steps.dropFirst(window)),
           TailSpread.slidingMedianAbsoluteChange($0["W1"], window: window).map { Swift.max($0, 1e-4) })
        },
        panel("how far G's points move per measurement (mean ‖ΔG(z)‖)", "mean ‖ΔG(z)‖ (log scale)") {
          (Array($0.steps.dropFirst()), $0["movement"].dropFirst().map { Swift.max($0, 1e-4) })
        },
        modes,
      ])
  }
}
