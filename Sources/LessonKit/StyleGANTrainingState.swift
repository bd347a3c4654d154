import Autograd
import Datasets
import Foundation
import GAN
import NN

/// Lesson 08's whole training state in one safetensors file, so that a training longer than one sitting (the shipped
/// digits generator) can stop and go on bit for bit: the generator the optimizer moves, its moving average, the
/// discriminator, both Adams, the step and image counts, the random stream and the batch order. One file, written
/// atomically (temporary file + rename), so a run stopped while saving keeps its previous state whole.
public enum StyleGANTrainingState {
  static let format = "1"

  /// One process's part of a run: its steps, the command that ran them, and the two settings that may change from
  /// one sitting to the next (a lower learning rate, or a weaker R1 penalty once the early collapse is behind).
  public struct Sitting: Codable, Sendable, Equatable {
    public var from: Int
    public var to: Int
    public var command: String
    /// nil for a sitting saved before sittings were recorded.
    public var learningRate: Float?
    /// nil for a sitting saved before γ could change between sittings (its γ is the state's `recipe.r1_gamma`).
    public var r1Gamma: Float?

    public init(from: Int, to: Int, command: String, learningRate: Float?, r1Gamma: Float? = nil) {
      (self.from, self.to, self.command, self.learningRate, self.r1Gamma) = (from, to, command, learningRate, r1Gamma)
    }

    /// "steps 0–2, learning rate 0.002, R1 γ 10.0": what a generator's metadata says of this sitting.
    public var summary: String {
      "steps \(from)–\(to)" + (learningRate.map { ", learning rate \($0)" } ?? "")
        + (r1Gamma.map { ", R1 γ \($0)" } ?? "")
    }
  }

  /// Where a saved run stands.
  public struct Position: Sendable {
    public var step: Int
    /// Seconds of training over every sitting so far.
    public var seconds: Double
    /// The sittings so far, oldest first (the last one ends at `step`).
    public var sittings: [Sitting] = []
  }

  /// The sittings recorded in a state file's or a generator's metadata (empty when there are none; nil when the
  /// field does not parse).
  public static func sittings(in metadata: [String: String]) -> [Sitting]? {
    guard let text = metadata["sittings"] else { return [] }
    return try? JSONDecoder().decode([Sitting].self, from: Data(text.utf8))
  }

  /// The file's complaint, naming the flag, the file and what is wrong.
  public struct Problem: Error, CustomStringConvertible {
    public let description: String
  }

  /// Writes the state after `step` steps. `recipe` names everything that must match for another run to continue
  /// this one (dataset, network, batch, seed, hyperparameters).
  public static func save(
    _ trainer: StyleGANTrainer, sampler: InfiniteBatchSampler, recipe: [String: String], position: Position,
    to url: URL
  ) throws {
    var tensors: [String: Tensor] = [:]
    var metadata = ["format": format, "step": String(position.step), "seconds": String(position.seconds),
                    "images_seen": String(trainer.imagesSeen)]
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    metadata["randomness"] = String(decoding: try encoder.encode(trainer.randomness.state), as: UTF8.self)
    metadata["sampler"] = String(decoding: try encoder.encode(sampler.state), as: UTF8.self)
    metadata["sittings"] = String(decoding: try encoder.encode(position.sittings), as: UTF8.self)
    for (key, value) in recipe { metadata["recipe." + key] = value }
    let modules: [(String, Module)] = [
      ("generator", trainer.generator), ("averaged", trainer.averagedGenerator),
      ("discriminator", trainer.discriminator)]
    for (part, module) in modules {
      for (name, tensor) in module.stateTensors() { tensors[part + "." + name] = tensor }
    }
    for (part, optimizer) in [("generator_adam", trainer.generatorOptimizer),
                              ("discriminator_adam", trainer.discriminatorOptimizer)] {
      let contents = optimizer.stateContents()
      for (name, tensor) in contents.tensors { tensors[part + "." + name] = tensor }
      for (name, value) in contents.metadata { metadata[part + "." + name] = value }
    }
    try SafeTensors.write(tensors, metadata: metadata, to: url)
  }

  /// Restores a state written by `save` into `trainer` and `sampler` (built the same way, freshly) and returns where
  /// the saved run stood. Throws a `Problem` naming `flag`, the file and the field when the file is not such a state,
  /// belongs to another recipe, or is already at `steps` or beyond.
  public static func load(
    into trainer: StyleGANTrainer, sampler: inout InfiniteBatchSampler, recipe: [String: String], steps: Int,
    from url: URL, flag: String
  ) throws -> Position {
    let name = "\(flag) \(url.path)"
    let contents: SafeTensors.Contents
    do { contents = try SafeTensors.readWithMetadata(from: url) } catch {
      throw Problem(description: "\(name): \(error)")
    }
    let metadata = contents.metadata
    guard metadata["format"] == format else {
      throw Problem(description: "\(name): not a lesson 08 training state (metadata field 'format' is "
        + "\(metadata["format"].map { "'\($0)'" } ?? "missing"), expected '\(format)')")
    }
    for key in recipe.keys.sorted() where metadata["recipe." + key] != recipe[key] {
      throw Problem(description: "\(name): the saved run has \(key) '\(metadata["recipe." + key] ?? "?")', this run "
        + "'\(recipe[key]!)'; continue it with the flags it was started with, or give another file")
    }
    guard let step = metadata["step"].flatMap({ Int($0) }), step >= 0,
          let seconds = metadata["seconds"].flatMap({ Double($0) }), seconds >= 0,
          let imagesSeen = metadata["images_seen"].flatMap({ Int($0) }), imagesSeen >= 0 else {
      throw Problem(description: "\(name): the fields 'step', 'seconds' and 'images_seen' must be counts "
        + "(got \(metadata["step"] ?? "none"), \(metadata["seconds"] ?? "none"), \(metadata["images_seen"] ?? "none"))")
    }
    guard step < steps else {
      throw Problem(description: "--steps \(steps): the run in \(url.path) is already at step \(step); give more "
        + "steps to continue it")
    }
    guard var sittings = sittings(in: metadata) else {
      throw Problem(description: "\(name): the field 'sittings' must be the saved run's list of sittings (JSON)")
    }
    // States written while γ was part of the recipe keep it there: their sittings all ran at that γ.
    let recordedGamma = metadata["recipe.r1_gamma"].flatMap(Float.init)
    for i in sittings.indices where sittings[i].r1Gamma == nil { sittings[i].r1Gamma = recordedGamma }
    let decoder = JSONDecoder()
    let randomness: SeededGenerator.State
    let samplerState: InfiniteBatchSampler.State
    do {
      randomness = try decoder.decode(SeededGenerator.State.self, from: Data((metadata["randomness"] ?? "").utf8))
      samplerState = try decoder.decode(InfiniteBatchSampler.State.self, from: Data((metadata["sampler"] ?? "").utf8))
    } catch {
      throw Problem(description: "\(name): the fields 'randomness' and 'sampler' must be the saved run's streams "
        + "(JSON): \(error)")
    }
    func part(_ prefix: String) -> [String: Tensor] {
      Dictionary(uniqueKeysWithValues: contents.tensors.compactMap { key, tensor in
        key.hasPrefix(prefix + ".") ? (String(key.dropFirst(prefix.count + 1)), tensor) : nil
      })
    }
    func partMetadata(_ prefix: String) -> [String: String] {
      Dictionary(uniqueKeysWithValues: metadata.compactMap { key, value in
        key.hasPrefix(prefix + ".") ? (String(key.dropFirst(prefix.count + 1)), value) : nil
      })
    }
    do {
      try trainer.generator.loadState(part("generator"), source: url.path)
      try trainer.averagedGenerator.loadState(part("averaged"), source: url.path)
      try trainer.discriminator.loadState(part("discriminator"), source: url.path)
      for (prefix, optimizer) in [("generator_adam", trainer.generatorOptimizer),
                                  ("discriminator_adam", trainer.discriminatorOptimizer)] {
        try optimizer.loadStateContents(
          SafeTensors.Contents(tensors: part(prefix), metadata: partMetadata(prefix)), source: url.path)
      }
      try sampler.restore(samplerState, source: url.path)
    } catch {
      throw Problem(description: "\(flag): \(error)")
    }
    trainer.resume(iteration: step, imagesSeen: imagesSeen, randomness: SeededGenerator(state: randomness))
    // A state saved before sittings were recorded still says that its steps had a command of their own.
    let earlier = sittings.isEmpty && step > 0
      ? [Sitting(from: 0, to: step, command: "a run whose command this state does not record", learningRate: nil,
                 r1Gamma: recordedGamma)]
      : sittings
    return Position(step: step, seconds: seconds, sittings: earlier)
  }
}

/// A `--state` file and the recipe a run saved in it must share with the run that continues it.
public struct StyleGANStateFile: Sendable {
  public let url: URL
  public let recipe: [String: String]

  public init(path: String, recipe: [String: String]) {
    url = URL(fileURLWithPath: path)
    self.recipe = recipe
  }
}

extension StyleGANFlags {
  /// The `--state` file at `path` (nil: none), with what a saved run and the run continuing it must agree on: the
  /// network, the data, the seed, the batch and the mixing, and whether it started from the shipped generator. The
  /// learning rate and R1's γ may change between sittings; each sitting records its own.
  public func stateFile(
    _ path: String?, _ configuration: StyleGANConfiguration, dataset: StyleGANDataset, seed: UInt64,
    fromShipped: Bool
  ) -> StyleGANStateFile? {
    guard let path else { return nil }
    return StyleGANStateFile(path: path, recipe: recipe(
      configuration, dataset: dataset, seed: seed, fromShipped: fromShipped))
  }

  func recipe(
    _ configuration: StyleGANConfiguration, dataset: StyleGANDataset, seed: UInt64, fromShipped: Bool
  ) -> [String: String] {
    ["dataset": dataset.rawValue, "network": configuration.description, "batch": String(batch),
     "seed": String(seed), "mixing_probability": String(mixingProbability),
     "minibatch_group": String(minibatchGroup),
     "start": fromShipped ? "the shipped generator" : "random weights"]
  }
}

extension Lesson {
  /// Saves a trained (averaged) generator at `path` (nil: nothing) with what made it in its metadata: the command,
  /// seed, steps, batch, network, widths (which `--pretrained` builds the network at) and the wall time of every
  /// sitting of its training.
  public func saveStyleGANGenerator(
    _ generator: StyleGANGenerator, to path: String?, steps: Int, batch: Int, log: TrainingLog<StyleGANSnapshot>,
    state: StyleGANStateFile?
  ) {
    let configuration = generator.configuration
    // A run of several sittings names every command, in order (its state file records them).
    let sittings = state.flatMap { try? SafeTensors.readWithMetadata(from: $0.url).metadata }
      .flatMap { StyleGANTrainingState.sittings(in: $0) } ?? []
    let command = sittings.count > 1
      ? sittings.map { "\($0.command) (\($0.summary))" }.joined(separator: ", then ")
      : "swift run \(executableName) " + commandLine(dropping: ["--out"])
    var metadata = [
      "command": command,
      "steps": String(steps), "seed": String(seed), "batch": String(batch),
      "configuration": configuration.description, "channel_base": String(configuration.channelBase),
      "channel_max": String(configuration.channelMax),
      "wall_time_seconds": String(format: "%.0f", log.seconds), "machine": machineDescription(),
    ]
    // The sittings once more, as data, so `--pretrained` can say one per line.
    if sittings.count > 1, let data = try? JSONEncoder().encode(sittings) {
      metadata["sittings"] = String(decoding: data, as: UTF8.self)
    }
    saveCheckpoint(generator, to: path, what: "the averaged generator", metadata: metadata)
  }
}
