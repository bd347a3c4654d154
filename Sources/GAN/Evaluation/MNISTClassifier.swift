import Foundation
import NN

/// The small CNN that judges generated digits: the MNIST counterpart of the Inception network behind FID and the
/// Inception Score. It is trained by our own engine (`swift run train-classifier`), and its weights ship in the
/// repository as `Sources/GAN/Resources/mnist-classifier.safetensors`.
///
/// ```
/// input  [N, 1, 28, 28] in [-1, 1], standardized with MNIST's pixel mean and standard deviation
/// conv1  Conv2D 1 -> 32, 3x3, padding 1     [N, 32, 28, 28]   ReLU, 2x2 max pool -> [N, 32, 14, 14]
/// conv2  Conv2D 32 -> 32, 3x3, padding 1    [N, 32, 14, 14]   ReLU, 2x2 max pool -> [N, 32, 7, 7]
/// conv3  Conv2D 32 -> 64, 3x3, padding 1    [N, 64, 7, 7]     ReLU, flatten      -> [N, 3136]
/// hidden Linear 3136 -> 128                                     ReLU               -> [N, 128]  "penultimate features"
/// output Linear 128 -> 10                                                          -> [N, 10]   logits
/// ```
/// 430,890 parameters (1.7 MB as Float32). No batch norm and no dropout, so the network computes the same function in
/// training and evaluation mode, and one image's outputs never depend on the rest of its batch.
///
/// The shipped weights come from `swift run train-classifier` (seed 20240607: 3 epochs of batch 128, Adam with learning
/// rate 0.003 on a cosine to 0): 99.32% accuracy on the 10,000 test images, in 208 s on 2 shared cores. The file's
/// metadata records the accuracy, seed, epochs and the real-vs-real Fréchet floors.
///
/// `features(_:)` gives the penultimate activations (after the ReLU of `hidden`: the input of the last layer), on
/// which `FeatureStatistics` and `frechetDistance` work; `callAsFunction` gives the class logits.
public final class MNISTClassifier: Module, Layer {
  public let conv1: Conv2D
  public let conv2: Conv2D
  public let conv3: Conv2D
  public let hidden: Linear
  public let output: Linear

  /// The length of the penultimate feature vector.
  public static let featureSize = 128
  /// The number of classes (the digits 0-9).
  public static let classCount = 10
  /// MNIST's pixel mean and standard deviation on the [-1, 1] scale (0.1307 and 0.3081 on [0, 1]): the first layer
  /// sees standardized pixels, which lets a larger learning rate work.
  public static let pixelMean: Float = 2 * 0.1307 - 1
  public static let pixelStandardDeviation: Float = 2 * 0.3081
  /// The input shape of one image.
  public static let imageShape = [1, 28, 28]

  /// A freshly initialized network (PyTorch's default initialization, drawn from `generator`).
  public init(using generator: inout SeededGenerator) {
    conv1 = Conv2D(inputChannels: 1, outputChannels: 32, kernelSize: 3, padding: 1, using: &generator)
    conv2 = Conv2D(inputChannels: 32, outputChannels: 32, kernelSize: 3, padding: 1, using: &generator)
    conv3 = Conv2D(inputChannels: 32, outputChannels: 64, kernelSize: 3, padding: 1, using: &generator)
    hidden = Linear(inputSize: 64 * 7 * 7, outputSize: Self.featureSize, using: &generator)
    output = Linear(inputSize: Self.featureSize, outputSize: Self.classCount, using: &generator)
    super.init()
  }

  /// Images [N, 1, 28, 28] -> penultimate features [N, 128] (non-negative: they come out of a ReLU).
  public func features(_ images: Tensor) -> Tensor {
    Self.checkImages(images, caller: "features")
    var x = maxPooled2x2(relu(conv1((images - Self.pixelMean) / Self.pixelStandardDeviation)))
    x = maxPooled2x2(relu(conv2(x)))
    x = relu(conv3(x)).flattened()
    return relu(hidden(x))
  }

  /// Images [N, 1, 28, 28] -> class logits [N, 10].
  public func callAsFunction(_ images: Tensor) -> Tensor { output(features(images)) }

  static func checkImages(_ images: Tensor, caller: String) {
    precondition(
      images.rank == 4 && Array(images.shape.dropFirst()) == imageShape,
      "MNISTClassifier.\(caller): expected images [N, 1, 28, 28] in [-1, 1], got shape \(images.shape)")
  }

  // MARK: Batched inference

  /// The features and logits of many images, computed `batchSize` images at a time without recording gradients,
  /// so memory stays bounded (the convolution's unfolded input for 256 images is about 60 MB).
  public func outputs(for images: Tensor, batchSize: Int = 256) -> ClassifierOutputs {
    Self.checkImages(images, caller: "outputs(for:)")
    precondition(batchSize >= 1, "MNISTClassifier.outputs(for:): batchSize must be at least 1, got \(batchSize)")
    let n = images.shape[0]
    var allFeatures: [Float] = []
    var allLogits: [Float] = []
    allFeatures.reserveCapacity(n * Self.featureSize)
    allLogits.reserveCapacity(n * Self.classCount)
    withoutGradients {
      var start = 0
      while start < n {
        let end = Swift.min(start + batchSize, n)
        let batch = start == 0 && end == n ? images : images.sliced(axis: 0, start..<end)
        let batchFeatures = features(batch)
        allFeatures += batchFeatures.scalars
        allLogits += output(batchFeatures).scalars
        start = end
      }
    }
    return ClassifierOutputs(
      features: Tensor(shape: [n, Self.featureSize], scalars: allFeatures),
      logits: Tensor(shape: [n, Self.classCount], scalars: allLogits))
  }

  /// The predicted class of each image.
  public func predictions(for images: Tensor, batchSize: Int = 256) -> [Int] {
    outputs(for: images, batchSize: batchSize).logits.argmaxLastAxis()
  }

  /// The share of `images` whose predicted class is the label.
  public func accuracy(images: Tensor, labels: [Int], batchSize: Int = 256) -> Double {
    precondition(
      images.rank >= 1 && images.shape[0] == labels.count,
      "MNISTClassifier.accuracy: \(labels.count) labels for images of shape \(images.shape)")
    guard !labels.isEmpty else { return 0 }
    let predicted = predictions(for: images, batchSize: batchSize)
    return Double(zip(predicted, labels).filter { $0 == $1 }.count) / Double(labels.count)
  }

  // MARK: The shipped weights

  /// Where the shipped weights live in a checkout: `Sources/GAN/Resources/mnist-classifier.safetensors`, found from
  /// this source file's own location (`#filePath`), so it works from any working directory (`swift run`,
  /// `swift test`, Xcode) and always sees the file a fresh `train-classifier` run wrote.
  public static let defaultWeightsURL: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()  // Evaluation
    .deletingLastPathComponent()  // GAN
    .appendingPathComponent("Resources/mnist-classifier.safetensors")

  /// The copy SwiftPM bundles beside a built executable (the GAN target declares `Resources` as resources), for an
  /// executable run away from its checkout. Looked up by path rather than through `Bundle.module`, whose accessor
  /// stops the program when the bundle is missing.
  static var bundledWeightsURL: URL {
    let folder = Bundle.main.bundleURL
    for bundle in ["GANCourse_GAN.resources", "GANCourse_GAN.bundle"] {
      let url = folder.appendingPathComponent(bundle).appendingPathComponent("Resources/mnist-classifier.safetensors")
      if FileManager.default.fileExists(atPath: url.path) { return url }
    }
    return folder.appendingPathComponent("GANCourse_GAN.resources/Resources/mnist-classifier.safetensors")
  }

  /// The command that regenerates the shipped weights (run from the package root; it finds MNIST by the usual
  /// search order, `--data DIR` first, and downloads it if needed).
  public static let trainingCommand = "swift run train-classifier --out Sources/GAN/Resources/mnist-classifier.safetensors"

  /// The trained classifier in evaluation mode, from `path` when given, else from the shipped weights: the checkout's
  /// file (`defaultWeightsURL`) or, failing that, the copy bundled beside the executable.
  ///
  /// Throws `ClassifierWeightsError.missing` (naming the path and the command that regenerates the file) when the
  /// file is not there, and a `CheckpointError` naming the file and tensor when it does not fit this network.
  public static func pretrained(path: String? = nil) throws -> MNISTClassifier {
    let candidates = path.map { [URL(fileURLWithPath: $0)] } ?? [defaultWeightsURL, bundledWeightsURL]
    guard let url = candidates.first(where: { FileManager.default.fileExists(atPath: $0.path) }) else {
      throw ClassifierWeightsError.missing(path: candidates[0].path, command: trainingCommand)
    }
    var generator = SeededGenerator(seed: 0)
    let classifier = MNISTClassifier(using: &generator)
    try Checkpoint.load(into: classifier, from: url)
    classifier.eval()
    return classifier
  }
}

/// The two outputs of the classifier for a set of images.
public struct ClassifierOutputs: Sendable {
  /// Penultimate features [N, 128].
  public let features: Tensor
  /// Class logits [N, 10].
  public let logits: Tensor

  public init(features: Tensor, logits: Tensor) {
    self.features = features
    self.logits = logits
  }
}

/// The classifier's weights file cannot be used.
public enum ClassifierWeightsError: Error, CustomStringConvertible, LocalizedError, Equatable {
  /// No file at `path`; `command` regenerates it.
  case missing(path: String, command: String)

  public var description: String {
    switch self {
    case .missing(let path, let command):
      return "\(path): the MNIST classifier's weights file is missing; regenerate it from the package root with"
        + " `\(command)` (add --data DIR to use a local copy of MNIST)"
    }
  }

  public var errorDescription: String? { description }
}
