import Autograd
import Foundation

/// What the classifier thinks of a set of images: the class probabilities p(y|x) of each, and the summaries the
/// course reports for generated digits. Probabilities are computed in Double from the logits.
public struct ClassPredictions: Sendable {
  /// p(y|x) for every image, row-major [sampleCount, classCount].
  public let probabilities: [Double]
  public let sampleCount: Int
  public let classCount: Int

  /// From logits [N, K]: p(y|x) = softmax(logits), computed stably (the row maximum is subtracted first).
  public init(logits: Tensor) {
    precondition(logits.rank == 2 && logits.shape[1] >= 1, "ClassPredictions: logits must be [N, K], got \(logits.shape)")
    let n = logits.shape[0], k = logits.shape[1]
    var probabilities = [Double](repeating: 0, count: n * k)
    for i in 0..<n {
      let row = logits.scalars[(i * k)..<((i + 1) * k)].map(Double.init)
      let largest = row.max()!
      let exponentials = row.map { Foundation.exp($0 - largest) }
      let total = exponentials.reduce(0, +)
      for j in 0..<k { probabilities[i * k + j] = exponentials[j] / total }
    }
    self.probabilities = probabilities
    self.sampleCount = n
    self.classCount = k
  }

  /// The classifier's predictions for `images` [N, 1, 28, 28].
  public init(images: Tensor, classifier: MNISTClassifier, batchSize: Int = 256) {
    self.init(logits: classifier.outputs(for: images, batchSize: batchSize).logits)
  }

  /// The most probable class of each image.
  public var predictedClasses: [Int] {
    (0..<sampleCount).map { i in
      var best = 0
      for j in 1..<classCount where probabilities[i * classCount + j] > probabilities[i * classCount + best] { best = j }
      return best
    }
  }

  /// The largest class probability of each image: how sure the classifier is.
  public var confidences: [Double] {
    (0..<sampleCount).map { i in probabilities[(i * classCount)..<((i + 1) * classCount)].max()! }
  }

  /// The marginal p(y) = E_x p(y|x): the class mix of the whole set.
  public var marginal: [Double] {
    var p = [Double](repeating: 0, count: classCount)
    for i in 0..<sampleCount { for j in 0..<classCount { p[j] += probabilities[i * classCount + j] } }
    return p.map { $0 / Double(Swift.max(sampleCount, 1)) }
  }

  /// The classifier score, the MNIST analog of the Inception Score (Salimans et al. 2016):
  ///
  ///     exp( E_x KL(p(y|x) ‖ p(y)) ) = exp( E_x Σ_y p(y|x) log(p(y|x) / p(y)) )
  ///
  /// It is high when each image is classified confidently (p(y|x) peaked) and the classes are varied (p(y) spread
  /// out): at most the number of classes, 10, reached by confident predictions spread evenly over all classes; 1 when
  /// every image gets the same distribution (one image repeated, or total uncertainty). It equals exp of the mutual
  /// information between image and label. Computed over the whole set in one split (the Inception Score is often
  /// averaged over 10 splits; with thousands of images the difference is small).
  public var classifierScore: Double {
    guard sampleCount > 0 else { return .nan }
    let p = marginal
    var total = 0.0
    for i in 0..<sampleCount {
      for j in 0..<classCount {
        let q = probabilities[i * classCount + j]
        if q > 0 { total += q * Foundation.log(q / p[j]) }
      }
    }
    return Foundation.exp(total / Double(sampleCount))
  }

  /// How many images are predicted as each class.
  public var classHistogram: [Int] {
    var counts = [Int](repeating: 0, count: classCount)
    for c in predictedClasses { counts[c] += 1 }
    return counts
  }

  /// KL(h ‖ uniform) of the predicted-class histogram h, in nats: Σ_c h_c log(K h_c). 0 when every class is predicted
  /// equally often; log 10 ≈ 2.303 when every image is predicted as one class (mode collapse). A real MNIST sample is
  /// not exactly uniform (the digit 1 is about 11% of the data), so 0.01 or so is the floor there.
  public var classKLToUniform: Double { klToUniform(classHistogram) }

  /// The share of images whose largest class probability exceeds `threshold`: how many look like a clear digit.
  public func confidentShare(threshold: Double = 0.9) -> Double {
    guard sampleCount > 0 else { return 0 }
    return Double(confidences.filter { $0 > threshold }.count) / Double(sampleCount)
  }
}

/// KL(h ‖ uniform) in nats of the distribution given by the counts `histogram` (all zeros: 0).
public func klToUniform(_ histogram: [Int]) -> Double {
  let total = Double(histogram.reduce(0, +))
  guard total > 0 else { return 0 }
  let k = Double(histogram.count)
  var kl = 0.0
  for count in histogram where count > 0 {
    let p = Double(count) / total
    kl += p * Foundation.log(p * k)
  }
  return kl
}

/// The indices of the first example of each class in `classes`, in order, at most `count` of them, skipping the
/// indices in `excluded`: sources for a grid in which every column (or row) shows a different class, so that a
/// change of class shows.
public func firstOfDistinctClasses(_ classes: [Int], count: Int, excluding excluded: Set<Int> = []) -> [Int] {
  var seen = Set<Int>(), chosen: [Int] = []
  for (index, label) in classes.enumerated() where chosen.count < count && !excluded.contains(index) {
    if seen.insert(label).inserted { chosen.append(index) }
  }
  return chosen
}
