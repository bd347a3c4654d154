import Autograd
import GAN

// Lesson 10's training: SRGAN against its content-only twin (`SRGANComparison`), logged so that the training
// figure (`Figure.srganTraining`) can draw the shared start and the game on one step axis.

/// What lesson 10 probes during training: a fixed set of test images, `low` the inputs and `high` the originals.
public typealias UpscalingProbeSet = (low: Tensor, high: Tensor)

extension Lesson {
  /// Lesson 10's training from start to end: the shared start (`warmupSteps` content-only steps), the fork, where
  /// `srgan` becomes an exact copy of the content-only generator (weights and Adam state) and `discriminator` joins
  /// with Adam at `discriminatorLearningRate`, then the game on the same batches up to `steps`. The losses are logged
  /// about 200 times in all, both generators probed on `probe` about 12 times (5 with `--quick`), as
  /// `trainSharedStart` and `trainSRGANGame` say. A fork that cannot copy ends the run: the comparison is only fair
  /// from an exact copy.
  public func trainSRGANComparison(
    _ comparison: SRGANComparison, steps: Int, warmupSteps: Int, srgan: SuperResolutionGenerator,
    discriminator: MNISTDiscriminator, discriminatorLearningRate: Float, probe: UpscalingProbeSet,
    batches: () -> SuperResolutionBatch
  ) -> (warmup: TrainingLog<UpscalingProbe>, game: TrainingLog<(content: UpscalingProbe, gan: UpscalingProbe)>) {
    let probeEvery = Swift.max(1, steps / budget(12, quick: 5)), recordEvery = Swift.max(1, steps / 200)
    let warmup = trainSharedStart(
      comparison, steps: warmupSteps, recordEvery: recordEvery, probeEvery: probeEvery, probe: probe,
      batches: batches)
    do {
      try comparison.fork(
        srgan: srgan, discriminator: discriminator, discriminatorLearningRate: discriminatorLearningRate)
    } catch {
      fail("copying the generator at the fork: \(error)")
    }
    show("discriminator parameters", discriminator.parameterCount)
    let game = trainSRGANGame(
      comparison, steps: steps - warmupSteps, recordEvery: recordEvery, probeEvery: probeEvery, probe: probe,
      batches: batches)
    return (warmup, game)
  }

  /// Shows an upscaler's four scores as "`name`: PSNR (dB)", "`name`: mean gradient magnitude", "`name`:
  /// high-frequency energy share" and "`name`: classifier accuracy": fidelity, sharpness twice, recognizability.
  public func show(_ name: String, scores: UpscalingScores) {
    show("\(name): PSNR (dB)", scores.psnr)
    show("\(name): mean gradient magnitude", scores.gradient)
    show("\(name): high-frequency energy share", scores.highFrequency)
    show("\(name): classifier accuracy", scores.accuracy)
  }

  /// The shared start: `steps` content-only steps of `comparison` on `batches()`, the pixel MSE logged every
  /// `recordEvery` steps ("pixel MSE") and the content-only generator probed on `probe` every `probeEvery` steps,
  /// from before the first step. With no steps (`--warmup 0`) the log is empty, and the game's first probe, at the
  /// fork, is the start of the curves.
  public func trainSharedStart(
    _ comparison: SRGANComparison, steps: Int, recordEvery: Int, probeEvery: Int, probe: UpscalingProbeSet,
    batches: () -> SuperResolutionBatch
  ) -> TrainingLog<UpscalingProbe> {
    guard steps > 0 else { return TrainingLog() }
    return train(
      steps: steps, label: "shared start (content loss)", measureEvery: .every(recordEvery),
      framesEvery: .every(probeEvery, start: true)
    ) { _ in
      ["pixel MSE": Double(comparison.contentStep(batches()))]
    } frame: { _ in
      UpscalingProbe(comparison.contentOnly, low: probe.low, high: probe.high)
    }
  }

  /// The game after the fork: `steps` steps of both generators on the same `batches()` (`SRGANComparison.gameStep`),
  /// logged every `recordEvery` steps (SRGAN's "pixel MSE", the twin's "content pixel MSE", "D loss" and the
  /// unweighted "adversarial" term), both generators probed on `probe` every `probeEvery` steps from the fork on.
  /// With no steps left after the shared start the log is empty.
  public func trainSRGANGame(
    _ comparison: SRGANComparison, steps: Int, recordEvery: Int, probeEvery: Int, probe: UpscalingProbeSet,
    batches: () -> SuperResolutionBatch
  ) -> TrainingLog<(content: UpscalingProbe, gan: UpscalingProbe)> {
    guard steps > 0, let srgan = comparison.srgan else { return TrainingLog() }
    return train(
      steps: steps, label: "content-only and SRGAN, same batches", measureEvery: .every(recordEvery),
      framesEvery: .every(probeEvery, start: true)
    ) { _ in
      let result = comparison.gameStep(batches())
      return [
        "pixel MSE": Double(result.pixel), "D loss": Double(result.discriminatorLoss),
        "content pixel MSE": Double(result.contentPixel), "adversarial": Double(result.adversarial),
      ]
    } frame: { _ in
      (content: UpscalingProbe(comparison.contentOnly, low: probe.low, high: probe.high),
       gan: UpscalingProbe(srgan, low: probe.low, high: probe.high))
    }
  }
}

/// Small images drawn at their true size in the middle of a gray `size`×`size` frame (the padding is 0, mid-gray
/// in [−1, 1]): beside the upscaled images they show how little the input holds.
public func framedAtTrueSize(_ small: Tensor, size: Int = 28) -> Tensor {
  let margin = (size - small.shape[2]) / 2, rest = size - small.shape[2] - margin
  return small.padded(before: [0, 0, margin, margin], after: [0, 0, rest, rest])
}
