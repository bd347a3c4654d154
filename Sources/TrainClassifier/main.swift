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
import Datasets
import Foundation
import GAN

// MARK: - Options

struct Options {
  var data: String?
  var out: String = MNISTClassifier.defaultWeightsURL.path
  var epochs = 3
  var seed: UInt64 = 20_240_607
  var batchSize = 128
  var learningRate: Float = 3e-3
  var minimumAccuracy = 0.99
  var maxSteps: Int?
}

let usage = """
  usage: train-classifier [--data DIR] [--out FILE] [--epochs N] [--seed S] [--batch-size N] [--learning-rate LR]
                          [--min-accuracy A] [--max-steps N]
    --data DIR           a folder with MNIST's four IDX files (else $GAN_DATA_DIR/mnist, ./data/mnist, the user
                         cache, then a verified download)
    --out FILE           where to write the weights (default: the shipped file,
                         \(MNISTClassifier.defaultWeightsURL.path))
    --epochs N           passes over the 60,000 training images (default 3)
    --seed S             the seed of the initialisation and the batch order (default 20240607)
    --batch-size N       images per Adam step (default 128)
    --learning-rate LR   Adam's initial learning rate, decayed to 0 on a cosine (default 0.003)
    --min-accuracy A     write the weights only if the test accuracy reaches A (default 0.99)
    --max-steps N        stop after N steps (to try the command out; the result will not reach --min-accuracy)
  """

func fail(_ message: String) -> Never {
  FileHandle.standardError.write(Data("train-classifier: \(message)\n".utf8))
  exit(64)
}

func parseOptions(_ arguments: [String]) -> Options {
  var options = Options()
  var index = 0
  func value(_ flag: String) -> String {
    guard index + 1 < arguments.count else { fail("\(flag) needs a value\n\(usage)") }
    index += 1
    return arguments[index]
  }
  func positiveInteger(_ flag: String) -> Int {
    let text = value(flag)
    guard let number = Int(text), number >= 1 else { fail("\(flag) needs a positive whole number, got '\(text)'") }
    return number
  }
  while index < arguments.count {
    let flag = arguments[index]
    switch flag {
    case "--data": options.data = value(flag)
    case "--out": options.out = value(flag)
    case "--epochs": options.epochs = positiveInteger(flag)
    case "--batch-size": options.batchSize = positiveInteger(flag)
    case "--max-steps": options.maxSteps = positiveInteger(flag)
    case "--seed":
      let text = value(flag)
      guard let seed = UInt64(text) else { fail("--seed needs a non-negative whole number, got '\(text)'") }
      options.seed = seed
    case "--learning-rate":
      let text = value(flag)
      guard let rate = Float(text), rate > 0, rate.isFinite else { fail("--learning-rate needs a positive number, got '\(text)'") }
      options.learningRate = rate
    case "--min-accuracy":
      let text = value(flag)
      guard let accuracy = Double(text), accuracy >= 0, accuracy <= 1 else {
        fail("--min-accuracy needs a number between 0 and 1, got '\(text)'")
      }
      options.minimumAccuracy = accuracy
    case "--help", "-h":
      say(usage)
      exit(0)
    default:
      fail("unknown argument '\(flag)'\n\(usage)")
    }
    index += 1
  }
  return options
}

let options = parseOptions(Array(CommandLine.arguments.dropFirst()))
let outURL = URL(fileURLWithPath: options.out)
var isFolder: ObjCBool = false
guard FileManager.default.fileExists(atPath: outURL.deletingLastPathComponent().path, isDirectory: &isFolder),
  isFolder.boolValue
else { fail("--out \(options.out): the folder \(outURL.deletingLastPathComponent().path) does not exist") }

/// One line on standard output, written at once (not held in a buffer when the output is a pipe or a file).
func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
func seconds(since start: Date) -> Double { Date().timeIntervalSince(start) }
func fixed(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }

// MARK: - Data

let mnist: Dataset
let train: LabelledImages
let test: LabelledImages
do {
  mnist = try Dataset.locateMNIST(dataDirectory: options.data)
  train = try mnist.load(.train)
  test = try mnist.load(.test)
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
  "architecture": "standardise, conv3x3(1->32) relu maxpool2, conv3x3(32->32) relu maxpool2, conv3x3(32->64) relu,"
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
