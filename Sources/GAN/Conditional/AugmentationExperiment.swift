import Foundation
import NN

// The pieces of lesson 11's experiment: a balanced labeled subset, a classifier trained on a stream of batches,
// the conditional accuracy of a class-conditional generator, and the paired statistics of several repetitions.

/// `perClass` indices of each class 0..<classCount, drawn without replacement in a seeded random order, then
/// shuffled together: the small labeled set of a semi-supervised experiment, balanced so that no class is missing.
/// Fails with a message naming the class when a class has fewer than `perClass` examples.
public func balancedSubsetIndices(labels: [Int], perClass: Int, classCount: Int = 10,
                                  using generator: inout SeededGenerator) -> [Int] {
  precondition(perClass >= 1, "balancedSubsetIndices: perClass must be at least 1, got \(perClass)")
  var byClass = [[Int]](repeating: [], count: classCount)
  for (index, label) in labels.enumerated() {
    precondition(label >= 0 && label < classCount, "balancedSubsetIndices: label \(label) at \(index) is outside 0..<\(classCount)")
    byClass[label].append(index)
  }
  var chosen: [Int] = []
  for (label, members) in byClass.enumerated() {
    precondition(members.count >= perClass,
                 "balancedSubsetIndices: class \(label) has \(members.count) examples, fewer than the \(perClass) asked for")
    let order = generator.permutation(members.count)
    chosen += order.prefix(perClass).map { members[$0] }
  }
  return generator.permutation(chosen.count).map { chosen[$0] }
}

/// Trains an `MNISTClassifier` step by step with Adam on a cosine schedule to 0 (as `train-classifier` does), on
/// whatever batches it is given: real images only, or real images with generated ones appended.
public final class ClassifierTrainer {
  public let classifier: MNISTClassifier
  public let optimizer: Adam
  public let initialLearningRate: Float
  public let totalSteps: Int
  public private(set) var stepsTaken = 0

  public init(classifier: MNISTClassifier, learningRate: Float = 1e-3, totalSteps: Int) {
    precondition(totalSteps >= 1, "ClassifierTrainer: totalSteps must be at least 1, got \(totalSteps)")
    self.classifier = classifier
    self.initialLearningRate = learningRate
    self.totalSteps = totalSteps
    optimizer = Adam(for: classifier, learningRate: learningRate)
  }

  /// One Adam step on the mean cross-entropy of the batch; returns the loss.
  @discardableResult
  public func step(images: Tensor, labels: [Int]) -> Float {
    let progress = Double(Swift.min(stepsTaken, totalSteps)) / Double(totalSteps)
    optimizer.learningRate = initialLearningRate * Float(0.5 * (1 + cos(Double.pi * progress)))
    classifier.train()
    let loss = optimizer.minimize(crossEntropy(logits: classifier(images), labels: labels))
    stepsTaken += 1
    return loss
  }
}

/// How often a judge classifies G(z, y) as y: the conditional accuracy of a class-conditional generator.
/// A generator that ignores its label scores about 1/classCount; one that draws every class as asked scores the
/// judge's accuracy on real digits (about 0.99 for the shipped classifier).
public struct ConditionalAccuracy: Sendable {
  /// The share of all samples classified as their label.
  public let overall: Double
  /// The share per class (index = the label it was conditioned on).
  public let perClass: [Double]
  /// confusion[y][k]: how many samples conditioned on y were classified as k.
  public let confusion: [[Int]]

  /// Judges `perClass` samples of every class.
  public init(generator: ConditionalMNISTGenerator, judge: MNISTClassifier, perClass: Int,
              using rng: inout SeededGenerator) {
    precondition(perClass >= 1, "ConditionalAccuracy: perClass must be at least 1, got \(perClass)")
    let classes = generator.classCount
    let labels = (0..<(classes * perClass)).map { $0 % classes }
    let predicted = judge.predictions(for: generator.samples(labels: labels, using: &rng))
    var confusion = [[Int]](repeating: [Int](repeating: 0, count: classes), count: classes)
    for (label, guess) in zip(labels, predicted) where guess < classes { confusion[label][guess] += 1 }
    self.confusion = confusion
    self.perClass = (0..<classes).map { Double(confusion[$0][$0]) / Double(perClass) }
    overall = Double((0..<classes).map { confusion[$0][$0] }.reduce(0, +)) / Double(labels.count)
  }
}

/// Mean, sample standard deviation (n − 1), minimum and maximum of some repeated measurements.
public struct SpreadSummary: Sendable, Equatable {
  public let count: Int
  public let mean: Double
  /// The sample standard deviation (0 for a single value).
  public let standardDeviation: Double
  public let minimum: Double
  public let maximum: Double

  public init(_ values: [Double]) {
    precondition(!values.isEmpty, "SpreadSummary: no values")
    count = values.count
    let mean = values.reduce(0, +) / Double(values.count)
    self.mean = mean
    let squares = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +)
    standardDeviation = values.count > 1 ? (squares / Double(values.count - 1)).squareRoot() : 0
    minimum = values.min()!
    maximum = values.max()!
  }

  /// The standard error of the mean, s / √n.
  public var standardError: Double { standardDeviation / Double(count).squareRoot() }
}

/// A paired comparison: each repetition measured once without (`baseline`) and once with (`treatment`) the change,
/// everything else (data subset, initialization, batch order) shared. The per-repetition differences
/// treatment − baseline cancel what the two runs share, so their spread is the honest error bar of the effect.
public struct PairedComparison: Sendable {
  public let baseline: [Double]
  public let treatment: [Double]
  /// treatment[i] − baseline[i].
  public let differences: [Double]

  public init(baseline: [Double], treatment: [Double]) {
    precondition(!baseline.isEmpty && baseline.count == treatment.count,
                 "PairedComparison: needs as many treatment values as baseline values (at least one), got"
                   + " \(baseline.count) and \(treatment.count)")
    self.baseline = baseline
    self.treatment = treatment
    differences = zip(treatment, baseline).map { $0 - $1 }
  }

  public var baselineSummary: SpreadSummary { SpreadSummary(baseline) }
  public var treatmentSummary: SpreadSummary { SpreadSummary(treatment) }
  public var differenceSummary: SpreadSummary { SpreadSummary(differences) }
  /// How many repetitions the treatment won, lost and tied.
  public var wins: Int { differences.filter { $0 > 0 }.count }
  public var losses: Int { differences.filter { $0 < 0 }.count }
}

/// How varied a class-conditional generator's digits are within a class, relative to real ones: for each class, the
/// mean pairwise distance between the judge's 128 features of generated digits over the same for the real digits
/// of that class, averaged over the classes with at least two real digits (1 = as varied as the real ones; lower =
/// G repeats itself). Features, not pixels: G's speckled backgrounds would count as variety in pixel space.
///
/// The `perClass × classes` samples are drawn in one mixed batch: G's first batch norm would erase the label of a
/// batch whose labels are all the same (see `ConditionalMNISTGenerator`).
public func withinClassDiversityRatio(
  generator: ConditionalMNISTGenerator, judge: MNISTClassifier, realImages: Tensor, realLabels: [Int],
  perClass: Int = 20, using rng: inout SeededGenerator
) -> Double {
  let classes = generator.classCount
  let labels = (0..<(perClass * classes)).map { $0 % classes }
  let generated = judge.outputs(for: generator.samples(labels: labels, using: &rng)).features
  var ratios: [Double] = []
  for label in 0..<classes {
    let members = realLabels.indices.filter { realLabels[$0] == label }
    guard members.count >= 2 else { continue }
    let rows = labels.indices.filter { labels[$0] == label }
    ratios.append(
      meanPairwiseDistance(rowsOf(generated, rows))
        / meanPairwiseDistance(judge.outputs(for: rowsOf(realImages, members)).features))
  }
  return ratios.isEmpty ? .nan : ratios.reduce(0, +) / Double(ratios.count)
}

/// The examples of `tensor` at `indices` (along the first axis), in that order.
private func rowsOf(_ tensor: Tensor, _ indices: [Int]) -> Tensor {
  concatenate(indices.map { tensor.sliced(axis: 0, $0..<($0 + 1)) }, alongAxis: 0).detached()
}
