import ArgumentParser
import Datasets
import Foundation
import GAN

/// The data flags of every MNIST lesson: where the files are, and whether they must be the published ones.
public struct MNISTFlags: ParsableArguments, Sendable {
  @Option(help: ArgumentHelp(
    "Folder with the MNIST IDX files (else $GAN_DATA_DIR/mnist, ./data/mnist, the user cache, a download).",
    valueName: "dir"))
  public var data: String?

  @Flag(help: "Skip the SHA-256 check of MNIST's files (for your own data in MNIST's format).")
  public var noVerify = false

  public init() {}
}

/// What the MNIST lessons start from: the located dataset, its training and test images, and the course's classifier
/// (lesson 06's judge).
public struct MNISTSetup {
  public let dataset: Dataset
  public let train: LabeledImages
  public let test: LabeledImages
  public let classifier: MNISTClassifier
}

extension Lesson {
  /// Locates MNIST as every lesson does (`--data DIR`, `$GAN_DATA_DIR/mnist`, `./data/mnist`, the user cache, else a
  /// verified download), checks it is the published MNIST unless `--no-verify`, loads at most `trainLimit` training
  /// images (all when nil) and the first `testLimit` test images, and the shipped classifier. Each split must hold
  /// at least `minimumTrain` / `minimumTest` images (what the lesson's batches and measures need), else the run
  /// ends with a message naming the file and the minimum. A failure ends the run with the reason (which names the
  /// file or folder) and status 1.
  public func loadMNIST(
    _ flags: MNISTFlags, trainLimit: Int? = nil, testLimit: Int?, minimumTrain: Int, minimumTest: Int,
    needsTrain: Bool = true
  ) -> MNISTSetup {
    do {
      let dataset = try Dataset.locateMNIST(dataDirectory: flags.data, verify: !flags.noVerify)
      let train = try dataset.load(.train, limit: needsTrain ? trainLimit : 0)
      let test = try dataset.load(.test, limit: testLimit)
      if needsTrain, train.count < minimumTrain {
        throw DatasetError.tooFewExamples(
          file: try dataset.path(of: .train, labels: false), count: train.count, needed: minimumTrain, who: executableName)
      }
      if test.count < minimumTest {
        throw DatasetError.tooFewExamples(
          file: try dataset.path(of: .test, labels: false), count: test.count, needed: minimumTest, who: executableName)
      }
      return MNISTSetup(dataset: dataset, train: train, test: test, classifier: try MNISTClassifier.pretrained())
    } catch {
      fail("\(error)")
    }
  }

  /// Ends the run at once: prints `executable: message` on standard error and exits with status 1. For errors that
  /// leave nothing to show (data that cannot be read, a checkpoint that does not load): a load error is an error,
  /// never a failed claim.
  public func fail(_ message: String) -> Never {
    // The run's staging folder holds a run that will never be finished: nothing half-written is left behind, and
    // `--out` keeps the previous complete run.
    try? FileManager.default.removeItem(at: run.staging)
    Console.writeError("\(executableName): \(message)\n")
    fflush(nil)
    exit(1)
  }
}
