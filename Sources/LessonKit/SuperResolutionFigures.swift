import Foundation
import GAN
import Plotting

extension Figure {
  /// Lesson 10's training figure: the shared content-only start, then content-only (blue) and SRGAN (orange) on the
  /// same batches. Top: pixel MSE on the training batches (log scale, the fork marked) and the adversarial game's
  /// losses; bottom: PSNR and sharpness of both on the probe, against bicubic's PSNR and the real digits' sharpness.
  /// The game's steps are drawn after the shared start, on one step axis.
  public static func srganTraining(
    warmup: TrainingLog<UpscalingProbe>, game: TrainingLog<(content: UpscalingProbe, gan: UpscalingProbe)>,
    warmupSteps: Int, probeCount: Int, bicubicPSNR: Double, realGradient: Double
  ) -> Figure {
    let gameSteps = game.steps.map { $0 + warmupSteps }
    // The fork is probed by both loops when the start has any steps; the content curve takes it once.
    let forkProbed = warmup.frames.isEmpty ? 0 : 1
    let contentSteps = warmup.frames.map(\.step) + game.frames.dropFirst(forkProbed).map { $0.step + warmupSteps }
    let content = warmup.frameValues + game.frameValues.dropFirst(forkProbed).map(\.content)
    let ganSteps = game.frames.map { $0.step + warmupSteps }, gan = game.frameValues.map(\.gan)
    func probes(
      _ title: String, _ unit: String, _ value: (UpscalingProbe) -> Double, reference: ReferenceLine
    ) -> Panel {
      var panel = Panel(
        title: title, xLabel: "step", yLabel: unit,
        series: [
          .linesPoints(x: contentSteps, y: content.map(value), label: "content-only", color: .blue),
          .linesPoints(x: ganSteps, y: gan.map(value), label: "SRGAN", color: .orange),
        ], referenceLines: [reference], legend: .topLeft)
      // Room for the legend above the curves.
      let highest = ((content + gan).map(value) + [reference.value]).filter(\.isFinite).max() ?? 1
      panel.yAxis = Axis(unit, range: 0...(highest * 1.9))
      return panel
    }
    var pixel = Panel(
      title: "pixel MSE on training batches", xLabel: "step", yLabel: "mean squared error",
      series: [
        .line(
          x: warmup.steps + gameSteps, y: warmup["pixel MSE"] + game["content pixel MSE"], label: "content-only",
          color: .blue, width: 2),
        .line(x: gameSteps, y: game["pixel MSE"], label: "SRGAN", color: .orange, width: 2),
      ], referenceLines: [.vertical(Double(warmupSteps), label: "fork")])
    pixel.yAxis.logScale = true
    var losses = Panel(
      title: "the adversarial game", xLabel: "step", yLabel: "loss",
      series: [
        .line(x: gameSteps, y: game["D loss"], label: "D loss", color: .purple, width: 2),
        .line(x: gameSteps, y: game["adversarial"], label: "G: −log D(G(x))", color: .orange, width: 2),
      ], referenceLines: [.horizontal(2 * log(2), label: "2 ln 2")], legend: .topLeft)
    let highestLoss = (game["D loss"] + game["adversarial"]).filter(\.isFinite).max() ?? 1
    losses.yAxis.minimum = 0
    losses.yAxis.maximum = Swift.max(2 * log(2), highestLoss) * 1.4
    return Figure(
      name: "training", title: "Training: shared start, then content-only (blue) and SRGAN (orange)",
      width: 1400, height: 950, fontSize: 18, columns: 2,
      panels: [
        pixel, losses,
        probes("PSNR on \(probeCount) test digits", "dB", \.psnr,
               reference: .horizontal(bicubicPSNR, label: "bicubic (all test images)")),
        probes("sharpness: mean gradient magnitude", "per pixel", \.gradient,
               reference: .horizontal(realGradient, label: "real digits")),
      ])
  }

  /// Lesson 10's score figure: one labeled bar per upscaler for PSNR, gradient magnitude, high-frequency energy
  /// share and classifier accuracy, the real digits' values dashed where they exist.
  public static func upscalerScores(
    name: String, title: String, names: [String], scores: [UpscalingScores], colors: [Color], real: UpscalingScores
  ) -> Figure {
    func panel(
      _ title: String, _ unit: String, _ value: (UpscalingScores) -> Double, _ format: String,
      _ range: ClosedRange<Double>, real: Double? = nil
    ) -> Panel {
      .labeledBars(
        title: title, xLabel: "upscaler", yLabel: unit, names: names, values: scores.map(value), colors: colors,
        format: format, range: range, reference: real.map { ($0, "real digits") })
    }
    // Bars start at 0 dB: a cut axis would make 14 dB against 19 dB look like a fivefold difference.
    let psnrRange = 0...((scores.map(\.psnr).max() ?? 0) * 1.15).rounded(.up)
    let gradientRange = 0...Swift.max(real.gradient, scores.map(\.gradient).max() ?? 0) * 1.2
    let spectralRange = 0...Swift.max(real.highFrequency, scores.map(\.highFrequency).max() ?? 0) * 1.2
    return Figure(
      name: name, title: title, width: 1400, height: 1000, fontSize: 18, columns: 2,
      panels: [
        panel("PSNR: pixel fidelity", "dB", \.psnr, "%.2f", psnrRange),
        panel("gradient magnitude (dashed: real digits)", "per pixel", \.gradient, "%.3f", gradientRange,
              real: real.gradient),
        panel("energy above 1/8 cycle/pixel (dashed: real)", "share of energy", \.highFrequency, "%.3f",
              spectralRange, real: real.highFrequency),
        panel("classifier accuracy (dashed: real digits)", "share correct", \.accuracy, "%.3f", 0...1.15,
              real: real.accuracy),
      ])
  }
}
