import Autograd
import Datasets
import Foundation
import GAN
import NN
import Plotting

// Lesson 11's paired experiment: one repetition (a labeled subset, a cGAN on it, two classifiers that differ only
// in the generated images) and the figures over all repetitions.

/// The settings of one repetition of the augmentation experiment, shared by all repetitions.
public struct AugmentationSettings {
  public var perClass: Int
  public var width: Int
  public var ganBatch: Int
  public var ganLearningRate: Float
  public var ganSteps: Int
  public var classifierSteps: Int
  public var realBatch: Int
  public var generatedBatch: Int
  /// Generated images per class for the final conditional accuracy.
  public var judgedPerClass: Int
  /// Accuracy measurements of both classifiers during training (the curves).
  public var curvePoints: Int

  public init(
    perClass: Int, width: Int, ganBatch: Int, ganLearningRate: Float, ganSteps: Int, classifierSteps: Int,
    realBatch: Int, generatedBatch: Int, judgedPerClass: Int, curvePoints: Int
  ) {
    (self.perClass, self.width, self.ganBatch, self.ganLearningRate) = (perClass, width, ganBatch, ganLearningRate)
    (self.ganSteps, self.classifierSteps, self.realBatch) = (ganSteps, classifierSteps, realBatch)
    (self.generatedBatch, self.judgedPerClass, self.curvePoints) = (generatedBatch, judgedPerClass, curvePoints)
  }
}

/// What one repetition measured.
public struct AugmentationRepetition {
  /// Test accuracy of the classifier trained on real batches only, and of its twin with generated images added.
  public let baselineAccuracy: Double
  public let augmentedAccuracy: Double
  /// The baseline's accuracy on its own labeled subset.
  public let trainAccuracy: Double
  /// How often the judge reads G(z, y) as y, and the generated / real within-class diversity.
  public let conditional: ConditionalAccuracy
  public let diversity: Double
  public let generator: ConditionalMNISTGenerator
  public let subset: LabeledImages
  /// The cGAN's losses (means of 25 steps) with its conditional accuracy as frames; both classifiers' accuracy on
  /// the curve test set ("baseline", "augmented").
  public let ganLog: TrainingLog<Double>
  public let classifierLog: TrainingLog<Void>
}

extension Lesson {
  /// Repetition `r` of `repetitions` with its own `seed`: draws a balanced subset of `train`, trains the cGAN on it
  /// (losses averaged over 25 steps, its conditional accuracy 5 times), then trains two `MNISTClassifier`s from one
  /// initialization on one stream of real batches, the augmented one with fresh G(z, y) of uniform labels appended.
  /// Everything but the generated images is shared, so the difference of the two measures the augmentation alone.
  public func augmentationRepetition(
    _ r: Int, of repetitions: Int, seed: UInt64, settings: AugmentationSettings, train: LabeledImages,
    test: LabeledImages, curveTest: LabeledImages, judge: MNISTClassifier
  ) -> AugmentationRepetition {
    var rng = SeededGenerator(seed: seed)
    let indices = balancedSubsetIndices(labels: train.labels, perClass: settings.perClass, using: &rng)
    let subset = LabeledImages(
      images: train.images.examples(at: indices), labels: indices.map { train.labels[$0] },
      classNames: train.classNames)
    let labeledCount = 10 * settings.perClass

    let g = ConditionalMNISTGenerator(width: settings.width, using: &rng)
    let d = ProjectionMNISTDiscriminator(width: settings.width, using: &rng)
    let gan = ConditionalGANTrainer(generator: g, discriminator: d, learningRate: settings.ganLearningRate)
    var ganSampler = InfiniteBatchSampler(subset, batchSize: min(settings.ganBatch, labeledCount), seed: seed &+ 1)
    var sums = (d: 0.0, g: 0.0, count: 0)
    let ganLog = self.train(
      steps: settings.ganSteps, label: "repetition \(r)/\(repetitions): cGAN", measureEvery: .every(25, end: false),
      framesEvery: .evenly(5)
    ) { _ in
      let batch = ganSampler.next()
      let (lossD, lossG) = gan.step(real: batch.examples, labels: batch.labels!, using: &rng)
      sums = (sums.d + Double(lossD), sums.g + Double(lossG), sums.count + 1)
      return ["D loss": Double(lossD), "G loss": Double(lossG)]
    } measure: { _ in
      defer { sums = (0, 0, 0) }
      return ["mean D loss": sums.d / Double(sums.count), "mean G loss": sums.g / Double(sums.count)]
    } frame: { _ in
      var judgeRNG = SeededGenerator(seed: seed &+ 2)
      return ConditionalAccuracy(generator: g, judge: judge, perClass: 30, using: &judgeRNG).overall
    }
    var judgeRNG = SeededGenerator(seed: seed &+ 3)
    let conditional = ConditionalAccuracy(
      generator: g, judge: judge, perClass: settings.judgedPerClass, using: &judgeRNG)
    let diversity = withinClassDiversityRatio(
      generator: g, judge: judge, realImages: subset.images, realLabels: subset.labels, using: &judgeRNG)

    var initRNG = SeededGenerator(seed: seed &+ 4)
    let baseline = MNISTClassifier(using: &initRNG)
    let augmented = MNISTClassifier(using: &initRNG)
    for (target, source) in zip(augmented.parameters(), baseline.parameters()) { target.scalars = source.scalars }
    let baselineTrainer = ClassifierTrainer(classifier: baseline, totalSteps: settings.classifierSteps)
    let augmentedTrainer = ClassifierTrainer(classifier: augmented, totalSteps: settings.classifierSteps)
    var realSampler = InfiniteBatchSampler(subset, batchSize: min(settings.realBatch, labeledCount), seed: seed &+ 5)
    var sampleRNG = SeededGenerator(seed: seed &+ 6)
    func curveAccuracy(_ classifier: MNISTClassifier) -> Double {
      classifier.eval()
      defer { classifier.train() }
      return classifier.accuracy(images: curveTest.images, labels: curveTest.labels)
    }
    let classifierLog = self.train(
      steps: settings.classifierSteps, label: "repetition \(r)/\(repetitions): classifiers",
      measureEvery: .evenly(settings.curvePoints, start: true)
    ) { _ in
      let real = realSampler.next()
      let lossBaseline = baselineTrainer.step(images: real.examples, labels: real.labels!)
      let fakeLabels = (0..<settings.generatedBatch).map { _ in sampleRNG.nextInt(below: 10) }
      let fake = g.samples(labels: fakeLabels, using: &sampleRNG)
      let lossAugmented = augmentedTrainer.step(
        images: concatenate([real.examples, fake], alongAxis: 0), labels: real.labels! + fakeLabels)
      return ["loss (baseline)": Double(lossBaseline), "loss (augmented)": Double(lossAugmented)]
    } measure: { _ in
      ["baseline": curveAccuracy(baseline), "augmented": curveAccuracy(augmented)]
    }
    baseline.eval()
    augmented.eval()
    return AugmentationRepetition(
      baselineAccuracy: baseline.accuracy(images: test.images, labels: test.labels),
      augmentedAccuracy: augmented.accuracy(images: test.images, labels: test.labels),
      trainAccuracy: baseline.accuracy(images: subset.images, labels: subset.labels), conditional: conditional,
      diversity: diversity, generator: g, subset: subset, ganLog: ganLog, classifierLog: classifierLog)
  }
}

extension Figure {
  /// Each repetition's two test accuracies with their means (left), and the paired differences in percentage points
  /// with their mean and ± one standard deviation (right).
  public static func pairedAccuracies(_ comparison: PairedComparison, labeledCount: Int) -> Figure {
    let b = comparison.baselineSummary, a = comparison.treatmentSummary, diff = comparison.differenceSummary
    let repetitions = comparison.baseline.count, axis = Array(1...repetitions)
    var accuracies = Panel(
      title: "test accuracy (dashed: the means)", xLabel: "repetition", yLabel: "test accuracy",
      series: [
        .linesPoints(
          x: axis, y: comparison.baseline, label: "baseline (real only)", color: .blue, width: 2, size: 2.5),
        .linesPoints(
          x: axis, y: comparison.treatment, label: "augmented", color: .vermillion, width: 2, size: 2.5,
          pointType: 5),
      ],
      referenceLines: [.horizontal(b.mean, color: .blue), .horizontal(a.mean, color: .vermillion)], legend: .below)
    var differences = Panel(
      title: "augmented − baseline", xLabel: "repetition", yLabel: "difference (percentage points)",
      series: [
        .bars(
          x: axis, heights: comparison.differences.map { 100 * $0 }, width: 0.6, label: "per repetition",
          color: .green)
      ],
      referenceLines: [
        .horizontal(0, color: .black), .horizontal(100 * diff.mean, label: "mean", color: .vermillion),
        .horizontal(100 * (diff.mean + diff.standardDeviation), label: "mean ± std", color: .gray),
        .horizontal(100 * (diff.mean - diff.standardDeviation), color: .gray),
      ],
      legend: .below)
    let low = Swift.min(a.minimum, b.minimum), high = Swift.max(a.maximum, b.maximum)
    let margin = Swift.max(0.01, (high - low) * 0.3)
    accuracies.yAxis.range = (low - margin)...(Swift.min(1, high + margin))
    let extent = Swift.max(
      0.5, comparison.differences.map { Swift.abs(100 * $0) }.max()!,
      100 * (Swift.abs(diff.mean) + diff.standardDeviation)) * 1.3
    differences.yAxis.range = (-extent)...extent
    var figure = Figure(
      name: "accuracy-per-seed", title: "Test accuracy per repetition (\(labeledCount) labels)", width: 1600,
      height: 800, columns: 2, panels: [accuracies, differences])
    for i in figure.panels.indices {
      figure.panels[i].xAxis.range = 0.5...(Double(repetitions) + 0.5)
      figure.panels[i].xAxis.tickStep = 1
    }
    return figure
  }

  /// Every repetition's training: the cGAN's D and G losses, its conditional accuracy as it trains (one colored
  /// line per repetition, chance dashed), and both classifiers' accuracy on `curveCount` test images.
  public static func augmentationCurves(_ runs: [AugmentationRepetition], curveCount: Int) -> Figure {
    let palette: [Color] = [.blue, .vermillion, .green, .purple, .orange, .skyBlue, .black, .gray]
    var losses = Panel(title: "cGAN losses", xLabel: "cGAN step", yLabel: "loss (mean of 25 steps)")
    var conditional = Panel(
      title: "conditional accuracy", xLabel: "cGAN step", yLabel: "judged as its label", legend: .bottomRight)
    var classifiers = Panel(
      title: "classifiers", xLabel: "classifier step", yLabel: "accuracy on \(curveCount) test images",
      legend: .bottomRight)
    for (i, run) in runs.enumerated() {
      let (ganLog, classifierLog, first) = (run.ganLog, run.classifierLog, i == 0)
      losses.series += [
        .line(x: ganLog.steps, y: ganLog["mean D loss"], label: first ? "D" : nil, color: .blue, width: 1.5),
        .line(x: ganLog.steps, y: ganLog["mean G loss"], label: first ? "G" : nil, color: .vermillion, width: 1.5),
      ]
      conditional.series.append(
        .linesPoints(
          x: ganLog.frames.map(\.step), y: ganLog.frameValues, label: "r\(i + 1)", color: palette[i % palette.count],
          width: 2, size: 1.5))
      classifiers.series += [
        .linesPoints(
          x: classifierLog.steps, y: classifierLog["baseline"], label: first ? "baseline" : nil, color: .blue,
          width: 2, size: 1.5),
        .linesPoints(
          x: classifierLog.steps, y: classifierLog["augmented"], label: first ? "augmented" : nil,
          color: .vermillion, width: 2, size: 1.5, pointType: 5),
      ]
    }
    conditional.referenceLines = [.horizontal(0.1, label: "chance")]
    let largestLoss = runs.flatMap { $0.ganLog["mean G loss"] + $0.ganLog["mean D loss"] }.max() ?? 3
    losses.yAxis.range = 0...(1.4 * Swift.max(3, largestLoss))
    conditional.yAxis.range = 0...1
    classifiers.yAxis.range = 0...1
    return Figure(
      name: "training-curves", title: "Training curves, every repetition", width: 1800, height: 800, columns: 3,
      panels: [losses, conditional, classifiers])
  }
}
