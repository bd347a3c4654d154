import Autograd
import Foundation

/// The real images generated samples are compared with, measured once: the feature statistics of a real reference set
/// (the test split) and the real-vs-real floor at the generated sample count.
///
/// The floor is the Fréchet distance between `sampleCount` training images and the same reference statistics, so a
/// generator judged with `sampleCount` samples against this reference is on exactly the same footing: a perfect
/// generator (one that draws fresh real digits) would score about the floor, not 0.
///
/// Measured with the shipped weights against all 10,000 test images: floor 20.5 with 1,000 training images, 12.9 with
/// 2,000, 6.4 with 5,000 and 4.5 with 10,000 (the total variance of the features is about 1,470). The floor falls
/// roughly like 1/N: that is the bias of the estimate, so only numbers at equal sample counts compare.
public struct FrechetReference: Sendable {
  /// The statistics of the reference images (the classifier's 128 penultimate features).
  public let statistics: FeatureStatistics
  /// The Fréchet distance from `sampleCount` real training images to `statistics`.
  public let floor: Double
  /// How many training images the floor was measured with: use as many generated samples.
  public let sampleCount: Int

  /// - Parameters:
  ///   - referenceImages: real images [M, 1, 28, 28] (the test split, or its first M images).
  ///   - trainImages: real training images; the first `sampleCount` are used for the floor.
  public init(classifier: MNISTClassifier, referenceImages: Tensor, trainImages: Tensor, sampleCount: Int,
              batchSize: Int = 256) {
    precondition(
      trainImages.rank == 4 && trainImages.shape[0] >= sampleCount && sampleCount >= 2,
      "FrechetReference: needs \(sampleCount) (>= 2) training images, got shape \(trainImages.shape)")
    statistics = FeatureStatistics(images: referenceImages, classifier: classifier, batchSize: batchSize)
    let train = trainImages.shape[0] == sampleCount ? trainImages : trainImages.sliced(axis: 0, 0..<sampleCount).detached()
    floor = frechetDistance(FeatureStatistics(images: train, classifier: classifier, batchSize: batchSize), statistics)
    self.sampleCount = sampleCount
  }

  public init(statistics: FeatureStatistics, floor: Double, sampleCount: Int) {
    self.statistics = statistics
    self.floor = floor
    self.sampleCount = sampleCount
  }
}

/// The classifier-based quality numbers of a set of generated digits, as the course reports them:
///
/// - **Fréchet distance** on the classifier's 128 penultimate features (after the ReLU of its `hidden` layer) against
///   the reference's real images, with the real-vs-real floor (training images vs the same reference, at the same
///   sample count) beside it. Lower is better; the floor is the best one can expect.
/// - **Classifier score** exp(E_x KL(p(y|x) ‖ p(y))), between 1 and 10: confident and varied digits score high.
/// - **Class histogram** of the predicted digits and its **KL to uniform** (0 = all ten digits equally often,
///   log 10 ≈ 2.30 = a single digit): does the generator cover every digit?
/// - **Confident share**: the share of samples whose top class probability exceeds 0.9 (does it draw clear digits?).
///
/// ```swift
/// let classifier = try MNISTClassifier.pretrained()
/// let reference = FrechetReference(classifier: classifier, referenceImages: test.images,
///                                  trainImages: train.images, sampleCount: 1000)
/// let metrics = ClassifierMetrics(images: samples, classifier: classifier, reference: reference)
/// print(metrics.report)
/// ```
public struct ClassifierMetrics: Sendable {
  /// The probability above which a sample counts as confidently classified.
  public static let confidenceThreshold = 0.9

  /// How many images were judged.
  public let sampleCount: Int
  /// The Fréchet distance to the reference (nil when none was given).
  public let frechetDistance: Double?
  /// The real-vs-real floor of the reference (nil when none was given).
  public let realFloor: Double?
  /// The sample count the floor was measured at, and the reference's own size.
  public let floorSampleCount: Int?
  public let referenceSampleCount: Int?
  /// exp(E_x KL(p(y|x) ‖ p(y))), in [1, 10].
  public let classifierScore: Double
  /// How many samples the classifier assigns to each digit 0-9.
  public let classHistogram: [Int]
  /// KL(histogram ‖ uniform) in nats.
  public let classKLToUniform: Double
  /// The share of samples with top class probability > 0.9.
  public let confidentShare: Double

  /// Measures `images` [N, 1, 28, 28] in [-1, 1] (one pass through the classifier, `batchSize` images at a time,
  /// without gradients).
  public init(images: Tensor, classifier: MNISTClassifier, reference: FrechetReference?, batchSize: Int = 256) {
    let outputs = classifier.outputs(for: images, batchSize: batchSize)
    let predictions = ClassPredictions(logits: outputs.logits)
    sampleCount = images.shape[0]
    if let reference, sampleCount >= 2 {
      frechetDistance = GAN.frechetDistance(FeatureStatistics(features: outputs.features), reference.statistics)
    } else {
      frechetDistance = nil
    }
    realFloor = reference?.floor
    floorSampleCount = reference?.sampleCount
    referenceSampleCount = reference?.statistics.sampleCount
    classifierScore = predictions.classifierScore
    classHistogram = predictions.classHistogram
    classKLToUniform = predictions.classKLToUniform
    confidentShare = predictions.confidentShare(threshold: Self.confidenceThreshold)
  }

  /// The digits no sample was classified as.
  public var missingClasses: [Int] { classHistogram.indices.filter { classHistogram[$0] == 0 } }

  /// The numbers by name, for a metrics file (the histogram as `class_0` ... `class_9`).
  public var values: [String: Double] {
    var values: [String: Double] = [
      "sample_count": Double(sampleCount), "classifier_score": classifierScore,
      "class_kl_to_uniform": classKLToUniform, "confident_share": confidentShare,
    ]
    if let frechetDistance { values["frechet_distance"] = frechetDistance }
    if let realFloor { values["frechet_real_floor"] = realFloor }
    for (digit, count) in classHistogram.enumerated() { values["class_\(digit)"] = Double(count) }
    return values
  }

  /// A few aligned lines for people.
  public var report: String {
    var lines: [String] = []
    if let frechetDistance, let realFloor, let floorSampleCount, let referenceSampleCount {
      lines.append(
        "Fréchet distance      \(fixed(frechetDistance, 3))   (\(sampleCount) samples vs \(referenceSampleCount) real;"
          + " real-vs-real floor \(fixed(realFloor, 3)) with \(floorSampleCount) training images)")
    }
    lines.append("classifier score      \(fixed(classifierScore, 3))   (1 to 10; higher is better)")
    lines.append("class KL to uniform   \(fixed(classKLToUniform, 4))  nats (0 = every digit equally often)")
    lines.append("confident (p > 0.9)   \(fixed(100 * confidentShare, 1))%")
    let histogram = classHistogram.enumerated().map { "\($0.offset):\($0.element)" }.joined(separator: " ")
    lines.append("class histogram       \(histogram)")
    return lines.joined(separator: "\n")
  }
}

/// `value` with `digits` digits after the point.
func fixed(_ value: Double, _ digits: Int) -> String {
  guard value.isFinite else { return "\(value)" }
  return String(format: "%.\(digits)f", value)
}
