import Foundation

/// A batch of images laid out in a grid with a margin between them, scaled up (nearest neighbor) so that
/// 28x28 digits are visible on a projector. The standard way to look at what a generator makes.
///
/// The batch is given as the engine stores it: `count * channels * height * width` floats, image after image,
/// channel planes one after the other (NCHW). One channel gives a gray PNG, three give RGB.
///
/// ```swift
/// let grid = try ImageGrid(images: samples.scalars, count: 64, channels: 1, height: 28, width: 28)
/// try AtomicFile.write(grid.pngData(), to: folder.appendingPathComponent("samples.png"))
/// ```
public struct ImageGrid: Sendable {
  /// How pixel values map to black...white.
  public enum ValueRange: Sendable {
    /// -1 is black, 1 is white (a generator ending in tanh).
    case minusOneToOne
    /// 0 is black, 1 is white (a sigmoid output, or data scaled to [0, 1]).
    case zeroToOne
    /// The batch's own minimum is black and its maximum white.
    case automatic
  }

  /// The finished picture.
  public let image: RasterImage
  /// Images per row.
  public let columns: Int
  /// Rows of images.
  public let rows: Int
  /// How many screen pixels each image pixel became.
  public let scale: Int
  /// One image's size and the margin around it, in image pixels (before scaling).
  public let cellHeight: Int, cellWidth: Int, margin: Int

  /// Lays out `count` images of `channels x height x width` floats.
  ///
  /// - Parameters:
  ///   - columns: images per row; by default the grid is as square as possible.
  ///   - margin: image pixels of `background` around and between the images (scaled with them).
  ///   - scale: the integer magnification; by default the smallest that makes the grid at least 512 pixels
  ///     wide (at most 16).
  ///   - background: the margin's gray level (0 black ... 255 white).
  public init(
    images: [Float], count: Int, channels: Int, height: Int, width: Int, range: ValueRange = .minusOneToOne,
    columns: Int? = nil, margin: Int = 2, scale: Int? = nil, background: UInt8 = 128
  ) throws {
    guard count > 0, height > 0, width > 0 else {
      throw PlottingError.invalidData("image grid: count \(count), height \(height) and width \(width) must be positive")
    }
    guard channels == 1 || channels == 3 else {
      throw PlottingError.invalidData("image grid: \(channels) channels given; use 1 (gray) or 3 (RGB)")
    }
    let plane = height * width
    guard images.count == count * channels * plane else {
      throw PlottingError.invalidData(
        "image grid: \(count) images of \(channels)x\(height)x\(width) need \(count * channels * plane) values, "
          + "got \(images.count)")
    }
    guard margin >= 0 else { throw PlottingError.invalidData("image grid: margin \(margin) must not be negative") }
    let columns = max(1, min(columns ?? Int(Double(count).squareRoot().rounded(.up)), count))
    let rows = (count + columns - 1) / columns
    let gridWidth = columns * width + (columns + 1) * margin
    let gridHeight = rows * height + (rows + 1) * margin
    let scale = scale ?? max(1, min(16, (512 + gridWidth - 1) / gridWidth))
    guard scale >= 1, gridWidth * scale <= 20_000, gridHeight * scale <= 20_000 else {
      throw PlottingError.invalidData(
        "image grid: \(gridWidth)x\(gridHeight) pixels scaled by \(scale) is out of range (scale >= 1, at most 20000 pixels)")
    }

    // Map values to 0...1 by the chosen range.
    let low: Float
    let high: Float
    switch range {
    case .minusOneToOne: (low, high) = (-1, 1)
    case .zeroToOne: (low, high) = (0, 1)
    case .automatic:
      let finite = images.filter(\.isFinite)
      let minimum = finite.min() ?? 0
      let maximum = finite.max() ?? 1
      (low, high) = maximum > minimum ? (minimum, maximum) : (minimum - 0.5, minimum + 0.5)
    }
    let factor = 255 / (high - low)

    // Lay out at scale 1, then magnify.
    var small = [UInt8](repeating: background, count: gridWidth * gridHeight * channels)
    images.withUnsafeBufferPointer { source in
      for index in 0..<count {
        let top = margin + (index / columns) * (height + margin)
        let left = margin + (index % columns) * (width + margin)
        for channel in 0..<channels {
          let base = (index * channels + channel) * plane
          for y in 0..<height {
            for x in 0..<width {
              let value = source[base + y * width + x]
              let level = value.isFinite ? min(max((value - low) * factor, 0), 255) : 0
              small[((top + y) * gridWidth + left + x) * channels + channel] = UInt8(level.rounded())
            }
          }
        }
      }
    }
    var large = [UInt8](repeating: 0, count: small.count * scale * scale)
    let smallRow = gridWidth * channels
    let largeRow = smallRow * scale
    for y in 0..<gridHeight {
      var row = [UInt8](repeating: 0, count: largeRow)
      for x in 0..<gridWidth {
        for repeatIndex in 0..<scale {
          for channel in 0..<channels {
            row[(x * scale + repeatIndex) * channels + channel] = small[y * smallRow + x * channels + channel]
          }
        }
      }
      for repeatIndex in 0..<scale {
        large.replaceSubrange(((y * scale + repeatIndex) * largeRow)..<((y * scale + repeatIndex + 1) * largeRow), with: row)
      }
    }
    self.image = try RasterImage(
      width: gridWidth * scale, height: gridHeight * scale, format: channels == 1 ? .gray : .rgb, pixels: large)
    self.columns = columns
    self.rows = rows
    self.scale = scale
    (cellHeight, cellWidth, self.margin) = (height, width, margin)
  }

  /// The center of row `row` (from the top) and of column `column`, in screen pixels of `image`.
  public func center(row: Int, column: Int) -> (x: Double, y: Double) {
    let x = margin + column * (cellWidth + margin), y = margin + row * (cellHeight + margin)
    return (Double(scale) * (Double(x) + Double(cellWidth) / 2), Double(scale) * (Double(y) + Double(cellHeight) / 2))
  }

  /// The grid as a PNG file.
  public func pngData() throws -> Data {
    try PNG.encode(image)
  }
}
