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
  @Option(allowed: .rate, help: "Adam's learning rate for both networks.") var learningRate: Float = 1e-4
  @Option(allowed: .count(1...1024), help: "Units in each of the two hidden layers of G and D.") var hidden: Int = 64
  @Option(allowed: .count(2...8192), help: "Samples per batch.") var batch: Int = 256
  @Option(allowed: .coefficient, help: "Adam's beta1 for both networks.") var beta1: Float = 0.5
  @Option(
    allowed: .coefficient,
    help: "Decay of the moving average of G's weights that is measured (0 measures G itself).")
  var averageDecay: Float = 0.999
}
let (lesson, flags) = Lesson.start(
  number: 2, slug: "toy-gan", title: "Forger versus critic in one dimension",
  flags: Flags.self)
let steps = lesson.steps(default: 10000, quick: 4000)

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

/// Trains one game on `target` with the networks and settings above, and records it: losses, W1 to the data and
/// D's mean verdicts 100 times, a frame 30 times, and the map z → x at four steps.
@MainActor func play(
  _ target: any ToyDistribution, density: @escaping (Double) -> Double, title: String, range: ClosedRange<Double>,
  label: String, rng: inout SeededGenerator
) -> (trainer: GANTrainer, log: TrainingLog<Figure>, maps: [(step: Int, x: [Double])]) {
  let h = flags.hidden
  let layers = { (rng: inout SeededGenerator) in
    multilayerPerceptron(sizes: [1, h, h, 1], activation: .leakyReLU(slope: 0.2), using: &rng)
  }
  let g = layers(&rng), gAverage = layers(&rng), d = layers(&rng)
  let trainer = GANTrainer(
    generator: g, critic: d, generatorOptimizer: Adam(for: g, learningRate: flags.learningRate, beta1: flags.beta1),
    criticOptimizer: Adam(for: d, learningRate: flags.learningRate, beta1: flags.beta1), loss: .nonSaturating,
    batchSize: flags.batch, noiseSize: 1, averagedGenerator: gAverage, averageDecay: flags.averageDecay,
    sampleData: { count, rng in target.sample(count: count, using: &rng) })
  let z = Tensor.linspace(-3, 3, count: 121).reshaped(to: [121, 1])
  var maps: [(step: Int, x: [Double])] = []
  func recordMap(_ step: Int) { maps.append((step, trainer.generate(from: z).scalars.map(Double.init))) }
  recordMap(0)
  let log = lesson.train(
    steps: steps, label: label, measureEvery: .times(100, start: true), framesEvery: .times(30, start: true)
  ) { step in
    let result = trainer.step(using: &rng)
    if [steps / 10, steps / 3, steps].contains(step) { recordMap(step) }
    return ["D loss": Double(result.critic.loss), "G loss": Double(result.generatorLoss)]
  } measure: { _ in
    let real = target.sample(count: 4000, using: &rng)
    let fake = trainer.generate(4000, using: &rng)
    return [
      "W1": wasserstein1D(real.scalars, fake.scalars),
      "D real": Double(withoutGradients { sigmoid(d(real)) }.mean().scalar),
      "D fake": Double(withoutGradients { sigmoid(d(fake)) }.mean().scalar),
    ]
  } frame: { step in
    Figure.gameOnTheLine(
      title: "\(title): densities after \(step) steps", range: range, density: density,
      samples: trainer.generate(5000, using: &rng).scalars, critic: { sigmoid(d($0)) })
  }
  return (trainer, log, maps)
}

/// The maps z → x recorded during a run, one line each.
func mapLines(_ maps: [(step: Int, x: [Double])]) -> [Series] {
  let zs = (0..<121).map { -3 + Double($0) * 0.05 }
  return maps.enumerated().map { i, m in
    .line(x: zs, y: m.x, label: "after \(m.step) steps", color: [Color.gray, .orange, .green, .vermillion][i % 4])
  }
}

// MARK: - 2. One Gaussian

lesson.section("2. Learning one Gaussian")
var rng = lesson.makeGenerator()
let target = Gaussian1D(mean: 4, std: 1.25)
let gaussian = play(
  target, density: { Double(target.density(at: Float($0))) }, title: "N(4, 1.25²)", range: -1...9,
  label: "GAN on N(4, 1.25²)", rng: &rng)
let game = gaussian.log

lesson.animation(
  Animation(name: "game", frames: game.frameValues, delay: 0.2),
  caption: "The generated histogram (red) slides onto the data density (blue) while D(x) flattens to 1/2.")
var last = game.frameValues.last!
last.name = "final-density"
lesson.figure(last, caption: "After training: the generated density covers the data and the critic is close to 1/2.")

var losses = Figure(
  name: "losses", title: "Losses: the game settles at its equilibrium", columns: 1,
  panels: [
    Panel(
      title: "critic", yLabel: "loss",
      series: [
        .line(x: game.steps, y: game["D loss"], label: "critic loss", color: .blue, width: 2)
      ],
      referenceLines: [.horizontal(2 * log(2), label: "2 ln 2")]),
    Panel(
      title: "forger", xLabel: "step", yLabel: "loss",
      series: [
        .line(x: game.steps, y: game["G loss"], label: "forger loss", color: .vermillion, width: 2)
      ],
      referenceLines: [.horizontal(log(2), label: "ln 2")]),
  ])
lesson.figure(losses)

var verdicts = Figure(
  name: "critic-verdicts", title: "The critic's average verdict", xLabel: "step", yLabel: "mean D(x)")
verdicts.add(.line(x: game.steps, y: game["D real"], label: "on real samples", color: .blue))
verdicts.add(.line(x: game.steps, y: game["D fake"], label: "on generated samples", color: .vermillion))
verdicts.add(.horizontal(0.5, label: "D = 1/2"))
lesson.figure(verdicts)

var w1Plot = Figure(name: "w1", title: "Distance to the data: Wasserstein-1", xLabel: "step", yLabel: "W1 (log scale)")
w1Plot.panel.yAxis.logScale = true
w1Plot.add(.line(x: game.steps, y: game["W1"], label: "W1(data, generated)", color: .purple))
lesson.figure(
  w1Plot, caption: "W1 is the area between the two quantile functions, computed exactly from 4000 samples each.")

var mapping = Figure(name: "mapping", title: "The forger's map z → x", xLabel: "z", yLabel: "x = G(z)")
mapLines(gaussian.maps).forEach { mapping.add($0) }
mapping.add(
  .line(
    x: [-3, 3], y: [4 - 3.75, 4 + 3.75], label: "x = 4 + 1.25 z (one exact answer)", color: .darkGrey, dashed: true))
lesson.figure(
  mapping, caption: "Any map that pushes N(0, 1) onto N(4, 1.25²) wins; the straight line is the monotone one.")

let final = gaussian.trainer.generate(20_000, using: &rng).scalars.map(Double.init)
let mean = final.reduce(0, +) / Double(final.count)
let std = (final.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(final.count)).squareRoot()
lesson.show("generated mean (target 4)", mean)
lesson.show("generated standard deviation (target 1.25)", std)
lesson.show("final W1 to the data", game.last("W1"))
lesson.show("final mean D on real samples", game.last("D real"))
lesson.show("final mean D on generated samples", game.last("D fake"))
lesson.check("the generated mean is within 0.3 of 4", measured: mean, .near(4, tolerance: 0.3))
lesson.check("the generated standard deviation is within 30% of 1.25", measured: std, .between(0.875, 1.625))
lesson.check(
  "W1 to the data falls below 0.5 (from \(String(format: "%.2f", game.first("W1"))) at the start)",
  measured: game.last("W1"), .below(0.5))
lesson.check("the critic ends near 1/2 on real samples", measured: game.last("D real"), .near(0.5, tolerance: 0.1))
lesson.check(
  "the critic ends near 1/2 on generated samples", measured: game.last("D fake"), .near(0.5, tolerance: 0.1))

// MARK: - 3. Two modes

lesson.section("3. Two modes, one continuous map")
lesson.narrate("""
  Now the data has two modes: ½N(−2, 0.5²) + ½N(2, 0.5²). G is a continuous function of a single z, so its
  image of the line is connected: to cover both modes it must run through the gap between them, and it can only
  make that passage thin by making the map steep there. Watch whether this run covers both modes, and how much of
  its mass is left in the gap |x| < 1, where the data has almost none.
  """)
let mixture = GaussianMixture1D(weights: [0.5, 0.5], means: [-2, 2], stds: [0.5, 0.5])
let twoModes = play(
  mixture, density: { Double(mixture.density(at: Float($0))) }, title: "two modes", range: -4.5...4.5,
  label: "GAN on two modes", rng: &rng)
lesson.animation(Animation(name: "two-modes", frames: twoModes.log.frameValues, delay: 0.2))
var twoModeMap = Figure(
  name: "two-modes-mapping", title: "The map z → x for two modes", xLabel: "z", yLabel: "x = G(z)")
mapLines(twoModes.maps).forEach { twoModeMap.add($0) }
twoModeMap.add(.horizontal(-2, label: "mode centers"))
twoModeMap.add(.horizontal(2))
lesson.figure(twoModeMap, caption: "A steep step in the map is how a continuous G jumps the gap.")

let mixed = twoModes.trainer.generate(20_000, using: &rng).scalars
let dataMixed = mixture.sample(count: 20_000, using: &rng).scalars
let left = Double(mixed.filter { Swift.abs($0 + 2) < 1.5 }.count) / Double(mixed.count)
let right = Double(mixed.filter { Swift.abs($0 - 2) < 1.5 }.count) / Double(mixed.count)
let gap = Double(mixed.filter { Swift.abs($0) < 1 }.count) / Double(mixed.count)
let dataGap = Double(dataMixed.filter { Swift.abs($0) < 1 }.count) / Double(dataMixed.count)
lesson.show("share of samples near x = −2", left)
lesson.show("share of samples near x = +2", right)
lesson.show("share of generated samples in the gap |x| < 1", gap)
lesson.show("share of data samples in the gap", dataGap)
lesson.show("final W1 to the two-mode data", twoModes.log.last("W1"))
lesson.check(
  "the two-mode run ends closer to the data than it started (W1 falls by half or more)",
  measured: twoModes.log.last("W1") / twoModes.log.first("W1"), .below(0.5))
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
