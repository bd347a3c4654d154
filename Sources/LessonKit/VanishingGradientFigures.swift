import Autograd
import Foundation
import GAN
import Plotting

// Lesson 04's figures: the generator's gradient while a discriminator trains against a frozen generator, and what
// each generator loss asks of a point in the plane once the discriminator has won.

extension Figure {
  /// The generator's gradient norm under each loss after every discriminator step, relative to its value at step 0
  /// (left, log scale), beside the discriminator's mean logit l on the data and on the fakes (right). Both losses
  /// give the same gradient while D is undecided (D = 1/2 weights every fake by 1/2 in both), so relative to that
  /// common start the curves show only what D's confidence does to each.
  public static func generatorGradientNorms(
    steps: [Int], saturating: [Double], nonSaturating: [Double], logitReal: [Double], logitFake: [Double]
  ) -> Figure {
    let relativeSaturating = saturating.map { $0 / saturating[0] }
    let relativeNonSaturating = nonSaturating.map { $0 / nonSaturating[0] }
    var figure = Figure(
      name: "gradient-norms", title: "The generator's gradient as D approaches perfection",
      width: 1600, height: 720, columns: 2,
      panels: [
        Panel(
          title: "G's gradient norm ‖∇θ L_G‖, relative to step 0", xLabel: "discriminator steps",
          yLabel: "relative norm (log scale)",
          series: [
            .line(x: steps, y: relativeNonSaturating, label: "non-saturating −log D", color: .green),
            .line(x: steps, y: relativeSaturating, label: "saturating log(1 − D)", color: .vermillion),
          ], legend: .topRight),
        Panel(
          title: "D's confidence: its mean logit l(x), D = σ(l)", xLabel: "discriminator steps",
          yLabel: "mean logit",
          series: [
            .line(x: steps, y: logitReal, label: "on the data", color: .blue),
            .line(x: steps, y: logitFake, label: "on the fakes", color: .vermillion),
          ], legend: .topLeft),
      ])
    figure.panels[0].yAxis.logScale = true
    figure.panels[0].referenceLines = [.horizontal(1)]
    // Room above the curves for the legends.
    figure.panels[0].yAxis.range = Axis.decades(covering: relativeSaturating + relativeNonSaturating, above: 2)
    let logitSpan = Swift.max(logitReal.map(Swift.abs).max()!, logitFake.map(Swift.abs).max()!)
    figure.panels[1].yAxis.range = (-logitSpan * 1.15)...(logitSpan * 1.6)
    figure.panels[1].referenceLines = [.horizontal(0, label: "D = 1/2")]
    return figure
  }

  /// How hard each generator loss pushes a sample at x against the discriminator D = σ(`logit`): the strength of
  /// −∇ₓ L_G as log₁₀ in gray, its direction as arrows of equal length, over `data` (blue) and the generator's
  /// `samples` (red). The saturating loss log(1 − D) is −softplus(l), so its push is the gradient of softplus(l);
  /// the non-saturating −log D is softplus(−l), so its push is the gradient of −softplus(−l). One color scale for
  /// both panels, so that their strengths compare.
  public static func discriminatorPushes(_ logit: (Tensor) -> Tensor, data: Tensor, samples: Tensor) -> Figure {
    func field(_ pushPotential: (Tensor) -> Tensor) -> PlaneField {
      planeField(of: pushPotential, x: -2.5...2.5, y: -2.5...2.5, resolution: 61)
    }
    let saturating = field { x in softplus(logit(x)) }, nonSaturating = field { x in -softplus(-logit(x)) }
    let pushLogs = [saturating, nonSaturating].map { field in
      field.gradientNorms.map { log10(Swift.max(Double($0), 1e-12)) }
    }
    // The color scale spans the pushes near the samples; anything weaker than 10⁻⁶ is drawn black.
    let all = pushLogs.flatMap { $0 }
    let pushRange = Swift.max(-6, all.min()!.rounded(.down))...(all.max()!.rounded(.up))
    func pushPanel(_ field: PlaneField, logNorms: [Double], title: String) -> Panel {
      var panel = Panel(title: title, xLabel: "x₁", yLabel: "x₂", legend: .hidden, equalAspect: true)
      let (dataX, dataY) = planeColumns(data), (sampleX, sampleY) = planeColumns(samples)
      panel.series = [
        .heatmap(
          x: field.xs, y: field.ys, values: logNorms, label: "log₁₀ ‖push‖", palette: .grays, range: pushRange),
        .scatter(x: dataX, y: dataY, color: .skyBlue, size: 0.8, opacity: 0.8),
        .scatter(x: sampleX, y: sampleY, color: .vermillion, size: 0.8, opacity: 0.8),
      ]
      let arrows = field.arrows(every: 6)
      let norms = zip(arrows.dx, arrows.dy).map { ($0 * $0 + $1 * $1).squareRoot() }
      panel.series.append(
        .vectors(
          x: arrows.x, y: arrows.y, dx: zip(arrows.dx, norms).map { $1 > 0 ? 0.25 * $0 / $1 : 0 },
          dy: zip(arrows.dy, norms).map { $1 > 0 ? 0.25 * $0 / $1 : 0 }, color: .orange, width: 2))
      panel.xAxis.range = -2.5...2.5
      panel.yAxis.range = -2.5...2.5
      return panel
    }
    return Figure(
      name: "discriminator", title: "How hard each loss pushes a sample at x (log₁₀ of ‖−∇ₓ L_G‖)",
      width: 1600, height: 800, columns: 2,
      panels: [
        pushPanel(saturating, logNorms: pushLogs[0], title: "saturating log(1 − D(x))"),
        pushPanel(nonSaturating, logNorms: pushLogs[1], title: "non-saturating −log D(x)"),
      ])
  }
}
