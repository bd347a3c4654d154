// Lesson 02: forger versus critic in one dimension
// You will: train a generator G(z) and a critic D(x) against each other, watch the generated density slide onto the
// data, see the game end where the critic can only say 1/2, and watch a one-dimensional generator stretch (or fail to
// stretch) over two modes.
// Run: swift run lesson-02-toy-gan        Emits: output/lesson-02-toy-gan/{game.gif, losses.png, mapping.png, w1.png,
//    notes.md, ...}
import ArgumentParser
import Datasets
import Foundation
import GAN
import LessonKit
import Plotting

struct Flags: ParsableArguments {
  @Option(help: Allowed.rate.help("Adam's learning rate for both networks.")) var learningRate: Float = 1e-4
  @Option(help: Allowed.count(1...1024).help("Units in each of the two hidden layers of G and D.")) var hidden: Int = 64
  @Option(help: Allowed.count(2...8192).help("Samples per batch.")) var batch: Int = 256
  @Option(help: Allowed.coefficient.help("Adam's beta1 for both networks.")) var beta1: Float = 0.5
  @Option(
    help: Allowed.coefficient.help("Decay of the moving average of G's weights that is measured (0 measures G itself).")
  )
  var averageDecay: Float = 0.999

  func validate() throws {
    try Allowed.rate.check(learningRate, "--learning-rate")
    try Allowed.count(1...1024).check(hidden, "--hidden")
    try Allowed.count(2...8192).check(batch, "--batch")
    try Allowed.coefficient.check(beta1, "--beta1")
    try Allowed.coefficient.check(averageDecay, "--average-decay")
  }
}
let (lesson, flags) = Lesson.start(
  number: 2, slug: "toy-gan", title: "Forger versus critic in one dimension",
  flags: Flags.self)

// MARK: - 1. The game

lesson.section("1. The game")
lesson.narrate("""
  The forger G turns noise z ~ N(0, 1) into a number x = G(z); the critic D(x) = σ(f(x)) says how likely x is to be
  real. Each training step has two moves, as in Goodfellow et al. (2014):

  1. **Critic:** on a batch of real samples and a batch of fakes, minimize −[log D(x) + log(1 − D(G(z)))].
  2. **Forger:** on fresh noise, minimize −log D(G(z)) (the non-saturating loss; lesson 04 shows why not
     log(1 − D(G(z)))). Only G's weights move in this step: D is frozen.

  For a fixed G the best critic is D* = p_data / (p_data + p_G). If G reproduces the data, p_G = p_data and D* = ½
  everywhere: the critic's loss is then 2 ln 2 ≈ 1.386 and the forger's ln 2 ≈ 0.693. That is the end of the game.
  Both networks are MLPs with two hidden layers of 64 and leaky ReLU, trained by Adam (learning rate 10⁻⁴,
  β₁ = 0.5); z is one-dimensional so the map z → x can be drawn. The game's iterates circle around the equilibrium
  rather than landing on it, so what we measure and draw is an exponential moving average of G's weights (decay
  0.999), as StyleGAN and BigGAN sample from one; `--average-decay 0` shows G itself.
  """)

/// One 1D GAN run: its networks, optimizers and the measurements taken along the way.
@MainActor final class Run {
  let target: any ToyDistribution
  let g: Sequential
  /// A copy of G holding the exponential moving average of its weights: what is measured and drawn.
  let gAverage: Sequential
  let average: ExponentialMovingAverage
  let d: Sequential
  let optG: Adam
  let optD: Adam
  var steps: [Int] = []
  var updates = 0
  var criticLoss: [Double] = []
  var forgerLoss: [Double] = []
  var dReal: [Double] = []
  var dFake: [Double] = []
  var w1: [Double] = []
  var frames: [Figure] = []
  var maps: [(step: Int, x: [Double])] = []
  let batch = flags.batch

  init(target: any ToyDistribution, rng: inout SeededGenerator) {
    self.target = target
    let h = flags.hidden
    g = multilayerPerceptron(sizes: [1, h, h, 1], activation: .leakyReLU(slope: 0.2), using: &rng)
    gAverage = multilayerPerceptron(sizes: [1, h, h, 1], activation: .leakyReLU(slope: 0.2), using: &rng)
    average = ExponentialMovingAverage(of: g, decay: flags.averageDecay)
    d = multilayerPerceptron(sizes: [1, h, h, 1], activation: .leakyReLU(slope: 0.2), using: &rng)
    optG = Adam(for: g, learningRate: flags.learningRate, beta1: flags.beta1, beta2: 0.999)
    optD = Adam(for: d, learningRate: flags.learningRate, beta1: flags.beta1, beta2: 0.999)
  }

  /// Samples from the averaged generator (from G itself when the decay is 0).
  func generate(_ count: Int, using rng: inout SeededGenerator) -> Tensor {
    average.copy(into: gAverage)
    return withoutGradients { gAverage(Tensor.randomNormal([count, 1], using: &rng)) }
  }

  /// One round of the game; returns (critic loss, forger loss).
  func step(using rng: inout SeededGenerator) -> (Double, Double) {
    let real = target.sample(count: batch, using: &rng)
    let fake = withoutGradients { g(Tensor.randomNormal([batch, 1], using: &rng)) }
    let lossD = optD.minimize(
      binaryCrossEntropy(logits: d(real), target: 1) + binaryCrossEntropy(logits: d(fake), target: 0))
    let lossG = optG.minimize(
      binaryCrossEntropy(logits: d(g(Tensor.randomNormal([batch, 1], using: &rng))), target: 1))
    // A warm-up on the decay (as common EMA implementations do), so early averages are not dragged to the start.
    updates += 1
    average.decay = min(flags.averageDecay, Float(1 + updates) / Float(10 + updates))
    average.update(from: g)
    return (Double(lossD), Double(lossG))
  }

  /// Measures the run on fresh samples: W1 to the data, D's mean verdict on real and on fake samples.
  func measure(step: Int, losses: (Double, Double), using rng: inout SeededGenerator) {
    let real = target.sample(count: 4000, using: &rng)
    let fake = generate(4000, using: &rng)
    steps.append(step)
    criticLoss.append(losses.0)
    forgerLoss.append(losses.1)
    w1.append(wasserstein1D(real.scalars, fake.scalars))
    dReal.append(Double(withoutGradients { sigmoid(d(real)) }.mean().scalar))
    dFake.append(Double(withoutGradients { sigmoid(d(fake)) }.mean().scalar))
  }

  func frame(step: Int, title: String, range: ClosedRange<Double>, using rng: inout SeededGenerator) -> Figure {
    let grid = stride(
      from: range.lowerBound, through: range.upperBound, by: (range.upperBound - range.lowerBound) / 200
    )
    .map { $0 }
    let density = grid.map { x in densityOf(target, at: x) }
    let samples = generate(5000, using: &rng).scalars
    let gridTensor = Tensor(shape: [grid.count, 1], scalars: grid.map { Float($0) })
    let critic: [Double] = withoutGradients { sigmoid(d(gridTensor)) }.scalars.map { Double($0) }
    var top = Panel(title: "\(title): densities after \(step) steps", yLabel: "density", legend: .topRight)
    top.xAxis = Axis(nil, range: range)
    top.series = [
      .density(x: grid, y: density, label: "data", color: .blue),
      .histogram(samples, bins: 60, range: range, label: "generated", color: .vermillion),
    ]
    var bottom = Panel(title: "the critic", xLabel: "x", yLabel: "D(x)", legend: .hidden)
    bottom.xAxis = Axis("x", range: range)
    bottom.yAxis = Axis("D(x)", range: -0.02...1.02)
    bottom.series = [.line(x: grid, y: critic, label: "D(x)", color: .green, width: 4)]
    bottom.referenceLines = [.horizontal(0.5, label: "D = 1/2")]
    return Figure(name: "frame", title: nil, columns: 1, panels: [top, bottom])
  }

  func recordMap(step: Int) {
    let z = Tensor.linspace(-3, 3, count: 121).reshaped(to: [121, 1])
    average.copy(into: gAverage)
    maps.append((step, withoutGradients { gAverage(z) }.scalars.map(Double.init)))
  }

  func train(steps total: Int, title: String, range: ClosedRange<Double>, label: String, rng: inout SeededGenerator) {
    let progress = lesson.progress(total: total, label: label)
    measure(step: 0, losses: (.nan, .nan), using: &rng)
    frames.append(frame(step: 0, title: title, range: range, using: &rng))
    recordMap(step: 0)
    for step in 1...total {
      let losses = self.step(using: &rng)
      if step % max(1, total / 100) == 0 || step == total { measure(step: step, losses: losses, using: &rng) }
      if step % max(1, total / 30) == 0 || step == total {
        frames.append(frame(step: step, title: title, range: range, using: &rng))
        if lesson.isLive { lesson.live(frames.last!) }
      }
      if step == total / 10 || step == total / 3 || step == total { recordMap(step: step) }
      progress.update(step, values: ["D loss": losses.0, "G loss": losses.1])
    }
  }
}

func densityOf(_ target: any ToyDistribution, at x: Double) -> Double {
  if let g = target as? Gaussian1D { return Double(g.density(at: Float(x))) }
  if let m = target as? GaussianMixture1D { return Double(m.density(at: Float(x))) }
  return .nan
}

// MARK: - 2. One Gaussian

lesson.section("2. Learning one Gaussian")
var rng = lesson.makeGenerator()
let steps = lesson.steps(default: 10000, quick: 4000)
let gaussian = Run(target: Gaussian1D(mean: 4, std: 1.25), rng: &rng)
gaussian.train(steps: steps, title: "N(4, 1.25²)", range: -1...9, label: "GAN on N(4, 1.25²)", rng: &rng)

lesson.animation(
  Animation(name: "game", frames: gaussian.frames, delay: 0.2),
  caption: "The generated histogram (red) slides onto the data density (blue) while D(x) flattens to 1/2.")
var last = gaussian.frames.last!
last.name = "final-density"
lesson.figure(last, caption: "After training: the generated density covers the data and the critic is close to 1/2.")

var losses = Figure(
  name: "losses", title: "Losses: the game settles at its equilibrium", columns: 1,
  panels: [
    Panel(
      title: "critic", yLabel: "loss",
      series: [
        .line(x: gaussian.steps, y: gaussian.criticLoss, label: "critic loss", color: .blue, width: 2)
      ],
      referenceLines: [.horizontal(2 * log(2), label: "2 ln 2")]),
    Panel(
      title: "forger", xLabel: "step", yLabel: "loss",
      series: [
        .line(x: gaussian.steps, y: gaussian.forgerLoss, label: "forger loss", color: .vermillion, width: 2)
      ],
      referenceLines: [.horizontal(log(2), label: "ln 2")]),
  ])
lesson.figure(losses)

var verdicts = Figure(
  name: "critic-verdicts", title: "The critic's average verdict", xLabel: "step", yLabel: "mean D(x)")
verdicts.add(.line(x: gaussian.steps, y: gaussian.dReal, label: "on real samples", color: .blue))
verdicts.add(.line(x: gaussian.steps, y: gaussian.dFake, label: "on generated samples", color: .vermillion))
verdicts.add(.horizontal(0.5, label: "D = 1/2"))
lesson.figure(verdicts)

var w1Plot = Figure(name: "w1", title: "Distance to the data: Wasserstein-1", xLabel: "step", yLabel: "W1 (log scale)")
w1Plot.panel.yAxis.logScale = true
w1Plot.add(.line(x: gaussian.steps, y: gaussian.w1, label: "W1(data, generated)", color: .purple))
lesson.figure(
  w1Plot, caption: "W1 is the area between the two quantile functions, computed exactly from 4000 samples each.")

var mapping = Figure(name: "mapping", title: "The forger's map z → x", xLabel: "z", yLabel: "x = G(z)")
let zs = (0..<121).map { -3 + Double($0) * 0.05 }
for (i, m) in gaussian.maps.enumerated() {
  mapping.add(
    .line(x: zs, y: m.x, label: "after \(m.step) steps", color: [Color.gray, .orange, .green, .vermillion][i % 4]))
}
mapping.add(
  .line(x: zs, y: zs.map { 4 + 1.25 * $0 }, label: "x = 4 + 1.25 z (one exact answer)", color: .darkGrey, dashed: true))
lesson.figure(
  mapping, caption: "Any map that pushes N(0, 1) onto N(4, 1.25²) wins; the straight line is the monotone one.")

let final = gaussian.generate(20_000, using: &rng).scalars.map(Double.init)
let mean = final.reduce(0, +) / Double(final.count)
let std = (final.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(final.count)).squareRoot()
lesson.show("generated mean (target 4)", mean)
lesson.show("generated standard deviation (target 1.25)", std)
lesson.show("final W1 to the data", gaussian.w1.last!)
lesson.show("final mean D on real samples", gaussian.dReal.last!)
lesson.show("final mean D on generated samples", gaussian.dFake.last!)
lesson.check("the generated mean is within 0.3 of 4", measured: mean, .near(4, tolerance: 0.3))
lesson.check("the generated standard deviation is within 30% of 1.25", measured: std, .between(0.875, 1.625))
lesson.check(
  "W1 to the data falls below 0.5 (from \(String(format: "%.2f", gaussian.w1.first!)) at the start)",
  measured: gaussian.w1.last!, .below(0.5))
lesson.check("the critic ends near 1/2 on real samples", measured: gaussian.dReal.last!, .near(0.5, tolerance: 0.1))
lesson.check(
  "the critic ends near 1/2 on generated samples", measured: gaussian.dFake.last!, .near(0.5, tolerance: 0.1))

// MARK: - 3. Two modes

lesson.section("3. Two modes, one continuous map")
lesson.narrate("""
  Now the data has two modes: ½N(−2, 0.5²) + ½N(2, 0.5²). G is a continuous function of a single z, so its
  image of the line is connected: to cover both modes it must run through the gap between them, and it can only
  make that passage thin by making the map steep there. Watch whether this run covers both modes, and how much of
  its mass is left in the gap |x| < 1, where the data has almost none.
  """)
let mixture = GaussianMixture1D(weights: [0.5, 0.5], means: [-2, 2], stds: [0.5, 0.5])
let twoModes = Run(target: mixture, rng: &rng)
twoModes.train(steps: steps, title: "two modes", range: -4.5...4.5, label: "GAN on two modes", rng: &rng)
lesson.animation(Animation(name: "two-modes", frames: twoModes.frames, delay: 0.2))
var twoModeMap = Figure(
  name: "two-modes-mapping", title: "The map z → x for two modes", xLabel: "z", yLabel: "x = G(z)")
for (i, m) in twoModes.maps.enumerated() {
  twoModeMap.add(
    .line(x: zs, y: m.x, label: "after \(m.step) steps", color: [Color.gray, .orange, .green, .vermillion][i % 4]))
}
twoModeMap.add(.horizontal(-2, label: "mode centers"))
twoModeMap.add(.horizontal(2))
lesson.figure(twoModeMap, caption: "A steep step in the map is how a continuous G jumps the gap.")

let mixed = twoModes.generate(20_000, using: &rng).scalars
let dataMixed = mixture.sample(count: 20_000, using: &rng).scalars
let left = Double(mixed.filter { Swift.abs($0 + 2) < 1.5 }.count) / Double(mixed.count)
let right = Double(mixed.filter { Swift.abs($0 - 2) < 1.5 }.count) / Double(mixed.count)
let gap = Double(mixed.filter { Swift.abs($0) < 1 }.count) / Double(mixed.count)
let dataGap = Double(dataMixed.filter { Swift.abs($0) < 1 }.count) / Double(dataMixed.count)
lesson.show("share of samples near x = −2", left)
lesson.show("share of samples near x = +2", right)
lesson.show("share of generated samples in the gap |x| < 1", gap)
lesson.show("share of data samples in the gap", dataGap)
lesson.show("final W1 to the two-mode data", twoModes.w1.last!)
lesson.check(
  "the two-mode run ends closer to the data than it started (W1 falls by half or more)",
  measured: twoModes.w1.last! / twoModes.w1.first!, .below(0.5))
lesson.check(
  "both modes are covered: the smaller one gets at least 40% of the samples", measured: min(left, right),
  .atLeast(0.4))

lesson.narrate("""
  **What to take away.** The alternating game drives the generated distribution onto the data, and the critic's
  verdict to ½ — the equilibrium the theory predicts, visible in the loss curves at 2 ln 2 and ln 2. W1 tracks the
  progress honestly, while the losses do not fall the way a classifier's would: they settle where neither player
  can improve. A generator that is a continuous map of one-dimensional noise cannot split its mass between
  separated modes without passing through the gap: compare the generated share in the gap with the data's share
  above, and look at the steep step in the two-mode map. Giving a whole mode up is the other way out; lesson 03
  shows it in two dimensions.
  """)
lesson.finish()
