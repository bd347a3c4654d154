import Autograd
import Plotting

extension ImageGrid {
  /// A grid of the images in an NCHW tensor (`[count, channels, height, width]` with 1 or 3 channels), or
  /// `[count, height, width]` for gray images.
  public init(
    _ images: Tensor, range: ValueRange = .minusOneToOne, columns: Int? = nil, margin: Int = 2, scale: Int? = nil
  ) throws {
    let shape = images.shape
    switch shape.count {
    case 4:
      try self.init(
        images: images.scalars, count: shape[0], channels: shape[1], height: shape[2], width: shape[3], range: range,
        columns: columns, margin: margin, scale: scale)
    case 3:
      try self.init(
        images: images.scalars, count: shape[0], channels: 1, height: shape[1], width: shape[2], range: range,
        columns: columns, margin: margin, scale: scale)
    default:
      throw PlottingError.invalidData(
        "image grid: expected a tensor of shape [count, channels, height, width] or [count, height, width], got \(shape)")
    }
  }
}
