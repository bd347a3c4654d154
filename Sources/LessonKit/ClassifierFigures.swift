import Foundation
import GAN
import Plotting

extension Figure {
  /// The classifier-based judges of generated digits over training, one panel each: the Fréchet distance (log
  /// scale, with the real-vs-real floor it cannot go below), the classifier score and the confident share.
  public static func classifierMetrics(
    name: String, title: String, history: [(step: Int, metrics: ClassifierMetrics)], floor: Double
  ) -> Figure {
    let steps = history.map(\.step)
    var figure = Figure(
      name: name, title: title, columns: 3,
      panels: [
        Panel(
          title: "Fréchet distance", xLabel: "step", yLabel: "log scale; dashed: floor",
          series: [
            .linesPoints(
              x: steps, y: history.map { $0.metrics.frechetDistance ?? .nan }, label: "generated", color: .blue)
          ],
          referenceLines: [.horizontal(floor, label: "real-vs-real floor")], legend: .hidden),
        Panel(
          title: "classifier score", xLabel: "step", yLabel: "score (max 10)",
          series: [.linesPoints(x: steps, y: history.map(\.metrics.classifierScore), label: "score", color: .green)],
          legend: .hidden),
        Panel(
          title: "confident share", xLabel: "step", yLabel: "share with p > 0.9",
          series: [
            .linesPoints(x: steps, y: history.map(\.metrics.confidentShare), label: "confident", color: .vermillion)
          ],
          legend: .hidden),
      ])
    figure.panels[0].yAxis.logScale = true
    // Three narrow panels: at most three step labels each, or they run into one another.
    let last = Double(steps.max() ?? 1)
    let step = [1.0, 1.5, 2, 2.5, 5].flatMap { m in (0...7).map { m * pow(10, Double($0)) } }.sorted().first {
      last / $0 <= 2
    }
    for index in figure.panels.indices { figure.panels[index].xAxis.tickStep = step }
    return figure
  }

  /// The share of samples the classifier reads as each digit, against the uniform 0.1 of a generator that covers
  /// every class equally.
  public static func classHistogram(name: String, title: String, metrics: ClassifierMetrics) -> Figure {
    var figure = Figure(name: name, title: title, xLabel: "predicted class", yLabel: "share of samples")
    let shares = metrics.classHistogram.map { Double($0) / Double(max(1, metrics.sampleCount)) }
    figure.add(.bars(x: Array(0...9), heights: shares, width: 0.8, label: "generated", color: .blue))
    figure.add(.horizontal(0.1, label: "uniform"))
    figure.panel.legend = .below  // a tall bar can stand at either end: a corner legend would cover it
    return figure
  }
}

extension Figure {
  /// The discriminator's loss (blue) and the generator's (vermillion) over the recorded training steps, as lesson 06
  /// draws them both live during training and in its notes, so the two pictures cannot drift apart.
  public static func losses(
    name: String, title: String, _ losses: (steps: [Int], d: [Double], g: [Double]), yLabel: String? = nil
  ) -> Figure {
    var figure = Figure(name: name, title: title, xLabel: "step", yLabel: yLabel)
    figure.add(.line(x: losses.steps, y: losses.d, label: "D loss", color: .blue, width: 2))
    figure.add(.line(x: losses.steps, y: losses.g, label: "G loss", color: .vermillion, width: 2))
    return figure
  }
}
