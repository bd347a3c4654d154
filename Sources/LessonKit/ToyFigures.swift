import Autograd
import Plotting

extension Panel {
  /// An empty square panel over [-extent, extent]² with equal axes and no legend, for samples in the plane.
  public static func plane(title: String, extent: Double) -> Panel {
    var panel = Panel(title: title, xLabel: "x₁", yLabel: "x₂", legend: .hidden, equalAspect: true)
    panel.xAxis.range = -extent...extent
    panel.yAxis.range = -extent...extent
    return panel
  }
}

extension Figure {
  /// One frame of a GAN on the line: the data's density against a histogram of generated samples on top, the
  /// critic's verdict D(x) with the equilibrium value 1/2 below. Lessons animate a run from these.
  ///
  /// - Parameters:
  ///   - density: the data's density at x.
  ///   - critic: D's probabilities for a [N, 1] batch of points (evaluated without gradients).
  public static func gameOnTheLine(
    title: String, range: ClosedRange<Double>, density: (Double) -> Double, samples: [Float],
    critic: (Tensor) -> Tensor
  ) -> Figure {
    let grid = (0...200).map { range.lowerBound + Double($0) * (range.upperBound - range.lowerBound) / 200 }
    let points = Tensor(shape: [grid.count, 1], scalars: grid.map { Float($0) })
    let verdicts: [Double] = withoutGradients { critic(points) }.scalars.map { Double($0) }
    var top = Panel(title: title, yLabel: "density", legend: .topRight)
    top.xAxis = Axis(nil, range: range)
    top.series = [
      .density(x: grid, y: grid.map(density), label: "data", color: .blue),
      .histogram(samples, bins: 60, range: range, label: "generated", color: .vermillion),
    ]
    var bottom = Panel(title: "the critic", xLabel: "x", yLabel: "D(x)", legend: .hidden)
    bottom.xAxis = Axis("x", range: range)
    bottom.yAxis = Axis("D(x)", range: -0.02...1.02)
    bottom.series = [.line(x: grid, y: verdicts, label: "D(x)", color: .green, width: 4)]
    bottom.referenceLines = [.horizontal(0.5, label: "D = 1/2")]
    return Figure(name: "frame", title: nil, columns: 1, panels: [top, bottom])
  }
}
