// Lesson 08: StyleGAN on MNIST: style mixing, truncation, and a smoother latent space
// You will: train a small StyleGAN2 on digits, cross the styles of two digits at the coarse, middle and fine layers
// and MEASURE what each level controls (the class? the stroke thickness?), sweep the truncation ψ from 1 to 0 and
// watch diversity fall, and compare interpolation in z with interpolation in w by their perceptual path length.
// Run: swift run lesson-08-stylegan-mixing [--pretrained] [--data DIR]
//      Emits: output/lesson-08-stylegan-mixing/{samples.png, mixing-*.png, mixing-measured.png, truncation*.png,
//             interpolation.png, path-lengths.png, losses.png, samples.safetensors, ...}
import ArgumentParser
import Datasets
import Foundation
import GAN
import LessonKit
import Plotting

struct Flags: ParsableArguments {
  @OptionGroup var mnist: MNISTFlags
  @Flag(help: "Evaluate the generator shipped in Lessons/08-stylegan-mixing/pretrained (no training unless --steps).")
  var pretrained = false
  @Option(help: Allowed.count(4...512).help("Images per batch (a multiple of --minibatch-group).")) var batch: Int = 32
  @Option(help: Allowed.count(32...8192).help("Channels at resolution r: min(channel-base / r, channel-max)."))
  var channelBase: Int = 256
  @Option(help: Allowed.count(1...512).help("The widest feature map.")) var channelMax: Int = 32
  @Option(help: Allowed.count(1...1024).help("Length of z and of w.")) var wDim: Int = 64
  @Option(help: Allowed.weight.help("R1 penalty weight γ (applied lazily every 16 steps).")) var r1Gamma: Float = 10
  @Option(help: Allowed.rate.help("Adam's learning rate for both networks.")) var learningRate: Float = 0.002
  @Option(help: Allowed.share.help("The share of training batches that mix two latents (style-mixing regularization)."))
  var mixingProbability: Float = 0.9
  @Option(
    help: Allowed.count(1...512).help(
      "Group size of the discriminator's minibatch standard deviation (must divide --batch)."))
  var minibatchGroup: Int = 4
  @Option(
    help: ArgumentHelp(
      "Write the trained (averaged) generator here (safetensors), e.g. to refresh the shipped checkpoint.",
      valueName: "file"))
  var saveGenerator: String?

  func validate() throws {
    try Allowed.count(4...512).check(batch, "--batch")
    try Allowed.count(32...8192).check(channelBase, "--channel-base")
    try Allowed.count(1...512).check(channelMax, "--channel-max")
    try Allowed.count(1...1024).check(wDim, "--w-dim")
    try Allowed.weight.check(r1Gamma, "--r1-gamma")
    try Allowed.rate.check(learningRate, "--learning-rate")
    try Allowed.share.check(mixingProbability, "--mixing-probability")
    try Allowed.count(1...512).check(minibatchGroup, "--minibatch-group")
    guard batch % minibatchGroup == 0 else {
      throw ValidationError("--minibatch-group must divide --batch \(batch), got \(minibatchGroup)")
    }
    try checkWritableFile(saveGenerator, "--save-generator")
  }
}
let (lesson, flags) = Lesson.start(
  number: 8, slug: "stylegan-mixing", title: "StyleGAN: style mixing, truncation, path length",
  flags: Flags.self)
let started = Date()

// MARK: - 1. Data and the judge

lesson.section("1. Digits at 32×32, and the judge from lesson 06")
lesson.narrate("""
  StyleGAN's generator grows images by doubling from 4×4, so we pad MNIST's 28×28 digits with two background pixels
  on each side to 32×32 (values in [−1, 1], background −1). The judge is lesson 06's classifier (99.3% test
  accuracy): it sees the central 28×28 crop, which is exactly the original digit area. We use its predicted class,
  and its 128 penultimate features as a perceptual space: distances there stand in for the paper's VGG distances.
  """)
/// The shipped checkpoint is what `--pretrained` and the claims of `--quick` use; the rest of the time we train.
let trainsFromScratch = !flags.pretrained
let needsTrain = trainsFromScratch || (lesson.options.steps ?? 0) > 0
let mnist = lesson.loadMNIST(
  flags.mnist, trainLimit: lesson.quick ? 4000 : nil, testLimit: 1000,
  minimumTrain: flags.batch, minimumTest: 1000, needsTrain: needsTrain)
let (classifier, test) = (mnist.classifier, mnist.test)
let train: LabeledImages? = needsTrain ? mnist.train : nil

/// [N, 1, 28, 28] -> [N, 1, 32, 32], padded with the background value -1.
func padded(_ images: Tensor) -> Tensor {
  withoutGradients { ((images + 1).padded(before: [0, 0, 2, 2], after: [0, 0, 2, 2]) - 1).detached() }
}
/// [N, 1, 32, 32] -> the central [N, 1, 28, 28], the classifier's input.
func cropped(_ images: Tensor) -> Tensor { images.sliced(axis: 2, 2..<30).sliced(axis: 3, 2..<30).detached() }

/// What the classifier says about a batch of 32x32 images: classes and features.
@MainActor func judge(_ images: Tensor) -> (classes: [Int], features: Tensor) {
  let outputs = classifier.outputs(for: cropped(images))
  return (ClassPredictions(logits: outputs.logits).predictedClasses, outputs.features)
}

let realTest = padded(test.images)
let realJudged = judge(realTest)
let realFeatureDiversity = meanPairwiseDistance(realJudged.features)
lesson.show("real test digits: mean pairwise feature distance (1000 digits)", realFeatureDiversity)

// MARK: - 2. The networks

lesson.section("2. A small StyleGAN2")
let configuration = StyleGANConfiguration(
  resolution: 32, channels: 1, zDim: flags.wDim, wDim: flags.wDim, mappingLayers: 4,
  channelBase: flags.channelBase, channelMax: flags.channelMax)
let widths = configuration.blockResolutions.map { "\(configuration.width(at: $0))@\($0)×\($0)" }.joined(separator: ", ")
let coarse = configuration.styleIndices(forResolutions: 4...8)
let middle = configuration.styleIndices(forResolutions: 16...16)
let fine = configuration.styleIndices(forResolutions: 32...32)
lesson.narrate("""
  z ∈ ℝ^\(flags.wDim) → mapping network (pixel norm, 4 fully connected layers, learning rate ×0.01) → w ∈ \
  ℝ^\(flags.wDim).
  The synthesis network starts from a learned 4×4 constant and runs two modulated 3×3 convolutions per resolution
  (one at 4×4); channels \(widths). Each convolution and the last toRGB take their own copy of w — \
  \(configuration.styleCount)
  style inputs in all: indices \(coarse.lowerBound)..<\(coarse.upperBound) act at 4×4 and 8×8 (we call them
  coarse), \(middle.lowerBound)..<\(middle.upperBound) at 16×16 (middle), \(fine.lowerBound)..<\(fine.upperBound) at \
  32×32 (fine).
  The discriminator is StyleGAN2's residual network with minibatch standard deviation.
  """)
var rng = lesson.makeGenerator()
let g = StyleGANGenerator(configuration: configuration, using: &rng)
let d = StyleGANDiscriminator(configuration: configuration, minibatchGroupSize: flags.minibatchGroup, using: &rng)
lesson.show("generator parameters", g.parameterCount)
lesson.show("discriminator parameters", d.parameterCount)

// MARK: - 3. Training

lesson.section("3. Training")
let steps: Int
if flags.pretrained {
  let metadata = lesson.loadPretrained(
    g, hint: "the shipped checkpoint needs the default widths: --channel-base 256 --channel-max 32 --w-dim 64")
  lesson.narrate("""
    Loaded the shipped generator (`pretrained/generator.safetensors`, the weight average of a run of \
    `\(metadata["command"] ?? "?")`, \(metadata["steps"] ?? "?") steps).
    """)
  steps = lesson.options.steps ?? 0
} else {
  steps = lesson.steps(default: 1800, quick: 20)
}
let options = StyleGANTrainingOptions(
  learningRate: flags.learningRate, r1Gamma: flags.r1Gamma, r1Interval: 16, mixingProbability: flags.mixingProbability,
  seed: lesson.seed)
let trainer = StyleGANTrainer(generator: g, discriminator: d, options: options)
lesson.narrate("""
  StyleGAN2's recipe: the non-saturating logistic loss, Adam (lr 0.002, β₁ = 0, β₂ = 0.99), lazy R1 on real images
  (γ = \(flags.r1Gamma), every 16 steps; with γ = 0.05 this small network collapsed to one digit), style-mixing \
  regularization (90% of batches switch to a second latent at a
  random crossover) and an exponential moving average of G's weights, from which we sample. Batch \(flags.batch),
  \(steps) steps.
  """)
var lossSteps: [Int] = [], dLosses: [Double] = [], gLosses: [Double] = []
var snapshots: [ImageGrid] = []
var snapshotDiversity: [(Int, Double)] = []
let fixedZ = Tensor.randomNormal([32, configuration.zDim], using: &rng)
if steps > 0, let train {
  var sampler = InfiniteBatchSampler(examples: padded(train.images), batchSize: flags.batch, seed: lesson.seed)
  let snapshotSteps = Set((1...8).map { steps * $0 / 8 })
  let untrainedImages = withoutGradients { clamp(g(fixedZ, psi: 1, noise: .constant), min: -1, max: 1) }.detached()
  snapshotDiversity.append((0, meanPairwiseDistance(judge(untrainedImages).features)))
  let progress = lesson.progress(total: steps, label: "training StyleGAN")
  var smoothedD = 0.0, smoothedG = 0.0
  for step in 1...steps {
    let result = trainer.step(real: sampler.next().examples)
    smoothedD =
      step == 1 ? Double(result.discriminatorLoss) : 0.95 * smoothedD + 0.05 * Double(result.discriminatorLoss)
    smoothedG = step == 1 ? Double(result.generatorLoss) : 0.95 * smoothedG + 0.05 * Double(result.generatorLoss)
    if step % 10 == 0 {
      lossSteps.append(step)
      dLosses.append(smoothedD)
      gLosses.append(smoothedG)
    }
    if snapshotSteps.contains(step) {
      let images = withoutGradients { trainer.averagedGenerator(fixedZ, psi: 1, noise: .constant) }
      if let grid = try? ImageGrid(clamp(images, min: -1, max: 1), columns: 8) { snapshots.append(grid) }
      snapshotDiversity.append((step, meanPairwiseDistance(judge(clamp(images, min: -1, max: 1).detached()).features)))
    }
    progress.update(step, values: ["D loss": smoothedD, "G loss": smoothedG])
  }
  progress.finish()
  if let path = flags.saveGenerator {
    do {
      try Checkpoint.save(
        trainer.averagedGenerator, to: URL(fileURLWithPath: path),
        metadata: [
          "command":
            "swift run lesson-08-stylegan-mixing --seed \(lesson.seed) --r1-gamma \(flags.r1Gamma) --save-generator "
              + "\(path)",
          "steps": String(steps), "batch": String(flags.batch), "configuration": configuration.description,
        ])
      lesson.narrate("Saved the averaged generator to `\(path)`.")
    } catch {
      lesson.fail("--save-generator: the generator could not be written: \(error)")
    }
  }
  var losses = Figure(name: "losses", title: "StyleGAN losses (moving averages)", xLabel: "step", yLabel: "loss")
  losses.add(.line(x: lossSteps, y: dLosses, label: "D loss", color: .blue, width: 2))
  losses.add(.line(x: lossSteps, y: gLosses, label: "G loss", color: .vermillion, width: 2))
  losses.add(.horizontal(2 * log(2), label: "2 ln 2 (D cannot tell)"))
  lesson.figure(losses)
  // Diversity of the 32 fixed latents over training, against 32 real digits: does G use its latent?
  let realDiversity32 = meanPairwiseDistance(realJudged.features.sliced(axis: 0, 0..<32).detached())
  var diversityFigure = Figure(
    name: "diversity-during-training", title: "Do different latents give different digits?",
    xLabel: "step", yLabel: "mean pairwise feature distance (32 latents)")
  diversityFigure.add(
    .linesPoints(
      x: snapshotDiversity.map(\.0), y: snapshotDiversity.map(\.1), label: "averaged generator", color: .blue))
  diversityFigure.add(.horizontal(realDiversity32, label: "32 real digits"))
  diversityFigure.panel.yAxis.minimum = 0
  diversityFigure.panel.yAxis.maximum = realDiversity32 * 1.2
  diversityFigure.panel.legend = .bottomRight
  lesson.figure(
    diversityFigure,
    caption:
      "Falling far below the real digits' level means the generator draws the same digit for every latent: mode "
        + "collapse."
  )
  lesson.show(
    "diversity of the 32 fixed latents at the end (32 real digits: \(String(format: "%.1f", realDiversity32)))",
    snapshotDiversity.last!.1)
  if snapshots.count > 1 {
    lesson.animation(
      "training", frames: snapshots + [snapshots.last!, snapshots.last!], delay: 0.5,
      caption: "The same 32 latents (averaged generator, ψ = 1) at 8 points of training.")
  }
}
let trainingSeconds = Date().timeIntervalSince(started)

/// The generator the rest of the lesson studies. A `--quick` run trains only to exercise the training code; its
/// claims are measured on the shipped generator, which was trained by this lesson's default command.
let model: StyleGANGenerator
let evaluatesShipped = lesson.quick && !flags.pretrained
if evaluatesShipped {
  let quickImages = withoutGradients { trainer.averagedGenerator(fixedZ, psi: 1, noise: .constant) }
  lesson.image(
    "samples-quick-trained", images: clamp(quickImages, min: -1, max: 1), columns: 8,
    caption: "After the quick run's \(steps) training steps: far from digits.")
  var scratch = SeededGenerator(seed: 0)
  model = StyleGANGenerator(configuration: configuration, using: &scratch)
  let metadata = lesson.loadPretrained(model)
  lesson.narrate("""
    **This is a `--quick` run.** It trained \(steps) steps from scratch above only to exercise the training code:
    \(steps) steps do not make digits (see `samples-quick-trained.png`). Everything from here on, claims
    included, is measured on the SHIPPED generator (`pretrained/generator.safetensors`, trained by
    `\(metadata["command"] ?? "?")`, \(metadata["steps"] ?? "?") steps), with fewer samples than the full run.
    """)
} else {
  model = steps > 0 ? trainer.averagedGenerator : g
}

// MARK: - 4. Samples

lesson.section("4. Samples")
lesson.narrate("""
  From here on the noise inputs are fixed (each layer's constant noise image), so an image depends on its styles
  alone, and a latent always gives the same digit. Pixel values are clamped to [−1, 1] (StyleGAN's output is linear).
  """)
/// Styles [N, styleCount, wDim] -> images [N, 1, 32, 32] in [-1, 1], in batches, with the constant noise.
@MainActor func render(_ ws: Tensor) -> Tensor {
  inBatches(ws, of: 200) { clamp(model.synthesize(ws: $0.detached(), noise: .constant), min: -1, max: 1) }
}
@MainActor func styles(_ z: Tensor, psi: Float = 1) -> Tensor {
  withoutGradients { model.styles(z, psi: psi) }.detached()
}

let sampleCount = 1000
let sampleZ = Tensor.randomNormal([sampleCount, configuration.zDim], using: &rng)
let samples = render(styles(sampleZ))
let sampleJudged = judge(samples)
let sampleHistogram = (0..<10).map { c in sampleJudged.classes.filter { $0 == c }.count }
lesson.image("samples", images: samples.sliced(axis: 0, 0..<64), columns: 8, caption: "64 samples, ψ = 1.")
lesson.show("classes among 1000 samples (0…9)", sampleHistogram.map(String.init).joined(separator: " "))
lesson.show("class entropy of the samples (ln 10 = 2.303 is uniform)", classEntropy(sampleJudged.classes))
lesson.show(
  "samples: mean pairwise feature distance (real digits: \(String(format: "%.1f", realFeatureDiversity)))",
  meanPairwiseDistance(sampleJudged.features))
let sampleDiversityRatio = meanPairwiseDistance(sampleJudged.features) / realFeatureDiversity
if sampleDiversityRatio < 0.3 || classEntropy(sampleJudged.classes) < 1.5 {
  lesson.narrate("""
    **This generator has collapsed** (measured just above): its samples' feature diversity is \
    \(String(format: "%.0f", 100 * sampleDiversityRatio))% of
    the real digits' and most samples fall in few classes. The style-mixing measurements below are still real
    measurements, but of a generator that draws nearly one shape; read the claims with that in mind.
    """)
}
// The same latents with fresh random noise: how much of the variety comes from the noise inputs?
let noisySamples = withoutGradients {
  clamp(
    model.synthesize(ws: styles(sampleZ.sliced(axis: 0, 0..<200).detached()), noise: .random, using: &rng), min: -1,
    max: 1)
}.detached()
let noisyJudged = judge(noisySamples)
lesson.show("200 of them with random noise instead: class entropy", classEntropy(noisyJudged.classes))
lesson.show(
  "200 of them with random noise instead: mean pairwise feature distance", meanPairwiseDistance(noisyJudged.features))

// MARK: - 5. Style mixing

lesson.section("5. Style mixing: what do the coarse, middle and fine styles control?")
lesson.narrate("""
  Take two latents, A and B, and their styles w_A and w_B. Feed the synthesis network w_A at some style inputs and
  w_B at the others. In each grid below the top row is A, the left column is B, and the cell in row i, column j
  takes the styles of ONE LEVEL from A_j and every other style from B_i:

  - `mixing-coarse.png`: 4×4 and 8×8 styles from A (the rest from B). If the coarse layers decide the digit,
    every column shows A's digit.
  - `mixing-middle.png`: 16×16 styles from A.
  - `mixing-fine.png`: 32×32 styles from A. If the fine layers carry only stroke and texture, every row keeps B's
    digit.

  The grids' sources are the first samples (of the 1000 above) with six different classes for A, and the next
  ones with six different classes for B, so that a change of class shows.
  """)
/// The first `count` sample indices with distinct predicted classes, skipping `excluded`.
func distinctClassIndices(_ count: Int, excluding excluded: Set<Int> = []) -> [Int] {
  var seen = Set<Int>(), chosen: [Int] = []
  for (i, c) in sampleJudged.classes.enumerated() where !excluded.contains(i) && !seen.contains(c) {
    seen.insert(c)
    chosen.append(i)
    if chosen.count == count { break }
  }
  return chosen
}
let gridA = distinctClassIndices(6)
let gridB = distinctClassIndices(6, excluding: Set(gridA))
let levels: [(name: String, indices: Range<Int>, resolutions: String)] = [
  ("coarse", coarse, "4×4–8×8"), ("middle", middle, "16×16"), ("fine", fine, "32×32"),
]
let gridStylesA = styles(sampleZ.examples(at: gridA)), gridStylesB = styles(sampleZ.examples(at: gridB))
for level in levels {
  // Row 0: a blank corner then the A sources; row i: B_i then B_i with this level's styles from each A_j.
  var cells: [Tensor] = [Tensor.full([1, 1, 32, 32], -1)]
  cells.append(samples.examples(at: gridA))
  for i in 0..<gridB.count {
    let b = gridStylesB.sliced(axis: 0, i..<(i + 1)).broadcasted(to: [
      gridA.count, configuration.styleCount, configuration.wDim,
    ])
    let mixed = withoutGradients { model.mixedStyles(b.detached(), gridStylesA, replacing: level.indices) }
    cells.append(samples.examples(at: [gridB[i]]))
    cells.append(render(mixed))
  }
  lesson.image(
    "mixing-\(level.name)", images: concatenate(cells, alongAxis: 0), columns: gridA.count + 1,
    caption:
      "Top row: sources A; left column: sources B. Each cell: the \(level.resolutions) styles of its column's A, the "
        + "rest of its row's B."
  )
}

// Measured on many random pairs, not on six: class agreement and ink.
let pairCount = lesson.quick ? 300 : 600
let zA = Tensor.randomNormal([pairCount, configuration.zDim], using: &rng)
let zB = Tensor.randomNormal([pairCount, configuration.zDim], using: &rng)
let stylesA = styles(zA), stylesB = styles(zB)
let imagesA = render(stylesA), imagesB = render(stylesB)
let classesA = judge(imagesA).classes, classesB = judge(imagesB).classes
let inkA = inkMass(imagesA), inkB = inkMass(imagesB)
let differing = (0..<pairCount).filter { classesA[$0] != classesB[$0] }
struct LevelMeasure {
  var agreesWithA: Double
  var agreesWithB: Double
  var inkCorrelationA: Double
  var inkCorrelationB: Double
}
var measures: [String: LevelMeasure] = [:]
for level in levels {
  let mixed = render(withoutGradients { model.mixedStyles(stylesB, stylesA, replacing: level.indices) }.detached())
  let classes = judge(mixed).classes
  let ink = inkMass(mixed)
  let measure = LevelMeasure(
    agreesWithA: Double(differing.filter { classes[$0] == classesA[$0] }.count) / Double(max(1, differing.count)),
    agreesWithB: Double(differing.filter { classes[$0] == classesB[$0] }.count) / Double(max(1, differing.count)),
    inkCorrelationA: pearsonCorrelation(ink, inkA), inkCorrelationB: pearsonCorrelation(ink, inkB))
  measures[level.name] = measure
  lesson.show("\(level.name) styles from A: class = A's class (pairs of different classes)", measure.agreesWithA)
  lesson.show("\(level.name) styles from A: class = B's class", measure.agreesWithB)
  lesson.show(
    "\(level.name) styles from A: ink correlation with A / with B",
    String(format: "%.2f / %.2f", measure.inkCorrelationA, measure.inkCorrelationB))
}
lesson.show("pairs measured (A and B of different classes)", differing.count)
let levelNames = levels.map(\.name)
var mixingFigure = Figure(
  name: "mixing-measured", title: "One level's styles from A, the rest from B", columns: 2,
  panels: [
    Panel(
      title: "Whose class is the mixed digit?", xLabel: "the level whose styles come from A", yLabel: "share of pairs",
      series: [
        .bars(
          x: [0.85, 1.85, 2.85], heights: levelNames.map { measures[$0]!.agreesWithA }, width: 0.3, label: "A's class",
          color: .vermillion),
        .bars(
          x: [1.15, 2.15, 3.15], heights: levelNames.map { measures[$0]!.agreesWithB }, width: 0.3, label: "B's class",
          color: .blue),
      ], legend: .topLeft),
    Panel(
      title: "Whose ink does it follow?", xLabel: "the level whose styles come from A", yLabel: "correlation of ink",
      series: [
        .bars(
          x: [0.85, 1.85, 2.85], heights: levelNames.map { measures[$0]!.inkCorrelationA }, width: 0.3,
          label: "with A's ink", color: .vermillion),
        .bars(
          x: [1.15, 2.15, 3.15], heights: levelNames.map { measures[$0]!.inkCorrelationB }, width: 0.3,
          label: "with B's ink", color: .blue),
      ], legend: .topLeft),
  ])
for i in 0..<2 {
  mixingFigure.panels[i].xAxis.minimum = 0.4
  mixingFigure.panels[i].xAxis.maximum = 3.6
  mixingFigure.panels[i].xAxis.ticks = levelNames.enumerated().map { Tick(Double($0.offset + 1), $0.element) }
  mixingFigure.panels[i].yAxis.minimum = min(
    0, levelNames.map { min(measures[$0]!.inkCorrelationA, measures[$0]!.inkCorrelationB) }.min()!)
  mixingFigure.panels[i].yAxis.maximum = 1.15
}
lesson.figure(
  mixingFigure,
  caption:
    "Over \(differing.count) random pairs whose digits differ: the mixed digit's class (classifier) and ink, for each "
      + "level taken from A."
)

// MARK: - 6. Truncation

lesson.section("6. The truncation trick")
lesson.narrate("""
  w_avg, the center of W, is tracked during training as a moving average. Truncation replaces w by
  w_avg + ψ (w − w_avg): ψ = 1 leaves the samples alone, ψ = 0 sends every latent to the "average digit".
  Low-density regions of W — where the odd, broken digits live — are far from the center, so small ψ trades
  diversity for typicality. `truncation.png`: each column one latent, each row one ψ.
  """)
let psis: [Float] = [1, 0.8, 0.6, 0.4, 0.2, 0]
let sweepCount = lesson.quick ? 200 : 400
let sweepZ = Tensor.randomNormal([sweepCount, configuration.zDim], using: &rng)
var featureDiversity: [Double] = [], pixelDiversity: [Double] = [], entropies: [Double] = []
var sweepRows: [Tensor] = []
for psi in psis {
  let images = render(styles(sweepZ, psi: psi))
  let judged = judge(images)
  featureDiversity.append(meanPairwiseDistance(judged.features))
  pixelDiversity.append(meanPairwiseDistance(images))
  entropies.append(classEntropy(judged.classes))
  sweepRows.append(images.sliced(axis: 0, 0..<10).detached())
  lesson.show(
    String(format: "ψ = %.1f: feature diversity / pixel diversity / class entropy", psi),
    String(format: "%.3f / %.3f / %.3f", featureDiversity.last!, pixelDiversity.last!, entropies.last!))
}
lesson.image(
  "truncation", images: concatenate(sweepRows, alongAxis: 0), columns: 10,
  caption: "Rows ψ = 1, 0.8, 0.6, 0.4, 0.2, 0 (top to bottom); columns: the same 10 latents.")
let psiValues = psis.map(Double.init)
var truncationFigure = Figure(
  name: "truncation-diversity", title: "Diversity as ψ goes to 0 (relative to ψ = 1)",
  xLabel: "ψ", yLabel: "diversity / diversity at ψ = 1")
truncationFigure.add(
  .linesPoints(
    x: psiValues, y: featureDiversity.map { $0 / featureDiversity[0] }, label: "mean pairwise feature distance",
    color: .blue))
truncationFigure.add(
  .linesPoints(
    x: psiValues, y: pixelDiversity.map { $0 / pixelDiversity[0] }, label: "mean pairwise pixel distance", color: .green
  ))
truncationFigure.add(
  .linesPoints(x: psiValues, y: entropies.map { $0 / entropies[0] }, label: "class entropy", color: .vermillion))
truncationFigure.panel.legend = .bottomRight
truncationFigure.panel.xAxis.minimum = -0.05
truncationFigure.panel.xAxis.maximum = 1.05
truncationFigure.panel.yAxis.minimum = 0
truncationFigure.panel.yAxis.maximum = 1.25
lesson.figure(
  truncationFigure,
  caption: String(
    format: "At ψ = 1 the feature diversity is %.2f of the real digits' (%.1f).",
    featureDiversity[0] / realFeatureDiversity, realFeatureDiversity))

// MARK: - 7. Interpolation in Z and in W

lesson.section("7. Walking in Z and in W")
let epsilon = 1e-3
lesson.narrate("""
  z is drawn from N(0, I), so the data's shape must be bent into a round distribution by the generator; the mapping
  network removes that constraint: W can take the shape the data needs, and a straight line in W should cross fewer
  odd, in-between digits. StyleGAN measures this with the perceptual path length: cut a path into tiny pieces of
  length ε and add up how much the image changes per piece,

      PPL = E[ d(G(p(t)), G(p(t + ε))) / ε² ],  t ~ U(0, 1),

  with p a spherical interpolation (slerp) between two z's in Z, a straight line between two w's in W, and d a
  squared perceptual distance — here the squared distance between the classifier's 128 features (the paper uses
  VGG features, ε = 10⁻⁴, and drops the samples below the 1st and above the 99th percentile, as we do). We use
  ε = \(epsilon) (the image change is then about ε times the path's speed, still far above float32 rounding) and also
  report ε = 10⁻⁴ as a check. `interpolation.png`: each pair of rows walks between the same two digits in Z (upper)
  and in W (lower).
  """)
let pathCount = lesson.quick ? 200 : 500
let z0 = Tensor.randomNormal([pathCount, configuration.zDim], using: &rng)
let z1 = Tensor.randomNormal([pathCount, configuration.zDim], using: &rng)
var tRng = SeededGenerator(seed: lesson.seed &+ 17)
let ts = (0..<pathCount).map { _ in Float(tRng.nextUniform()) }
let w0 = withoutGradients { model.mapping(z0) }.detached(), w1 = withoutGradients { model.mapping(z1) }.detached()
/// The classifier-feature squared distances across a step of `eps` on each path.
/// The first `count` paths only (all by default).
@MainActor func pathPieces(inW: Bool, eps: Double, count: Int = pathCount) -> [Double] {
  let t0 = Array(ts.prefix(count)), t1 = t0.map { $0 + Float(eps) }
  let (za, zb) = (z0.sliced(axis: 0, 0..<count).detached(), z1.sliced(axis: 0, 0..<count).detached())
  let (wa, wb) = (w0.sliced(axis: 0, 0..<count).detached(), w1.sliced(axis: 0, 0..<count).detached())
  let (a, b) =
    inW
    ? (model.broadcastStyles(lerp(wa, wb, t: t0)), model.broadcastStyles(lerp(wa, wb, t: t1)))
    : (styles(slerp(za, zb, t: t0)), styles(slerp(za, zb, t: t1)))
  return rowwiseSquaredDistances(judge(render(a.detached())).features, judge(render(b.detached())).features)
}
let piecesZ = pathPieces(inW: false, eps: epsilon), piecesW = pathPieces(inW: true, eps: epsilon)
let pplZ = perceptualPathLength(squaredDistances: piecesZ, epsilon: epsilon)
let pplW = perceptualPathLength(squaredDistances: piecesW, epsilon: epsilon)
let checkCount = min(pathCount, 150)
let pplZCheck = perceptualPathLength(squaredDistances: Array(piecesZ.prefix(checkCount)), epsilon: epsilon)
let pplWCheck = perceptualPathLength(squaredDistances: Array(piecesW.prefix(checkCount)), epsilon: epsilon)
let pplZSmall = perceptualPathLength(
  squaredDistances: pathPieces(inW: false, eps: 1e-4, count: checkCount), epsilon: 1e-4)
let pplWSmall = perceptualPathLength(
  squaredDistances: pathPieces(inW: true, eps: 1e-4, count: checkCount), epsilon: 1e-4)
lesson.show("perceptual path length in Z (ε = \(epsilon))", pplZ)
lesson.show("perceptual path length in W (ε = \(epsilon))", pplW)
lesson.show(
  "check on the first \(checkCount) paths, Z / W: ε = \(epsilon) gives",
  String(format: "%.1f / %.1f", pplZCheck, pplWCheck))
lesson.show(
  "check on the first \(checkCount) paths, Z / W: ε = 1e-4 (the paper's) gives",
  String(format: "%.1f / %.1f", pplZSmall, pplWSmall))

var walkRows: [Tensor] = []
let walkSteps = 10
let walkT = (0..<walkSteps).map { Float($0) / Float(walkSteps - 1) }
for pair in 0..<4 {
  let a = z0.sliced(axis: 0, pair..<(pair + 1)).broadcasted(to: [walkSteps, configuration.zDim]).detached()
  let b = z1.sliced(axis: 0, pair..<(pair + 1)).broadcasted(to: [walkSteps, configuration.zDim]).detached()
  let wa = w0.sliced(axis: 0, pair..<(pair + 1)).broadcasted(to: [walkSteps, configuration.wDim]).detached()
  let wb = w1.sliced(axis: 0, pair..<(pair + 1)).broadcasted(to: [walkSteps, configuration.wDim]).detached()
  walkRows.append(render(styles(slerp(a, b, t: walkT))))
  walkRows.append(render(model.broadcastStyles(lerp(wa, wb, t: walkT)).detached()))
}
lesson.image(
  "interpolation", images: concatenate(walkRows, alongAxis: 0), columns: walkSteps,
  caption: "Four walks between the same two digits: in Z (rows 1, 3, 5, 7) and in W (rows 2, 4, 6, 8).")
let logZ = piecesZ.map { log10(max($0 / (epsilon * epsilon), 1e-3)) }
let logW = piecesW.map { log10(max($0 / (epsilon * epsilon), 1e-3)) }
let low = min(logZ.min()!, logW.min()!), high = max(logZ.max()!, logW.max()!)
var pathFigure = Figure(
  name: "path-lengths", title: "How much does the digit change per step? (ε = \(epsilon))",
  xLabel: "log₁₀ of d/ε² for one path piece", yLabel: "density")
pathFigure.add(.histogram(logZ, bins: 40, range: low...high, label: "in Z (slerp)", color: .vermillion))
pathFigure.add(.histogram(logW, bins: 40, range: low...high, label: "in W (lerp)", color: .blue))
pathFigure.add(.vertical(log10(pplZ), label: "PPL in Z", color: .vermillion))
pathFigure.add(.vertical(log10(pplW), label: "PPL in W", color: .blue))
pathFigure.panel.legend = .topLeft
lesson.figure(
  pathFigure,
  caption:
    "\(pathCount) path pieces each: W's pieces change the digit less, and its long tail of class jumps is thinner.")

// MARK: - 8. Files

lesson.section("8. Files")
do {
  try SafeTensors.write(
    [
      "images": samples,
      "mixing_sources_a": Tensor(shape: [gridA.count], scalars: gridA.map(Float.init)),
      "mixing_sources_b": Tensor(shape: [gridB.count], scalars: gridB.map(Float.init)),
    ],
    metadata: [
      "generator": configuration.description, "steps": String(steps), "seed": String(lesson.seed),
      "range": "[-1, 1]", "psi": "1", "noise": "constant",
      "evaluated": evaluatesShipped
        ? "shipped checkpoint" : (flags.pretrained ? "shipped checkpoint" : "trained in this run"),
      "mixing_sources_a": gridA.map(String.init).joined(separator: ","),
      "mixing_sources_b": gridB.map(String.init).joined(separator: ","),
    ],
    to: lesson.outputFolder.appendingPathComponent("samples.safetensors"))
  lesson.narrate("""
    Wrote `samples.safetensors`: tensor `images`, shape [1000, 1, 32, 32], values in [−1, 1], ψ = 1; and
    `mixing_sources_a` / `mixing_sources_b`, the indices (into `images`) of the mixing grids' top row and left
    column: \(gridA.map(String.init).joined(separator: ", ")) and \(gridB.map(String.init).joined(separator: ", ")).
    """)
} catch {
  lesson.fail("samples.safetensors could not be written: \(error)")
}

// MARK: - 9. Claims

lesson.section("9. Measured")
if evaluatesShipped {
  lesson.narrate(
    "The claims below are measured on the SHIPPED generator (this `--quick` run's own \(steps) steps do not make "
      + "digits)."
  )
}
let coarseMeasure = measures["coarse"]!, middleMeasure = measures["middle"]!, fineMeasure = measures["fine"]!
lesson.narrate("""
  Many mixed digits are classified as neither A's nor B's digit (a small generator's crossings are often not
  clean digits), so the coarse-level claim compares A's class with B's rather than asking for a fixed share.
  """)
lesson.check(
  "coarse (4×4–8×8) styles from A: the mixed digit has A's class in at least 25% of pairs",
  measured: coarseMeasure.agreesWithA, .atLeast(0.25))
lesson.check(
  "coarse styles from A: the mixed digit has A's class at least 1.2× as often as B's",
  measured: coarseMeasure.agreesWithA / max(coarseMeasure.agreesWithB, 1e-9), .atLeast(1.2))
lesson.check(
  "the share with A's class falls from coarse to middle to fine styles from A",
  coarseMeasure.agreesWithA > middleMeasure.agreesWithA && middleMeasure.agreesWithA > fineMeasure.agreesWithA,
  detail: String(
    format: "coarse %.3f, middle %.3f, fine %.3f", coarseMeasure.agreesWithA,
    middleMeasure.agreesWithA, fineMeasure.agreesWithA))
lesson.check(
  "fine (32×32) styles from A: the mixed digit keeps B's class (B gives the coarse styles) in at least 80% of pairs",
  measured: fineMeasure.agreesWithB, .atLeast(0.8))
let monotone =
  zip(featureDiversity, featureDiversity.dropFirst()).allSatisfy { $0 > $1 }
  && zip(pixelDiversity, pixelDiversity.dropFirst()).allSatisfy { $0 > $1 }
lesson.check(
  "diversity (feature and pixel) falls at every step of ψ = 1, 0.8, …, 0", monotone,
  detail: "features " + featureDiversity.map { String(format: "%.3f", $0) }.joined(separator: " > ")
    + "; pixels " + pixelDiversity.map { String(format: "%.3f", $0) }.joined(separator: " > "))
lesson.check(
  "ψ = 0 collapses the samples to one digit (class entropy below 0.05 nats)", measured: entropies.last!, .below(0.05))
lesson.check("W is smoother than Z: PPL in W at most 80% of PPL in Z", measured: pplW / pplZ, .atMost(0.8))
lesson.show("wall time of training (s)", trainingSeconds)
lesson.finish()
