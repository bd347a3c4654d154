import Foundation
import GAN
import Plotting

/// D's and G's losses (and D's penalty) over a playground run, recorded about 300 times whatever the step count:
/// what both the toy and the image experiments plot and check.
struct LossHistory {
  let every: Int
  let totalSteps: Int
  private(set) var steps: [Int] = []
  private(set) var discriminator: [Double] = []
  private(set) var generator: [Double] = []
  private(set) var penalty: [Double] = []

  init(totalSteps: Int) {
    self.totalSteps = totalSteps
    every = max(1, totalSteps / 300)
  }

  /// Keeps `result` if `step` is a recording step (every `every` steps, and the last).
  mutating func record(_ result: GANTrainer.Step, at step: Int) {
    guard step % every == 0 || step == totalSteps else { return }
    steps.append(step)
    discriminator.append(Double(result.critic.loss))
    generator.append(Double(result.generatorLoss))
    penalty.append(Double(result.critic.penalty))
  }

  /// D and G, and D's penalty when it was ever non-zero.
  var series: [Series] {
    var series: [Series] = [
      .line(x: steps, y: discriminator, label: "D", color: .blue, width: 2),
      .line(x: steps, y: generator, label: "G", color: .vermillion, width: 2),
    ]
    if penalty.contains(where: { $0 != 0 }) {
      series.append(.line(x: steps, y: penalty, label: "D's penalty", color: .green, width: 2))
    }
    return series
  }

  var allFinite: Bool { (discriminator + generator + penalty).allSatisfy(\.isFinite) }
}
