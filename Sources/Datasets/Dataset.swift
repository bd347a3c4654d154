import Autograd
import Foundation

/// Which half of a dataset: the training images, or the held-out test images.
public enum Split: String, Sendable, CaseIterable {
  case train
  case test

  /// The prefix of the split's IDX file names (`train-...`, `t10k-...`).
  public var filePrefix: String { self == .train ? "train" : "t10k" }
}

/// Labeled images in memory: `images` is `[N, 1, rows, columns]`, `labels[i]` is the class of image i.
public struct LabeledImages: Sendable {
  public let images: Tensor
  public let labels: [Int]
  /// The class names, indexed by label.
  public let classNames: [String]

  public init(images: Tensor, labels: [Int], classNames: [String]) {
    precondition(
      images.rank >= 1 && images.shape[0] == labels.count,
      "LabeledImages: \(labels.count) labels for images of shape \(images.shape)")
    self.images = images
    self.labels = labels
    self.classNames = classNames
  }

  /// The number of examples.
  public var count: Int { labels.count }

  /// How many examples each class has, indexed by label.
  public func labelHistogram() -> [Int] {
    var counts = [Int](repeating: 0, count: classNames.count)
    for label in labels { counts[label] += 1 }
    return counts
  }
}

/// An image dataset stored as the four standard IDX files (gzipped or plain) in one folder:
/// `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`.
///
///     let mnist = try Dataset.locateMNIST(dataDirectory: options.data)   // search, download if needed
///     let train = try mnist.load(.train)                                  // images [60000, 1, 28, 28] in [-1, 1]
///     let fashion = try Dataset.fashionMNIST()                            // Debian's dataset-fashion-mnist
public struct Dataset: Sendable {
  /// A display name ("MNIST", "Fashion-MNIST").
  public let name: String
  /// The folder holding the four files.
  public let directory: String
  /// The class names, indexed by label.
  public let classNames: [String]

  public init(name: String, directory: String, classNames: [String]) {
    self.name = name
    self.directory = directory
    self.classNames = classNames
  }

  /// The four IDX files, without the `.gz` that a compressed copy adds.
  public static let fileNames = [
    "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
  ]

  /// The names accepted by `Dataset.named(_:dataDirectory:)` (the `--dataset` flag).
  public static let knownNames = ["mnist", "fashion"]

  /// The digits 0-9.
  public static let mnistClassNames = (0...9).map { String($0) }

  /// Fashion-MNIST's ten classes (Zalando Research).
  public static let fashionMNISTClassNames = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
  ]

  /// Where Debian's `dataset-fashion-mnist` package installs Fashion-MNIST.
  public static let fashionMNISTDirectory = "/usr/share/datasets/fashion-mnist"

  /// Fashion-MNIST's four files: the SHA-256 of the gzipped files as Debian's `dataset-fashion-mnist`
  /// (0.0~git20200523.55506a9-1, zalandoresearch/fashion-mnist at 55506a9) ships them, and of their decompressed
  /// content, which does not depend on how a copy was compressed (Zalando's own .gz files differ from Debian's
  /// by their compression only; Zalando publishes MD5s of its .gz files, not SHA-256s of the content).
  public static let fashionMNISTFiles: [VerifiedFile] = [
    VerifiedFile(
      name: "train-images-idx3-ubyte.gz",
      sha256: "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
      contentSHA256: "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"),
    VerifiedFile(
      name: "train-labels-idx1-ubyte.gz",
      sha256: "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
      contentSHA256: "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"),
    VerifiedFile(
      name: "t10k-images-idx3-ubyte.gz",
      sha256: "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
      contentSHA256: "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"),
    VerifiedFile(
      name: "t10k-labels-idx1-ubyte.gz",
      sha256: "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
      contentSHA256: "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"),
  ]

  /// The Debian package that installs Fashion-MNIST.
  public static let fashionMNISTPackage = "dataset-fashion-mnist"

  // MARK: Making one

  /// MNIST from a folder known to hold the four files (no search, no download).
  public static func mnist(directory: String) -> Dataset {
    Dataset(name: "MNIST", directory: directory, classNames: mnistClassNames)
  }

  /// MNIST found by the search order of `MNIST.locate` (`--data DIR`, `$GAN_DATA_DIR/mnist`, `./data/mnist`, the
  /// user cache), downloaded and verified into the cache when no folder has it.
  ///
  /// With `verify` (the default) the four files must be the published ones (SHA-256, see `LocalVerification`).
  public static func locateMNIST(
    dataDirectory: String?,
    verify: Bool = true,
    environment: [String: String] = ProcessInfo.processInfo.environment,
    workingDirectory: String = FileManager.default.currentDirectoryPath,
    mirrors: [String] = MNIST.mirrors
  ) throws -> Dataset {
    let directory = try MNIST.locate(
      dataDirectory: dataDirectory, environment: environment, workingDirectory: workingDirectory, mirrors: mirrors)
    if verify {
      try LocalVerification.verify(directory: directory, dataset: "MNIST", known: MNIST.files, environment: environment)
    }
    return mnist(directory: directory)
  }

  /// Fashion-MNIST from `directory` (by default where Debian's `dataset-fashion-mnist` puts it). Throws, naming the
  /// package, when the files are not there.
  public static func fashionMNIST(
    directory: String = fashionMNISTDirectory, verify: Bool = true,
    environment: [String: String] = ProcessInfo.processInfo.environment
  ) throws -> Dataset {
    let missing = missingFiles(in: directory)
    guard missing.isEmpty else {
      throw DatasetError.missingFiles(
        directory: directory, files: missing,
        hint: "Fashion-MNIST comes from the Debian package \(fashionMNISTPackage)"
          + " (sudo apt-get install \(fashionMNISTPackage)), or pass a folder with the four IDX files")
    }
    if verify {
      try LocalVerification.verify(
        directory: directory, dataset: "Fashion-MNIST", known: fashionMNISTFiles, environment: environment)
    }
    return Dataset(name: "Fashion-MNIST", directory: directory, classNames: fashionMNISTClassNames)
  }

  /// The dataset a `--dataset NAME` flag names: `mnist` (searched and downloaded as `locateMNIST` does) or
  /// `fashion` (from `--data DIR` or `DIR/fashion-mnist` when given, else Debian's package folder).
  public static func named(
    _ name: String, dataDirectory: String?, verify: Bool = true,
    environment: [String: String] = ProcessInfo.processInfo.environment,
    workingDirectory: String = FileManager.default.currentDirectoryPath
  ) throws -> Dataset {
    switch name.lowercased() {
    case "mnist":
      return try locateMNIST(
        dataDirectory: dataDirectory, verify: verify, environment: environment, workingDirectory: workingDirectory)
    case "fashion", "fashion-mnist", "fashionmnist":
      guard let dataDirectory else { return try fashionMNIST(verify: verify, environment: environment) }
      let nested = (dataDirectory as NSString).appendingPathComponent("fashion-mnist")
      return try fashionMNIST(
        directory: missingFiles(in: nested).isEmpty ? nested : dataDirectory, verify: verify, environment: environment)
    default:
      throw DatasetError.unknownDataset(name: name, known: knownNames)
    }
  }

  // MARK: Files

  /// The path of one of the four files in `directory`: the `.gz` copy if there is one, else the plain file, or nil.
  public static func existingFile(_ name: String, in directory: String) -> String? {
    let manager = FileManager.default
    for candidate in [name + ".gz", name] {
      let path = (directory as NSString).appendingPathComponent(candidate)
      var isFolder: ObjCBool = false
      if manager.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue { return path }
    }
    return nil
  }

  /// Which of the four files `directory` lacks (empty when it has them all).
  public static func missingFiles(in directory: String) -> [String] {
    fileNames.filter { existingFile($0, in: directory) == nil }
  }

  /// The path of the image or label file of `split`.
  public func path(of split: Split, labels: Bool) throws -> String {
    let name = "\(split.filePrefix)-\(labels ? "labels-idx1" : "images-idx3")-ubyte"
    guard let path = Dataset.existingFile(name, in: directory) else {
      throw DatasetError.missingFiles(directory: directory, files: [name + "(.gz)"], hint: "")
    }
    return path
  }

  // MARK: Loading

  /// Loads a split: images `[N, 1, 28, 28]` (N at most `limit`, the file's first N) scaled by `scale`, and labels.
  public func load(_ split: Split, limit: Int? = nil, scale: IDX.PixelScale = .minusOneToOne) throws -> LabeledImages {
    let (images, labels) = try IDX.readExamples(
      imageFile: try path(of: split, labels: false), labelFile: try path(of: split, labels: true), limit: limit,
      scale: scale, classCount: classNames.count)
    return LabeledImages(images: images, labels: labels, classNames: classNames)
  }
}
