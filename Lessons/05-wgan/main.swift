// Lesson 05: the Wasserstein critic
// You will: start from lesson 04's poor generator, see that a Wasserstein critic still gives it a useful gradient,
// compare weight clipping with the gradient penalty λ E[(‖∇f(x̂)‖ − 1)²], watch the critic's estimate of W1 track the
// true distance, and cover the eight modes of the ring.
// Run: swift run lesson-05-wgan        Emits: output/lesson-05-wgan/{critics.png, critic-gradients.png, training.gif,
//      distance.png, w1-estimate.png, clipped-weights.png, critics-after.png, final-samples.png, notes.md, ...}
import ArgumentParser
import Datasets
import Foundation
import GAN
import LessonKit
import Plotting

struct Flags: ParsableArguments {
  @Option(help: Allowed.count(1...100).help("Critic updates per generator update in both WGANs.")) var criticSteps:
    Int = 5
  @Option(help: Allowed.count(2...8192).help("Samples per batch.")) var batch: Int = 256
  @Option(help: Allowed.positive(atMost: 10).help("Weight clipping's bound c.")) var clip: Float = 0.01
  @Option(help: Allowed.weight.help("The gradient penalty's weight λ.")) var penaltyWeight: Float = 10
  @Option(help: Allowed.coefficient.help("Adam's β1 in WGAN-GP (β2 is 0.9).")) var beta1: Float = 0.5
  @Option(
    help: Allowed.rate.help(
      "WGAN-GP's critic learning rate (the paper's is 1e-4 for networks 8x wider; see the notes)."))
  var criticLearningRate: Float = 1.5e-3
  @Option(help: Allowed.rate.help("WGAN-GP's generator learning rate (the paper's is 1e-4; see the notes)."))
  var generatorLearningRate: Float = 3e-4
  @Option(help: Allowed.count(1...10_000_000).help("Critic steps against the frozen generator in section 1."))
  var warmupSteps: Int?

  func validate() throws {
    try Allowed.count(1...100).check(criticSteps, "--critic-steps")
    try Allowed.count(2...8192).check(batch, "--batch")
    try Allowed.positive(atMost: 10).check(clip, "--clip")
    try Allowed.weight.check(penaltyWeight, "--penalty-weight")
    try Allowed.coefficient.check(beta1, "--beta1")
    try Allowed.rate.check(criticLearningRate, "--critic-learning-rate")
    try Allowed.rate.check(generatorLearningRate, "--generator-learning-rate")
    try Allowed.count(1...10_000_000).check(warmupSteps, "--warmup-steps")
  }
}
// The same default seed as lesson 04, so the same start: the generator is built from the seed, weight for weight.
let (lesson, flags) = Lesson.start(number: 5, slug: "wgan", title: "The Wasserstein critic", seed: 4, flags: Flags.self)
let batch = flags.batch

// MARK: - 1. The same start, three critics

lesson.section("1. The same start, three critics")
lesson.narrate("""
  Lesson 04 left a generator stuck in a blob at the center of the ring: its discriminator had become perfect, and
  the saturating loss gave no gradient. The Wasserstein-1 distance measures the mismatch differently — the least
  average distance the generated mass must travel to become the data,

      W₁(p_data, p_G) = inf over couplings γ of E_(x,y)~γ ‖x − y‖,

  about 2 here, however disjoint the supports are. Kantorovich–Rubinstein duality turns it into a contest:

      W₁ = sup over 1-Lipschitz f of  E_data f(x) − E_z f(G(z)).

  A **critic** f (no sigmoid) maximizes the gap; the generator minimizes −E f(G(z)). The best critic has slope 1
  along the paths the mass should take, so its gradient at the generated samples does not fade, however well it is
  trained. The catch is the constraint "1-Lipschitz". WGAN clips every weight into [−c, c] after each step (c = 0.01,
  RMSProp at 5·10⁻⁵, as Arjovsky et al.). WGAN-GP adds λ E[(‖∇f(x̂)‖ − 1)²] at random interpolates
  x̂ = εx + (1 − ε)G(z), one ε ~ U(0, 1) per sample, λ = 10, Adam with β = (0.5, 0.9) (Gulrajani et al.).

  Three critics train against lesson 04's frozen poor generator (same seed, same weights): lesson 04's
  discriminator, a clipped critic (its weights start spread evenly in [−c, c]) and a penalized critic. As they train
  we measure the gradient G would get from each, ‖∇θ L_G‖ on 512 fixed noise vectors.
  """)
let ring = GaussianRing(modeCount: 8, radius: 2, std: 0.05)
var rng = lesson.makeGenerator(offset: 1)
let g0 = DisjointSupportStart.generator(seed: lesson.seed)
let noiseSize = DisjointSupportStart.noiseSize
let fixedNoise = Tensor.randomNormal([512, noiseSize], using: &rng)
let startSamples = withoutGradients { g0(fixedNoise) }
let dataPreview = ring.sample(count: 2000, using: &rng)
let sampleRing: (Int, inout SeededGenerator) -> Tensor = { count, rng in ring.sample(count: count, using: &rng) }

/// The exact W1 between 200 fresh data samples and 200 samples of `g` (an optimal assignment).
@MainActor func distanceToData(_ g: Sequential, using rng: inout SeededGenerator) -> Double {
  let fake = withoutGradients { g(Tensor.randomNormal([200, noiseSize], using: &rng)) }
  return assignmentWasserstein(ring.sample(count: 200, using: &rng), fake)
}

/// A critic whose weights start spread uniformly inside [−c, c], so that none sits at the bounds before training.
func clippedCritic(limit: Float, using rng: inout SeededGenerator) -> Sequential {
  let network = DisjointSupportStart.critic(using: &rng)
  for parameter in network.parameters() {
    parameter.scalars = parameter.scalars.map { _ in (2 * rng.nextUniform() - 1) * limit }
  }
  return network
}

let warmupSteps = flags.warmupSteps ?? lesson.budget(1000, quick: 300)
let discriminator = DisjointSupportStart.critic(using: &rng)
let clipped = clippedCritic(limit: flags.clip, using: &rng)
let penalized = DisjointSupportStart.critic(using: &rng)
let startWeights = clippableWeights(of: clipped)

/// A trainer whose generator is the frozen g0 (its optimizer is never stepped here).
@MainActor func frozenTrainer(
  critic: Sequential, optimizer: any Optimizer, loss: AdversarialLoss, constraint: CriticConstraint
) -> GANTrainer {
  GANTrainer(
    generator: g0, critic: critic, generatorOptimizer: SGD(for: g0, learningRate: 0),
    criticOptimizer: optimizer, loss: loss, constraint: constraint, batchSize: batch,
    noiseSize: noiseSize, sampleData: sampleRing)
}
let gpOptimizer = Adam(for: penalized, learningRate: flags.criticLearningRate, beta1: flags.beta1, beta2: 0.9)
let clipOptimizer = RMSProp(for: clipped, learningRate: 5e-5)
let warmups: [(name: String, trainer: GANTrainer, color: Color)] = [
  (
    "GAN discriminator, saturating loss",
    frozenTrainer(
      critic: discriminator, optimizer: Adam(for: discriminator, learningRate: 1e-3, beta1: 0.5, beta2: 0.999),
      loss: .minimax, constraint: .none), .vermillion
  ),
  (
    "clipped critic (WGAN)",
    frozenTrainer(
      critic: clipped, optimizer: clipOptimizer, loss: .wasserstein,
      constraint: .weightClipping(limit: flags.clip)), .orange
  ),
  (
    "penalized critic (WGAN-GP)",
    frozenTrainer(
      critic: penalized, optimizer: gpOptimizer, loss: .wasserstein,
      constraint: .gradientPenalty(weight: flags.penaltyWeight)), .blue
  ),
]
var warmupNorms: [[Double]] = warmups.map { _ in [] }
var warmupAt: [Int] = []
var clipShareSteps: [Int] = [], clipShare: [Double] = []
let measureEvery = max(1, warmupSteps / 150)
let warmupProgress = lesson.progress(total: warmupSteps, label: "three critics against the frozen G")
for step in 0...warmupSteps {
  if step > 0 { for w in warmups { w.trainer.criticStep(using: &rng) } }
  if step % measureEvery == 0 || step == warmupSteps {
    warmupAt.append(step)
    clipShareSteps.append(step)
    clipShare.append(fractionAtClippingBounds(of: clipped, limit: flags.clip, relativeTolerance: 0.1))
    for (i, w) in warmups.enumerated() {
      warmupNorms[i].append(
        generatorGradientNorm(generator: g0, critic: w.trainer.critic, loss: w.trainer.loss, noise: fixedNoise))
    }
  }
  if step > 0 { warmupProgress.update(step) }
}

var warmupPlot = Figure(
  name: "critic-gradients", title: "The generator's gradient while each critic trains (G frozen)",
  xLabel: "critic steps", yLabel: "‖∇θ L_G‖ / its value at step 0 (log scale)")
let relativeNorms = warmupNorms.map { norms in norms.map { $0 / norms[0] } }
for (i, w) in warmups.enumerated() {
  warmupPlot.add(.line(x: warmupAt, y: relativeNorms[i], label: w.name, color: w.color))
}
warmupPlot.add(.horizontal(1))
warmupPlot.panel.yAxis.logScale = true
warmupPlot.panel.legend = .bottomLeft
let allRelative = relativeNorms.flatMap { $0 }
warmupPlot.panel.yAxis.range =
  pow(10, log10(allRelative.min()!).rounded(.down) - 1)...pow(10, log10(allRelative.max()!).rounded(.up))
lesson.figure(
  warmupPlot,
  caption: """
    The norm of the gradient G gets from each critic, relative to the same critic's value before its first step \
    (512 fixed noise vectors). The saturating GAN's fades as its discriminator wins; the Wasserstein critics' grow and \
    stay. In absolute terms the clipped critic's is tiny (its whole scale is set by c, see `notes.md`): only its \
    direction and relative size matter, and RMSProp rescales the size anyway.
    """)

/// A critic over the plane: its value as color, its gradient as arrows, the data and some generated samples.
@MainActor func criticPanel(_ critic: Sequential, title: String, samples: Tensor) -> Panel {
  let field = planeField(of: { critic($0) }, x: -2.6...2.6, y: -2.6...2.6, resolution: 53)
  let arrows = field.arrows(every: 4)
  var panel = Panel(title: title, xLabel: "x₁", yLabel: "x₂", legend: .hidden, equalAspect: true)
  panel.series = [
    .heatmap(x: field.xs, y: field.ys, values: field.values),
    .scatter(x: planeColumns(dataPreview).x, y: planeColumns(dataPreview).y, color: .white, size: 0.8, opacity: 0.8),
    .scatter(x: planeColumns(samples).x, y: planeColumns(samples).y, color: .vermillion, size: 0.8, opacity: 0.8),
    .vectors(x: arrows.x, y: arrows.y, dx: arrows.dx, dy: arrows.dy, color: .white, width: 2, longest: 0.45),
  ]
  panel.xAxis.range = -2.6...2.6
  panel.yAxis.range = -2.6...2.6
  return panel
}
lesson.figure(
  Figure(
    name: "critics", title: "Two Wasserstein critics after \(warmupSteps) steps against the poor G",
    width: 1600, height: 800, columns: 2,
    panels: [
      criticPanel(clipped, title: "clipped (c = \(flags.clip))", samples: startSamples),
      criticPanel(penalized, title: "gradient penalty (λ = \(Int(flags.penaltyWeight)))", samples: startSamples),
    ]),
  caption: """
    Color: the critic's value f(x) (its level is arbitrary: only differences matter). Arrows: ∇f, the direction a \
    generated sample is pushed, lengths relative to the longest in each panel. Data in white, the generator's \
    samples (the blob at the center) in red.
    """)

let gpSlopes = inputGradientNorms(critic: { penalized($0) }, at: startSamples)
let gpSlope = Double(gpSlopes.reduce(0, +)) / Double(gpSlopes.count)
let clippedSlopes = inputGradientNorms(critic: { clipped($0) }, at: startSamples)
let clippedSlope = Double(clippedSlopes.reduce(0, +)) / Double(clippedSlopes.count)
let saturatingFall = warmupNorms[0].first! / warmupNorms[0].last!
let clippedGrowth = warmupNorms[1].last! / warmupNorms[1].first!
let penalizedGrowth = warmupNorms[2].last! / warmupNorms[2].first!
lesson.show("GAN discriminator: G's gradient, start / end", saturatingFall)
lesson.show("clipped critic: G's gradient, end / start", clippedGrowth)
lesson.show("penalized critic: G's gradient, end / start", penalizedGrowth)
lesson.show("GAN discriminator: G's gradient norm at the end", warmupNorms[0].last!)
lesson.show("clipped critic: G's gradient norm at the end", warmupNorms[1].last!)
lesson.show("penalized critic: G's gradient norm at the end", warmupNorms[2].last!)
lesson.show("penalized critic: mean ‖∇f‖ at the generated samples", gpSlope)
lesson.show("clipped critic: mean ‖∇f‖ at the generated samples", clippedSlope)
lesson.check(
  "the penalized critic's gradient for G does not fade as it trains (end / start at least 1)",
  measured: penalizedGrowth, .atLeast(1))
lesson.check(
  "the clipped critic's gradient for G does not fade as it trains (end / start at least 1)",
  measured: clippedGrowth, .atLeast(1))
lesson.check(
  "the penalized critic's slope at the generated samples is close to 1", measured: gpSlope,
  .between(0.7, 1.3))

// MARK: - 2. Training from the same start

lesson.section("2. Training from the same start")
let steps = lesson.steps(default: 3000, quick: 1500)
let measureEveryGame = max(1, steps / lesson.budget(30, quick: 20))
lesson.narrate("""
  Now the generators learn, each from the same poor G and from its own critic of section 1. Three games of \(steps)
  generator steps, batches of \(batch):

  - **saturating GAN**, exactly lesson 04's: one discriminator step (Adam 10⁻³) per generator step, G by plain
    gradient descent (learning rate 10⁻³) on log(1 − D(G(z))).
  - **WGAN**: \(flags.criticSteps) critic steps per generator step, weights clipped to ±\(flags.clip), RMSProp at
    5·10⁻⁵ for both networks.
  - **WGAN-GP**: \(flags.criticSteps) critic steps per generator step, λ = \(Int(flags.penaltyWeight)), Adam with
    β = (\(flags.beta1), 0.9), learning rates \(flags.generatorLearningRate) for G and \(flags.criticLearningRate) for
    the critic. (The paper uses 10⁻⁴ for both, with networks of width 512; the course notes, README.md, say why
    ours differ.)

  Every \(measureEveryGame) steps we measure the exact W1 between 200 data and 200 generated samples (an optimal
  assignment), each critic's own estimate E f(real) − E f(fake) on 1000 fresh samples of each, and the modes covered.
  Even a perfect generator would not reach W1 = 0 with 200 samples: two independent samples of the data are
  themselves a little apart, and that floor is drawn in the figure.
  """)

/// One game from the shared start and what was measured along the way.
@MainActor final class Game {
  let name: String
  let color: Color
  let trainer: GANTrainer
  var g: Sequential { trainer.generator as! Sequential }
  var steps: [Int] = []
  var w1: [Double] = []
  var estimate: [Double] = []
  var criticLoss: [Double] = []
  var modes: [Int] = []
  /// The share of the critic's weights within 10% of the clipping bound (only measured under clipping).
  var atBounds: [Double] = []
  var frames: [Panel] = []
  var seconds = 0.0

  init(name: String, color: Color, trainer: GANTrainer) {
    self.name = name
    self.color = color
    self.trainer = trainer
  }

  func measure(step: Int, criticLoss loss: Double, using rng: inout SeededGenerator) {
    steps.append(step)
    w1.append(distanceToData(g, using: &rng))
    let real = ring.sample(count: 1000, using: &rng)
    let fake = trainer.generate(1000, using: &rng)
    let scores = withoutGradients { (trainer.critic(real).mean().scalar, trainer.critic(fake).mean().scalar) }
    estimate.append(Double(scores.0 - scores.1))
    criticLoss.append(loss)
    modes.append(
      ModeCoverage(samples: trainer.generate(2500, using: &rng), centers: ring.modeCenters, std: ring.std)
        .modesCaptured)
    if case .weightClipping(let limit) = trainer.constraint {
      atBounds.append(fractionAtClippingBounds(of: trainer.critic, limit: limit, relativeTolerance: 0.1))
    }
  }

  func frame(step: Int) -> Panel {
    let samples = withoutGradients { g(fixedNoise) }
    return Panel.toySamples(title: "\(name), step \(step)", data: dataPreview, samples: samples, extent: 2.8)
  }

  func train(steps total: Int, rng: inout SeededGenerator) {
    let start = Date()
    let progress = lesson.progress(total: total, label: name)
    var lastLoss = Double.nan
    measure(step: 0, criticLoss: lastLoss, using: &rng)
    frames.append(frame(step: 0))
    for step in 1...total {
      let result = trainer.step(using: &rng)
      lastLoss = Double(result.critic.loss)
      if step % measureEveryGame == 0 || step == total { measure(step: step, criticLoss: lastLoss, using: &rng) }
      if step % max(1, total / lesson.budget(20, quick: 12)) == 0 || step == total { frames.append(frame(step: step)) }
      progress.update(step, values: ["W1": w1.last!, "modes": Double(modes.last!)])
    }
    seconds = Date().timeIntervalSince(start)
  }
}

let saturatingG = DisjointSupportStart.copy(of: g0)
let saturatingD = DisjointSupportStart.copy(of: discriminator)
let saturating = Game(
  name: "saturating GAN", color: .vermillion,
  trainer: GANTrainer(
    generator: saturatingG, critic: saturatingD, generatorOptimizer: SGD(for: saturatingG, learningRate: 1e-3),
    criticOptimizer: Adam(for: saturatingD, learningRate: 1e-3, beta1: 0.5, beta2: 0.999), loss: .minimax,
    batchSize: batch, noiseSize: noiseSize, sampleData: sampleRing))
let clipG = DisjointSupportStart.copy(of: g0)
let clipping = Game(
  name: "WGAN (clipping)", color: .orange,
  trainer: GANTrainer(
    generator: clipG, critic: clipped, generatorOptimizer: RMSProp(for: clipG, learningRate: 5e-5),
    criticOptimizer: clipOptimizer, loss: .wasserstein, constraint: .weightClipping(limit: flags.clip),
    criticSteps: flags.criticSteps, batchSize: batch, noiseSize: noiseSize, sampleData: sampleRing))
let gpG = DisjointSupportStart.copy(of: g0)
let wganGP = Game(
  name: "WGAN-GP", color: .blue,
  trainer: GANTrainer(
    generator: gpG, critic: penalized,
    generatorOptimizer: Adam(for: gpG, learningRate: flags.generatorLearningRate, beta1: flags.beta1, beta2: 0.9),
    criticOptimizer: gpOptimizer, loss: .wasserstein, constraint: .gradientPenalty(weight: flags.penaltyWeight),
    criticSteps: flags.criticSteps, batchSize: batch, noiseSize: noiseSize, sampleData: sampleRing))
let games = [saturating, clipping, wganGP]
for game in games { game.train(steps: steps, rng: &rng) }

let frames = (0..<wganGP.frames.count).map { i in
  Figure(name: "frame", title: nil, columns: 3, panels: games.map { $0.frames[i] })
}
lesson.animation(
  Animation(name: "training", frames: frames, delay: 0.25, width: 1500, height: 540),
  caption: "The three games side by side, from the same start: generated samples (red) on the data (blue).")
var finalFigure = frames.last!
finalFigure.name = "final-samples"
finalFigure.width = 1800
finalFigure.height = 660
lesson.figure(finalFigure, caption: "After training: 512 samples of each generator (red) on the data (blue).")

// The sampling floor: W1 between two independent 200-point samples of the data, averaged over 5 draws.
let dataFloor =
  (0..<5).map { _ in
    assignmentWasserstein(ring.sample(count: 200, using: &rng), ring.sample(count: 200, using: &rng))
  }.reduce(0, +) / 5
var distancePlot = Figure(
  name: "distance", title: "Exact W1 to the data while the generators train", width: 1600,
  height: 720, columns: 2,
  panels: [
    Panel(
      title: "W1 (200 vs 200 samples, optimal assignment)", xLabel: "generator steps", yLabel: "W1",
      series: games.map { Series.line(x: $0.steps, y: $0.w1, label: $0.name, color: $0.color) }, legend: .topRight),
    Panel(
      title: "modes captured (of 8)", xLabel: "generator steps", yLabel: "modes",
      series: games.map { Series.line(x: $0.steps, y: $0.modes, label: $0.name, color: $0.color) }, legend: .topLeft),
  ])
distancePlot.panels[0].yAxis.range = 0...(games.flatMap(\.w1).max()! * 1.65)
distancePlot.panels[0].referenceLines = [.horizontal(dataFloor, label: "data vs data (sampling floor)")]
distancePlot.panels[1].yAxis.range = -0.3...12.5
for i in distancePlot.panels.indices { distancePlot.panels[i].xAxis.range = 0...Double(steps) }
lesson.figure(
  distancePlot,
  caption: """
    Left: the distance to the data. Right: modes captured — a mode counts when at least 20 of 2500 samples lie \
    within 3 standard deviations (0.15) of its center.
    """)

lesson.show("W1 between two samples of the data itself (the floor)", dataFloor)
let saturatingRatio = saturating.w1.last! / saturating.w1.first!
let penaltyRatio = wganGP.w1.last! / wganGP.w1.first!
for game in games {
  lesson.show("\(game.name): W1 at the start", game.w1.first!)
  lesson.show("\(game.name): W1 at the end", game.w1.last!)
  lesson.show("\(game.name): seconds", game.seconds, unit: "s")
}
lesson.check(
  "the saturating GAN stalls: its W1 ends within 5% of where it started", measured: saturatingRatio,
  .above(0.95))
lesson.check(
  "WGAN-GP converges from the same start: its W1 falls to a third of where it started or less",
  measured: penaltyRatio, .atMost(1.0 / 3))

// The critics after training, with the final samples.
let finalGP = withoutGradients { gpG(fixedNoise) }
let finalClip = withoutGradients { clipG(fixedNoise) }
lesson.figure(
  Figure(
    name: "critics-after", title: "The two critics after training", width: 1600, height: 800,
    columns: 2,
    panels: [
      criticPanel(clipped, title: "clipped, after \(steps) generator steps", samples: finalClip),
      criticPanel(penalized, title: "gradient penalty, after \(steps) generator steps", samples: finalGP),
    ]),
  caption: """
    The penalized critic has learnt a bump on every mode, and its arrows lead the remaining strays to them. The \
    clipped critic, its weights stuck at ±c, can only draw a few broad slopes, and its generator is still a diffuse \
    cloud.
    """)

// MARK: - 3. The critic's estimate tracks the distance

lesson.section("3. The critic's estimate tracks the distance")
lesson.narrate("""
  A Wasserstein critic's gap E f(real) − E f(fake) is an estimate of W1 (exactly W1 for the best 1-Lipschitz f;
  K·W1 under clipping, for an unknown K). So its training curve says how far the generator still is. A GAN
  discriminator's loss says something else: how separable the two samples are. Once the supports are disjoint it is
  near 0 whether the generator is 0.5 or 5 away (the Jensen–Shannon divergence is log 2 for any two disjoint
  distributions).
  """)
let gpCorrelation = correlation(wganGP.estimate, wganGP.w1)
let clipCorrelation = correlation(clipping.estimate, clipping.w1)
var estimatePlot = Figure(
  name: "w1-estimate", title: "What each critic says, against the true distance", width: 1400,
  height: 1500, columns: 1,
  panels: [
    Panel(
      title: "WGAN-GP", xLabel: "generator steps", yLabel: "W1",
      series: [
        .line(x: wganGP.steps, y: wganGP.w1, label: "exact W1", color: .darkGrey, dashed: true),
        .line(x: wganGP.steps, y: wganGP.estimate, label: "critic's E f(real) − E f(fake)", color: .blue),
      ]),
    Panel(
      title: "WGAN (clipping): K·W1, K unknown", xLabel: "generator steps", yLabel: "critic's estimate",
      series: [
        .line(x: clipping.steps, y: clipping.estimate, label: "critic's E f(real) − E f(fake)", color: .orange)
      ]),
    Panel(
      title: "saturating GAN", xLabel: "generator steps", yLabel: "W1, loss",
      series: [
        .line(x: saturating.steps, y: saturating.w1, label: "exact W1", color: .darkGrey, dashed: true),
        .line(x: saturating.steps, y: saturating.criticLoss, label: "discriminator's loss", color: .vermillion),
      ]),
  ])
estimatePlot.panels[0].yAxis.range =
  min(0, wganGP.estimate.min()!)...(max(wganGP.w1.max()!, wganGP.estimate.max()!) * 1.6)
estimatePlot.panels[1].yAxis.range = min(0, clipping.estimate.min()!)...(clipping.estimate.max()! * 1.6)
estimatePlot.panels[2].yAxis.range = -0.1...(saturating.w1.max()! * 1.6)
for i in estimatePlot.panels.indices { estimatePlot.panels[i].xAxis.range = 0...Double(steps) }
lesson.figure(estimatePlot)
lesson.show("correlation of the WGAN-GP critic's estimate with the exact W1", gpCorrelation)
lesson.show("correlation of the clipped critic's estimate with the exact W1", clipCorrelation)
lesson.show(
  "saturating GAN: mean discriminator loss over training",
  saturating.criticLoss.dropFirst().reduce(0, +)
    / Double(saturating.criticLoss.count - 1))
lesson.check(
  "the WGAN-GP critic's estimate correlates strongly with the exact W1 over training",
  measured: gpCorrelation, .atLeast(0.7))

// MARK: - 4. Where the clipped weights go

lesson.section("4. Where the clipped weights go")
let endWeights = clippableWeights(of: clipped)
let startAtBounds = Double(startWeights.filter { Swift.abs($0) >= 0.9 * flags.clip }.count) / Double(startWeights.count)
let endAtBounds = fractionAtClippingBounds(of: clipped, limit: flags.clip, relativeTolerance: 0.1)
let gameShares = clipping.atBounds.dropFirst()
let meanAtBounds = gameShares.reduce(0, +) / Double(gameShares.count)
let edge = Double(flags.clip) * 1.15
var histogramPanel = Panel(
  title: "weights before and after training", xLabel: "weight", yLabel: "density",
  legend: .topLeft)
histogramPanel.series = [
  .histogram(startWeights, bins: 46, range: -edge...edge, label: "at the start", color: .gray),
  .histogram(endWeights, bins: 46, range: -edge...edge, label: "after training", color: .orange),
]
histogramPanel.referenceLines = [.vertical(-Double(flags.clip), label: "±c"), .vertical(Double(flags.clip))]
histogramPanel.yAxis.range = 0...(Double(histogramPanel.series.map { $0.columns[1].max() ?? 0 }.max()!) * 1.9)
var sharePanel = Panel(
  title: "share of weights within 10% of ±c", xLabel: "critic steps (thousands)", yLabel: "share",
  legend: .topRight)
let criticStepsAt = clipShareSteps + clipping.steps.map { warmupSteps + $0 * flags.criticSteps }
sharePanel.series = [
  .line(
    x: criticStepsAt.map { Double($0) / 1000 }, y: clipShare + clipping.atBounds, label: "clipped critic",
    color: .orange)
]
sharePanel.referenceLines = [
  .horizontal(0.1, label: "an even spread"),
  .vertical(Double(warmupSteps) / 1000, label: "the game starts"),
]
sharePanel.yAxis.range = 0...1.5
lesson.figure(
  Figure(
    name: "clipped-weights", title: "Where the clipped critic's weights go", width: 1600, height: 720,
    columns: 2, panels: [histogramPanel, sharePanel]),
  caption: """
    Left: the weight matrices of the clipped critic (biases left out), spread evenly over [−c, c] at the start and \
    after training. Right: the share sitting within 10% of a wall, over all critic steps (section 1, then the game). \
    RMSProp moves every weight whose gradient keeps its sign by the same step, so weights travel in blocks: a block \
    can leave the walls and come back together, which is why one snapshot can look less piled up than the average.
    """)
lesson.show("share of weights within 10% of ±c at the start", startAtBounds)
lesson.show("share of weights within 10% of ±c after training", endAtBounds)
lesson.show("share of weights within 10% of ±c, averaged over the game", meanAtBounds)
lesson.check(
  "clipped weights pile up at the bounds: on average over the game at least half sit within 10% of ±c",
  measured: meanAtBounds, .atLeast(0.5))

// MARK: - 5. All eight modes

lesson.section("5. All eight modes")
let finalSamples = wganGP.trainer.generate(2500, using: &rng)
let coverage = ModeCoverage(samples: finalSamples, centers: ring.modeCenters, std: ring.std)
lesson.show("WGAN-GP: modes captured (of 8)", coverage.modesCaptured)
lesson.show("WGAN-GP: share of samples within 3σ of a mode", coverage.highQualityFraction)
lesson.show("WGAN-GP: KL of the mode histogram to uniform", coverage.klToUniform)
lesson.check("WGAN-GP captures at least 7 of the 8 modes", measured: coverage.modesCaptured, .atLeast(7))

lesson.narrate("""
  **What to take away.** From the start where lesson 04's GAN was silenced, both Wasserstein critics still point
  the generator at the data, and their gap E f(real) − E f(fake) is a usable measure of progress. Clipping keeps
  the critic Lipschitz by brute force — the weights end up at ±c and the critic can only draw simple shapes, so
  learning is slow; the gradient penalty asks for slope 1 only where it matters and lets the critic draw the
  eight bumps. The price is a second derivative in every critic step (the engine differentiates the gradient).
  """)
lesson.finish()
