import Foundation

/// Whole-model and optimizer checkpoints as safetensors files (see `SafeTensors`), with tensor names = paths.
///
/// ```swift
/// try Checkpoint.save(generator, to: folder.appendingPathComponent("generator.safetensors"), metadata: ["step": "5000"])
/// try Checkpoint.save(generatorOptimizer, to: folder.appendingPathComponent("generator-adam.safetensors"))
/// // ... later, in a new process, with models and optimizers built the same way:
/// try Checkpoint.load(into: generator, from: ...)
/// try Checkpoint.load(into: generatorOptimizer, from: ...)
/// ```
/// Writes are atomic (temporary file + rename). Loads check everything (format, dtype, names, shapes) before changing
/// anything, and throw a `CheckpointError` naming the file, the tensor and the problem.
public enum Checkpoint {
  /// Saves every parameter and buffer of `module` under its path.
  public static func save(_ module: Module, to url: URL, metadata: [String: String] = [:]) throws {
    try SafeTensors.write(module.stateTensors(), metadata: metadata, to: url)
  }

  /// Loads a checkpoint written by `save(_:to:metadata:)` into a module of the same architecture, in place.
  /// - Returns: the file's metadata.
  @discardableResult
  public static func load(into module: Module, from url: URL) throws -> [String: String] {
    let contents = try SafeTensors.readWithMetadata(from: url)
    try module.loadState(contents.tensors, source: url.path)
    return contents.metadata
  }

  /// Saves an optimizer's per-parameter state (moments, momentum buffers, step counts) by parameter path.
  public static func save(_ optimizer: any Optimizer, to url: URL) throws {
    let contents = optimizer.stateContents()
    try SafeTensors.write(contents.tensors, metadata: contents.metadata, to: url)
  }

  /// Restores an optimizer's state saved by `save(_:to:)`, for an optimizer of the same kind over the same model.
  public static func load(into optimizer: any Optimizer, from url: URL) throws {
    try optimizer.loadStateContents(SafeTensors.readWithMetadata(from: url), source: url.path)
  }
}
