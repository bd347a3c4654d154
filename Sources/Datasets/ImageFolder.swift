import Autograd
import Foundation

/// A folder of a user's PNG and JPEG images as a training set: each image centre-cropped to a square, scaled down to
/// `size`×`size` by area averaging, in [−1, 1], as a tensor [N, channels, size, size] in file-name order (shuffle
/// and batch it with `InfiniteBatchSampler`, like MNIST). Files are found by extension (.png, .jpg, .jpeg, any
/// case) in the folder itself, not its subfolders; hidden files and other extensions are ignored and counted.
public struct ImageFolder: Sendable {
  /// What to do with a file that cannot be used (undecodable, or too small for `size`).
  public enum BadFiles: String, Sendable, CaseIterable {
    /// Stop at the first one, naming it.
    case fail
    /// Leave it out and list it in `skipped`.
    case skip
  }

  public let folder: String
  /// The images, [N, channels, size, size] in [−1, 1].
  public let images: Tensor
  /// The file names behind `images`, in the same order.
  public let files: [String]
  /// Files left out with `.skip`, and why.
  public let skipped: [(file: String, reason: String)]
  /// How many files were not PNG or JPEG by their names.
  public let ignored: Int

  /// Reads every PNG and JPEG in `folder`. Throws `DatasetError` naming the folder (missing, no images) or the file
  /// (undecodable, too small) when `badFiles` is `.fail`, or when every image was skipped.
  public init(folder: String, size: Int, channels: Int, badFiles: BadFiles = .fail) throws {
    precondition(size >= 1, "ImageFolder: size must be at least 1, got \(size)")
    precondition(channels == 1 || channels == 3, "ImageFolder: channels must be 1 or 3, got \(channels)")
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
      throw DatasetError.missingFolder(setting: "image folder", path: folder, hint: "give a folder of PNG or JPEG files")
    }
    let names: [String]
    do {
      names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { !$0.hasPrefix(".") }.sorted()
    } catch {
      throw DatasetError.unreadable(file: folder, reason: error.localizedDescription)
    }
    let imageNames = names.filter { ["png", "jpg", "jpeg"].contains(($0 as NSString).pathExtension.lowercased()) }
    guard !imageNames.isEmpty else { throw DatasetError.noImages(folder: folder, ignored: names.count) }
    var scalars: [Float] = []
    scalars.reserveCapacity(imageNames.count * channels * size * size)
    var (used, skipped): ([String], [(file: String, reason: String)]) = ([], [])
    for name in imageNames {
      let path = (folder as NSString).appendingPathComponent(name)
      do {
        guard let data = FileManager.default.contents(atPath: path) else {
          throw DatasetError.unreadable(file: path, reason: "permission denied or not a regular file")
        }
        let image = try ImageFile.decode(data, channels: channels, file: path)
        guard min(image.width, image.height) >= size else {
          throw DatasetError.imageTooSmall(file: path, width: image.width, height: image.height, needed: size)
        }
        scalars += Self.planes(of: Self.squareAndScale(image, to: size))
        used.append(name)
      } catch let error as DatasetError where badFiles == .skip {
        skipped.append((name, error.description))
      }
    }
    guard !used.isEmpty else {
      throw DatasetError.undecodableImage(
        file: folder, reason: "none of its \(imageNames.count) image files could be used; the first: \(skipped[0].reason)")
    }
    self.folder = folder
    self.images = Tensor(shape: [used.count, channels, size, size], scalars: scalars)
    self.files = used
    self.skipped = skipped
    self.ignored = names.count - imageNames.count
  }

  /// The centred square crop of `image` (its shorter side), scaled to `size`×`size` by area averaging: each output
  /// pixel is the mean of the source area it covers, fractional pixels weighted by their overlap.
  static func squareAndScale(_ image: DecodedImage, to size: Int) -> DecodedImage {
    let side = min(image.width, image.height)
    let (left, top) = ((image.width - side) / 2, (image.height - side) / 2)
    let weights = areaWeights(from: side, to: size)
    var rows = [Double](repeating: 0, count: size * side * image.channels)  // scaled vertically: size rows of side
    for (outRow, taps) in weights.enumerated() {
      for (sourceRow, weight) in taps {
        let source = ((top + sourceRow) * image.width + left) * image.channels
        for i in 0..<(side * image.channels) {
          rows[outRow * side * image.channels + i] += weight * Double(image.pixels[source + i])
        }
      }
    }
    var pixels = [UInt8](repeating: 0, count: size * size * image.channels)
    for row in 0..<size {
      for (outColumn, taps) in weights.enumerated() {
        for c in 0..<image.channels {
          var sum = 0.0
          for (sourceColumn, weight) in taps {
            sum += weight * rows[(row * side + sourceColumn) * image.channels + c]
          }
          pixels[(row * size + outColumn) * image.channels + c] = UInt8(min(255, max(0, sum.rounded())))
        }
      }
    }
    return DecodedImage(width: size, height: size, channels: image.channels, pixels: pixels)
  }

  /// For each of `size` output pixels along one axis, the source pixels of `side` it covers and their weights (the
  /// overlap with the output pixel's span, normalized to sum to 1).
  static func areaWeights(from side: Int, to size: Int) -> [[(Int, Double)]] {
    let scale = Double(side) / Double(size)
    return (0..<size).map { output in
      let (start, end) = (Double(output) * scale, Double(output + 1) * scale)
      return (Int(start)..<min(side, Int(end.rounded(.up)))).compactMap { source in
        let overlap = min(end, Double(source + 1)) - max(start, Double(source))
        return overlap > 0 ? (source, overlap / scale) : nil
      }
    }
  }

  /// Interleaved 8-bit samples as planes (channel, row, column) in [−1, 1].
  static func planes(of image: DecodedImage) -> [Float] {
    let count = image.width * image.height
    return (0..<image.channels).flatMap { c in
      (0..<count).map { Float(image.pixels[$0 * image.channels + c]) / 127.5 - 1 }
    }
  }
}
