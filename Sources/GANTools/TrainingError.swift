import Foundation

/// What can stop `gan-train`, `gan-sample` and `gan-translate` before or during their work. Each message names the
/// flag, folder or file, what is wrong, and what to do.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
  /// A flag's value that does not fit the data or the model.
  case badFlag(flag: String, reason: String)
  /// A checkpoint file (or `state.json`) that is damaged, incomplete or of another format.
  case badCheckpoint(file: String, reason: String)
  /// `--out` already holds a run and `--resume` was not given.
  case existingRun(folder: String, step: Int)
  /// `--resume` with no run in `--out`.
  case nothingToResume(folder: String)
  /// `--resume` with a setting that differs from the saved run's.
  case settingsDiffer(folder: String, field: String, saved: String, given: String)
  /// A loss became NaN or infinite.
  case diverged(step: Int, loss: String)

  public var description: String {
    switch self {
    case .badFlag(let flag, let reason):
      return "\(flag): \(reason)"
    case .badCheckpoint(let file, let reason):
      return "\(file): \(reason)"
    case .existingRun(let folder, let step):
      return "--out \(folder): already holds a run at step \(step); add --resume to continue it, or choose another --out"
    case .nothingToResume(let folder):
      return "--resume: \(folder) holds no run to continue (no state.json); drop --resume to start one there"
    case .settingsDiffer(let folder, let field, let saved, let given):
      return "--resume: the run in \(folder) was started with \(field) \(saved), this command gives \(given);"
        + " a resumed run must keep its data and architecture (only --steps, --checkpoint-every and --sample-every"
        + " may change)"
    case .diverged(let step, let loss):
      return "training diverged at step \(step) (\(loss)); the last checkpoint is kept; try a lower --learning-rate"
    }
  }
}
