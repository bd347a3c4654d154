import Autograd
import Foundation
import GAN
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

extension Panel {
  /// Samples [N, 2] in the plane over the data's mode centers (gray circles; none when `centers` is empty), for
  /// mode-collapse figures.
  public static func samples(
    title: String, _ samples: Tensor, centers: [[Float]], extent: Double, color: Color, size: Double = 0.6
  ) -> Panel {
    var panel = Panel.plane(title: title, extent: extent)
    let (x, y) = planeColumns(samples)
    panel.series = [.scatter(x: x, y: y, color: color, size: size, opacity: 0.6)]
    if !centers.isEmpty {
      let (centerX, centerY) = (centers.map { $0[0] }, centers.map { $0[1] })
      panel.series.insert(.points(x: centerX, y: centerY, color: .gray, size: 2.5, pointType: 6), at: 0)
    }
    return panel
  }

  /// A mode timeline as a heat map: one row per mode, one column per measured step, the color the share of samples
  /// near that mode; white dots where the mode was captured. Mode hopping shows as a staircase.
  public static func modeOccupancy(
    _ timeline: ModeTimeline, title: String, steps: Int, xLabel: String? = nil
  ) -> Panel {
    let modes = timeline.centers.count
    var panel = Panel(title: title, xLabel: xLabel, yLabel: "mode", legend: .hidden, grid: false)
    panel.yAxis.range = 0.5...(Double(modes) + 0.5)
    panel.xAxis.range = 0...Double(steps)
    let values = (0..<modes).flatMap { mode in timeline.steps.indices.map { timeline.occupancy[$0][mode] } }
    let captured = timeline.coverages.enumerated().flatMap { column, coverage in
      (0..<modes).filter { coverage.captured[$0] }.map { (timeline.steps[column], $0 + 1) }
    }
    panel.series = [
      .heatmap(x: timeline.steps, y: Array(1...modes), values: values, label: "share of samples", range: 0...1)
    ]
    if !captured.isEmpty {
      panel.series.append(.points(x: captured.map(\.0), y: captured.map(\.1), color: .white, size: 0.8))
    }
    return panel
  }
}

extension ModeCoverage {
  /// The KL to uniform as text: with no high-quality sample at all the histogram is empty and the KL undefined.
  public var klText: String {
    klToUniform.isFinite ? String(format: "%.3f", klToUniform) : "undefined (no high-quality sample)"
  }
}

extension Panel {
  /// A critic over the square [-extent, extent]²: its value f(x) as color, its gradient ∇f as arrows (lengths
  /// relative to the longest), the data in white and generated samples in red. What a Wasserstein critic tells the
  /// generator is all in this picture: where the arrows point is where the samples are pushed.
  public static func critic(
    _ critic: (Tensor) -> Tensor, title: String, data: Tensor, samples: Tensor, extent: Double = 2.6
  ) -> Panel {
    let range = Float(-extent)...Float(extent)
    let field = planeField(of: critic, x: range, y: range, resolution: 53)
    let arrows = field.arrows(every: 4)
    var panel = Panel.plane(title: title, extent: extent)
    let (dataX, dataY) = planeColumns(data), (sampleX, sampleY) = planeColumns(samples)
    panel.series = [
      .heatmap(x: field.xs, y: field.ys, values: field.values),
      .scatter(x: dataX, y: dataY, color: .white, size: 0.8, opacity: 0.8),
      .scatter(x: sampleX, y: sampleY, color: .vermillion, size: 0.8, opacity: 0.8),
      .vectors(x: arrows.x, y: arrows.y, dx: arrows.dx, dy: arrows.dy, color: .white, width: 2, longest: 0.45),
    ]
    return panel
  }
}

extension Panel {
  /// One bar per item at x = 1, 2, ..., named on the x axis, each with its value written inside near its foot (clear
  /// of reference lines), over the y range `range`: a comparison of a few methods on one score, readable without
  /// hovering over a bar. `reference` draws a dashed line (e.g. the real data's score).
  public static func labeledBars(
    title: String, xLabel: String, yLabel: String, names: [String], values: [Double], colors: [Color],
    format: String, range: ClosedRange<Double>, reference: (value: Double, label: String)? = nil
  ) -> Panel {
    var panel = Panel(title: title, xLabel: xLabel, yLabel: yLabel, legend: .hidden)
    panel.series = values.indices.map { i in
      .bars(x: [i + 1], heights: [values[i]], width: 0.7, label: names[i], color: colors[i], opacity: 0.6)
    }
    let foot = range.lowerBound + 0.06 * (range.upperBound - range.lowerBound)
    panel.labels = values.indices.map {
      TextLabel(String(format: format, values[$0]), x: Double($0 + 1) - 0.3, y: foot)
    }
    if let reference { panel.referenceLines = [.horizontal(reference.value, label: reference.label)] }
    panel.xAxis = Axis(xLabel, range: 0.4...(Double(values.count) + 0.6), ticks: names.indices.map {
      Tick(Double($0 + 1), names[$0])
    })
    panel.yAxis = Axis(yLabel, range: range)
    return panel
  }
}

extension Panel {
  /// Two bars side by side for each named group at x = 1, 2, ... (the first series left, the second right): one
  /// measurement of a few settings against two references, e.g. "agrees with A" and "agrees with B" per level.
  /// The y axis runs from `range`'s lower bound (or lower, to show a negative bar) to its upper bound.
  public static func pairedBars(
    title: String, xLabel: String, yLabel: String, groups: [String],
    first: (label: String, values: [Double], color: Color), second: (label: String, values: [Double], color: Color),
    range: ClosedRange<Double>
  ) -> Panel {
    groupedBars(title: title, xLabel: xLabel, yLabel: yLabel, groups: groups, series: [first, second], range: range)
  }

  /// Bars side by side in each group, one series per color: `series[s].values[g]` is series s's bar in group g.
  public static func groupedBars(
    title: String, xLabel: String, yLabel: String, groups: [String],
    series: [(label: String, values: [Double], color: Color)], range: ClosedRange<Double>
  ) -> Panel {
    precondition(series.allSatisfy { $0.values.count == groups.count },
                 "Panel.groupedBars: \(groups.count) groups, \(series.map(\.values.count)) values")
    var panel = Panel(title: title, xLabel: xLabel, yLabel: yLabel, legend: .topLeft)
    let x = groups.indices.map { Double($0 + 1) }
    let width = 0.6 / Double(series.count)
    panel.series = series.enumerated().map { s, entry in
      let offset = (Double(s) - Double(series.count - 1) / 2) * width
      return .bars(x: x.map { $0 + offset }, heights: entry.values, width: width, label: entry.label, color: entry.color)
    }
    panel.xAxis = Axis(xLabel, range: 0.4...(Double(groups.count) + 0.6), ticks: groups.indices.map {
      Tick(Double($0 + 1), groups[$0])
    })
    let lowest = series.flatMap(\.values).filter(\.isFinite).min() ?? range.lowerBound
    panel.yAxis = Axis(yLabel, range: Swift.min(range.lowerBound, lowest)...range.upperBound)
    return panel
  }
}
