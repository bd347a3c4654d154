import Autograd
import Plotting

/// The x and y columns of a [N, 2] tensor of points in the plane, ready for a scatter series.
public func planeColumns(_ points: Tensor) -> (x: [Float], y: [Float]) {
  precondition(points.rank == 2 && points.shape[1] == 2, "planeColumns: points must be [N, 2], got \(points.shape)")
  let values = points.scalars
  return (stride(from: 0, to: values.count, by: 2).map { values[$0] }, stride(from: 1, to: values.count, by: 2).map { values[$0] })
}

extension Panel {
  /// One frame of a 2D toy GAN: the data (blue) and the generator's samples (vermillion) in a square panel over
  /// [-extent, extent]² with equal axes, no legend (the lessons' animations are built from these).
  public static func toySamples(title: String, data: Tensor, samples: Tensor, extent: Double) -> Panel {
    var panel = Panel.plane(title: title, extent: extent)
    let (dataX, dataY) = planeColumns(data), (sampleX, sampleY) = planeColumns(samples)
    panel.series = [
      .scatter(x: dataX, y: dataY, color: .blue, size: 1),
      .scatter(x: sampleX, y: sampleY, color: .vermillion, size: 1),
    ]
    return panel
  }
}
