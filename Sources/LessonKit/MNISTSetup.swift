import Datasets
import Foundation
import GAN

/// What the MNIST lessons start from: the located dataset, its training and test images, and the course's classifier
/// (lesson 06's judge).
public struct MNISTSetup {
  public let dataset: Dataset
  public let train: LabelledImages
  public let test: LabelledImages
  public let classifier: MNISTClassifier
}

extension Lesson {
  /// Locates MNIST as every lesson does (`--data DIR`, `$GAN_DATA_DIR/mnist`, `./data/mnist`, the user cache, else a
  /// verified download), loads all training images and the first `testLimit` test images (all when nil), and the
  /// shipped classifier. A failure ends the run with the reason (which names the file or folder) and status 1.
  public func loadMNIST(dataDirectory: String?, testLimit: Int?) -> MNISTSetup {
    do {
      let dataset = try Dataset.locateMNIST(dataDirectory: dataDirectory)
      return MNISTSetup(
        dataset: dataset, train: try dataset.load(.train), test: try dataset.load(.test, limit: testLimit),
        classifier: try MNISTClassifier.pretrained())
    } catch {
      FileHandle.standardError.write("\(executableName): \(error)\n".data(using: .utf8)!)
      exit(1)
    }
  }
}
