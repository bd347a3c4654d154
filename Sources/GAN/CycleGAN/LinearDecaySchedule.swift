/// The learning-rate rule of CycleGAN's `--lr_policy linear`: the base rate for `constantEpochs` epochs, then a
/// straight line down towards zero over `decayEpochs` more (100 and 100 in the paper). The multiplier of the base
/// rate at epoch e = 0, 1, ... is the reference's
///
///     1 - max(0, e + 1 - constantEpochs) / (decayEpochs + 1)
///
/// so it is 1 up to epoch `constantEpochs - 1`, 1 - 1/(decayEpochs + 1) at epoch `constantEpochs`, falls by
/// 1/(decayEpochs + 1) per epoch, and is 1/(decayEpochs + 1) in the last epoch, `constantEpochs + decayEpochs - 1`.
/// Past the end it stays at 0 rather than going negative.
public struct LinearDecaySchedule: Sendable, Equatable {
  /// Epochs at the base rate (the reference's `n_epochs`).
  public let constantEpochs: Int
  /// Epochs of linear decay after them (the reference's `n_epochs_decay`).
  public let decayEpochs: Int

  public init(constantEpochs: Int = 100, decayEpochs: Int = 100) {
    precondition(constantEpochs >= 0 && decayEpochs >= 0,
                 "LinearDecaySchedule: constantEpochs \(constantEpochs) and decayEpochs \(decayEpochs) must not be "
                 + "negative")
    self.constantEpochs = constantEpochs
    self.decayEpochs = decayEpochs
  }

  /// The multiplier of the base rate at `epoch` (counted from 0).
  public func factor(epoch: Int) -> Float {
    let decayed = Float(max(0, epoch + 1 - constantEpochs)) / Float(decayEpochs + 1)
    return max(0, 1 - decayed)
  }

  /// `baseRate` times `factor(epoch:)`.
  public func learningRate(base baseRate: Float, epoch: Int) -> Float { baseRate * factor(epoch: epoch) }
}
