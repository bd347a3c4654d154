import Foundation
import XCTest

@testable import GAN

/// The MNIST classifier behind the sample-quality metrics, and the metrics themselves. The real-image tests read
/// ../shared/data/mnist (or $GAN_DATA_DIR/mnist) and take a few seconds in all.
final class ClassifierTests: XCTestCase {
  // MARK: The shipped weights

  /// The weights in the repository classify the first 2,000 test images with at least 99% accuracy, and the file's
  /// metadata records the run that made them.
  func testShippedWeightsReachNinetyNinePercent() throws {
    let classifier = try MNISTClassifier.pretrained()
    let test = try MNISTFiles.load(.test, limit: 2000)
    let accuracy = classifier.accuracy(images: test.images, labels: test.labels)
    XCTAssertGreaterThanOrEqual(accuracy, 0.99, "accuracy on the first 2000 test images")
    let metadata = try SafeTensors.readWithMetadata(from: MNISTClassifier.defaultWeightsURL).metadata
    XCTAssertGreaterThanOrEqual(Double(metadata["test_accuracy"] ?? "") ?? 0, 0.99, "recorded full test accuracy")
    XCTAssertNotNil(metadata["seed"])
    XCTAssertNotNil(metadata["epochs"])
    XCTAssertEqual(classifier.parameterCount, 430_890)
  }

  func testMissingWeightsNameThePathAndTheCommand() {
    let path = "/nonexistent/folder/mnist-classifier.safetensors"
    XCTAssertThrowsError(try MNISTClassifier.pretrained(path: path)) { error in
      let message = "\(error)"
      XCTAssertTrue(message.contains(path), message)
      XCTAssertTrue(message.contains("swift run train-classifier"), message)
    }
  }

  /// A file of another network is refused with an error naming the file and a tensor.
  func testWeightsOfAnotherNetworkAreRefused() throws {
    var generator = SeededGenerator(seed: 1)
    let other = Linear(inputSize: 4, outputSize: 2, using: &generator)
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("not-a-classifier-\(UUID()).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try Checkpoint.save(other, to: url)
    XCTAssertThrowsError(try MNISTClassifier.pretrained(path: url.path)) { error in
      XCTAssertTrue("\(error)".contains(url.path), "\(error)")
      XCTAssertTrue(error is CheckpointError, "\(error)")
    }
  }

  /// Batched inference equals one big batch; features are the ReLU output that the last layer reads.
  func testOutputsAreBatchedConsistently() throws {
    let classifier = try MNISTClassifier.pretrained()
    let images = try MNISTFiles.load(.test, limit: 50).images
    let whole = classifier.outputs(for: images, batchSize: 256)
    let pieces = classifier.outputs(for: images, batchSize: 7)
    XCTAssertEqual(whole.features.shape, [50, 128])
    XCTAssertEqual(whole.logits.shape, [50, 10])
    for (a, b) in zip(whole.features.scalars, pieces.features.scalars) { XCTAssertEqual(a, b, accuracy: 1e-4) }
    for (a, b) in zip(whole.logits.scalars, pieces.logits.scalars) { XCTAssertEqual(a, b, accuracy: 1e-4) }
    XCTAssertTrue(whole.features.scalars.allSatisfy { $0 >= 0 })
    let direct = withoutGradients { classifier.output(whole.features) }
    for (a, b) in zip(direct.scalars, whole.logits.scalars) { XCTAssertEqual(a, b, accuracy: 1e-4) }
  }

  // MARK: Linear algebra

  /// The tridiagonal matrix with 2 on the diagonal and -1 beside it has eigenvalues 2 - 2 cos(kπ/(n+1)).
  func testJacobiEigenvaluesOfAKnownMatrix() {
    let n = 12
    var a = [Double](repeating: 0, count: n * n)
    for i in 0..<n {
      a[i * n + i] = 2
      if i + 1 < n {
        a[i * n + i + 1] = -1
        a[(i + 1) * n + i] = -1
      }
    }
    let decomposition = symmetricEigenDecomposition(a, size: n)
    let expected = (1...n).map { 2 - 2 * cos(Double($0) * Double.pi / Double(n + 1)) }.sorted()
    for (value, truth) in zip(decomposition.values, expected) { XCTAssertEqual(value, truth, accuracy: 1e-12) }
    // A v = λ v for every column, and the columns are orthonormal.
    let v = decomposition.vectors
    for j in 0..<n {
      for i in 0..<n {
        var av = 0.0
        for k in 0..<n { av += a[i * n + k] * v[k * n + j] }
        XCTAssertEqual(av, decomposition.values[j] * v[i * n + j], accuracy: 1e-12)
      }
      for l in 0..<n {
        var dot = 0.0
        for k in 0..<n { dot += v[k * n + j] * v[k * n + l] }
        XCTAssertEqual(dot, j == l ? 1 : 0, accuracy: 1e-12)
      }
    }
  }

  /// [[5, 4], [4, 5]] = Q diag(9, 1) Qᵀ, so its square root is Q diag(3, 1) Qᵀ = [[2, 1], [1, 2]]; and a 128x128 PSD
  /// matrix of rank 100 (as a covariance with dead features is) has a symmetric root S with S S = A.
  func testSymmetricSquareRoot() {
    let root = symmetricSquareRoot([5, 4, 4, 5], size: 2)
    for (value, truth) in zip(root, [2.0, 1, 1, 2]) { XCTAssertEqual(value, truth, accuracy: 1e-14) }

    let n = 128, rank = 100
    var generator = SeededGenerator(seed: 7)
    let b = (0..<(n * rank)).map { _ in Double(generator.nextNormal()) }
    var a = [Double](repeating: 0, count: n * n)
    for i in 0..<n {
      for j in 0..<n {
        var sum = 0.0
        for k in 0..<rank { sum += b[i * rank + k] * b[j * rank + k] }
        a[i * n + j] = sum
      }
    }
    let s = symmetricSquareRoot(a, size: n)
    let squared = multiplySquare(s, s, size: n)
    let scale = a.map(abs).max()!
    var worst = 0.0
    for i in 0..<(n * n) { worst = max(worst, abs(squared[i] - a[i])) }
    XCTAssertLessThan(worst / scale, 1e-10)
    for i in 0..<n { for j in 0..<n { XCTAssertEqual(s[i * n + j], s[j * n + i], accuracy: 1e-12) } }
  }

  // MARK: Fréchet distance

  /// Closed forms: for diagonal covariances d² = ‖μ₁ - μ₂‖² + Σ (√a_i - √b_i)²; and the distance is symmetric for
  /// covariances that do not commute.
  func testFrechetDistanceClosedForms() {
    let first = FeatureStatistics(mean: [0, 1, 2], covariance: diagonal([4, 1, 9]), sampleCount: 100)
    let second = FeatureStatistics(mean: [1, 1, 0], covariance: diagonal([1, 1, 16]), sampleCount: 100)
    // (1 + 0 + 4) + ((2-1)² + 0 + (3-4)²) = 7.
    XCTAssertEqual(frechetDistance(first, second), 7, accuracy: 1e-12)
    XCTAssertEqual(frechetDistance(first, first), 0, accuracy: 1e-12)

    let rotated = FeatureStatistics(mean: [0, 0], covariance: [2, 1, 1, 2], sampleCount: 10)
    let stretched = FeatureStatistics(mean: [0, 0], covariance: [4, 0, 0, 1], sampleCount: 10)
    XCTAssertEqual(frechetDistance(rotated, stretched), frechetDistance(stretched, rotated), accuracy: 1e-12)
    // The same by hand: tr C₁ + tr C₂ - 2 tr (C₂^½ C₁ C₂^½)^½ with C₂^½ C₁ C₂^½ = [[8, 2], [2, 2]].
    let product = [8.0, 2, 2, 2]
    let crossTrace = symmetricEigenDecomposition(product, size: 2).values.map { $0.squareRoot() }.reduce(0, +)
    XCTAssertEqual(frechetDistance(stretched, rotated), 4 + 5 - 2 * crossTrace, accuracy: 1e-12)
  }

  /// Sample statistics: the unbiased covariance of known rows.
  func testFeatureStatistics() {
    let features = Tensor([[1, 2], [3, 2], [5, 8]])
    let statistics = FeatureStatistics(features: features)
    XCTAssertEqual(statistics.mean, [3, 4])
    // Deviations (-2, -2), (0, -2), (2, 4): Σ x xᵀ / 2 = [[8, 12], [12, 24]] / 2.
    XCTAssertEqual(statistics.covariance, [4, 6, 6, 12])
    XCTAssertEqual(statistics.sampleCount, 3)
  }

  /// On real digits: a set against itself is at distance 0; noise or a shift moves it away, more noise further.
  func testFrechetDistanceOnImagesGrowsWithNoise() throws {
    let classifier = try MNISTClassifier.pretrained()
    let images = try MNISTFiles.load(.test, limit: 1000).images
    let clean = FeatureStatistics(images: images, classifier: classifier)
    XCTAssertEqual(frechetDistance(clean, clean), 0, accuracy: 1e-6)
    var generator = SeededGenerator(seed: 11)
    var previous = 0.0
    for std: Float in [0.1, 0.3, 0.6] {
      let noisy = withoutGradients {
        clamp(images + Tensor.randomNormal(images.shape, std: std, using: &generator), min: -1, max: 1)
      }
      let distance = frechetDistance(clean, FeatureStatistics(images: noisy, classifier: classifier))
      XCTAssertGreaterThan(distance, previous, "noise std \(std)")
      previous = distance
    }
    let shifted = shiftedRight(images, by: 3)
    XCTAssertGreaterThan(classifier.frechetDistance(images, shifted), 1)
  }

  /// The real-vs-real floor (1,000 training vs 1,000 test images) is small beside what Gaussian noise of std 0.5 does
  /// to the same digits (still readable, but visibly noisy), and a FrechetReference puts held-out real digits near its
  /// floor and noisy ones far above it. (At 1,000 samples a side the floor is large in absolute terms, about 60 when
  /// the features' total variance is about 1,500: the estimate's bias, which shrinks as the sample grows.)
  func testRealFloorIsSmallComparedWithNoise() throws {
    let classifier = try MNISTClassifier.pretrained()
    let train = try MNISTFiles.load(.train, limit: 1000).images
    let test = try MNISTFiles.load(.test, limit: 3000).images
    let floor = classifier.realFrechetFloor(train: train, test: test, count: 1000)
    var generator = SeededGenerator(seed: 12)
    func noisy(_ images: Tensor) -> Tensor {
      withoutGradients { clamp(images + Tensor.randomNormal(images.shape, std: 0.5, using: &generator), min: -1, max: 1) }
    }
    let firstTest = test.sliced(axis: 0, 0..<1000).detached()
    let noiseDistance = classifier.frechetDistance(firstTest, noisy(firstTest))
    XCTAssertGreaterThan(floor, 0)
    XCTAssertLessThan(floor, noiseDistance / 4, "floor \(floor), noise std 0.5: \(noiseDistance)")

    let reference = FrechetReference(
      classifier: classifier, referenceImages: test.sliced(axis: 0, 0..<2000).detached(), trainImages: train,
      sampleCount: 1000)
    let heldOut = test.sliced(axis: 0, 2000..<3000).detached()
    let real = ClassifierMetrics(images: heldOut, classifier: classifier, reference: reference)
    let bad = ClassifierMetrics(images: noisy(heldOut), classifier: classifier, reference: reference)
    XCTAssertLessThan(real.frechetDistance!, 2 * reference.floor, "held-out real digits sit near the floor")
    XCTAssertGreaterThan(bad.frechetDistance!, 4 * reference.floor)
    XCTAssertEqual(real.realFloor, reference.floor)
    XCTAssertGreaterThan(real.classifierScore, bad.classifierScore)
    XCTAssertTrue(real.missingClasses.isEmpty)
    XCTAssertGreaterThan(real.confidentShare, 0.95)
    for line in ["Fréchet distance", "real-vs-real floor", "classifier score", "class KL to uniform", "confident"] {
      XCTAssertTrue(real.report.contains(line), real.report)
    }
    XCTAssertEqual(real.values["sample_count"], 1000)
    XCTAssertEqual((0..<10).map { real.values["class_\($0)"]! }.reduce(0, +), 1000)
  }

  // MARK: Classifier score, class histogram, confidence

  /// Real test digits are confident and varied (score near 10); one image repeated has score 1 exactly.
  func testClassifierScoreOfRealAndRepeatedImages() throws {
    let classifier = try MNISTClassifier.pretrained()
    let images = try MNISTFiles.load(.test, limit: 2000).images
    let real = ClassPredictions(images: images, classifier: classifier)
    XCTAssertGreaterThan(real.classifierScore, 9)
    XCTAssertLessThanOrEqual(real.classifierScore, 10)
    XCTAssertLessThan(real.classKLToUniform, 0.02)
    let one = images.sliced(axis: 0, 0..<1).detached()
    let repeated = Tensor(shape: [64, 1, 28, 28], scalars: Array(repeating: one.scalars, count: 64).flatMap { $0 })
    let collapsed = ClassPredictions(images: repeated, classifier: classifier)
    XCTAssertEqual(collapsed.classifierScore, 1, accuracy: 1e-9)
    XCTAssertEqual(collapsed.classKLToUniform, log(10), accuracy: 1e-12)
  }

  /// Constructed logits with known probabilities.
  func testHistogramKLAndConfidenceOnConstructedInputs() {
    // 20 samples, two confidently on each digit: uniform histogram, all confident, score ≈ 10.
    let even = ClassPredictions(logits: oneHotLogits((0..<20).map { $0 % 10 }, strength: 30))
    XCTAssertEqual(even.classHistogram, [Int](repeating: 2, count: 10))
    XCTAssertEqual(even.classKLToUniform, 0, accuracy: 1e-12)
    XCTAssertEqual(even.confidentShare(), 1)
    XCTAssertEqual(even.classifierScore, 10, accuracy: 1e-6)

    // All confidently 3: KL = log 10, score 1.
    let single = ClassPredictions(logits: oneHotLogits([Int](repeating: 3, count: 8), strength: 30))
    XCTAssertEqual(single.classHistogram, [0, 0, 0, 8, 0, 0, 0, 0, 0, 0])
    XCTAssertEqual(single.classKLToUniform, log(10), accuracy: 1e-12)
    XCTAssertEqual(single.classifierScore, 1, accuracy: 1e-9)

    // Top probabilities 0.95, 0.85, 0.1 (all logits equal), 0.95: e^a / (e^a + 9) = p needs e^a = 9p / (1 - p).
    func logits(top p: Double, at digit: Int) -> [Float] {
      var row = [Float](repeating: 0, count: 10)
      row[digit] = Float(log(9 * p / (1 - p)))
      return row
    }
    let rows = [logits(top: 0.95, at: 1), logits(top: 0.85, at: 2), [Float](repeating: 0, count: 10), logits(top: 0.95, at: 4)]
    let mixed = ClassPredictions(logits: Tensor(rows))
    XCTAssertEqual(mixed.confidences[0], 0.95, accuracy: 1e-6)
    XCTAssertEqual(mixed.confidences[1], 0.85, accuracy: 1e-6)
    XCTAssertEqual(mixed.confidences[2], 0.1, accuracy: 1e-12)
    XCTAssertEqual(mixed.confidentShare(threshold: 0.9), 0.5)
    XCTAssertEqual(mixed.confidentShare(threshold: 0.8), 0.75)
    XCTAssertEqual(mixed.predictedClasses, [1, 2, 0, 4])

    XCTAssertEqual(klToUniform([1, 0, 0, 0, 0, 0, 0, 0, 0, 0]), log(10), accuracy: 1e-12)
    XCTAssertEqual(klToUniform([5, 5, 0, 0, 0, 0, 0, 0, 0, 0]), log(5), accuracy: 1e-12)
    XCTAssertEqual(klToUniform([3, 3, 3, 3]), 0, accuracy: 1e-12)
  }

  // MARK: Nearest neighbors

  /// Against a brute-force search, with blocks smaller than the reference set; an exact copy is found at distance 0.
  func testNearestNeighborsMatchBruteForce() {
    var generator = SeededGenerator(seed: 5)
    let references = Tensor.randomNormal([53, 3, 2, 2], using: &generator)
    var queryRows: [Float] = []
    queryRows += references.sliced(axis: 0, 17..<18).scalars  // an exact copy of row 17
    queryRows += Tensor.randomNormal([4, 12], using: &generator).scalars
    let queries = Tensor(shape: [5, 3, 2, 2], scalars: queryRows)
    let found = nearestNeighbors(of: queries, in: references, count: 3, blockSize: 10)
    XCTAssertEqual(found.count, 5)
    XCTAssertEqual(found[0][0], Neighbor(index: 17, distance: 0))
    for (i, neighbors) in found.enumerated() {
      let brute = (0..<53).map { j -> (Int, Float) in
        var sum: Float = 0
        for k in 0..<12 { sum += pow(queries.scalars[i * 12 + k] - references.scalars[j * 12 + k], 2) }
        return (j, sum.squareRoot())
      }.sorted { $0.1 < $1.1 }
      XCTAssertEqual(neighbors.map(\.index), brute.prefix(3).map(\.0))
      for (neighbor, truth) in zip(neighbors, brute.prefix(3)) { XCTAssertEqual(neighbor.distance, truth.1, accuracy: 1e-5) }
    }
  }

  // MARK: Helpers

  private func diagonal(_ values: [Double]) -> [Double] {
    var m = [Double](repeating: 0, count: values.count * values.count)
    for (i, v) in values.enumerated() { m[i * values.count + i] = v }
    return m
  }

  private func oneHotLogits(_ classes: [Int], strength: Float) -> Tensor {
    Tensor(classes.map { c in (0..<10).map { $0 == c ? strength : 0 } })
  }

  /// Each image moved `pixels` to the right, the uncovered columns black (-1).
  private func shiftedRight(_ images: Tensor, by pixels: Int) -> Tensor {
    var values = [Float](repeating: -1, count: images.count)
    let n = images.shape[0]
    for i in 0..<n {
      for y in 0..<28 {
        for x in pixels..<28 { values[i * 784 + y * 28 + x] = images.scalars[i * 784 + y * 28 + x - pixels] }
      }
    }
    return Tensor(shape: images.shape, scalars: values)
  }
}

/// MNIST for these tests, read directly from the IDX files (the GAN test target does not depend on Datasets): from
/// $GAN_DATA_DIR/mnist, else ../shared/data/mnist or ./data/mnist beside the package. A `.gz` file is decompressed by
/// the system's `gzip`.
enum MNISTFiles {
  enum Split: String {
    case train
    case test = "t10k"
  }

  struct LoadError: Error, CustomStringConvertible {
    let description: String
  }

  static var directory: String {
    get throws {
      let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
      var candidates: [String] = []
      if let root = ProcessInfo.processInfo.environment["GAN_DATA_DIR"], !root.isEmpty {
        candidates.append((root as NSString).appendingPathComponent("mnist"))
      }
      candidates.append(packageRoot.deletingLastPathComponent().appendingPathComponent("shared/data/mnist").path)
      candidates.append(packageRoot.appendingPathComponent("data/mnist").path)
      for folder in candidates where file("t10k-labels-idx1-ubyte", in: folder) != nil { return folder }
      throw LoadError(description: "MNIST's IDX files are not in any of \(candidates.joined(separator: ", "))")
    }
  }

  static func file(_ name: String, in folder: String) -> String? {
    for candidate in [name + ".gz", name] {
      let path = (folder as NSString).appendingPathComponent(candidate)
      if FileManager.default.fileExists(atPath: path) { return path }
    }
    return nil
  }

  static func bytes(_ name: String) throws -> [UInt8] {
    let folder = try directory
    guard let path = file(name, in: folder) else { throw LoadError(description: "\(folder): no \(name)(.gz)") }
    guard path.hasSuffix(".gz") else { return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["gzip", "-dc", path]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw LoadError(description: "\(path): gzip -dc failed") }
    return [UInt8](data)
  }

  /// The first `limit` images of a split, [limit, 1, 28, 28] scaled to [-1, 1] as the Datasets module does
  /// (x / 127.5 - 1), and their labels.
  static func load(_ split: Split, limit: Int) throws -> (images: Tensor, labels: [Int]) {
    let imageBytes = try bytes("\(split.rawValue)-images-idx3-ubyte")
    let labelBytes = try bytes("\(split.rawValue)-labels-idx1-ubyte")
    func bigEndian(_ b: [UInt8], _ offset: Int) -> Int {
      (0..<4).reduce(0) { $0 << 8 | Int(b[offset + $1]) }
    }
    guard imageBytes.count >= 16, bigEndian(imageBytes, 0) == 0x0803, labelBytes.count >= 8,
      bigEndian(labelBytes, 0) == 0x0801
    else { throw LoadError(description: "\(split.rawValue): not MNIST IDX files") }
    let count = min(limit, bigEndian(imageBytes, 4), bigEndian(labelBytes, 4))
    let pixels = imageBytes[16..<(16 + count * 784)].map { Float($0) / 127.5 - 1 }
    let labels = labelBytes[8..<(8 + count)].map(Int.init)
    return (Tensor(shape: [count, 1, 28, 28], scalars: pixels), labels)
  }
}
