// Lesson 09: why GAN training need not converge
// You will: build the Dirac-GAN (one number per player), compute its training vector field with the autodiff
// engine, watch simultaneous gradient steps spiral away from the equilibrium, alternating steps cycle round it and
// the R1 penalty pull them in — each at the rate the eigenvalues of the linearized update predict; then train a
// real GAN on the ring of eight Gaussians with equal learning rates, two time scales (TTUR) and a spectrally
// normalized discriminator, and measure how much each still swings at the end.
// Run: swift run lesson-09-non-convergence   Emits: output/lesson-09-non-convergence/{dirac-field.png,
//      dirac-distance.png, ring-samples.png, ring-stability.png, notes.md, ...}
import ArgumentParser
import Datasets
import Foundation
import GAN
import LessonKit
import Plotting

struct Flags: ParsableArguments {
  @Option(
    allowed: .positive(atMost: 2),
    help: "The Dirac-GAN's learning rate h (both players; the discriminator's under TTUR).")
  var diracLearningRate: Float = 0.2
  @Option(allowed: .positive(atMost: 2), help: "The generator's learning rate in the Dirac-GAN under TTUR.")
  var diracGeneratorLearningRate: Float = 0.05
  @Option(allowed: .number(0...100), help: "The R1 weight γ in the Dirac-GAN.") var gamma: Float = 0.3
  @Option(allowed: .count(10...100_000), help: "Steps of each Dirac-GAN trajectory.") var diracSteps: Int = 300
  @Option(allowed: .positive(atMost: 10), help: "The distance of the Dirac-GAN's starting point from the equilibrium.")
  var diracStart: Float = 0.2
  @Option(allowed: .rate, help: "Adam's learning rate for both networks in the ring's baseline (and for D under TTUR).")
  var learningRate: Float = 2e-2
  @Option(allowed: .rate, help: "The generator's learning rate under TTUR.") var tturGeneratorLearningRate: Float = 2e-3
  @Option(allowed: .rate, help: "D's learning rate with spectral normalization (default: --learning-rate).")
  var spectralLearningRate: Float?
  @Option(allowed: .count(1...100), help: "Power iterations per forward pass of the spectrally normalized D.")
  var powerIterations: Int = 1
  @Option(allowed: .coefficient, help: "Adam's β1 on the ring (β2 is 0.999).") var beta1: Float = 0.5
  @Option(allowed: .count(2...8192), help: "Samples per batch on the ring.") var batch: Int = 256
  @Option(allowed: .count(1...1024), help: "Units in each of the two hidden layers of G and D on the ring.")
  var hidden: Int = 64
}
let (lesson, flags) = Lesson.start(
  number: 9, slug: "non-convergence", title: "Why GAN training need not converge", flags: Flags.self)

// MARK: - 1. The Dirac-GAN

lesson.section("1. The Dirac-GAN")
let h = flags.diracLearningRate, hG = flags.diracGeneratorLearningRate, gamma = flags.gamma
lesson.narrate("""
  The smallest GAN there is (Mescheder, Geiger & Nowozin 2018). The data is a point mass at 0; the generator is a
  point mass at θ (one parameter); the discriminator is linear, D(x) = ψ·x (one parameter). They play

      L(θ, ψ) = f(ψθ) + f(0),     f(t) = −log(1 + e^(−t))   (the standard GAN's loss),

  D ascending L, G descending it. The only equilibrium is θ = ψ = 0: G on the data, D flat. Gradient descent-ascent
  follows the vector field v = (−∂L/∂θ, ∂L/∂ψ) = (−f′(ψθ)ψ, f′(ψθ)θ). We do not use that
  formula: the engine differentiates the losses (and, for R1, differentiates D's input gradient once more). Its Jacobian
  at the equilibrium is

      J = [[0, −f′(0)], [f′(0), 0]],   f′(0) = 1/2,   eigenvalues ±i f′(0) = ±0.5i.

  Purely imaginary: the flow rotates round the equilibrium and never approaches it. A step of size h multiplies the
  offset by I + hJ near the equilibrium, whose eigenvalues 1 ± ih/2 have modulus √(1 + h²/4) > 1: **simultaneous
  steps spiral outwards**, for every h. **Alternating** steps (D first, then G against the new D) multiply it by a
  matrix of determinant 1 whose eigenvalues lie on the unit circle: they **cycle**. **Two time scales** (h_G ≠ h_D)
  give moduli √(1 + h_G h_D/4): still outwards, only slower. The **R1 penalty** (γ/2)‖∇ₓD‖² on the data,
  here (γ/2)ψ², makes J = [[0, −f′(0)], [f′(0), −γ]] with eigenvalues −γ/2 ± √(γ²/4 − f′(0)²):
  a negative real part, so small steps **converge**.

  Four trajectories, all from the same point at distance \(flags.diracStart) from the equilibrium (its direction
  drawn from the seed), \(flags.diracSteps) steps each: h = \(h) for both players; TTUR with h_G = \(hG),
  h_D = \(h); R1 with γ = \(gamma).
  """)

var diracRandom = lesson.makeGenerator(offset: 1)
let startAngle = Float.pi * 2 * diracRandom.nextUniform()
let start = DiracState(theta: flags.diracStart * cos(startAngle), psi: flags.diracStart * sin(startAngle))
let plain = DiracGAN(), r1 = DiracGAN(r1Weight: gamma)

// The Jacobian at the equilibrium, measured from the engine's gradients by central differences, against theory.
let jacobianError = [plain, r1].map {
  $0.measuredJacobianAtEquilibrium().largestDifference(to: $0.jacobianAtEquilibrium)
}.max()!
lesson.show(
  "Jacobian eigenvalues at the equilibrium, no regularization", Complex.pairText(plain.eigenvaluesAtEquilibrium))
lesson.show(
  "Jacobian eigenvalues at the equilibrium, R1 (γ = \(gamma))", Complex.pairText(r1.eigenvaluesAtEquilibrium))
lesson.show("largest difference, engine's Jacobian vs the closed form", jacobianError)
lesson.check(
  "the engine's Jacobian at the equilibrium matches the closed form (every entry within 10⁻³)",
  measured: jacobianError, .below(1e-3))

// MARK: - 2. Four ways to step

lesson.section("2. Four ways to step, and what the eigenvalues predict")
let diracSteps = flags.diracSteps
/// `diracSteps` steps from the shared start; D's learning rate is h in every setting.
@MainActor func trajectory(_ game: DiracGAN, _ rule: UpdateRule, generatorRate: Float) -> DiracTrajectory {
  DiracTrajectory(game, rule: rule, generatorRate: generatorRate, discriminatorRate: h, start: start, steps: diracSteps)
}
let settings: [DiracSetting] = [
  ("simultaneous", .vermillion, trajectory(plain, .simultaneous, generatorRate: h)),
  ("alternating", .orange, trajectory(plain, .alternating, generatorRate: h)),
  ("simultaneous, TTUR", .purple, trajectory(plain, .simultaneous, generatorRate: hG)),
  ("simultaneous, R1", .blue, trajectory(r1, .simultaneous, generatorRate: h)),
]
let (simultaneous, alternating) = (settings[0].run, settings[1].run)
let (ttur, regularized) = (settings[2].run, settings[3].run)

lesson.figure(
  .diracField(settings, steps: diracSteps, referenceRate: h),
  caption: """
    Gray arrows: the direction of the training field v(θ, ψ), computed by the engine (equal lengths; the speed \
    vanishes at the center). Colored: the trajectory from the black dot; green square: the equilibrium. The first \
    two panels show the unregularized field, which circles the equilibrium; TTUR's steps follow (h_G v_θ, h_D v_ψ), \
    which circles it on ellipses; R1 bends the field inwards.
    """)

// Distance to the equilibrium against steps, with the linear theory's r₀·ρᵏ.
lesson.figure(
  .diracDistances(settings, steps: diracSteps),
  caption: """
    Solid: the distance of the trajectory from the equilibrium, relative to where it started (for TTUR measured as \
    √((h_D/h_G)θ² + ψ²), in which its elliptical orbits are circles). Dashed: the linear theory, ρᵏ, where ρ \
    is the spectral radius of the update matrix (I + hJ for simultaneous steps); where a dashed line cannot be seen, \
    the measurement lies on it. The R1 curve wobbles round its line: I + hJ is not a pure rotation-and-scaling, so the \
    distance shrinks unevenly within each turn.
    """)

for (name, _, run) in settings {
  lesson.show("\(name): eigenvalues of the update matrix", Complex.pairText(run.matrix.eigenvalues))
  lesson.show("\(name): predicted ln ρ per step", run.predictedRate)
  lesson.show("\(name): measured growth rate per step", run.measuredRate)
  lesson.show("\(name): distance at the end / at the start", run.distanceRatio)
}
lesson.check(
  "simultaneous descent moves away from the equilibrium: the distance grows at least 2-fold",
  measured: simultaneous.distanceRatio, .atLeast(2))
lesson.check(
  "its measured growth rate per step matches ln ρ(I + hJ) within 5%", measured: simultaneous.relativeError,
  .below(0.05))
lesson.check(
  "R1 converges: the distance shrinks at least 1000-fold", measured: regularized.distanceRatio, .atMost(1e-3))
lesson.check(
  "its measured decay rate per step matches ln ρ(I + hJ) within 5%", measured: regularized.relativeError,
  .below(0.05))
lesson.check(
  "TTUR alone still moves away (measured rate within 10% of its positive prediction)",
  measured: ttur.relativeError, .below(0.1))
let alternatingDrift = Swift.abs(alternating.measuredRate) / simultaneous.measuredRate
lesson.show("alternating: |measured rate| / simultaneous rate", alternatingDrift)
lesson.check(
  "alternating steps cycle: |growth rate| below a tenth of the simultaneous rate", measured: alternatingDrift,
  .below(0.1))

// MARK: - 3. A real GAN on the ring

lesson.section("3. A real GAN on the ring")
let steps = lesson.steps(default: 4000, quick: 800)
let measureEvery = max(1, steps / lesson.budget(200, quick: 100))
let tailFraction = 0.5
lesson.narrate("""
  The Dirac-GAN's lesson carries over: near an equilibrium a GAN's training field has strong rotation, and steps
  along it circle instead of settling. On the ring of eight Gaussians (radius 2, σ = 0.05) a generator and a
  discriminator, MLPs with two hidden layers of \(flags.hidden) units, train with the non-saturating loss, one D
  step per G step, Adam with β = (\(flags.beta1), 0.999), batches of \(flags.batch), \(steps) steps, in three settings
  from the same initial weights:

  - **same learning rate**: \(flags.learningRate) for both (high on purpose);
  - **TTUR** (two time scales, Heusel et al. 2017): D keeps \(flags.learningRate), G drops to
    \(flags.tturGeneratorLearningRate), so D is (nearly) at its best response to the current G;
  - **spectral normalization** in D (Miyato et al. 2018), learning rates as the baseline: every weight matrix of D
    divided by its largest singular value, so D is 1-Lipschitz and cannot answer a small move of G with a large
    change of its slope.

  Every \(measureEvery) steps we measure the exact W1 (optimal assignment) between a fixed set of 200 data points
  and the generator's images of 200 fixed noise vectors — fixed sets, so the curve moves only when G moves — and
  how far those 200 generated points moved since the previous measurement (mean ‖ΔG(z)‖). Two stability measures
  over the last \(Int(tailFraction * 100))% of training, both medians over the measurements, so that a single rare
  jump does not decide:

  - **W1 jitter**: the median |change| of W1 from one measurement to the next. A settled generator keeps its
    distance to the data; an oscillating one swings.
  - **generator movement**: the median of mean ‖ΔG(z)‖. A converged generator stops moving; one that circles an
    equilibrium, like the Dirac-GAN's, keeps moving however close it is.
  """)

let ring = GaussianRing(modeCount: 8, radius: 2, std: 0.05)
var rng = lesson.makeGenerator(offset: 2)
let noiseSize = 2
let fixedNoise = Tensor.randomNormal([200, noiseSize], using: &rng)
let fixedReal = ring.sample(count: 200, using: &rng)
let plotNoise = Tensor.randomNormal([1000, noiseSize], using: &rng)
let dataPreview = ring.sample(count: 1500, using: &rng)

/// Trains G and D from the same initial weights (`ringGAN`), measured as `playRingStability` says.
@MainActor func playRing(
  _ name: String, _ color: Color, generatorRate: Float, discriminatorRate: Float, spectralNorm: Bool = false
) -> RingRun {
  var stream = lesson.makeGenerator(offset: 3)
  let trainer = lesson.ringGAN(
    ring: ring, hidden: flags.hidden, noiseSize: noiseSize, batch: flags.batch, generatorRate: generatorRate,
    discriminatorRate: discriminatorRate, beta1: flags.beta1, spectralNorm: spectralNorm ? flags.powerIterations : nil)
  return lesson.playRingStability(
    name, color: color, trainer: trainer, ring: ring, steps: steps, measurements: lesson.budget(200, quick: 100),
    fixedNoise: fixedNoise, fixedReal: fixedReal, plotNoise: plotNoise, stream: &stream)
}

let ringRuns = [
  playRing(
    "same learning rate", .vermillion, generatorRate: flags.learningRate, discriminatorRate: flags.learningRate),
  playRing("TTUR", .purple, generatorRate: flags.tturGeneratorLearningRate, discriminatorRate: flags.learningRate),
  playRing(
    "spectral norm in D", .blue, generatorRate: flags.learningRate,
    discriminatorRate: flags.spectralLearningRate ?? flags.learningRate, spectralNorm: true),
]
let spreads = ringRuns.map { TailSpread($0.log["W1"], lastFraction: tailFraction) }
let motions = ringRuns.map { TailSpread(Array($0.log["movement"].dropFirst()), lastFraction: tailFraction) }

// Sampling floor: W1 between the fixed data set and a fresh 200-point data sample.
let dataFloor = assignmentWasserstein(fixedReal, ring.sample(count: 200, using: &rng))

// MARK: - 4. Measuring stability

lesson.section("4. Measuring how much each run still swings")
lesson.figure(.ringSamples(ringRuns, noise: plotNoise, data: dataPreview, steps: steps))

let tailStart = Double(steps) * (1 - tailFraction)
// The W1 jitter's sliding window: the median |change| of W1 over the last `window` measurements, at every step.
let window = 20
lesson.figure(
  .ringStability(ringRuns, steps: steps, tailStart: tailStart, window: window, dataFloor: dataFloor),
  caption: """
    Colors as in the legend of the modes panel. Top left: the distance to the data (log scale, so that the wandering \
    spectrally normalized run fits); the horizontal dashed line is the sampling floor (W1 between the fixed data set \
    and a fresh data sample), and right of the vertical one the stability is measured. Top right: the W1 jitter over \
    training, the median |change| of W1 between consecutive measurements over a sliding window of \(window) \
    measurements. Bottom left: the generator movement, how far G's 200 fixed-noise points moved since the previous \
    measurement. Bottom right: modes captured (at least 8 of 1000 samples within 3σ of a mode's center).
    """)

lesson.show("W1 between the fixed data set and a fresh data sample (floor)", dataFloor)
for (i, run) in ringRuns.enumerated() { lesson.showStability(run, w1: spreads[i], movement: motions[i]) }
let tturRatio = spreads[1].medianAbsoluteChange / spreads[0].medianAbsoluteChange
let snRatio = spreads[2].medianAbsoluteChange / spreads[0].medianAbsoluteChange
let tturMovementRatio = motions[1].median / motions[0].median
let snMovementRatio = motions[2].median / motions[0].median
lesson.show("TTUR: median |change| / baseline's", tturRatio)
lesson.show("spectral norm: median |change| / baseline's", snRatio)
lesson.show("TTUR: G's movement / baseline's", tturMovementRatio)
lesson.show("spectral norm: G's movement / baseline's", snMovementRatio)
lesson.show("TTUR: W1 std / baseline's", spreads[1].standardDeviation / spreads[0].standardDeviation)
lesson.show("spectral norm: W1 std / baseline's", spreads[2].standardDeviation / spreads[0].standardDeviation)
lesson.check(
  "TTUR is more stable than the same learning rate: over the last half its W1 typically moves less per measurement "
    + "(median |change| below the baseline's)", measured: tturRatio, .below(1))
lesson.check(
  "TTUR's generator settles more: over the last half its points typically move less per measurement than the "
    + "baseline's", measured: tturMovementRatio, .below(1))
lesson.narrate("""
  TTUR's generator takes steps ten times smaller, yet its points do not move ten times less: pure step-size noise
  would give a movement ratio near 0.1, and this run's is \(String(format: "%.2f", tturMovementRatio)). What moves
  a generator that is already near the data is its discriminator, which keeps changing the landscape under it —
  the rotation of the Dirac-GAN. A slower generator follows those changes less eagerly and stays closer to where
  it was.
  """)
// MARK: - 5. What spectral normalization did here

lesson.section("5. What spectral normalization did here")
// How steep each D is at the data at the end: a normalized stack of layers can only be as steep as its weights allow.
let slopes = ringRuns.map { run in meanInputGradientNorm(critic: { run.trainer.critic($0) }, at: fixedReal) }
zip(ringRuns, slopes).forEach { lesson.show("\($0.name): D's mean slope ‖∇ₓD‖ at the data", $1) }
let snModes = ringRuns[2].log.last("modes"), baselineModes = ringRuns[0].log.last("modes")
let snCalmer = snRatio < 1 && snMovementRatio < 1, tturCalmer = tturRatio < 1 && tturMovementRatio < 1
let snVerdict = snCalmer
  ? "here the Lipschitz discriminator did calm the game."
  : "here it did not calm the game: a D this flat separates the modes only weakly, so it gives G little reason to "
    + "settle on them."
lesson.narrate("""
  Spectral normalization holds every weight matrix of D to spectral norm 1, so D is 1-Lipschitz; a stack of such layers
  is in practice far flatter than that. Its mean slope ‖∇ₓD‖ at the data is \(String(format: "%.3f", slopes[2]))
  against the plain D's \(String(format: "%.2f", slopes[0])). On this run its W1 moves
  \(String(format: "%.2f", snRatio)) times as much per measurement as the baseline's and its points
  \(String(format: "%.2f", snMovementRatio)) times as far, and it ends with \(Int(snModes)) of 8 modes captured (the
  baseline: \(Int(baselineModes))); \(snVerdict) Spectral normalization is made for lower learning rates, the hinge loss
  and wide networks (exercise 4 in the course notes): a stabilizer is a claim about a setting.
  """)

// MARK: - 6. What to take away

lesson.section("6. What to take away")
lesson.narrate("""
  - Gradient steps on a game are not gradient descent on a function: the field has a rotational part, and at the
    Dirac-GAN's equilibrium nothing else. Simultaneous steps spiral out, alternating steps cycle, a slower generator
    only slows the spiral, each at the rate the eigenvalues of the update predict (section 2).
  - What makes the equilibrium attracting is a term that damps the discriminator where the data is: R1 moves the
    eigenvalues into the left half plane, and the trajectory converges.
  - On a real GAN the same rotation shows as a generator that keeps moving after it has reached the data. On this
    run the slower generator (TTUR) \(tturCalmer ? "moved and swung less than the baseline" : "did not calm it"),
    and spectral normalization \(snCalmer ? "calmed it too" : "did not: its D was too flat to tell the modes apart").
    Measure a stabilizer in the setting you use it in.
  """)
lesson.finish()
