// Lesson 06: a convolutional GAN on MNIST
// You will: train DCGAN on real images, watch digits appear from a fixed batch of noise, measure them with a
// classifier of our own (a Fréchet distance, a classifier score, the class histogram), walk through latent space,
// and check whether the generator is memorizing its training set.
// Run: swift run lesson-06-dcgan-mnist [--pretrained] [--data DIR]
// Emits: output/lesson-06-dcgan-mnist/{samples-*.png, samples.gif, metrics.png, interpolation.png, ...}
import ArgumentParser
import Datasets
import Foundation
import GAN
import LessonKit
import Plotting

struct Flags: ParsableArguments {
  @OptionGroup var mnist: MNISTFlags
  @Flag(help: "Start from the generator shipped in Lessons/06-dcgan-mnist/pretrained (no training unless --steps).")
  var pretrained = false
  @Option(
    allowed: .count(1...256), help: "Base width w (2w channels at 7x7); default 32, with --pretrained the shipped.")
  var width: Int?
  @Option(allowed: .count(2...1024), help: "Images per batch (batch norm needs at least 2).") var batch: Int = 64
  @Flag(inversion: .prefixedNo, help: "Give G a 3x3 convolution at 7x7 and at 14x14 besides the upsampling ones.")
  var refined = true
  @Flag(inversion: .prefixedNo, help: "Give D a 3x3 convolution at 14x14 and at 7x7 besides the strided ones.")
  var refinedD = true
  enum Normalization: String, ExpressibleByArgument, CaseIterable { case batch, spectral, none }
  @Option(help: "D's normalization after its second convolution.") var discriminatorNorm: Normalization = .batch
  @Option(allowed: .coefficient, help: "Decay of the moving average of G's weights that samples come from (0: off).")
  var ema: Double = 0.999
  @Option(allowed: .number(0...0.5), help: "One-sided label smoothing: D's target for real images is 1 minus this.")
  var labelSmoothing: Double = 0
  @Option(allowed: .weight, help: "γ of the R1 penalty on D's gradient at real images (0: off).") var r1: Double = 0
  @Option(allowed: .rate, help: "Adam's learning rate for D.") var learningRateD: Double = 5e-4
  @Option(allowed: .rate, help: "Adam's learning rate for G.") var learningRateG: Double = 5e-4
  @Flag(help: "Keep the learning rates for the first half of the steps, then decay them linearly to 0.")
  var linearDecay = false
  @Option(
    help: ArgumentHelp(
      "Write the trained generator here (safetensors), e.g. to refresh the shipped checkpoint.", valueName: "file"))
  var saveGenerator: String?

  func validate() throws {
    try checkWritableFile(saveGenerator, "--save-generator")
  }
}
let (lesson, flags) = Lesson.start(
  number: 6, slug: "dcgan-mnist", title: "A convolutional GAN on MNIST", flags: Flags.self)

// MARK: - 1. Data and the judge

lesson.section("1. Real images, and a judge of our own")
lesson.narrate("""
  MNIST: 60,000 training images of handwritten digits, 28×28 gray, scaled to [−1, 1] to match the generator's
  tanh. To judge generated digits we use a small CNN classifier trained by this engine (99.3% test accuracy,
  `swift run train-classifier`): the Fréchet distance between its 128 penultimate features on generated and on test
  images (the MNIST analog of FID — lower is better, and even two sets of real digits are not at 0: that floor is
  reported next to it), the classifier score exp(E KL(p(y|x) ‖ p(y))) (10 at best: confident and all classes), the
  histogram of predicted classes and its KL to uniform, and the share of samples classified with confidence > 0.9.
  """)
let evaluationCount = lesson.quick ? 500 : 1000
// The Fréchet reference draws evaluationCount real training images; the sampler needs a whole batch.
let mnist = lesson.loadMNIST(
  flags.mnist, testLimit: lesson.quick ? 2000 : 10_000,
  minimumTrain: max(flags.batch, evaluationCount), minimumTest: evaluationCount)
let (train, test, classifier) = (mnist.train, mnist.test, mnist.classifier)
let reference = FrechetReference(
  classifier: classifier, referenceImages: test.images, trainImages: train.images, sampleCount: evaluationCount)
lesson.show("training images", train.count)
lesson.show(
  "Fréchet distance, \(evaluationCount) real training images vs \(test.count) test images (the floor)",
  reference.floor)
lesson.image("real-digits", images: train.images.sliced(axis: 0, 0..<64).detached(), caption: "Real training digits.")

// MARK: - 2. The networks and the recipe

lesson.section("2. DCGAN, sized for MNIST, and what makes its digits clean")
// With --pretrained the networks take the shipped generator's width and layers, which its metadata records.
let shippedShape = flags.pretrained ? lesson.pretrainedMetadata() : [:]
let w = flags.width ?? shippedShape["width"].flatMap { Int($0) } ?? 32
let refined = shippedShape["refined"].map { $0 == "true" } ?? flags.refined
let norm = ["batch": "batch norm, ", "spectral": "(spectral norm), ", "none": ""][flags.discriminatorNorm.rawValue]!
lesson.narrate("""
  Radford et al. (2016) made GANs work on images with a few rules: strided (transposed) convolutions instead of
  pooling, batch normalization in both networks (not on D's input), ReLU in G and leaky ReLU (0.2) in D, tanh on
  G's output, Adam with β₁ = 0.5. For 28×28 digits (w = \(w)):

  - G: z ∈ ℝ¹⁰⁰ → Linear → 2w×7×7, batch norm, ReLU → \
  \(refined ? "Conv 3×3 → 2w×7×7, BN, ReLU → " : "")\
  ConvTranspose 4×4 stride 2 → w×14×14, BN, ReLU → \
  \(refined ? "Conv 3×3 → w×14×14, BN, ReLU → " : "")\
  ConvTranspose 4×4 stride 2 → 1×28×28, tanh.
  - D: Conv 4×4 stride 2 → w×14×14, leaky ReLU → \(flags.refinedD ? "Conv 3×3, leaky ReLU → " : "")\
  Conv 4×4 stride 2 → 2w×7×7, \(norm)leaky ReLU → \(flags.refinedD ? "Conv 3×3, \(norm)leaky ReLU → " : "")\
  Linear → logit.

  Four changes to the paper's recipe make the difference between half-formed strokes and clean digits here (the
  course notes measure each one): a 3×3 convolution at 7×7 and at 14×14 in G (`--no-refined` leaves them out), so
  that each resolution has a layer that shapes strokes without also doubling the size; the same in D
  (`--no-refined-d`), so that D can judge strokes as finely as G draws them; learning rates of
  \(flags.learningRateG) for G and \(flags.learningRateD) for D instead of 2·10⁻⁴; and samples drawn from an
  exponential moving average of G's weights (decay \(flags.ema); `--ema 0` samples G itself). G's weights keep
  circling where the game would settle; their average sits nearer to it than any single step.
  The same classes build the paper's 64×64 networks (`DCGANGenerator`, 3,576,704 parameters; `DCGANDiscriminator`,
  2,765,568), checked against the PyTorch reference in the tests.
  """)
var rng = lesson.makeGenerator()
let g = MNISTGenerator(noiseSize: 100, width: w, refined: refined, using: &rng)
let d = ConvolutionalDiscriminator(
  width: w, batchNorm: flags.discriminatorNorm == .batch, spectralNorm: flags.discriminatorNorm == .spectral,
  refined: flags.refinedD, using: &rng)
lesson.show("generator parameters", g.parameterCount)
lesson.show("discriminator parameters", d.parameterCount)
let optG = Adam(for: g, learningRate: Float(flags.learningRateG), beta1: 0.5, beta2: 0.999)
let optD = Adam(for: d, learningRate: Float(flags.learningRateD), beta1: 0.5, beta2: 0.999)
var shipped: [String: String]? = nil
if flags.pretrained { shipped = lesson.loadPretrained(g, hint: "--width \(w) does not match it") }
// The average starts at G's weights (the shipped ones with --pretrained); `sampler` is what every picture shows.
var initRNG = SeededGenerator(seed: lesson.seed &+ 1)
let sampler = flags.ema > 0 ? MNISTGenerator(noiseSize: 100, width: w, refined: refined, using: &initRNG) : g
let average = ExponentialMovingAverage(of: g, decay: Float(flags.ema))

/// Generates `count` images in batches (batch statistics in G's batch norms, as during training).
@MainActor func generate(_ count: Int, from noise: Tensor? = nil, using rng: inout SeededGenerator) -> Tensor {
  if flags.ema > 0 { average.copy(into: sampler) }
  return inBatches(noise ?? Tensor.randomNormal([count, 100], using: &rng), of: 250) { sampler($0) }
}

@MainActor func evaluate(using rng: inout SeededGenerator) -> ClassifierMetrics {
  ClassifierMetrics(images: generate(evaluationCount, using: &rng), classifier: classifier, reference: reference)
}

// MARK: - 3. Training

lesson.section("3. Training")
let steps = shipped == nil ? lesson.steps(default: 3000, quick: 300) : lesson.options.steps ?? 0
if let shipped {
  lesson.narrate("""
    Loaded the shipped generator (`pretrained/generator.safetensors`): trained by `\(shipped["command"] ?? "?")` \
    (seed \(shipped["seed"] ?? "?"), \(shipped["steps"] ?? "?") steps, \(shipped["wall_time"] ?? "?") on \
    \(shipped["machine"] ?? "?")). \(steps > 0 ? "Training it \(steps) more steps." : "No training in this run.")
    """)
}
let fixedNoise = Tensor.randomNormal([64, 100], using: &rng)
let untrained = evaluate(using: &rng)
lesson.show(
  "Fréchet distance of the \(shipped == nil ? "untrained" : "shipped") generator", untrained.frechetDistance ?? .nan)
var history: [(step: Int, metrics: ClassifierMetrics)] = [(0, untrained)]
var grids = [try! ImageGrid(generate(64, from: fixedNoise, using: &rng))]
var losses: (steps: [Int], d: [Double], g: [Double]) = ([], [], [])
var trainingSeconds = 0.0
if steps > 0 {
  lesson.narrate("""
    Each step: D on a real batch (label 1) and a generated batch (label 0), then G on fresh noise through the frozen
    D with the non-saturating loss. Batch \(flags.batch), \(steps) steps \
    (\(String(format: "%.1f", Double(steps * flags.batch) / Double(train.count))) epochs). A fixed batch of 64 noise
    vectors is drawn at the start; its images are saved as training goes.
    """)
  var batches = InfiniteBatchSampler(train, batchSize: flags.batch, seed: lesson.seed)
  let schedule = LinearDecaySchedule(constantEpochs: steps / 2, decayEpochs: steps - steps / 2)
  let log = lesson.train(
    steps: steps, label: "training DCGAN", measureEvery: .evenly(lesson.quick ? 4 : 10), framesEvery: .evenly(8)
  ) { step in
    if flags.linearDecay {
      optD.learningRate = schedule.learningRate(base: Float(flags.learningRateD), epoch: step - 1)
      optG.learningRate = schedule.learningRate(base: Float(flags.learningRateG), epoch: step - 1)
    }
    let real = batches.next().examples
    let fake = withoutGradients { g(Tensor.randomNormal([flags.batch, 100], using: &rng)) }
    var objectiveD =
      binaryCrossEntropy(logits: d(real), target: Float(1 - flags.labelSmoothing))
      + binaryCrossEntropy(logits: d(fake), target: 0)
    if flags.r1 > 0 { objectiveD = objectiveD + r1Penalty(critic: { d($0) }, real: real, gamma: Float(flags.r1)) }
    let lossD = Double(optD.minimize(objectiveD))
    let lossG = Double(
      optG.minimize(binaryCrossEntropy(logits: d(g(Tensor.randomNormal([flags.batch, 100], using: &rng))), target: 1)))
    // Early on the average would remember the random start for ~1/(1 − decay) steps: its decay ramps up.
    average.decay = Float(min(flags.ema, Double(step) / Double(step + 10)))
    average.update(from: g)
    if step % 10 == 0 { losses = (losses.steps + [step], losses.d + [lossD], losses.g + [lossG]) }
    return ["D loss": lossD, "G loss": lossG]
  } measure: { step in
    history.append((step, evaluate(using: &rng)))
    return ["Fréchet distance": history.last!.metrics.frechetDistance ?? .nan]
  } frame: { step in
    let grid = try! ImageGrid(generate(64, from: fixedNoise, using: &rng))
    if lesson.isLive {
      lesson.live(.losses(name: "losses-live", title: "DCGAN losses, step \(step) of \(steps)", losses))
    }
    return grid
  }
  grids += log.frameValues
  trainingSeconds = log.seconds
}

let finalImages = generate(64, from: fixedNoise, using: &rng)
lesson.image("samples-final", images: finalImages, caption: "The fixed noise batch after training.")
if grids.count > 1 {
  lesson.animation(
    "samples", frames: grids + [grids.last!, grids.last!], delay: 0.5,
    caption: "The same 64 noise vectors over training: blobs, strokes, digits.")
  lesson.image("samples-midway", grid: grids[grids.count / 2], caption: "Midway through training.")
}
if !losses.steps.isEmpty {
  var figure = Figure.losses(name: "losses", title: "DCGAN losses", losses, yLabel: "loss")
  figure.add(.horizontal(2 * log(2), label: "2 ln 2"))
  lesson.figure(figure)
}
if history.count > 1 {
  lesson.figure(
    .classifierMetrics(
      name: "metrics", title: "Judging the generator over training", history: history, floor: reference.floor),
    caption: "The classifier-based metrics at \(history.count - 1) points of training (\(evaluationCount) samples "
      + "each).")
}

// MARK: - 4. What did it learn?

lesson.section("4. What did it learn?")
let final = history.last!.metrics
lesson.figure(.classHistogram(name: "classes", title: "Which digits does it draw?", metrics: final))

let walks = latentWalks(
  from: Tensor.randomNormal([8, 100], using: &rng), to: Tensor.randomNormal([8, 100], using: &rng), columns: 10)
lesson.image(
  "interpolation", grid: try! ImageGrid(generate(80, from: walks, using: &rng), columns: 10),
  rowLabels: (1...8).map { "walk \($0)" }, columnLabels: ["z₀"] + (1...8).map { _ in "" } + ["z₁"],
  caption: "Each row walks in a straight line through z: the digits morph smoothly, no jumps.")

// Memorization: the nearest training images (pixel distance) of 8 samples, and of 8 test digits for comparison.
let queries = finalImages.sliced(axis: 0, 0..<8).detached()
let copies = MemorizationCheck(samples: queries, test: test.images.sliced(axis: 0, 0..<8), train: train.images)
lesson.image(
  "neighbors", grid: try! ImageGrid(copies.gridImages(samples: queries, train: train.images), columns: 4),
  rowLabels: [], columnLabels: ["generated", "nearest", "2nd", "3rd"],
  caption: "Left: a generated digit; right: its three nearest training images (pixel distance).")
lesson.show("mean distance, generated digit → nearest training image", copies.meanSampleDistance)
lesson.show("mean distance, test digit → nearest training image", copies.meanRealDistance)
lesson.narrate("""
  If G were copying its training set, its samples would sit much closer to their nearest training image than new
  real digits do. Compare the two distances above: a copy would be near 0.
  """)

// Samples for anyone who wants to judge them with their own tools.
lesson.writeTensors(
  "samples.safetensors", ["images": generate(1000, using: &rng)],
  metadata: [
    "generator": "MNISTGenerator w=\(w)\(refined ? " refined" : "")", "steps": String(steps),
    "seed": String(lesson.seed), "range": "[-1, 1]",
  ])
lesson.narrate("Wrote `samples.safetensors`: tensor `images`, shape [1000, 1, 28, 28], values in [−1, 1].")
// The generator samples come from (the average, with --ema), with what it takes to make it again.
if flags.saveGenerator != nil && flags.ema > 0 { average.copy(into: sampler) }
lesson.saveCheckpoint(
  sampler, to: flags.saveGenerator, what: "the generator",
  metadata: [
    "command": "swift run lesson-06-dcgan-mnist \(lesson.commandLine(dropping: ["--out"]))",
    "seed": String(lesson.seed), "steps": String(steps), "wall_time": String(format: "%.0f s", trainingSeconds),
    "machine": machineDescription(), "width": String(w), "refined": String(refined), "refined_d": "\(flags.refinedD)",
    "frechet": String(final.frechetDistance ?? .nan), "frechet_floor": String(reference.floor),
  ])

// MARK: - 5. Claims

lesson.section("5. Measured")
lesson.show("Fréchet distance at the end", final.frechetDistance ?? .nan)
lesson.show("… as a multiple of the real-vs-real floor", (final.frechetDistance ?? .nan) / reference.floor)
lesson.show("classifier score at the end", final.classifierScore)
lesson.show("class KL to uniform at the end (nats)", final.classKLToUniform)
lesson.show("share classified with confidence > 0.9", final.confidentShare)
lesson.show("classes never drawn", final.missingClasses.count)
let floors = (final.frechetDistance ?? .infinity) / reference.floor
if shipped != nil && steps == 0 {  // claims about the shipped checkpoint, not about anything this run trained
  lesson.narrate("The claims below are about the **shipped checkpoint**: this run trained nothing.")
  lesson.labelClaims("shipped checkpoint")
}
lesson.check(
  "samples are not copies: nearest-training distance at least half that of real test digits",
  measured: copies.ratio, .atLeast(0.5))
lesson.check("every digit class appears among the samples", measured: Double(final.missingClasses.count), .atMost(0))
if shipped != nil && steps == 0 {
  lesson.check("Fréchet distance at most the real-vs-real floor", measured: floors, .atMost(1))
  lesson.check("classifier score at least 9", measured: final.classifierScore, .atLeast(9))
  lesson.check("at least 90% of samples confidently classified (> 0.9)", measured: final.confidentShare, .atLeast(0.9))
} else if lesson.quick {
  // The quick budget (300 steps, a third of an epoch) is for tests: it checks that training moves the right way.
  let ratio = (final.frechetDistance ?? .infinity) / (untrained.frechetDistance ?? .nan)
  lesson.check(
    "training works: the Fréchet distance falls to at most 60% of the untrained generator's", measured: ratio,
    .atMost(0.6))
  lesson.check(
    "training works: the share of confidently classified samples rises to at least 0.2",
    measured: final.confidentShare, .atLeast(0.2))
} else {
  lesson.check("the Fréchet distance is at most 6× the real-vs-real floor", measured: floors, .atMost(6))
  lesson.check(
    "the class histogram is near uniform (KL below 0.1 nats)", measured: final.classKLToUniform, .below(0.1))
  lesson.check(
    "at least 60% of the samples are classified with confidence > 0.9", measured: final.confidentShare, .atLeast(0.6))
}
lesson.finish()
