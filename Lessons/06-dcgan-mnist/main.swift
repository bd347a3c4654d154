// Lesson 06: a convolutional GAN on MNIST
// You will: train DCGAN on real images, watch digits appear from a fixed batch of noise, measure them with a
// classifier of our own (a Fréchet distance, a classifier score, the class histogram), walk through latent space,
// and check whether the generator is memorizing its training set.
// Run: swift run lesson-06-dcgan-mnist [--pretrained] [--data DIR]
//      Emits: output/lesson-06-dcgan-mnist/{samples-*.png, samples.gif, metrics.png, interpolation.png, neighbors.png,
// samples.safetensors, ...}
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
  @Option(help: Allowed.count(1...256).help("Base width w of the networks (channels 2w at 7x7, w at 14x14)."))
  var width: Int = 32
  @Option(help: Allowed.count(2...1024).help("Images per batch (batch norm needs at least 2).")) var batch: Int = 64
  @Option(
    help: ArgumentHelp(
      "Write the trained generator here (safetensors), e.g. to refresh the shipped checkpoint.", valueName: "file"))
  var saveGenerator: String?

  func validate() throws {
    try Allowed.count(1...256).check(width, "--width")
    try Allowed.count(2...1024).check(batch, "--batch")
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
  classifier: classifier, referenceImages: test.images, trainImages: train.images,
  sampleCount: evaluationCount)
lesson.show("training images", train.count)
lesson.show(
  "Fréchet distance, \(evaluationCount) real training images vs \(test.count) test images (the floor)", reference.floor)
lesson.image("real-digits", images: train.images.sliced(axis: 0, 0..<64).detached(), caption: "Real training digits.")

// MARK: - 2. The networks

lesson.section("2. DCGAN, sized for MNIST")
let w = flags.width
lesson.narrate("""
  Radford et al. (2016) made GANs work on images with a few rules: strided (transposed) convolutions instead of
  pooling, batch normalization in both networks (not on D's input), ReLU in G and leaky ReLU (0.2) in D, tanh on
  G's output, Adam with learning rate 2·10⁻⁴ and β₁ = 0.5. For 28×28 digits (w = \(w)):

  - G: z ∈ ℝ¹⁰⁰ → Linear → 2w×7×7, batch norm, ReLU → ConvTranspose 4×4 stride 2 → w×14×14, batch norm, ReLU →
    ConvTranspose 4×4 stride 2 → 1×28×28, tanh.
  - D: Conv 4×4 stride 2 → w×14×14, leaky ReLU → Conv 4×4 stride 2 → 2w×7×7, batch norm, leaky ReLU → Linear → logit.

  The same classes build the paper's 64×64 networks (`DCGANGenerator`, 3,576,704 parameters; `DCGANDiscriminator`,
  2,765,568), checked against the PyTorch reference in the tests.
  """)
var rng = lesson.makeGenerator()
let g = MNISTGenerator(noiseSize: 100, width: w, using: &rng)
let d = MNISTDiscriminator(width: w, using: &rng)
lesson.show("generator parameters", g.parameterCount)
lesson.show("discriminator parameters", d.parameterCount)
let optG = Adam(for: g, learningRate: 2e-4, beta1: 0.5, beta2: 0.999)
let optD = Adam(for: d, learningRate: 2e-4, beta1: 0.5, beta2: 0.999)

/// Generates `count` images in batches (batch statistics in G's batch norms, as during training).
@MainActor func generate(_ count: Int, from noise: Tensor? = nil, using rng: inout SeededGenerator) -> Tensor {
  inBatches(noise ?? Tensor.randomNormal([count, 100], using: &rng), of: 250) { g($0) }
}

@MainActor func evaluate(using rng: inout SeededGenerator) -> ClassifierMetrics {
  ClassifierMetrics(images: generate(evaluationCount, using: &rng), classifier: classifier, reference: reference)
}

let untrained = evaluate(using: &rng)
lesson.show("Fréchet distance of the untrained generator", untrained.frechetDistance ?? .nan)

// MARK: - 3. Training

lesson.section("3. Training")
let steps: Int
if flags.pretrained {
  let metadata = lesson.loadPretrained(g)
  lesson.narrate("""
    Loaded the shipped generator (`pretrained/generator.safetensors`, trained by `\(metadata["command"] ?? "?")` \
    for \(metadata["steps"] ?? "?") steps).
    """)
  steps = lesson.options.steps ?? 0
} else {
  steps = lesson.steps(default: 3000, quick: 300)
}
lesson.narrate("""
  Each step: D on a real batch (label 1) and a generated batch (label 0), then G on fresh noise through the frozen D
  with the non-saturating loss. Batch \(flags.batch), \(steps) steps \
  (\(String(format: "%.1f", Double(steps * flags.batch) / Double(train.count))) epochs).
  A fixed batch of 64 noise vectors is drawn at the start; its images are saved as training goes.
  """)
var sampler = InfiniteBatchSampler(train, batchSize: flags.batch, seed: lesson.seed)
let fixedNoise = Tensor.randomNormal([64, 100], using: &rng)
var grids: [ImageGrid] = []
var history: [(step: Int, metrics: ClassifierMetrics)] = [(0, untrained)]
var dLosses: [Double] = [], gLosses: [Double] = [], lossSteps: [Int] = []
let snapshots = Set([0] + (1...8).map { steps * $0 / 8 })
let evaluationPoints = lesson.quick ? 4 : 10
let evaluations = Set((1...evaluationPoints).map { steps * $0 / evaluationPoints })
if let grid = try? ImageGrid(generate(64, from: fixedNoise, using: &rng)) { grids.append(grid) }
let progress = lesson.progress(total: max(steps, 1), label: "training DCGAN")
for step in stride(from: 1, through: steps, by: 1) {
  let real = sampler.next().examples
  let fake = withoutGradients { g(Tensor.randomNormal([flags.batch, 100], using: &rng)) }
  let lossD = optD.minimize(
    binaryCrossEntropy(logits: d(real), target: 1) + binaryCrossEntropy(logits: d(fake), target: 0))
  let lossG = optG.minimize(
    binaryCrossEntropy(logits: d(g(Tensor.randomNormal([flags.batch, 100], using: &rng))), target: 1))
  if step % 10 == 0 {
    dLosses.append(Double(lossD))
    gLosses.append(Double(lossG))
    lossSteps.append(step)
  }
  if snapshots.contains(step) {
    let images = generate(64, from: fixedNoise, using: &rng)
    if let grid = try? ImageGrid(images) { grids.append(grid) }
    if lesson.isLive && !lossSteps.isEmpty {
      // --live: the losses so far, redrawn at each snapshot (the window draws figures; the sample grids are files).
      var live = Figure(
        name: "losses-live", title: "DCGAN losses, step \(step) of \(steps)", xLabel: "step", yLabel: "loss")
      live.add(.line(x: lossSteps, y: dLosses, label: "D loss", color: .blue, width: 2))
      live.add(.line(x: lossSteps, y: gLosses, label: "G loss", color: .vermillion, width: 2))
      lesson.live(live)
    }
  }
  if evaluations.contains(step) { history.append((step, evaluate(using: &rng))) }
  progress.update(step, values: ["D loss": Double(lossD), "G loss": Double(lossG)])
}
if steps == 0 { history.append((0, evaluate(using: &rng))) }

let finalImages = generate(64, from: fixedNoise, using: &rng)
lesson.image("samples-final", images: finalImages, caption: "The fixed noise batch after training.")
if grids.count > 1 {
  lesson.animation(
    "samples", frames: grids + [grids.last!, grids.last!], delay: 0.5,
    caption: "The same 64 noise vectors over training: blobs, strokes, digits.")
  for (i, grid) in grids.enumerated() where i == grids.count / 2 {
    if let png = try? grid.pngData() { lesson.image("samples-midway", png: png, caption: "Midway through training.") }
  }
}
if !dLosses.isEmpty {
  var losses = Figure(name: "losses", title: "DCGAN losses", xLabel: "step", yLabel: "loss")
  losses.add(.line(x: lossSteps, y: dLosses, label: "D loss", color: .blue, width: 2))
  losses.add(.line(x: lossSteps, y: gLosses, label: "G loss", color: .vermillion, width: 2))
  losses.add(.horizontal(2 * log(2), label: "2 ln 2"))
  lesson.figure(losses)
}
let metricSteps = history.map(\.step)
var metricFigure = Figure(
  name: "metrics", title: "Judging the generator over training", columns: 3,
  panels: [
    Panel(
      title: "Fréchet distance (log)", xLabel: "step", yLabel: "distance",
      series: [
        .linesPoints(
          x: metricSteps, y: history.map { $0.metrics.frechetDistance ?? .nan }, label: "generated", color: .blue)
      ],
      referenceLines: [.horizontal(reference.floor, label: "real-vs-real floor")]),
    Panel(
      title: "classifier score", xLabel: "step", yLabel: "score (max 10)",
      series: [.linesPoints(x: metricSteps, y: history.map(\.metrics.classifierScore), label: "score", color: .green)],
      legend: .bottomRight),
    Panel(
      title: "confident share", xLabel: "step", yLabel: "share with p > 0.9",
      series: [
        .linesPoints(x: metricSteps, y: history.map(\.metrics.confidentShare), label: "confident", color: .vermillion)
      ],
      legend: .bottomRight),
  ])
metricFigure.panels[0].yAxis.logScale = true
if Set(metricSteps).count > 1 {
  lesson.figure(
    metricFigure,
    caption: "The classifier-based metrics at \(evaluationPoints) points of training (\(evaluationCount) samples each)."
  )
}

// MARK: - 4. What did it learn?

lesson.section("4. What did it learn?")
let final = history.last!.metrics
let histogram = final.classHistogram
var classes = Figure(
  name: "classes", title: "Which digits does it draw?", xLabel: "predicted class", yLabel: "share of samples")
classes.add(
  .bars(
    x: Array(0...9), heights: histogram.map { Double($0) / Double(max(1, final.sampleCount)) }, width: 0.8,
    label: "generated", color: .blue))
classes.add(.horizontal(0.1, label: "uniform"))
classes.panel.legend = .below  // a tall bar can stand at either end: a corner legend would cover it
lesson.figure(classes)

// Interpolation: 8 rows, each a straight line in z between two random points.
let a = Tensor.randomNormal([8, 100], using: &rng), b = Tensor.randomNormal([8, 100], using: &rng)
var strip: [Tensor] = []
for row in 0..<8 {
  for t in 0..<10 {
    let s = Float(t) / 9
    strip.append((a.sliced(axis: 0, row..<(row + 1)) * (1 - s) + b.sliced(axis: 0, row..<(row + 1)) * s).detached())
  }
}
let interpolation = generate(80, from: concatenate(strip, alongAxis: 0), using: &rng)
lesson.image(
  "interpolation", grid: try! ImageGrid(interpolation, columns: 10),
  caption: "Each row walks in a straight line through z: the digits morph smoothly, no jumps.")

// Memorization: the nearest training images of 8 samples (pixel distance).
let queries = finalImages.sliced(axis: 0, 0..<8).detached()
let neighbors = nearestNeighbors(of: queries, in: train.images, count: 3)
var rows: [Tensor] = []
for (i, found) in neighbors.enumerated() {
  rows.append(queries.sliced(axis: 0, i..<(i + 1)).detached())
  for n in found { rows.append(train.images.sliced(axis: 0, n.index..<(n.index + 1)).detached()) }
}
lesson.image(
  "neighbors", grid: try! ImageGrid(concatenate(rows, alongAxis: 0), columns: 4),
  caption: "Left: a generated digit; right: its three nearest training images.")
let sampleDistances = neighbors.map { Double($0[0].distance) }
let realNeighbors = nearestNeighbors(of: test.images.sliced(axis: 0, 0..<8).detached(), in: train.images, count: 1)
let realDistances = realNeighbors.map { Double($0[0].distance) }
let meanSampleDistance = sampleDistances.reduce(0, +) / 8, meanRealDistance = realDistances.reduce(0, +) / 8
lesson.show("mean distance, generated digit → nearest training image", meanSampleDistance)
lesson.show("mean distance, test digit → nearest training image", meanRealDistance)
lesson.narrate("""
  If G were copying its training set, its samples would sit much closer to their nearest training image than new
  real digits do. Compare the two distances above: a copy would be near 0.
  """)

// Samples for anyone who wants to judge them with their own tools.
let samples = generate(1000, using: &rng)
do {
  try SafeTensors.write(
    ["images": samples],
    metadata: [
      "generator": "MNISTGenerator w=\(w)", "steps": String(steps),
      "seed": String(lesson.seed), "range": "[-1, 1]",
    ],
    to: lesson.outputFolder.appendingPathComponent("samples.safetensors"))
  lesson.narrate("Wrote `samples.safetensors`: tensor `images`, shape [1000, 1, 28, 28], values in [−1, 1].")
} catch {
  lesson.fail("samples.safetensors could not be written: \(error)")
}
if let path = flags.saveGenerator {
  do {
    try Checkpoint.save(
      g, to: URL(fileURLWithPath: path),
      metadata: [
        "command": "swift run lesson-06-dcgan-mnist --seed \(lesson.seed) --width \(w) --save-generator \(path)",
        "steps": String(steps), "width": String(w), "frechet": String(final.frechetDistance ?? .nan),
      ])
    lesson.narrate("Saved the generator to `\(path)`.")
  } catch {
    lesson.fail("--save-generator: the generator could not be written: \(error)")
  }
}

// MARK: - 5. Claims

lesson.section("5. Measured")
lesson.show("Fréchet distance at the end", final.frechetDistance ?? .nan)
lesson.show("classifier score at the end", final.classifierScore)
lesson.show("class KL to uniform at the end (nats)", final.classKLToUniform)
lesson.show("share classified with confidence > 0.9", final.confidentShare)
lesson.show("classes never drawn", final.missingClasses.count)
let ratio = (final.frechetDistance ?? .infinity) / (untrained.frechetDistance ?? .nan)
// The quick budget (300 steps, a third of an epoch) is for tests: its digits are still rough, so its bars are lower.
let short = lesson.quick && !flags.pretrained
lesson.narrate(
  short
    ? "This is a `--quick` run (\(steps) steps): the bars below are the quick budget's, lower than the full run's."
    : "The bars below are the full budget's (also applied to the shipped generator).")
lesson.check(
  "the Fréchet distance falls to at most \(short ? 60 : 30)% of the untrained generator's", measured: ratio,
  .atMost(short ? 0.6 : 0.3))
lesson.check("every digit class appears among the samples", measured: Double(final.missingClasses.count), .atMost(0))
lesson.check(
  "the class histogram is near uniform (KL below \(short ? 0.5 : 0.3) nats)", measured: final.classKLToUniform,
  .below(short ? 0.5 : 0.3))
lesson.check(
  "at least \(short ? 10 : 40)% of the samples are classified with confidence > 0.9",
  measured: final.confidentShare, .atLeast(short ? 0.1 : 0.4))
lesson.check(
  "samples are not copies: nearest-training distance at least half that of real test digits",
  measured: meanSampleDistance / meanRealDistance, .atLeast(0.5))
lesson.finish()
