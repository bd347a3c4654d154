// Lesson 08: StyleGAN: style mixing, truncation, and a smoother latent space
// You will: train a small StyleGAN on cartoon faces drawn from known factors (or on MNIST digits), cross two faces'
// styles at the coarse, middle and fine layers and MEASURE what each level controls, sweep the truncation ψ, and
// compare walks in z and in w by their perceptual path length.
// Run: swift run lesson-08-stylegan-mixing [--pretrained] [--dataset faces|mnist] [--data DIR]
import ArgumentParser
import Datasets
import Foundation
import GAN
import LessonKit
import Plotting

struct Flags: ParsableArguments {
  @Option(help: "The images: cartoon faces rendered from known factors, or MNIST digits padded to 32×32.")
  var dataset: StyleGANDataset = .faces
  @OptionGroup var mnist: MNISTFlags
  @Flag(help: "Evaluate the generator shipped in Lessons/08-stylegan-mixing/pretrained (no training unless --steps).")
  var pretrained = false
  @OptionGroup var network: StyleGANFlags
  @Option(allowed: .count(1...100_000), help: "Train the face regressor (the judge) for this many steps instead of "
    + "loading the shipped one.") var trainJudge: Int?
  @Option(help: ArgumentHelp("Write the regressor trained by --train-judge here (safetensors).", valueName: "file"))
  var saveJudge: String?
  @Option(help: ArgumentHelp(
    "Write the trained (averaged) generator here (safetensors), e.g. to refresh the shipped checkpoint.",
    valueName: "file"))
  var saveGenerator: String?
  @Option(help: ArgumentHelp("Keep the training state here (saved every tenth of the steps); a run saved there goes "
    + "on to --steps with the flags it began with (--learning-rate and --r1-gamma may change).", valueName: "file"))
  var state: String?

  func validate() throws {
    try checkWritableFile(saveGenerator, "--save-generator")
    try checkWritableFile(saveJudge, "--save-judge")
    try checkWritableFile(state, "--state")
    if saveJudge != nil && trainJudge == nil { throw ValidationError("--save-judge needs --train-judge STEPS") }
    if trainJudge != nil && dataset != .faces { throw ValidationError("--train-judge is for --dataset faces") }
    try network.checkShippedNetwork(pretrained: pretrained, dataset: dataset)
  }
}
let (lesson, flags) = Lesson.start(
  number: 8, slug: "stylegan-mixing", title: "StyleGAN: style mixing, truncation, path length", flags: Flags.self)
let faces = flags.dataset == .faces
// The paper's levels at 1024×1024 are 4–8 (coarse), 16–32 (middle) and 64–1024 (fine). A 32×32 network has no
// fine level in that sense, so the faces are drawn at 64×64; the digits stay at 32×32 (fine = 32×32 there).
let resolution = faces ? 64 : 32
let f2 = { (x: Double) in String(format: "%.2f", x) }

// MARK: - 1. Data and the judge

// The shipped checkpoint is what `--pretrained` and the claims of `--quick` use; the rest of the time we train.
let needsTrain = !flags.pretrained || (lesson.options.steps ?? 0) > 0
if faces {
  lesson.section("1. Cartoon faces with known factors, and a judge that reads them back")
  lesson.narrate("""
    The StyleGAN paper's story is told on faces: coarse styles (4×4–8×8) set pose and face shape, middle ones
    (16×16–32×32) hair style and facial features, fine ones (64×64 and up) color and lighting. To measure that
    rather than squint at it, we draw 64×64 cartoon faces from eight known factors, each uniform in [0, 1]: yaw and
    face width (coarse), hair length, eye size and smile (middle), skin tone, hair color and light direction
    (fine). The judge is a small convolutional regressor trained on freshly rendered faces to read the eight
    factors back (from the faces averaged down to 32×32); its 128 penultimate features are our perceptual space.
    """)
} else {
  lesson.section("1. Digits at 32×32, and the judge from lesson 06")
  lesson.narrate("""
    StyleGAN's generator grows images by doubling from 4×4, so we pad MNIST's 28×28 digits with two background
    pixels on each side to 32×32 (values in [−1, 1], background −1). The judge is lesson 06's classifier (99.3%
    test accuracy): it sees the central 28×28 crop, exactly the original digit area. We use its predicted class,
    and its 128 penultimate features as a perceptual space (they stand in for the paper's VGG features).
    """)
}
let data = faces
  ? lesson.cartoonFaceData(
    size: resolution, trainCount: needsTrain ? lesson.budget(12000, quick: 2000) : nil,
    trainJudge: flags.trainJudge, saveJudge: flags.saveJudge)
  : lesson.paddedDigitData(flags.mnist, batch: flags.network.batch, needsTrain: needsTrain)
let (judge, heldOut) = (data.judge, data.heldOut)
if faces {
  lesson.show(
    "the judge's R² on 1000 fresh faces",
    zip(FaceFactors.names, data.explainedVariance).map { "\($0) \(f2($1))" }.joined(separator: ", "))
  lesson.check(
    "the judge reads every factor back with R² ≥ 0.9 (fresh faces)", measured: data.explainedVariance.min()!,
    .atLeast(0.9))
  lesson.image(
    "faces", images: heldOut.sliced(axis: 0, 0..<32), columns: 8, scale: projectorScale(heldOut),
    caption: "32 rendered faces.")
}
let realFeatureDiversity = meanPairwiseDistance(judge.reading(heldOut).features)
lesson.show("real images: mean pairwise feature distance (1000 images)", realFeatureDiversity)
// MARK: - 2. The networks

lesson.section("2. A small StyleGAN")
let shippedFile = "generator-\(flags.dataset.rawValue).safetensors"
// Runs that study the shipped generator build it at the widths its metadata records.
let shipped = flags.pretrained || lesson.quick ? lesson.pretrainedMetadata(file: shippedFile) : [:]
func network(shipped: [String: String]) -> StyleGANConfiguration {
  let widths = flags.network.widths(for: flags.dataset, shipped: shipped)
  return StyleGANConfiguration(
    resolution: resolution, channels: faces ? 3 : 1, zDim: flags.network.wDim, wDim: flags.network.wDim,
    mappingLayers: 4, channelBase: widths.base, channelMax: widths.max
  ).with(flags.network.network(for: flags.dataset))
}
let configuration = network(shipped: flags.pretrained ? shipped : [:])
let widths = configuration.blockResolutions.map { "\(configuration.width(at: $0))@\($0)×\($0)" }
let levels: [(name: String, indices: Range<Int>, resolutions: String)] = [
  ("coarse", configuration.styleIndices(forResolutions: 4...8), "4×4–8×8"),
  ("middle", configuration.styleIndices(forResolutions: 16...(resolution / 2)), faces ? "16×16–32×32" : "16×16"),
  ("fine", configuration.styleIndices(forResolutions: resolution...resolution), "\(resolution)×\(resolution)"),
]
let ranges = levels.map { "\($0.indices.lowerBound)..<\($0.indices.upperBound) at \($0.resolutions) (\($0.name))" }
lesson.narrate("""
  z ∈ ℝ^\(flags.network.wDim) → mapping network (pixel norm, 4 fully connected layers, learning rate ×0.01) → \
  w ∈ ℝ^\(flags.network.wDim). The synthesis network starts from a learned 4×4 constant and runs two modulated 3×3
  convolutions per resolution (one at 4×4); channels \(widths.joined(separator: ", ")). Each convolution and the
  last toRGB take their own copy of w — \(configuration.styleCount) style inputs in all: indices \
  \(ranges.joined(separator: ", ")). The discriminator is StyleGAN2's residual network with minibatch standard
  deviation.\(flags.network.networkSentence(for: flags.dataset))
  """)
var rng = lesson.makeGenerator()
let g = StyleGANGenerator(configuration: configuration, using: &rng)
let d = StyleGANDiscriminator(
  configuration: configuration, minibatchGroupSize: flags.network.minibatchGroup, using: &rng)
lesson.show("parameters: generator, discriminator", "\(g.parameterCount), \(d.parameterCount)")

// MARK: - 3. Training

lesson.section("3. Training")
let shippedHint = "the shipped generator needs its own widths, the default --w-dim, --output and --adaptive-norm"
let steps = flags.pretrained ? lesson.options.steps ?? 0 : lesson.steps(default: faces ? 2000 : 1800, quick: 60)
if flags.state != nil && steps == 0 { lesson.fail("--state keeps a training's state: with --pretrained, add --steps") }
if flags.pretrained {
  let metadata = lesson.loadPretrained(g, file: shippedFile, hint: shippedHint)
  let sittings = StyleGANTrainingState.sittings(in: metadata) ?? []
  lesson.narrate("Loaded the shipped generator (`pretrained/\(shippedFile)`, the weight average of a run of "
    + (sittings.count > 1 ? "\(sittings.count) sittings, " : "`\(metadata["command"] ?? "?")`, ")
    + "\(metadata["steps"] ?? "?") steps).")
  for sitting in sittings where sittings.count > 1 {
    lesson.show("steps \(sitting.from)–\(sitting.to)", sitting.command)
  }
}
let r1Gamma = flags.network.r1Gamma ?? (faces ? 1 : 10)
let trainer = StyleGANTrainer(
  generator: g, discriminator: d,
  options: StyleGANTrainingOptions(
    learningRate: flags.network.learningRate, r1Gamma: r1Gamma, r1Interval: 16,
    mixingProbability: flags.network.mixingProbability, seed: lesson.seed))
lesson.narrate("""
  StyleGAN2's recipe: the non-saturating logistic loss, Adam (lr 0.002, β₁ = 0, β₂ = 0.99), lazy R1 on real images
  (γ = \(r1Gamma), every 16 steps; on digits, γ = 0.05 let this small network collapse to one digit), style-mixing
  regularization (90% of batches switch to a second latent at a random crossover) and an exponential moving average
  of G's weights, from which we sample. Batch \(flags.network.batch), \(steps) steps.
  """)
let fixedZ = Tensor.randomNormal([32, configuration.zDim], using: &rng)
// A `--quick` run trains too little to make faces, and studies the shipped generator; its own claims measure how
// far its training moved the generator from where it started, before and after, on 300 latents of their own.
let evaluatesShipped = lesson.quick && !flags.pretrained
var probeSource = SeededGenerator(seed: lesson.seed &+ 31)
let probeZ = Tensor.randomNormal([300, configuration.zDim], using: &probeSource)
let untrainedProbe = evaluatesShipped ? lesson.quickProbe(g, z: probeZ, data: data) : nil
var history = TrainingLog<StyleGANSnapshot>()
if steps > 0, let train = data.train {
  var sampler = InfiniteBatchSampler(examples: train, batchSize: flags.network.batch, seed: lesson.seed)
  let state = flags.network.stateFile(
    flags.state, configuration, dataset: flags.dataset, seed: lesson.seed,
    fromShipped: flags.pretrained)
  history = lesson.trainStyleGAN(
    trainer, steps: steps, sampler: &sampler, state: state, fixedZ: fixedZ, judge: judge,
    real: heldOut.sliced(axis: 0, 0..<32))
  lesson.saveStyleGANGenerator(
    trainer.averagedGenerator, to: flags.saveGenerator, steps: steps, batch: flags.network.batch, log: history,
    state: state)
}

// The generator the rest of the lesson studies: a `--quick` run's is the shipped one.
var model = steps > 0 ? trainer.averagedGenerator : g
if evaluatesShipped {
  lesson.checkQuickTraining(
    steps: steps, history: history, before: untrainedProbe!, after: lesson.quickProbe(model, z: probeZ, data: data))
  lesson.image(
    "samples-quick-trained", images: model.images(ofStyles: model.fixedStyles(fixedZ)), columns: 8,
    caption: "After the quick run's \(steps) training steps: far from \(faces ? "faces" : "digits").")
  var scratch = SeededGenerator(seed: 0)
  model = StyleGANGenerator(
    configuration: network(shipped: shipped).with(flags.dataset.defaultNetwork), using: &scratch)
  let metadata = lesson.loadPretrained(model, file: shippedFile, hint: shippedHint)
  lesson.narrate("""
    **This is a `--quick` run.** It trained \(steps) steps from scratch (`samples-quick-trained.png`); the claims
    just above measure what they did. Everything from here on is measured on the SHIPPED generator \
    (`pretrained/\(shippedFile)`, trained by `\(metadata["command"] ?? "?")`, \(metadata["steps"] ?? "?") steps), \
    with fewer samples than the full run, and its claims say "shipped checkpoint".
    """)
}
if evaluatesShipped || steps == 0 { lesson.labelClaims("shipped checkpoint") }

// MARK: - 4. Samples

lesson.section("4. Samples")
lesson.narrate("""
  From here on the noise inputs are fixed (each layer's constant noise image), so an image depends on its styles
  alone. Pixel values are clamped to [−1, 1] (StyleGAN's output is linear). The Fréchet distance below is measured
  in the judge's features against 1000 real images; two sets of 1000 real images give its floor.
  """)
let sampleZ = Tensor.randomNormal([1000, configuration.zDim], using: &rng)
let measured = lesson.measureSamples(model, z: sampleZ, data: data, realFeatureDiversity: realFeatureDiversity)
let (samples, sampleClasses) = (measured.images, measured.classes)

// MARK: - 5. Style mixing

lesson.section("5. Style mixing: what do the coarse, middle and fine styles control?")
lesson.narrate("""
  Take two latents, A and B, and their styles w_A and w_B. Feed the synthesis network w_A at some style inputs and
  w_B at the others. In each grid below the top row is A, the left column is B, and the cell in row i, column j
  takes the styles of ONE LEVEL from A_j and every other style from B_i: `mixing-coarse.png` \
  (\(levels[0].resolutions) styles from A), `mixing-middle.png` (\(levels[1].resolutions)) and `mixing-fine.png` \
  (\(levels[2].resolutions)).
  """)
let digitsA = firstOfDistinctClasses(sampleClasses, count: 6)
let (gridA, gridB) = faces ? (Array(0..<6), Array(6..<12))
  : (digitsA, firstOfDistinctClasses(sampleClasses, count: 6, excluding: Set(digitsA)))
lesson.mixingGrids(model, z: sampleZ, images: samples, sourcesA: gridA, sourcesB: gridB, levels: levels)

// Measured on many random pairs, not on six.
let pairCount = lesson.budget(600, quick: 300)
let (zA, zB) = (
  Tensor.randomNormal([pairCount, configuration.zDim], using: &rng),
  Tensor.randomNormal([pairCount, configuration.zDim], using: &rng))
let faceShares = data.regressor.map {
  lesson.measureFaceMixing(model, zA: zA, zB: zB, regressor: $0, levels: levels)
}
let digitMeasures = data.digitJudge.map { digitJudge in
  lesson.measureDigitMixing(
    StyleMixingPairs(generator: model, zA: zA, zB: zB, judge: digitJudge), generator: model, judge: digitJudge,
    levels: levels.map(\.name)
  ) { levels[$0].indices }
} ?? []

// MARK: - 6. Truncation

lesson.section("6. The truncation trick")
lesson.narrate("""
  w_avg, the center of W, is tracked during training as a moving average. Truncation replaces w by
  w_avg + ψ (w − w_avg): ψ = 1 leaves the samples alone, ψ = 0 sends every latent to the "average image".
  Low-density regions of W — where the odd, broken samples live — are far from the center, so small ψ trades
  diversity for typicality. `truncation.png`: each column one latent, each row one ψ.
  """)
let psis: [Float] = [1, 0.8, 0.6, 0.4, 0.2, 0]
let sweep = TruncationSweep(
  generator: model, z: Tensor.randomNormal([lesson.budget(400, quick: 200), configuration.zDim], using: &rng),
  psis: psis, judge: judge)
let (featureDiversity, pixelDiversity, entropies) = (sweep.featureDiversity, sweep.pixelDiversity, sweep.classEntropies)
lesson.showTruncation(sweep, realFeatureDiversity: realFeatureDiversity)

// MARK: - 7. Interpolation in Z and in W

lesson.section("7. Walking in Z and in W")
let epsilon = 1e-3
lesson.narrate("""
  z is drawn from N(0, I), so the data's shape must be bent into a round distribution by the generator; the mapping
  network removes that constraint: W can take the shape the data needs, and a straight line in W should cross fewer
  odd, in-between images. StyleGAN measures this with the perceptual path length: cut a path into tiny pieces of
  length ε and add up how much the image changes per piece,

      PPL = E[ d(G(p(t)), G(p(t + ε))) / ε² ],  t ~ U(0, 1),

  with p a spherical interpolation (slerp) between two z's in Z, a straight line between two w's in W, and d the
  squared distance between the judge's 128 features (the paper uses VGG features, ε = 10⁻⁴, and drops the samples
  below the 1st and above the 99th percentile, as we do). We use ε = \(epsilon) (the image change is then about ε
  times the path's speed, still far above float32 rounding) and also report ε = 10⁻⁴ as a check.
  `interpolation.png`: each pair of rows walks between the same two latents in Z (upper) and in W (lower).
  """)
let paths = LatentPaths(
  generator: model, count: 500, using: &rng, fractionSeed: lesson.seed &+ 17)
let (pplZ, pplW) = lesson.measurePathLengths(paths, generator: model, judge: judge, epsilon: epsilon)

// MARK: - 8. Files

lesson.section("8. Files")
lesson.writeStyleGANSamples(
  samples, sourcesA: gridA, sourcesB: gridB,
  metadata: [
    "generator": configuration.description, "dataset": flags.dataset.rawValue, "steps": String(steps),
    "seed": String(lesson.seed), "evaluated": evaluatesShipped || flags.pretrained ? "shipped checkpoint" : "this run",
  ])

// MARK: - 9. Claims

lesson.section("9. Measured")
if evaluatesShipped || steps == 0 { lesson.narrate("The claims below are measured on the SHIPPED generator.") }
if let faceShares {
  lesson.check(
    "samples: feature diversity at least half the real faces' (no collapse)", measured: measured.diversity,
    .atLeast(0.5))
  lesson.checkFaceMixing(faceShares)
} else {
  lesson.checkDigitMixing(digitMeasures)
}
let falls = { (values: [Double]) in zip(values, values.dropFirst()).allSatisfy { $0 > $1 } }
let listed = { (values: [Double]) in values.map { String(format: "%.3f", $0) }.joined(separator: " > ") }
lesson.check(
  "diversity (feature and pixel) falls at every step of ψ = 1, 0.8, …, 0",
  falls(featureDiversity) && falls(pixelDiversity),
  detail: "features " + listed(featureDiversity) + "; pixels " + listed(pixelDiversity))
if !faces {
  lesson.check(
    "ψ = 0 collapses the samples to one digit (class entropy below 0.05 nats)", measured: entropies.last!,
    .below(0.05))
}
lesson.check("W is smoother than Z: PPL in W at most 80% of PPL in Z", measured: pplW / pplZ, .atMost(0.8))
lesson.finish()
