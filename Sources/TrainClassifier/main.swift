// train-classifier: trains the MNIST classifier behind the course's sample-quality metrics (Fréchet distance,
// classifier score, class histogram) and writes its weights, the file that ships as
// Sources/GAN/Resources/mnist-classifier.safetensors.
//
// Run from the package root:   swift run train-classifier [--data DIR] [--out FILE]
// In this workplace:           swift run train-classifier --data ../shared/data/mnist \
//                                --out Sources/GAN/Resources/mnist-classifier.safetensors
//
// The seed is fixed, so the command repeats its run (bit for bit with the same thread count: the matrix products'
// summation order depends on how the work is split across cores).
import ArgumentParser
import Datasets
import Foundation
import GAN
import LessonKit

// MARK: - Options

struct Options: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "train-classifier",
    abstract: "Train the MNIST classifier behind the course's sample-quality metrics and write its weights.")

  @Option(help: ArgumentHelp(
    "A folder with MNIST's four IDX files (else $GAN_DATA_DIR/mnist, ./data/mnist, the user cache, then a verified download).",
    valueName: "dir"))
  var data: String?
  @Flag(help: "Skip the SHA-256 check of MNIST's files (for your own data in MNIST's format).")
  var noVerify = false
  @Option(help: ArgumentHelp("Where to write the weights (default: the shipped file).", valueName: "file"))
  var out: String = MNISTClassifier.defaultWeightsURL.path
  @Option(help: Allowed.count(1...100).help("Passes over the 60,000 training images.")) var epochs = 3
  @Option(help: ArgumentHelp("The seed of the initialization and the batch order, any whole number from 0 to 2^64 - 1."))
  var seed: UInt64 = 20_240_607
  @Option(help: Allowed.count(1...4096).help("Images per Adam step.")) var batchSize = 128
  @Option(help: Allowed.rate.help("Adam's initial learning rate, decayed to 0 on a cosine.")) var learningRate: Float = 3e-3
  @Option(name: .customLong("min-accuracy"), help: Allowed.share.help("Write the weights only if the test accuracy reaches this."))
  var minimumAccuracy = 0.99
  @Option(help: Allowed.count(1...10_000_000).help("Stop after this many steps (to try the command out; the result will not reach --min-accuracy)."))
  var maxSteps: Int?

  func validate() throws {
    try Allowed.count(1...100).check(epochs, "--epochs")
    try Allowed.count(1...4096).check(batchSize, "--batch-size")
    try Allowed.rate.check(learningRate, "--learning-rate")
    try Allowed.share.check(minimumAccuracy, "--min-accuracy")
    try Allowed.count(1...10_000_000).check(maxSteps, "--max-steps")
    try checkWritableFile(out, "--out")
  }
}

func fail(_ message: String) -> Never {
  FileHandle.standardError.write(Data("train-classifier: \(message)\n".utf8))
  exit(1)
}

let options = Options.parseOrExit()
let outURL = URL(fileURLWithPath: options.out)

/// One line on standard output, written at once (not held in a buffer when the output is a pipe or a file).
func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
func seconds(since start: Date) -> Double { Date().timeIntervalSince(start) }
func fixed(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }

// MARK: - Data

let mnist: Dataset
let train: LabeledImages
let test: LabeledImages
do {
  mnist = try Dataset.locateMNIST(dataDirectory: options.data, verify: !options.noVerify)
  train = try mnist.load(.train)
  test = try mnist.load(.test)
  // The Fréchet floors below compare 1,000 and 10,000 training images with the test images' statistics.
  let neededTrain = max(options.batchSize, 10_000)
  if train.count < neededTrain {
    throw DatasetError.tooFewExamples(
      file: try mnist.path(of: .train, labels: false), count: train.count, needed: neededTrain, who: "train-classifier")
  }
  if test.count < 1000 {
    throw DatasetError.tooFewExamples(
      file: try mnist.path(of: .test, labels: false), count: test.count, needed: 1000, who: "train-classifier")
  }
} catch {
  fail("\(error)")
}
say("MNIST from \(mnist.directory): \(train.count) training and \(test.count) test images")

// MARK: - Training

var generator = SeededGenerator(seed: options.seed)
let classifier = MNISTClassifier(using: &generator)
let optimizer = Adam(for: classifier, learningRate: options.learningRate)
var loader = DataLoader(train, batchSize: options.batchSize, shuffle: true, seed: options.seed &+ 1)
let plannedSteps = options.epochs * loader.batchesPerEpoch
let totalSteps = min(plannedSteps, options.maxSteps ?? plannedSteps)
say("""
  MNISTClassifier: \(classifier.parameterCount) parameters; \(options.epochs) epochs of \(loader.batchesPerEpoch) steps,
  batch \(options.batchSize), Adam, learning rate \(options.learningRate) on a cosine to 0, seed \(options.seed),
  \(Kernels.cores) threads
  """)

let start = Date()
var step = 0
var epochsRun = 0
training: for epoch in 1...options.epochs {
  var lossSum = 0.0, correct = 0, seen = 0
  epochsRun = epoch
  for batch in loader.epoch() {
    if step == totalSteps { break training }
    // Cosine decay: lr · ½(1 + cos(π t / T)), large steps first, fine ones at the end.
    optimizer.learningRate = options.learningRate * Float(0.5 * (1 + cos(Double.pi * Double(step) / Double(plannedSteps))))
    let labels = batch.labels!
    let logits = classifier(batch.examples)
    let loss = optimizer.minimize(crossEntropy(logits: logits, labels: labels))
    step += 1
    lossSum += Double(loss) * Double(labels.count)
    correct += zip(logits.argmaxLastAxis(), labels).filter { $0 == $1 }.count
    seen += labels.count
    if step % 50 == 0 || step == totalSteps || seen == train.count {
      let elapsed = seconds(since: start)
      say(
        "epoch \(epoch)/\(options.epochs)  step \(String(step).leftPadded(to: 5))/\(totalSteps)"
          + "  loss \(fixed(lossSum / Double(seen), 4))  train accuracy \(fixed(100 * Double(correct) / Double(seen), 2))%"
          + "  lr \(String(format: "%.2e", optimizer.learningRate))  \(fixed(elapsed, 1)) s"
          + "  (\(Int(Double(step * options.batchSize) / max(elapsed, 1e-9))) images/s)")
    }
  }
  if step < totalSteps && epoch < options.epochs {
    let accuracy = classifier.accuracy(images: test.images, labels: test.labels)
    say("after epoch \(epoch): test accuracy \(fixed(100 * accuracy, 2))%")
  }
}
let trainingSeconds = seconds(since: start)

// MARK: - Evaluation

classifier.eval()
let outputs = classifier.outputs(for: test.images)
let predicted = outputs.logits.argmaxLastAxis()
let testAccuracy = Double(zip(predicted, test.labels).filter { $0 == $1 }.count) / Double(test.count)
let testPredictions = ClassPredictions(logits: outputs.logits)
let testStatistics = FeatureStatistics(features: outputs.features)
// The floors at the sample counts lessons use: n training images against the statistics of all 10,000 test images.
let floor1000 = frechetDistance(
  FeatureStatistics(images: train.images.sliced(axis: 0, 0..<1000).detached(), classifier: classifier), testStatistics)
let floor10000 = frechetDistance(
  FeatureStatistics(images: train.images.sliced(axis: 0, 0..<10000).detached(), classifier: classifier), testStatistics)
say("""

  trained in \(fixed(trainingSeconds, 1)) s (\(step) steps)
  test accuracy            \(fixed(100 * testAccuracy, 2))% (\(test.count) test images)
  test classifier score    \(fixed(testPredictions.classifierScore, 3))
  test confident (p > 0.9) \(fixed(100 * testPredictions.confidentShare(threshold: 0.9), 2))%
  test class KL to uniform \(fixed(testPredictions.classKLToUniform, 4)) nats
  Fréchet floor: 1,000 training images vs the 10,000 test images   \(fixed(floor1000, 3))
  Fréchet floor: 10,000 training images vs the 10,000 test images  \(fixed(floor10000, 3))
  """)

// MARK: - Weights

guard testAccuracy >= options.minimumAccuracy else {
  fail("test accuracy \(fixed(100 * testAccuracy, 2))% is below --min-accuracy \(options.minimumAccuracy);"
    + " \(options.out) was not written")
}
let metadata: [String: String] = [
  "model": "MNISTClassifier",
  "architecture": "standardize, conv3x3(1->32) relu maxpool2, conv3x3(32->32) relu maxpool2, conv3x3(32->64) relu,"
    + " linear(3136->128) relu [features], linear(128->10)",
  "parameters": String(classifier.parameterCount),
  "test_accuracy": fixed(testAccuracy, 4),
  "seed": String(options.seed),
  "epochs": String(epochsRun),
  "steps": String(step),
  "batch_size": String(options.batchSize),
  "optimizer": "Adam, learning rate \(options.learningRate), cosine decay to 0",
  "training_seconds": fixed(trainingSeconds, 1),
  "threads": String(Kernels.cores),
  "test_classifier_score": fixed(testPredictions.classifierScore, 4),
  "frechet_floor_train1000_test10000": fixed(floor1000, 4),
  "frechet_floor_train10000_test10000": fixed(floor10000, 4),
  "command": "swift run train-classifier --seed \(options.seed) --epochs \(options.epochs)"
    + " --batch-size \(options.batchSize) --learning-rate \(options.learningRate)",
]
do {
  try Checkpoint.save(classifier, to: outURL, metadata: metadata)
} catch {
  fail("\(error)")
}
let size = (try? FileManager.default.attributesOfItem(atPath: outURL.path)[.size] as? Int) ?? 0
say("wrote \(outURL.path) (\(size) bytes)")

extension String {
  func leftPadded(to width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
