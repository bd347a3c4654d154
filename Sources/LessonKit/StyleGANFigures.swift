import Foundation
import GAN
import Plotting

// Lesson 08's figures: StyleGAN's training, what mixing each level of styles does, truncation and path lengths.

/// A frame of StyleGAN's training: the fixed latents' images, and how different the judge finds them.
public typealias StyleGANSnapshot = (grid: ImageGrid, diversity: Double)

extension Figure {
  /// The moving averages of D's and G's losses ("D loss", "G loss" in `log`), with 2 ln 2, D's loss when it cannot
  /// tell real from fake.
  public static func styleGANLosses(_ log: TrainingLog<StyleGANSnapshot>) -> Figure {
    Figure(
      name: "losses", title: "StyleGAN losses (moving averages)",
      panels: [
        Panel(
          xLabel: "step", yLabel: "loss",
          series: [
            .line(x: log.steps, y: log["D loss"], label: "D loss", color: .blue, width: 2),
            .line(x: log.steps, y: log["G loss"], label: "G loss", color: .vermillion, width: 2),
          ],
          referenceLines: [.horizontal(2 * Foundation.log(2), label: "2 ln 2 (D cannot tell)")])
      ])
  }

  /// The diversity of the snapshots' latents over training against `realDiversity`, that of as many real digits:
  /// a generator that falls far below it draws the same digit for every latent.
  public static func latentDiversity(
    _ log: TrainingLog<StyleGANSnapshot>, realDiversity: Double, latents: Int
  ) -> Figure {
    var panel = Panel(
      xLabel: "step", yLabel: "mean pairwise feature distance (\(latents) latents)",
      series: [
        .linesPoints(
          x: log.frames.map(\.step), y: log.frameValues.map(\.diversity), label: "averaged generator",
          color: .blue)
      ],
      referenceLines: [.horizontal(realDiversity, label: "\(latents) real digits")], legend: .bottomRight)
    panel.yAxis.range = 0...(realDiversity * 1.2)
    return Figure(
      name: "diversity-during-training", title: "Do different latents give different digits?", panels: [panel])
  }

  /// Whose class and whose ink the mixed digit has, for each level whose styles come from A (the rest from B).
  /// The y range leaves room above 1 for the legend, which otherwise hid the top of the coarse level's bar.
  public static func styleMixingMeasured(levels: [String], measures: [StyleMixingMeasure]) -> Figure {
    let from = "the level whose styles come from A"
    return Figure(
      name: "mixing-measured", title: "One level's styles from A, the rest from B", columns: 2,
      panels: [
        .pairedBars(
          title: "Whose class is the mixed digit?", xLabel: from, yLabel: "share of pairs", groups: levels,
          first: ("A's class", measures.map(\.agreesWithA), .vermillion),
          second: ("B's class", measures.map(\.agreesWithB), .blue), range: 0...1.4),
        .pairedBars(
          title: "Whose ink does it follow?", xLabel: from, yLabel: "correlation of ink", groups: levels,
          first: ("with A's ink", measures.map(\.inkCorrelationA), .vermillion),
          second: ("with B's ink", measures.map(\.inkCorrelationB), .blue), range: 0...1.4),
      ])
  }

  /// The three diversities of a truncation sweep, each relative to its value at ψ = 1, against ψ.
  public static func truncationDiversity(_ sweep: TruncationSweep) -> Figure {
    var panel = Panel(legend: .bottomRight)
    panel.series = [
      (sweep.featureDiversity, "mean pairwise feature distance", Color.blue),
      (sweep.pixelDiversity, "mean pairwise pixel distance", .green),
      (sweep.classEntropies, "class entropy", .vermillion),
    ].filter { !$0.0.isEmpty }.map { values, label, color in
      Series.linesPoints(x: sweep.psis.map(Double.init), y: values.map { $0 / values[0] }, label: label, color: color)
    }
    panel.xAxis = Axis("ψ", range: -0.05...1.05)
    panel.yAxis = Axis("diversity / diversity at ψ = 1", range: 0...1.25)
    return Figure(
      name: "truncation-diversity", title: "Diversity as ψ goes to 0 (relative to ψ = 1)", panels: [panel])
  }

  /// Histograms of log₁₀(d/ε²) of the path pieces in Z and in W, with each space's perceptual path length marked.
  public static func pathLengths(
    piecesZ: [Double], piecesW: [Double], lengthZ: Double, lengthW: Double, epsilon: Double
  ) -> Figure {
    let logZ = piecesZ.map { log10(Swift.max($0 / (epsilon * epsilon), 1e-3)) }
    let logW = piecesW.map { log10(Swift.max($0 / (epsilon * epsilon), 1e-3)) }
    let range = Swift.min(logZ.min()!, logW.min()!)...Swift.max(logZ.max()!, logW.max()!)
    return Figure(
      name: "path-lengths", title: "How much does the image change per step? (ε = \(epsilon))",
      panels: [
        Panel(
          xLabel: "log₁₀ of d/ε² for one path piece", yLabel: "density",
          series: [
            .histogram(logZ, bins: 40, range: range, label: "in Z (slerp)", color: .vermillion),
            .histogram(logW, bins: 40, range: range, label: "in W (lerp)", color: .blue),
          ],
          referenceLines: [
            .vertical(log10(lengthZ), label: "PPL in Z", color: .vermillion),
            .vertical(log10(lengthW), label: "PPL in W", color: .blue),
          ], legend: .topLeft)
      ])
  }
}
