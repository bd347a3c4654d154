// Lesson 11: do GAN samples help a classifier trained on few labels?
// You will: pick a small balanced labeled subset of MNIST, train a class-conditional GAN on it, train the same
// classifier twice (real images only; real images plus generated ones), and measure the difference over several
// repetitions with its spread: a paired experiment, reported whichever way it comes out.
// Run: swift run lesson-11-data-augmentation [--per-class N] [--repetitions R] [--data DIR]
//      Emits: output/lesson-11-data-augmentation/{cgan-samples.png, labeled-subset.png, accuracy-per-seed.png,
//             training-curves.png, conditional-confusion.png, notes.md, metrics.json, ...}
import ArgumentParser
import Datasets
import Foundation
import GAN
import LessonKit
import Plotting

struct Flags: ParsableArguments {
  @OptionGroup var mnist: MNISTFlags
  @Option(allowed: .count(1...5000), help: "Labeled training images per class (the small subset; 10 classes).")
  var perClass: Int = 10
  @Option(
    allowed: .count(2...100),
    help: "Repetitions (each its own subset, GAN and classifier initialization); default 3, 2 with --quick; a spread "
      + "needs two.")
  var repetitions: Int?
  @Option(allowed: .count(1...1_000_000), help: "Classifier training steps per arm; default 150, 40 with --quick.")
  var classifierSteps: Int?
  @Option(allowed: .count(1...1024), help: "Real images per classifier batch.") var realBatch: Int = 16
  @Option(allowed: .count(1...1024), help: "Generated images added to each classifier batch in the augmented arm.")
  var generatedBatch: Int = 16
  @Option(allowed: .count(1...256), help: "Base width w of the conditional GAN's networks.") var width: Int = 16
  @Option(allowed: .count(2...1024), help: "Real images per cGAN step.") var ganBatch: Int = 32
  @Option(allowed: .rate, help: "Adam learning rate of both cGAN networks.") var ganLearningRate: Float = 1e-3
}
let (lesson, flags) = Lesson.start(
  number: 11, slug: "data-augmentation", title: "GAN samples as training data?", flags: Flags.self)

// MARK: - 1. The question and the data

lesson.section("1. Few labels, and a generator of more")
lesson.narrate("""
  Labels are expensive. Suppose we have only \(flags.perClass) labeled images of each digit. A class-conditional GAN
  trained on those same images can draw as many new "3"s as we like. Does adding them to the classifier's training
  batches make it better on real test digits? The GAN sees no image the classifier does not also see, so any gain
  must come from what the GAN adds: interpolations between the few examples, smoothness, or nothing at all.

  We answer it by measurement: the same classifier trained twice from the same initialization on the same real
  batches, once alone and once with generated images appended, repeated on several subsets, reporting the
  per-repetition paired difference and its spread.
  """)
// A fixed slice of the test set to draw the accuracy curves during training (the final numbers use all of `test`).
let curveCount = lesson.budget(1000, quick: 500)
let mnist = lesson.loadMNIST(
  flags.mnist, testLimit: lesson.quick ? 1000 : 10_000, minimumTrain: 10 * flags.perClass,
  minimumTest: curveCount)
let (train, test, judge) = (mnist.train, mnist.test, mnist.classifier)
if let (digit, count) = train.labelHistogram().enumerated().first(where: { $0.element < flags.perClass }) {
  lesson.fail(
    "the training split holds \(count) images of the digit \(digit); --per-class \(flags.perClass) needs that many of "
      + "each"
  )
}
let repetitions = flags.repetitions ?? lesson.budget(3, quick: 2)
let ganSteps = lesson.steps(default: 700, quick: 200)
let classifierSteps = flags.classifierSteps ?? lesson.budget(150, quick: 40)
let labeledCount = 10 * flags.perClass
let curveTest = LabeledImages(
  images: test.images.sliced(axis: 0, 0..<curveCount).detached(),
  labels: Array(test.labels[0..<curveCount]), classNames: test.classNames)
lesson.show("labeled training images per repetition", labeledCount)
lesson.show("test images (the final accuracies)", test.count)
lesson.show("repetitions", repetitions)
lesson.show(
  "judge: shipped classifier's accuracy on these test images", judge.accuracy(images: test.images, labels: test.labels))

// MARK: - 2. The conditional GAN

lesson.section("2. A conditional GAN")
let w = flags.width
lesson.narrate("""
  G(z, y) concatenates the noise z ∈ ℝ⁶⁴ with a learned 16-number embedding of the label y and feeds the
  lesson-06 DCGAN generator (width w = \(w): Linear → 2w×7×7 → ConvTranspose → w×14×14 → ConvTranspose →
  1×28×28, batch norm, tanh). D is the lesson-06 DCGAN discriminator made conditional by *projection* (Miyato & Koyama
  2018):

      D(x, y) = ψ(φ(x)) + ⟨E(y), φ(x)⟩

  with φ the convolutional features, ψ the linear head and E(y) a learned vector per class: the first term judges
  "a digit?", the second "this digit?". Non-saturating loss, Adam \(flags.ganLearningRate), β₁ = 0.5, batch \
  \(min(flags.ganBatch, labeledCount)) real
  images per step, \(ganSteps) steps per repetition. The GAN trains on the labeled subset only.
  """)
do {
  var probe = SeededGenerator(seed: 0)
  lesson.show("generator parameters", ConditionalMNISTGenerator(width: w, using: &probe).parameterCount)
  lesson.show("discriminator parameters", ProjectionMNISTDiscriminator(width: w, using: &probe).parameterCount)
}

// MARK: - 3. The experiment

lesson.section("3. The paired experiment")
lesson.narrate("""
  Repetition r (seed \(lesson.seed)·1000 + r) draws its own balanced subset of \(labeledCount) images, trains the
  cGAN on it, then trains two `MNISTClassifier`s (the CNN of lesson 06, 430,890 parameters) from one shared
  initialization on one shared stream of real batches (\(flags.realBatch) subset images per step, \(classifierSteps) \
  steps,
  Adam 10⁻³ on a cosine to 0):

  - **baseline**: the real batch only;
  - **augmented**: the real batch plus \(flags.generatedBatch) fresh samples G(z, y) with uniformly drawn labels y.

  Everything but the generated images is shared, so the per-repetition difference (augmented − baseline) measures
  the augmentation alone. Both are scored on the \(test.count) test images. Alongside, the shipped classifier (trained
  on all 60,000 digits) judges the cGAN: its *conditional accuracy*, the share of G(z, y) it classifies as y, tells
  whether the generator learned the labels from the small subset (chance is 0.1).
  """)

let settings = AugmentationSettings(
  perClass: flags.perClass, width: w, ganBatch: flags.ganBatch, ganLearningRate: flags.ganLearningRate,
  ganSteps: ganSteps, classifierSteps: classifierSteps, realBatch: flags.realBatch,
  generatedBatch: flags.generatedBatch, judgedPerClass: lesson.budget(100, quick: 50),
  curvePoints: lesson.budget(5, quick: 3))
var runs: [AugmentationRepetition] = []
for r in 1...repetitions {
  let run = lesson.augmentationRepetition(
    r, of: repetitions, seed: lesson.seed &* 1000 &+ UInt64(r), settings: settings, train: train, test: test,
    curveTest: curveTest, judge: judge)
  runs.append(run)
  lesson.show("repetition \(r): baseline test accuracy", run.baselineAccuracy)
  lesson.show("repetition \(r): augmented test accuracy", run.augmentedAccuracy)
  lesson.show("repetition \(r): cGAN conditional accuracy", run.conditional.overall)
}
let conditionals = runs.map(\.conditional), diversities = runs.map(\.diversity)

// MARK: - 4. What the generator draws

lesson.section("4. What the generator learned")
do {
  let subset = runs[0].subset
  // The subset sorted by class, one row per digit (at most 10 shown per class).
  let shown = min(10, flags.perClass)
  var rows: [Int] = []
  for label in 0..<10 { rows += subset.labels.indices.filter { subset.labels[$0] == label }.prefix(shown) }
  lesson.image(
    "labeled-subset", grid: try! ImageGrid(subset.images.examples(at: rows), columns: shown),
    rowLabels: rows.count == 10 * shown ? (0..<10).map { "digit \($0)" } : [],
    caption:
      "Repetition 1's labeled images (up to 10 per class, one row per digit): all the GAN and the classifiers see.")
}
do {
  let g = runs[0].generator
  var gridRNG = SeededGenerator(seed: lesson.seed &+ 77)
  let labels = (0..<100).map { $0 / 10 }
  lesson.image(
    "cgan-samples", grid: try! ImageGrid(g.samples(labels: labels, using: &gridRNG), columns: 10),
    rowLabels: (0..<10).map { "y = \($0)" },
    caption: "Repetition 1's cGAN: row y is G(z, y) for 10 noise vectors. Compare with labeled-subset.png.")
}
let confusion = conditionals[0].confusion
let confusionValues = (0..<10).flatMap { predicted in
  (0..<10).map { Double(confusion[$0][predicted]) / Double(max(1, confusion[$0].reduce(0, +))) }
}
var confusionFigure = Figure(
  name: "conditional-confusion", title: "What the judge sees in G(z, y) (repetition 1)",
  xLabel: "label y the generator was given", yLabel: "class the judge predicts",
  width: 1000, height: 860)
confusionFigure.add(.heatmap(x: Array(0...9), y: Array(0...9), values: confusionValues, label: "share", range: 0...1))
confusionFigure.panels[0].xAxis.range = -0.5...9.5
confusionFigure.panels[0].legend = .hidden
confusionFigure.panels[0].yAxis.range = -0.5...9.5
lesson.figure(
  confusionFigure,
  caption:
    "Column y: how the shipped classifier labels samples conditioned on y. A bright diagonal = the labels were learned."
)
for (label, share) in conditionals[0].perClass.enumerated() {
  lesson.show("repetition 1: conditional accuracy of class \(label)", share)
}
lesson.narrate("""
  Right label is not the same as new information. Compare the rows of `cgan-samples.png` with those of
  `labeled-subset.png`: how many *different* 7s does the generator draw? The within-class diversity measures it: the
  mean distance between the judge's 128 features of two generated digits of one class, over the same for two real
  subset digits of that class (1 = as varied as the real ones; lower = G repeats itself).
  """)
lesson.show("repetition 1: within-class diversity, generated / real", diversities[0])

// MARK: - 5. Results

lesson.section("5. Results")
let comparison = PairedComparison(baseline: runs.map(\.baselineAccuracy), treatment: runs.map(\.augmentedAccuracy))
let b = comparison.baselineSummary, a = comparison.treatmentSummary, diff = comparison.differenceSummary
let conditional = SpreadSummary(conditionals.map(\.overall))
let diversity = SpreadSummary(diversities)
func percent(_ x: Double) -> String { String(format: "%.2f%%", 100 * x) }
func points(_ x: Double) -> String { String(format: "%+.2f", 100 * x) }
lesson.narrate("""
  | | mean | std | min | max |
  |---|---|---|---|---|
  | baseline (real only) | \(percent(b.mean)) | \(percent(b.standardDeviation)) | \(percent(b.minimum)) | \
  \(percent(b.maximum)) |
  | augmented (real + cGAN) | \(percent(a.mean)) | \(percent(a.standardDeviation)) | \(percent(a.minimum)) | \
  \(percent(a.maximum)) |
  | paired difference (points) | \(points(diff.mean)) | \(String(format: "%.2f", 100 * diff.standardDeviation)) | \
  \(points(diff.minimum)) | \(points(diff.maximum)) |
  | cGAN conditional accuracy | \(percent(conditional.mean)) | \(percent(conditional.standardDeviation)) | \
  \(percent(conditional.minimum)) | \(percent(conditional.maximum)) |
  | within-class diversity, generated / real | \(String(format: "%.2f", diversity.mean)) | \
  \(String(format: "%.2f", diversity.standardDeviation)) | \(String(format: "%.2f", diversity.minimum)) | \
  \(String(format: "%.2f", diversity.maximum)) |

  Augmentation won \(comparison.wins) of \(repetitions) repetitions and lost \(comparison.losses).
  """)
lesson.show("baseline accuracy", spread: b)
lesson.show("augmented accuracy", spread: a)
lesson.show("paired difference", spread: diff)
lesson.show("paired difference, standard error", diff.standardError)
lesson.show("augmentation wins", comparison.wins)
lesson.show("cGAN conditional accuracy, mean", conditional.mean)
lesson.show("cGAN conditional accuracy, min", conditional.minimum)
lesson.show("within-class diversity, generated / real, mean", diversity.mean)
lesson.show("within-class diversity, generated / real, max", diversity.maximum)
lesson.show("baseline accuracy on its own training subset, min", runs.map(\.trainAccuracy).min()!)

lesson.figure(
  .pairedAccuracies(comparison, labeledCount: labeledCount),
  caption:
    "Left: each repetition's two test accuracies (lines join the repetitions only to pair the eye). Right: the paired "
      + "differences, their mean and ± one standard deviation."
)

lesson.figure(
  .augmentationCurves(runs, curveCount: curveCount),
  caption:
    "Left: D and G losses of every repetition's cGAN. Middle: its conditional accuracy as it trains. Right: both "
      + "classifiers' accuracy as they train (blue baseline, red augmented; one line per repetition)."
)

// MARK: - 6. Claims

lesson.section("6. Claims")
lesson.narrate("""
  The checks below are the ones that hold honestly whatever the answer: the baseline learns from \(labeledCount)
  labels (far above the 10% of chance), the cGAN learned its labels (conditional accuracy far above chance), and the
  augmented classifier still works. The augmentation effect itself is *reported* above, with its spread: it is the
  result of the experiment, not a claim to pass.
  """)
lesson.check("the baseline beats chance (10%) by a wide margin in every repetition", measured: b.minimum, .atLeast(0.5))
lesson.check(
  "the cGAN's conditional accuracy beats chance (10%) in every repetition", measured: conditional.minimum, .atLeast(0.3)
)
lesson.check(
  "the augmented classifier beats chance by a wide margin in every repetition", measured: a.minimum, .atLeast(0.5))
lesson.finish()
