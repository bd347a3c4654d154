import ArgumentParser
import Autograd
import Datasets
import GAN
import Plotting

/// `--stripe-directions one|two|four` in lesson 07.
extension ToyStripeDirections: ExpressibleByArgument {}

extension Lesson {
  /// Trains `model` for `steps` steps on fresh unpaired batches (`batches(step)` returns one of each domain) with
  /// the paper's schedule: the base learning rate for the first half of the steps, then a linear decay to zero.
  /// The log holds the round-trip error |F(G(a)) − a| + |G(F(b)) − b| ("cycle |err|") and what `measure` returns,
  /// at `measureEvery`.
  @discardableResult
  public func trainCycleGAN(
    _ model: CycleGAN, steps: Int, label: String, measureEvery: Cadence,
    batches: (Int) -> (a: Tensor, b: Tensor), measure: (Int) -> TrainingValues = { _ in [:] }
  ) -> TrainingLog<Void> {
    let schedule = LinearDecaySchedule(constantEpochs: steps / 2, decayEpochs: steps - steps / 2)
    return train(steps: steps, label: label, measureEvery: measureEvery) { step in
      model.applySchedule(schedule, epoch: step - 1)
      let (a, b) = batches(step)
      let losses = model.step(realA: a, realB: b)
      return [
        "cycle |err|": Double(losses.reconstructionError), "D_A": Double(losses.discriminatorA),
        "D_B": Double(losses.discriminatorB),
      ]
    } measure: { step in
      measure(step)
    }
  }
}

extension Figure {
  /// Where point models send evenly spaced points of A's curve: for each run, a panel of arrows a → G(a) and one of
  /// G(a) → F(G(a)), over both curves drawn as wide light bands, so that the arrows and their heads stay visible.
  public static func cycleMapping(
    name: String, title: String, runs: [(title: String, model: CycleGAN)], curveA: any ToyCurve,
    curveB: any ToyCurve, starts: Tensor, range: ClosedRange<Double>
  ) -> Figure {
    let bands: [Series] = [band(curveA, label: "A", color: "#9ECAE1"), band(curveB, label: "B", color: "#FDBE85")]
    var panels: [Panel] = []
    for run in runs {
      let translated = run.model.translate(starts, aToB: true), back = run.model.translate(translated, aToB: false)
      // The way back converges on A's curve, where 48 heads side by side merge into one black band: every other
      // arrow, with smaller heads, keeps each one visible.
      for (label, from, to, every, head) in [
        ("a → G(a)", starts, translated, 1, 0.018), ("G(a) → F(G(a))", translated, back, 2, 0.013),
      ] {
        var panel = Panel(title: "\(run.title): \(label)", xLabel: "x", yLabel: "y", legend: .hidden, equalAspect: true)
        panel.series = bands + [arrows(from: from, to: to, label: label, every: every, head: head)]
        panel.xAxis.range = range
        panel.yAxis.range = range
        panels.append(panel)
      }
    }
    return Figure(name: name, title: title, width: 1400, height: 700 * runs.count, fontSize: 18, columns: 2, panels: panels)
  }

  private static func band(_ curve: any ToyCurve, label: String, color: Color) -> Series {
    let points = curve.evenlySpaced(count: 200).scalars
    let x = (0..<201).map { Double(points[2 * ($0 % 200)]) }, y = (0..<201).map { Double(points[2 * ($0 % 200) + 1]) }
    return .line(x: x, y: y, label: label, color: color, width: 7)
  }

  private static func arrows(from: Tensor, to: Tensor, label: String, every: Int, head: Double) -> Series {
    let a = from.scalars.map(Double.init), b = to.scalars.map(Double.init)
    let rows = Array(stride(from: 0, to: from.shape[0], by: every))
    let x = rows.map { a[2 * $0] }, y = rows.map { a[2 * $0 + 1] }
    let dx = rows.map { b[2 * $0] - a[2 * $0] }, dy = rows.map { b[2 * $0 + 1] - a[2 * $0 + 1] }
    var series = Series.vectors(x: x, y: y, dx: dx, dy: dy, label: label, color: .black, width: 2)
    series.arrowHead = head  // large enough to see where each arrow ends
    return series
  }
}
