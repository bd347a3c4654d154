// Lesson 04: vanishing gradients
// You will: train a discriminator towards perfection against a generator that misses the data, measure the gradient
// the generator gets from the saturating loss log(1 − D(G(z))) and from the non-saturating loss −log D(G(z)), and
// then train the generator with each from the same poor start.
// Run: swift run lesson-04-vanishing-gradients   Emits: output/lesson-04-vanishing-gradients/{gradient-norms.png,
//      discriminator.png, training.png, games.gif, final-samples.png, notes.md, ...}
import ArgumentParser
import Datasets
import Foundation
import GAN
import LessonKit
import Plotting

struct Flags: ParsableArguments {
  @Option(allowed: .rate, help: "Adam's learning rate for the discriminator.")
  var discriminatorLearningRate: Float = 1e-3
  @Option(help: "The generator's optimizer in the training runs: sgd or adam.") var generatorOptimizer = "sgd"
  @Option(allowed: .rate, help: "The generator's learning rate in the training runs.")
  var generatorLearningRate: Float = 0.001
  @Option(allowed: .count(2...8192), help: "Samples per batch.") var batch: Int = 256
  @Option(allowed: .count(1...10_000_000), help: "Discriminator steps against the frozen generator (section 2).")
  var discriminatorSteps: Int?

  func validate() throws {
    guard ["sgd", "adam"].contains(generatorOptimizer) else {
      throw ValidationError("--generator-optimizer must be sgd or adam, got '\(generatorOptimizer)'")
    }
  }
}
let (lesson, flags) = Lesson.start(
  number: 4, slug: "vanishing-gradients", title: "Vanishing gradients",
  flags: Flags.self)

// MARK: - 1. A generator that misses the data

lesson.section("1. A generator that misses the data")
lesson.narrate("""
  The data is the ring of eight Gaussians: centers on the circle of radius 2, standard deviation 0.05. The generator
  G maps z ~ N(0, I₂) through an MLP (two hidden layers of 64 ReLU units) to the plane, and starts **poor**: its last
  layer is shrunk fivefold, so every sample lands in a small blob near the origin, two units from any data. The two
  distributions do not overlap at all, the situation Arjovsky and Bottou (2017) analyze: a discriminator can then
  separate them perfectly. Lesson 05 starts from exactly this generator (same seed, same weights).
  """)
let ring = GaussianRing(modeCount: 8, radius: 2, std: 0.05)
var rng = lesson.makeGenerator(offset: 1)
let g0 = DisjointSupportStart.generator(seed: lesson.seed)
let noiseSize = DisjointSupportStart.noiseSize
let fixedNoise = Tensor.randomNormal([512, noiseSize], using: &rng)
let startSamples = withoutGradients { g0(fixedNoise) }

let sampleRing: (Int, inout SeededGenerator) -> Tensor = { count, rng in ring.sample(count: count, using: &rng) }
@MainActor func distanceToData(_ g: any Layer, using rng: inout SeededGenerator) -> Double {
  DisjointSupportStart.distance(of: g, to: sampleRing, count: 400, using: &rng)
}
@MainActor func meanDistanceToNearestMode(_ samples: Tensor) -> Double {
  DisjointSupportStart.meanDistanceToNearestCenter(samples, centers: ring.modeCenters)
}

let startDistance = distanceToData(g0, using: &rng)
let startModeDistance = meanDistanceToNearestMode(startSamples)
let startRadius = Double(startSamples.rowNorms().scalars.max()!)
lesson.show("W1 from the generator to the data at the start", startDistance)
lesson.show("mean distance from a generated sample to the nearest mode", startModeDistance)
lesson.show("largest distance of a generated sample from the origin", startRadius)
lesson.check(
  "the supports are disjoint: every generated sample is more than 1 unit inside the ring",
  measured: startRadius, .below(1))

let dataPreview = ring.sample(count: 2000, using: &rng)
var startPlot = Figure(
  name: "start", title: "The start: data on the ring, the generator's blob at the center",
  xLabel: "x₁", yLabel: "x₂")
startPlot.panel.equalAspect = true
startPlot.panel.xAxis.range = -2.6...2.6
startPlot.panel.yAxis.range = -2.6...2.6
startPlot.add(
  .scatter(x: planeColumns(dataPreview).x, y: planeColumns(dataPreview).y, label: "data", color: .blue, size: 1))
startPlot.add(
  .scatter(
    x: planeColumns(startSamples).x, y: planeColumns(startSamples).y, label: "generated", color: .vermillion,
    size: 1))
lesson.figure(startPlot)

// MARK: - 2. A discriminator trained towards optimality

lesson.section("2. A discriminator trained towards optimality")
lesson.narrate("""
  Freeze G and train the discriminator D(x) = σ(l(x)) alone (an MLP of the same width with leaky ReLU, Adam at
  learning rate 10⁻³, β₁ = 0.5, batches of 256). After every D step, measure the gradient G would get,
  ‖∇θ L_G‖ over all of G's parameters, on a fixed batch of 512 noise vectors, for both generator losses:

  - **saturating** (Goodfellow's minimax game): L_G = E log(1 − D(G(z))). Its derivative in the logit is
    −σ(l): when D rejects a fake confidently, l → −∞ and σ(l) ≈ e^l → 0. The gradient dies
    exponentially in the logit.
  - **non-saturating**: L_G = −E log D(G(z)). Its derivative in the logit is −(1 − σ(l)) → −1: full strength
    exactly when D is confident.

  Both losses have the same fixed point and push in the same direction; only the weight on each sample differs.
  """)
let discriminatorSteps = flags.discriminatorSteps ?? lesson.budget(3000, quick: 2000)
let trainedD = DisjointSupportStart.critic(using: &rng)
let pretraining = GANTrainer(
  generator: g0, critic: trainedD, generatorOptimizer: SGD(for: g0, learningRate: 0),
  criticOptimizer: Adam(for: trainedD, learningRate: flags.discriminatorLearningRate, beta1: 0.5, beta2: 0.999),
  loss: .minimax, batchSize: flags.batch, noiseSize: noiseSize,
  sampleData: sampleRing)
let evaluationReal = ring.sample(count: 512, using: &rng)

let pretrained = lesson.train(
  steps: discriminatorSteps, label: "D against a frozen G", measureEvery: .everyStep(start: true)
) { _ in
  pretraining.criticStep(using: &rng)
  return [:]
} measure: { _ in
  let fakeLogits = withoutGradients { trainedD(startSamples) }
  let realLogits = withoutGradients { trainedD(evaluationReal) }
  let onFake = sigmoid(fakeLogits).scalars, onReal = sigmoid(realLogits).scalars
  let correct = onFake.filter { $0 < 0.5 }.count + onReal.filter { $0 >= 0.5 }.count
  return [
    "mean D(G(z))": Double(onFake.reduce(0, +)) / Double(onFake.count),
    "‖∇ saturating‖": generatorGradientNorm(generator: g0, critic: trainedD, loss: .minimax, noise: fixedNoise),
    "‖∇ non-saturating‖": generatorGradientNorm(
      generator: g0, critic: trainedD, loss: .nonSaturating, noise: fixedNoise),
    "logit on fakes": Double(fakeLogits.mean().scalar), "logit on data": Double(realLogits.mean().scalar),
    "accuracy": Double(correct) / Double(onFake.count + onReal.count),
  ]
}
let dSteps = pretrained.steps
let saturatingNorms = pretrained["‖∇ saturating‖"], nonSaturatingNorms = pretrained["‖∇ non-saturating‖"]
let logitFake = pretrained["logit on fakes"], logitReal = pretrained["logit on data"]

lesson.figure(
  .generatorGradientNorms(
    steps: dSteps, saturating: saturatingNorms, nonSaturating: nonSaturatingNorms, logitReal: logitReal,
    logitFake: logitFake),
  caption: """
    Left: the generator's gradient norm for each loss after every discriminator step, relative to their common value \
    at the start (the figure of Arjovsky & Bottou 2017). Right: how sure D is. A mean logit of −10 on the fakes \
    means D(G(z)) ≈ e⁻¹⁰ ≈ 4.5·10⁻⁵, and the saturating gradient carries that factor σ(l) ≈ eˡ.
    """)

let saturatingFall = saturatingNorms.first! / saturatingNorms.last!
let nonSaturatingChange = nonSaturatingNorms.last! / nonSaturatingNorms.first!
lesson.show("D's accuracy on 512 data + 512 generated samples", pretrained.last("accuracy"))
lesson.show("mean D(G(z)) after training", pretrained.last("mean D(G(z))"))
lesson.show("D's mean logit on the fakes after training", logitFake.last!)
lesson.show("saturating gradient norm, start", saturatingNorms.first!)
lesson.show("saturating gradient norm, end", saturatingNorms.last!)
lesson.show("non-saturating gradient norm, start", nonSaturatingNorms.first!)
lesson.show("non-saturating gradient norm, end", nonSaturatingNorms.last!)
lesson.check("D becomes near-perfect: mean D(G(z)) below 0.01", measured: pretrained.last("mean D(G(z))"), .below(0.01))
lesson.check(
  "the saturating gradient falls by at least 100x as D trains (start / end)", measured: saturatingFall,
  .atLeast(100))
lesson.check(
  "the non-saturating gradient does not fall (end / start at least 0.5)", measured: nonSaturatingChange,
  .atLeast(0.5))

// What each loss asks of a point x in the plane, with this D: the push −∇ₓ L_G(x).
lesson.figure(
  .discriminatorPushes({ trainedD($0) }, data: dataPreview, samples: startSamples),
  caption: """
    The same trained D, seen through each loss: color is log₁₀ of the push's strength at x, arrows its direction \
    (all drawn the same length). Data in blue, the generator's samples in red.
    """)

// MARK: - 3. Training the generator with each loss

lesson.section("3. Training the generator from the poor start")
lesson.narrate("""
  Now let G learn. Both runs start from the same poor G and from the discriminator just trained (a copy each), and
  alternate one D step (as above) with one G step. G is updated by plain gradient descent, so its step is the
  learning rate times the gradient measured above; only the generator loss differs between the two runs. (Adam
  would divide each step by the gradient's running root-mean-square and so hide a uniformly small gradient: try
  `--generator-optimizer adam`, exercise 2 of the course notes.)
  """)
let gameSteps = lesson.steps(default: 2000, quick: 800)

/// Plays one game from the shared start (copies of G and of the trained D) with `loss` for G: the distance of 512
/// fixed samples to the nearest mode and how far they moved 30 times, a frame 20 times.
@MainActor func play(_ loss: AdversarialLoss, title: String) -> (g: Sequential, log: TrainingLog<Panel>) {
  let g = DisjointSupportStart.copy(of: g0), d = DisjointSupportStart.copy(of: trainedD)
  let optimizer: any Optimizer =
    flags.generatorOptimizer == "adam"
    ? Adam(for: g, learningRate: flags.generatorLearningRate, beta1: 0.5, beta2: 0.999)
    : SGD(for: g, learningRate: flags.generatorLearningRate)
  let trainer = GANTrainer(
    generator: g, critic: d, generatorOptimizer: optimizer,
    criticOptimizer: Adam(for: d, learningRate: flags.discriminatorLearningRate, beta1: 0.5, beta2: 0.999),
    loss: loss, batchSize: flags.batch, noiseSize: noiseSize, sampleData: sampleRing)
  let log = lesson.train(
    steps: gameSteps, label: title, measureEvery: .times(30, start: true), framesEvery: .times(20, start: true)
  ) { _ in
    ["D loss": Double(trainer.step(using: &rng).critic.loss)]
  } measure: { _ in
    let now = trainer.generate(from: fixedNoise)
    return [
      "distance": meanDistanceToNearestMode(now),
      "displacement": Double((now - startSamples).rowNorms().mean().scalar),
    ]
  } frame: { step in
    Panel.toySamples(
      title: "\(title), step \(step)", data: dataPreview, samples: trainer.generate(from: fixedNoise), extent: 2.6)
  }
  return (g, log)
}

let saturating = play(.minimax, title: "saturating")
let nonSaturating = play(.nonSaturating, title: "non-saturating")

let frames = zip(saturating.log.frameValues, nonSaturating.log.frameValues).map { pair in
  Figure(name: "frame", title: nil, columns: 2, panels: [pair.0, pair.1])
}
lesson.animation(
  Animation(name: "games", frames: frames, delay: 0.25, width: 1280, height: 640),
  caption: "Left: the saturating loss; right: the non-saturating loss. Same start, same data.")
// The summary figure widens its axes to show every final sample (the animation's frames share ±2.6).
let finals = [saturating.g, nonSaturating.g].map { g in withoutGradients { g(fixedNoise) } }
let finalExtent = max(2.6, 1.05 * Double(finals.flatMap { $0.scalars.map(abs) }.max()!))
lesson.figure(
  Figure(
    name: "final-samples", width: 1600, columns: 2,
    panels: zip(["saturating", "non-saturating"], finals).map { title, samples in
      .toySamples(title: "\(title), step \(gameSteps)", data: dataPreview, samples: samples, extent: finalExtent)
    }),
  caption: "After training: the saturating run's samples have not left the center.")

var trainingPlot = Figure(
  name: "training", title: "How far the generator is from the data while it trains",
  xLabel: "generator steps", yLabel: "mean distance to the nearest mode")
trainingPlot.add(.line(x: saturating.log.steps, y: saturating.log["distance"], label: "saturating", color: .vermillion))
trainingPlot.add(
  .line(x: nonSaturating.log.steps, y: nonSaturating.log["distance"], label: "non-saturating", color: .green))
trainingPlot.panel.yAxis.range = 0...(max(startModeDistance, nonSaturating.log["distance"].max()!) * 1.1)
lesson.figure(
  trainingPlot,
  caption: """
    For 512 fixed noise vectors, the mean distance from G(z) to the nearest of the eight ring centers (about 2 at the \
    start; 0.05·√(π/2) ≈ 0.063 for samples of the data itself).
    """)

let saturatingW1 = distanceToData(saturating.g, using: &rng)
let nonSaturatingW1 = distanceToData(nonSaturating.g, using: &rng)
lesson.show("saturating run: mean displacement of a sample", saturating.log.last("displacement"))
lesson.show("saturating run: distance to the nearest mode at the end", saturating.log.last("distance"))
lesson.show("saturating run: W1 to the data at the end", saturatingW1)
lesson.show("non-saturating run: mean displacement of a sample", nonSaturating.log.last("displacement"))
lesson.show("non-saturating run: distance to the nearest mode at the end", nonSaturating.log.last("distance"))
lesson.show("non-saturating run: W1 to the data at the end", nonSaturatingW1)
lesson.check(
  "the saturating run barely moves: a sample moves less than 0.01 on average (the data is 2 away)",
  measured: saturating.log.last("displacement"), .below(0.01))
lesson.check(
  "the non-saturating run moves: its samples get at least twice as close to the data",
  measured: nonSaturating.log.last("distance") / startModeDistance, .atMost(0.5))

lesson.narrate("""
  **What to take away.** Against a discriminator that has won, the saturating loss tells the generator almost
  nothing: its gradient shrinks with D's confidence, and a generator following it does not move. The
  non-saturating loss keeps the same fixed point but weights each fake by 1 − D instead of D, so the most
  confidently rejected samples get the strongest push. That is why every practical GAN uses it — and why the
  next lesson asks for a critic whose gradient is useful by construction.
  """)
lesson.finish()
