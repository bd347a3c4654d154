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
  @Option(allowed: .count(4...512), help: "Images per batch (a multiple of --minibatch-group).") var batch: Int = 32
  @Option(allowed: .count(32...8192), help: "Channels at resolution r: min(channel-base / r, channel-max).")
  var channelBase: Int = 256
  @Option(allowed: .count(1...512), help: "The widest feature map.") var channelMax: Int = 32
  @Option(allowed: .count(1...1024), help: "Length of z and of w.") var wDim: Int = 64
  @Option(allowed: .weight, help: "R1 penalty weight γ (applied lazily every 16 steps).") var r1Gamma: Float = 10
  @Option(allowed: .rate, help: "Adam's learning rate for both networks.") var learningRate: Float = 0.002
  @Option(allowed: .share, help: "The share of training batches that mix two latents (style-mixing regularization).")
  var mixingProbability: Float = 0.9
  @Option(allowed: .count(1...512), help: "Group size of D's minibatch standard deviation (must divide --batch).")
  var minibatchGroup: Int = 4
  @Option(help: ArgumentHelp(
    "Write the trained (averaged) generator here (safetensors), e.g. to refresh the shipped checkpoint.",
    valueName: "file"))
  var saveGenerator: String?

  func validate() throws {
    guard batch % minibatchGroup == 0 else {
      throw ValidationError("--minibatch-group must divide --batch \(batch), got \(minibatchGroup)")
    }
    try checkWritableFile(saveGenerator, "--save-generator")
  }
}
let (lesson, flags) = Lesson.start(
  number: 8, slug: "stylegan-mixing", title: "StyleGAN: style mixing, truncation, path length", flags: Flags.self)
let f1 = { (x: Double) in String(format: "%.1f", x) }

// MARK: - 1. Data and the judge

lesson.section("1. Digits at 32×32, and the judge from lesson 06")
lesson.narrate("""
  StyleGAN's generator grows images by doubling from 4×4, so we pad MNIST's 28×28 digits with two background pixels
  on each side to 32×32 (values in [−1, 1], background −1). The judge is lesson 06's classifier (99.3% test
  accuracy): it sees the central 28×28 crop, which is exactly the original digit area. We use its predicted class,
  and its 128 penultimate features as a perceptual space: distances there stand in for the paper's VGG distances.
  """)
// The shipped checkpoint is what `--pretrained` and the claims of `--quick` use; the rest of the time we train.
let needsTrain = !flags.pretrained || (lesson.options.steps ?? 0) > 0
let mnist = lesson.loadMNIST(
  flags.mnist, trainLimit: lesson.quick ? 4000 : nil, testLimit: 1000,
  minimumTrain: flags.batch, minimumTest: 1000, needsTrain: needsTrain)
let judge = PaddedDigitJudge(classifier: mnist.classifier)
let realJudged = judge(PaddedDigitJudge.padded(mnist.test.images))
let realFeatureDiversity = meanPairwiseDistance(realJudged.features)
lesson.show("real test digits: mean pairwise feature distance (1000 digits)", realFeatureDiversity)

// MARK: - 2. The networks

lesson.section("2. A small StyleGAN2")
let configuration = StyleGANConfiguration(
  resolution: 32, channels: 1, zDim: flags.wDim, wDim: flags.wDim, mappingLayers: 4,
  channelBase: flags.channelBase, channelMax: flags.channelMax)
let widths = configuration.blockResolutions.map { "\(configuration.width(at: $0))@\($0)×\($0)" }
let levels: [(name: String, indices: Range<Int>, resolutions: String)] = [
  ("coarse", configuration.styleIndices(forResolutions: 4...8), "4×4–8×8"),
  ("middle", configuration.styleIndices(forResolutions: 16...16), "16×16"),
  ("fine", configuration.styleIndices(forResolutions: 32...32), "32×32"),
]
let ranges = levels.map { "\($0.indices.lowerBound)..<\($0.indices.upperBound) at \($0.resolutions) (\($0.name))" }
lesson.narrate("""
  z ∈ ℝ^\(flags.wDim) → mapping network (pixel norm, 4 fully connected layers, learning rate ×0.01) → \
  w ∈ ℝ^\(flags.wDim). The synthesis network starts from a learned 4×4 constant and runs two modulated 3×3
  convolutions per resolution (one at 4×4); channels \(widths.joined(separator: ", ")). Each convolution and the
  last toRGB take their own copy of w — \(configuration.styleCount) style inputs in all: indices \
  \(ranges.joined(separator: ", ")). The discriminator is StyleGAN2's residual network with minibatch standard
  deviation.
  """)
var rng = lesson.makeGenerator()
let g = StyleGANGenerator(configuration: configuration, using: &rng)
let d = StyleGANDiscriminator(configuration: configuration, minibatchGroupSize: flags.minibatchGroup, using: &rng)
lesson.show("generator parameters", g.parameterCount)
lesson.show("discriminator parameters", d.parameterCount)

// MARK: - 3. Training

lesson.section("3. Training")
let steps = flags.pretrained ? lesson.options.steps ?? 0 : lesson.steps(default: 1800, quick: 20)
if flags.pretrained {
  let metadata = lesson.loadPretrained(
    g, hint: "the shipped checkpoint needs the default widths: --channel-base 256 --channel-max 32 --w-dim 64")
  lesson.narrate("""
    Loaded the shipped generator (`pretrained/generator.safetensors`, the weight average of a run of \
    `\(metadata["command"] ?? "?")`, \(metadata["steps"] ?? "?") steps).
    """)
}
let trainer = StyleGANTrainer(
  generator: g, discriminator: d,
  options: StyleGANTrainingOptions(
    learningRate: flags.learningRate, r1Gamma: flags.r1Gamma, r1Interval: 16,
    mixingProbability: flags.mixingProbability, seed: lesson.seed))
lesson.narrate("""
  StyleGAN2's recipe: the non-saturating logistic loss, Adam (lr 0.002, β₁ = 0, β₂ = 0.99), lazy R1 on real images
  (γ = \(flags.r1Gamma), every 16 steps; with γ = 0.05 this small network collapsed to one digit), style-mixing
  regularization (90% of batches switch to a second latent at a random crossover) and an exponential moving average
  of G's weights, from which we sample. Batch \(flags.batch), \(steps) steps.
  """)
let fixedZ = Tensor.randomNormal([32, configuration.zDim], using: &rng)
if steps > 0, let train = needsTrain ? mnist.train : nil {
  var sampler = InfiniteBatchSampler(
    examples: PaddedDigitJudge.padded(train.images), batchSize: flags.batch, seed: lesson.seed)
  var smoothed = (d: 0.0, g: 0.0)
  let history = lesson.train(
    steps: steps, label: "training StyleGAN", measureEvery: .every(10), framesEvery: .evenly(8, start: true)
  ) { n in
    let result = trainer.step(real: sampler.next().examples)
    let rate = n == 1 ? 1 : 0.05  // moving averages of the noisy per-batch losses
    smoothed.d += rate * (Double(result.discriminatorLoss) - smoothed.d)
    smoothed.g += rate * (Double(result.generatorLoss) - smoothed.g)
    return ["D loss": smoothed.d, "G loss": smoothed.g]
  } frame: { _ in
    let images = trainer.averagedGenerator.images(ofStyles: trainer.averagedGenerator.fixedStyles(fixedZ))
    return StyleGANSnapshot(try! ImageGrid(images, columns: 8), meanPairwiseDistance(judge(images).features))
  }
  lesson.saveCheckpoint(
    trainer.averagedGenerator, to: flags.saveGenerator, what: "the averaged generator",
    metadata: [
      "command": "swift run lesson-08-stylegan-mixing --seed \(lesson.seed) --r1-gamma \(flags.r1Gamma) "
        + "--save-generator \(flags.saveGenerator ?? "")",
      "steps": String(steps), "batch": String(flags.batch), "configuration": configuration.description,
    ])
  lesson.figure(.styleGANLosses(history))
  // Diversity of the 32 fixed latents over training, against 32 real digits: does G use its latent?
  let realDiversity32 = meanPairwiseDistance(realJudged.features.sliced(axis: 0, 0..<32).detached())
  lesson.figure(
    .latentDiversity(history, realDiversity: realDiversity32, latents: 32),
    caption: "Falling far below the real digits' level means the generator draws the same digit for every latent: "
      + "mode collapse.")
  lesson.show(
    "diversity of the 32 fixed latents at the end (32 real digits: \(f1(realDiversity32)))",
    history.frameValues.last!.diversity)
  let grids = history.frameValues.map(\.grid)
  lesson.animation(
    "training", frames: grids + [grids.last!, grids.last!], delay: 0.5,
    caption: "The same 32 latents (averaged generator, ψ = 1) before training and at 8 points of it.")
  lesson.show("wall time of training (s)", history.seconds)
}

// The generator the rest of the lesson studies. A `--quick` run trains only to exercise the training code; its
// claims are measured on the shipped generator, which was trained by this lesson's default command.
let evaluatesShipped = lesson.quick && !flags.pretrained
var model = steps > 0 ? trainer.averagedGenerator : g
if evaluatesShipped {
  lesson.image(
    "samples-quick-trained", images: model.images(ofStyles: model.fixedStyles(fixedZ)), columns: 8,
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
}

// MARK: - 4. Samples

lesson.section("4. Samples")
lesson.narrate("""
  From here on the noise inputs are fixed (each layer's constant noise image), so an image depends on its styles
  alone, and a latent always gives the same digit. Pixel values are clamped to [−1, 1] (StyleGAN's output is linear).
  """)
let sampleZ = Tensor.randomNormal([1000, configuration.zDim], using: &rng)
let samples = model.images(ofStyles: model.fixedStyles(sampleZ))
let sampleJudged = judge(samples)
let sampleHistogram = (0..<10).map { c in sampleJudged.classes.filter { $0 == c }.count }
let sampleDiversityRatio = meanPairwiseDistance(sampleJudged.features) / realFeatureDiversity
lesson.image("samples", images: samples.sliced(axis: 0, 0..<64), columns: 8, caption: "64 samples, ψ = 1.")
lesson.show("classes among 1000 samples (0…9)", sampleHistogram.map(String.init).joined(separator: " "))
lesson.show("class entropy of the samples (ln 10 = 2.303 is uniform)", classEntropy(sampleJudged.classes))
lesson.show(
  "samples: mean pairwise feature distance (real digits: \(f1(realFeatureDiversity)))",
  meanPairwiseDistance(sampleJudged.features))
if sampleDiversityRatio < 0.3 || classEntropy(sampleJudged.classes) < 1.5 {
  lesson.narrate("""
    **This generator has collapsed** (measured just above): its samples' feature diversity is \
    \(String(format: "%.0f", 100 * sampleDiversityRatio))% of the real digits' and most samples fall in few classes.
    The style-mixing measurements below are still real measurements, but of a generator that draws nearly one
    shape; read the claims with that in mind.
    """)
}
// The same latents with fresh random noise: how much of the variety comes from the noise inputs?
let noisyJudged = judge(withoutGradients {
  clamp(model.synthesize(ws: model.fixedStyles(sampleZ.sliced(axis: 0, 0..<200)), noise: .random, using: &rng),
        min: -1, max: 1)
}.detached())
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
let gridA = firstOfDistinctClasses(sampleJudged.classes, count: 6)
let gridB = firstOfDistinctClasses(sampleJudged.classes, count: 6, excluding: Set(gridA))
for level in levels {
  lesson.image(
    "mixing-\(level.name)",
    grid: try! ImageGrid(
      model.mixingGrid(z: sampleZ, images: samples, sourcesA: gridA, sourcesB: gridB, replacing: level.indices),
      columns: gridA.count + 1, scale: 4),
    rowLabels: ["sources A"] + gridB.indices.map { "B\($0 + 1) + A's \(level.name)" },
    columnLabels: ["B alone"] + gridA.indices.map { "A\($0 + 1)" },
    title: "\(level.resolutions) styles from the column's A, the rest from the row's B",
    caption: "Top row: sources A; left column: sources B. Each cell: the \(level.resolutions) styles of its "
      + "column's A, the rest of its row's B.")
}

// Measured on many random pairs, not on six: class agreement and ink.
let pairCount = lesson.budget(600, quick: 300)
let pairs = StyleMixingPairs(
  generator: model, zA: Tensor.randomNormal([pairCount, configuration.zDim], using: &rng),
  zB: Tensor.randomNormal([pairCount, configuration.zDim], using: &rng), judge: judge)
let measures = levels.map { pairs.measure(replacing: $0.indices, generator: model, judge: judge) }
for (level, measure) in zip(levels, measures) {
  lesson.show("\(level.name) styles from A: class = A's class (pairs of different classes)", measure.agreesWithA)
  lesson.show("\(level.name) styles from A: class = B's class", measure.agreesWithB)
  lesson.show(
    "\(level.name) styles from A: ink correlation with A / with B",
    String(format: "%.2f / %.2f", measure.inkCorrelationA, measure.inkCorrelationB))
}
lesson.show("pairs measured (A and B of different classes)", pairs.differing.count)
lesson.figure(
  .styleMixingMeasured(levels: levels.map(\.name), measures: measures),
  caption: "Over \(pairs.differing.count) random pairs whose digits differ: the mixed digit's class (classifier) "
    + "and ink, for each level taken from A.")

// MARK: - 6. Truncation

lesson.section("6. The truncation trick")
lesson.narrate("""
  w_avg, the center of W, is tracked during training as a moving average. Truncation replaces w by
  w_avg + ψ (w − w_avg): ψ = 1 leaves the samples alone, ψ = 0 sends every latent to the "average digit".
  Low-density regions of W — where the odd, broken digits live — are far from the center, so small ψ trades
  diversity for typicality. `truncation.png`: each column one latent, each row one ψ.
  """)
let psis: [Float] = [1, 0.8, 0.6, 0.4, 0.2, 0]
let sweepZ = Tensor.randomNormal([lesson.budget(400, quick: 200), configuration.zDim], using: &rng)
let sweep = TruncationSweep(generator: model, z: sweepZ, psis: psis, judge: judge)
let (featureDiversity, pixelDiversity, entropies) = (sweep.featureDiversity, sweep.pixelDiversity, sweep.classEntropies)
for (i, psi) in psis.enumerated() {
  lesson.show(
    String(format: "ψ = %.1f: feature diversity / pixel diversity / class entropy", psi),
    String(format: "%.3f / %.3f / %.3f", featureDiversity[i], pixelDiversity[i], entropies[i]))
}
lesson.image(
  "truncation", grid: try! ImageGrid(sweep.shownImages, columns: 10, scale: 4),
  rowLabels: psis.map { String(format: "ψ = %.1f", $0) }, columnLabels: (1...10).map { "z\($0)" },
  caption: "Rows ψ = 1, 0.8, 0.6, 0.4, 0.2, 0 (top to bottom); columns: the same 10 latents.")
lesson.figure(
  .truncationDiversity(sweep),
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
let pathCount = lesson.budget(500, quick: 200), checkCount = min(pathCount, 150)
let paths = LatentPaths(generator: model, count: pathCount, using: &rng, fractionSeed: lesson.seed &+ 17)
let piecesZ = paths.pieces(model, inW: false, epsilon: epsilon, judge: judge)
let piecesW = paths.pieces(model, inW: true, epsilon: epsilon, judge: judge)
let pplZ = perceptualPathLength(squaredDistances: piecesZ, epsilon: epsilon)
let pplW = perceptualPathLength(squaredDistances: piecesW, epsilon: epsilon)
/// The path length on the first `checkCount` paths, in W or Z, with step `eps`.
@MainActor func checkLength(inW: Bool, eps: Double) -> Double {
  let pieces = eps == epsilon
    ? Array((inW ? piecesW : piecesZ).prefix(checkCount))
    : paths.pieces(model, inW: inW, epsilon: eps, count: checkCount, judge: judge)
  return perceptualPathLength(squaredDistances: pieces, epsilon: eps)
}
lesson.show("perceptual path length in Z (ε = \(epsilon))", pplZ)
lesson.show("perceptual path length in W (ε = \(epsilon))", pplW)
for eps in [epsilon, 1e-4] {
  lesson.show(
    "check on the first \(checkCount) paths, Z / W: ε = \(eps == epsilon ? "\(epsilon)" : "1e-4 (the paper's)") gives",
    String(format: "%.1f / %.1f", checkLength(inW: false, eps: eps), checkLength(inW: true, eps: eps)))
}
lesson.image(
  "interpolation", grid: try! ImageGrid(paths.walks(model, pairs: 4, steps: 10), columns: 10, scale: 4),
  rowLabels: (1...4).flatMap { ["walk \($0) in Z", "walk \($0) in W"] },
  caption: "Four walks between the same two digits: in Z (rows 1, 3, 5, 7) and in W (rows 2, 4, 6, 8).")
lesson.figure(
  .pathLengths(piecesZ: piecesZ, piecesW: piecesW, lengthZ: pplZ, lengthW: pplW, epsilon: epsilon),
  caption: "\(pathCount) path pieces each: W's pieces change the digit less, and its long tail of class jumps is "
    + "thinner.")

// MARK: - 8. Files

lesson.section("8. Files")
let (sourcesA, sourcesB) = (gridA.map(String.init), gridB.map(String.init))
lesson.writeTensors(
  "samples.safetensors",
  ["images": samples, "mixing_sources_a": Tensor(shape: [gridA.count], scalars: gridA.map(Float.init)),
   "mixing_sources_b": Tensor(shape: [gridB.count], scalars: gridB.map(Float.init))],
  metadata: [
    "generator": configuration.description, "steps": String(steps), "seed": String(lesson.seed),
    "range": "[-1, 1]", "psi": "1", "noise": "constant",
    "evaluated": evaluatesShipped || flags.pretrained ? "shipped checkpoint" : "trained in this run",
    "mixing_sources_a": sourcesA.joined(separator: ","), "mixing_sources_b": sourcesB.joined(separator: ","),
  ])
lesson.narrate("""
  Wrote `samples.safetensors`: tensor `images`, shape [1000, 1, 32, 32], values in [−1, 1], ψ = 1; and
  `mixing_sources_a` / `mixing_sources_b`, the indices (into `images`) of the mixing grids' top row and left
  column: \(sourcesA.joined(separator: ", ")) and \(sourcesB.joined(separator: ", ")).
  """)

// MARK: - 9. Claims

lesson.section("9. Measured")
if evaluatesShipped {
  lesson.narrate(
    "The claims below are measured on the SHIPPED generator (this `--quick` run's own \(steps) steps do not make "
      + "digits).")
}
let (coarse, middle, fine) = (measures[0], measures[1], measures[2])
lesson.narrate("""
  Many mixed digits are classified as neither A's nor B's digit (a small generator's crossings are often not
  clean digits), so the coarse-level claim compares A's class with B's rather than asking for a fixed share.
  """)
lesson.check(
  "coarse (4×4–8×8) styles from A: the mixed digit has A's class in at least 25% of pairs",
  measured: coarse.agreesWithA, .atLeast(0.25))
lesson.check(
  "coarse styles from A: the mixed digit has A's class at least 1.2× as often as B's",
  measured: coarse.agreesWithA / max(coarse.agreesWithB, 1e-9), .atLeast(1.2))
lesson.check(
  "the share with A's class falls from coarse to middle to fine styles from A",
  coarse.agreesWithA > middle.agreesWithA && middle.agreesWithA > fine.agreesWithA,
  detail: String(
    format: "coarse %.3f, middle %.3f, fine %.3f", coarse.agreesWithA, middle.agreesWithA, fine.agreesWithA))
lesson.check(
  "fine (32×32) styles from A: the mixed digit keeps B's class (B gives the coarse styles) in at least 80% of pairs",
  measured: fine.agreesWithB, .atLeast(0.8))
let falls = { (values: [Double]) in zip(values, values.dropFirst()).allSatisfy { $0 > $1 } }
let listed = { (values: [Double]) in values.map { String(format: "%.3f", $0) }.joined(separator: " > ") }
lesson.check(
  "diversity (feature and pixel) falls at every step of ψ = 1, 0.8, …, 0",
  falls(featureDiversity) && falls(pixelDiversity),
  detail: "features " + listed(featureDiversity) + "; pixels " + listed(pixelDiversity))
lesson.check(
  "ψ = 0 collapses the samples to one digit (class entropy below 0.05 nats)", measured: entropies.last!, .below(0.05))
lesson.check("W is smoother than Z: PPL in W at most 80% of PPL in Z", measured: pplW / pplZ, .atMost(0.8))
lesson.finish()
