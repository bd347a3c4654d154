// Lesson 05: the Wasserstein critic
// You will: start from lesson 04's poor generator, see that a Wasserstein critic still gives it a useful gradient,
// compare weight clipping with the gradient penalty λ E[(‖∇f(x̂)‖ − 1)²], watch the critic's estimate of W1
// track the true distance, and cover the eight modes of the ring.
// Run: swift run lesson-05-wgan        Emits: output/lesson-05-wgan/{critics.png, critic-gradients.png, training.gif,
//      distance.png, w1-estimate.png, clipped-weights.png, critics-after.png, final-samples.png, notes.md, ...}
import ArgumentParser
import Datasets
import Foundation
import GAN
import LessonKit
import Plotting

struct Flags: ParsableArguments {
  @Option(allowed: .count(1...100), help: "Critic updates per generator update in both WGANs.") var criticSteps: Int = 5
  @Option(allowed: .count(2...8192), help: "Samples per batch.") var batch: Int = 256
  @Option(allowed: .positive(atMost: 10), help: "Weight clipping's bound c.") var clip: Float = 0.01
  @Option(allowed: .weight, help: "The gradient penalty's weight λ.") var penaltyWeight: Float = 10
  @Option(allowed: .coefficient, help: "Adam's β1 in WGAN-GP (β2 is 0.9).") var beta1: Float = 0.5
  @Option(
    allowed: .rate,
    help: "WGAN-GP's critic learning rate (the paper's is 1e-4 for networks 8x wider; see the notes).")
  var criticLearningRate: Float = 1.5e-3
  @Option(allowed: .rate, help: "WGAN-GP's generator learning rate (the paper's is 1e-4; see the notes).")
  var generatorLearningRate: Float = 3e-4
  @Option(allowed: .count(1...10_000_000), help: "Critic steps against the frozen generator in section 1.")
  var warmupSteps: Int?
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

let warmupSteps = flags.warmupSteps ?? lesson.budget(1000, quick: 300)
let discriminator = DisjointSupportStart.critic(using: &rng)
let clipped = DisjointSupportStart.clippedCritic(limit: flags.clip, using: &rng)
let penalized = DisjointSupportStart.critic(using: &rng)
let startWeights = clippableWeights(of: clipped)

/// A trainer on the ring with this lesson's batch size and noise.
@MainActor func ringTrainer(
  _ g: Sequential, _ critic: Sequential, _ generatorOptimizer: any Optimizer, _ criticOptimizer: any Optimizer,
  _ loss: AdversarialLoss, _ constraint: CriticConstraint = .none, criticSteps: Int = 1
) -> GANTrainer {
  GANTrainer(
    generator: g, critic: critic, generatorOptimizer: generatorOptimizer, criticOptimizer: criticOptimizer,
    loss: loss, constraint: constraint, criticSteps: criticSteps, batchSize: batch, noiseSize: noiseSize,
    sampleData: sampleRing)
}
/// G's optimizer in section 1, never stepped: there only the critics train.
@MainActor func frozen() -> any Optimizer { SGD(for: g0, learningRate: 0) }
let gpOptimizer = Adam(for: penalized, learningRate: flags.criticLearningRate, beta1: flags.beta1, beta2: 0.9)
let clipOptimizer = RMSProp(for: clipped, learningRate: 5e-5)
let discriminatorOptimizer = Adam(for: discriminator, learningRate: 1e-3, beta1: 0.5, beta2: 0.999)
let warmups = [
  (name: "GAN discriminator, saturating loss", color: Color.vermillion,
   trainer: ringTrainer(g0, discriminator, frozen(), discriminatorOptimizer, .minimax)),
  ("clipped critic (WGAN)", .orange,
   ringTrainer(g0, clipped, frozen(), clipOptimizer, .wasserstein, .weightClipping(limit: flags.clip))),
  ("penalized critic (WGAN-GP)", .blue,
   ringTrainer(g0, penalized, frozen(), gpOptimizer, .wasserstein, .gradientPenalty(weight: flags.penaltyWeight))),
]
let warmup = lesson.trainCriticsAgainstFrozenGenerators(
  warmups.map(\.trainer), steps: warmupSteps, label: "three critics against the frozen G", noise: fixedNoise,
  clipped: clipped, clip: flags.clip, using: &rng)
let warmupNorms = (0..<3).map { warmup["norm \($0)"] }

lesson.figure(
  .criticGradients(steps: warmup.steps, critics: zip(warmups, warmupNorms).map { ($0.name, $0.color, $1) }),
  caption: """
    The norm of the gradient G gets from each critic, relative to the same critic's value before its first step \
    (512 fixed noise vectors). The saturating GAN's fades as its discriminator wins; the Wasserstein critics' grow and \
    stay. In absolute terms the clipped critic's is tiny (its whole scale is set by c, see `notes.md`): only its \
    direction and relative size matter, and RMSProp rescales the size anyway.
    """)

lesson.figure(
  .critics(
    name: "critics", title: "Two Wasserstein critics after \(warmupSteps) steps against the poor G",
    [("clipped (c = \(flags.clip))", clipped, startSamples),
     ("gradient penalty (λ = \(Int(flags.penaltyWeight)))", penalized, startSamples)], data: dataPreview),
  caption: """
    Color: the critic's value f(x) (its level is arbitrary: only differences matter). Arrows: ∇f, the direction a \
    generated sample is pushed, lengths relative to the longest in each panel. Data in white, the generator's \
    samples (the blob at the center) in red.
    """)

let gpSlope = meanInputGradientNorm(critic: { penalized($0) }, at: startSamples)
let clippedSlope = meanInputGradientNorm(critic: { clipped($0) }, at: startSamples)
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
  "the penalized critic's slope at the generated samples is close to 1", measured: gpSlope, .between(0.7, 1.3))

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

/// Plays one game from the shared start (measured about 30 times, 20 frames; see `playRingGame`).
@MainActor func play(_ name: String, _ trainer: GANTrainer) -> TrainingLog<Panel> {
  lesson.playRingGame(
    name, trainer, ring: ring, steps: steps, measurements: lesson.budget(30, quick: 20),
    frames: lesson.budget(20, quick: 12), fixedNoise: fixedNoise, dataPreview: dataPreview, using: &rng)
}

let saturatingG = DisjointSupportStart.copy(of: g0), saturatingD = DisjointSupportStart.copy(of: discriminator)
let saturating = play("saturating GAN", ringTrainer(
  saturatingG, saturatingD, SGD(for: saturatingG, learningRate: 1e-3),
  Adam(for: saturatingD, learningRate: 1e-3, beta1: 0.5, beta2: 0.999), .minimax))
let clipG = DisjointSupportStart.copy(of: g0)
let clipping = play("WGAN (clipping)", ringTrainer(
  clipG, clipped, RMSProp(for: clipG, learningRate: 5e-5), clipOptimizer, .wasserstein,
  .weightClipping(limit: flags.clip), criticSteps: flags.criticSteps))
let gpG = DisjointSupportStart.copy(of: g0)
let gpTrainer = ringTrainer(
  gpG, penalized, Adam(for: gpG, learningRate: flags.generatorLearningRate, beta1: flags.beta1, beta2: 0.9),
  gpOptimizer, .wasserstein, .gradientPenalty(weight: flags.penaltyWeight), criticSteps: flags.criticSteps)
let wganGP = play("WGAN-GP", gpTrainer)
let games = [(name: "saturating GAN", log: saturating, color: Color.vermillion),
             ("WGAN (clipping)", clipping, .orange), ("WGAN-GP", wganGP, .blue)]

let frames = wganGP.frameValues.indices.map { i in
  Figure(name: "frame", title: nil, columns: 3, panels: games.map { $0.log.frames[i].frame })
}
lesson.animation(
  Animation(name: "training", frames: frames, delay: 0.25, width: 1500, height: 540),
  caption: "The three games side by side, from the same start: generated samples (red) on the data (blue).")
lesson.figure(
  frames.last!.renamed("final-samples", width: 1800, height: 660),
  caption: "After training: 512 samples of each generator (red) on the data (blue).")

// The sampling floor: W1 between two independent 200-point samples of the data, averaged over 5 draws.
let dataFloor = samplingFloorW1(draws: 5, count: 200, sample: sampleRing, using: &rng)
lesson.figure(
  .ringDistances(games: games, dataFloor: dataFloor, steps: steps),
  caption: """
    Left: the distance to the data. Right: modes captured — a mode counts when at least 20 of 2500 samples lie \
    within 3 standard deviations (0.15) of its center.
    """)

lesson.show("W1 between two samples of the data itself (the floor)", dataFloor)
let saturatingRatio = saturating.last("W1") / saturating.first("W1")
let penaltyRatio = wganGP.last("W1") / wganGP.first("W1")
for game in games {
  lesson.show("\(game.name): W1 at the start", game.log.first("W1"))
  lesson.show("\(game.name): W1 at the end", game.log.last("W1"))
  lesson.show("\(game.name): seconds", game.log.seconds, unit: "s")
}
lesson.check(
  "the saturating GAN stalls: its W1 ends within 5% of where it started", measured: saturatingRatio, .above(0.95))
lesson.check(
  "WGAN-GP converges from the same start: its W1 falls to a third of where it started or less",
  measured: penaltyRatio, .atMost(1.0 / 3))

lesson.figure(
  .critics(
    name: "critics-after", title: "The two critics after training",
    [("clipped, after \(steps) generator steps", clipped, withoutGradients { clipG(fixedNoise) }),
     ("gradient penalty, after \(steps) generator steps", penalized, withoutGradients { gpG(fixedNoise) })],
    data: dataPreview),
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
let gpCorrelation = correlation(wganGP["estimate"], wganGP["W1"])
let clipCorrelation = correlation(clipping["estimate"], clipping["W1"])
lesson.figure(.criticEstimates(penalized: wganGP, clipped: clipping, saturating: saturating, steps: steps))
lesson.show("correlation of the WGAN-GP critic's estimate with the exact W1", gpCorrelation)
lesson.show("correlation of the clipped critic's estimate with the exact W1", clipCorrelation)
let saturatingLosses = saturating["critic loss"].dropFirst()
let saturatingMeanLoss = saturatingLosses.reduce(0, +) / Double(saturatingLosses.count)
lesson.show("saturating GAN: mean discriminator loss over training", saturatingMeanLoss)
lesson.check(
  "the WGAN-GP critic's estimate correlates strongly with the exact W1 over training",
  measured: gpCorrelation, .atLeast(0.7))

// MARK: - 4. Where the clipped weights go

lesson.section("4. Where the clipped weights go")
let endWeights = clippableWeights(of: clipped)
let startAtBounds = Double(startWeights.filter { Swift.abs($0) >= 0.9 * flags.clip }.count) / Double(startWeights.count)
let endAtBounds = fractionAtClippingBounds(of: clipped, limit: flags.clip, relativeTolerance: 0.1)
let gameShares = clipping["at bounds"].dropFirst()
let meanAtBounds = gameShares.reduce(0, +) / Double(gameShares.count)
lesson.figure(
  .clippedWeights(
    start: startWeights, end: endWeights, clip: flags.clip,
    steps: warmup.steps + clipping.steps.map { warmupSteps + $0 * flags.criticSteps },
    shares: warmup["at bounds"] + clipping["at bounds"], gameStart: warmupSteps),
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
let coverage = ModeCoverage(samples: gpTrainer.generate(2500, using: &rng), centers: ring.modeCenters, std: ring.std)
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
