import Autograd
import Datasets
import Foundation
import GAN
import LessonKit
import NN
import Plotting

/// How long a run goes and what it leaves behind.
public struct SessionOptions: Sendable {
  /// The step to stop at (over all processes of the run).
  public var steps: Int
  public var checkpointEvery: Int
  public var sampleEvery: Int
  public var resume: Bool
  /// The steps a decaying learning rate is planned over (CycleGAN); nil: `steps`, or on `--resume` the saved plan.
  public var scheduleSteps: Int?
  public var out: URL
  /// The command as typed, for the notes and the checkpoint's metadata.
  public var command: String

  public init(steps: Int, checkpointEvery: Int, sampleEvery: Int, resume: Bool, scheduleSteps: Int? = nil, out: URL,
              command: String) {
    self.steps = steps
    self.scheduleSteps = scheduleSteps
    self.checkpointEvery = checkpointEvery
    self.sampleEvery = sampleEvery
    self.resume = resume
    self.out = out
    self.command = command
  }
}

/// What a finished session measured.
public struct SessionSummary: Sendable {
  public var firstStep: Int
  public var lastStep: Int
  /// Images per second over this process's training steps (checkpoints and previews not counted).
  public var imagesPerSecond: Double
  /// Each loss's mean over the last 10% of the steps (at most 1,000).
  public var finalLosses: [(String, Double)]
}

/// One `gan-train` run: loads the images, builds the family's networks (or continues a saved run from `--out`),
/// trains with a progress bar, and writes into `--out`:
/// - the checkpoint, every `checkpointEvery` steps and at the end, each file atomically and `state.json` last:
///   `generator.safetensors` (with the architecture in its metadata), `discriminator.safetensors`, the optimizers'
///   `*-adam.safetensors`, `extra-state.safetensors` and `state.json` (settings, step, random streams);
/// - `samples/step-NNNNNNN.png` every `sampleEvery` steps (a fixed batch of noise, or fixed images translated),
///   `samples.png` (the latest) and `samples.gif` (the frames in order);
/// - `losses.tsv` (every step), `losses.gp` / `losses.dat` / `losses.png` (a moving average);
/// - `notes.md`: what was trained on what, for how long, how fast, and how to resume and sample.
public final class TrainingSession {
  public let settings: TrainingSettings
  public let options: SessionOptions
  let run: any FamilyRun
  let dataDescription: String
  let parameterCounts: [(String, Int)]
  private var lossRows: [[Double]] = []
  private var startStep = 0
  private var previousSeconds = 0.0
  /// The steps the learning-rate schedule spans (fixed for the whole run, so a resumed run keeps its rates).
  private var scheduleSteps: Int

  public init(settings: TrainingSettings, options: SessionOptions) throws {
    self.settings = settings
    self.options = options
    scheduleSteps = options.scheduleSteps ?? options.steps
    let badFiles = ImageFolder.BadFiles(rawValue: settings.badFiles) ?? .fail
    func load(_ folder: String, _ flag: String) throws -> ImageFolder {
      let data = try ImageFolder(folder: folder, size: settings.size, channels: settings.channels, badFiles: badFiles)
      guard data.images.shape[0] >= settings.batch else {
        throw TrainingError.badFlag(
          flag: "--batch", reason: "\(settings.batch) is more than the \(data.images.shape[0]) usable images in "
            + "\(flag) \(folder); give at most \(data.images.shape[0]), or more images")
      }
      return data
    }
    func describe(_ data: ImageFolder) -> String {
      var text = "\(data.images.shape[0]) images from \(data.folder)"
      if !data.skipped.isEmpty {
        text += " (\(data.skipped.count) skipped: " + data.skipped.prefix(3).map { "\($0.file): \($0.reason)" }
          .joined(separator: "; ") + (data.skipped.count > 3 ? "; ..." : "") + ")"
      }
      return text
    }
    switch settings.family {
    case .dcgan:
      let data = try load(settings.images, "--images")
      dataDescription = describe(data)
      let run = DCGANRun(settings: settings, images: data.images)
      parameterCounts = [("G", run.generator.parameterCount), ("D", run.discriminator.parameterCount)]
      self.run = run
    case .stylegan:
      let data = try load(settings.images, "--images")
      dataDescription = describe(data)
      let run = StyleGANRun(settings: settings, images: data.images)
      parameterCounts = [("G", run.trainer.generator.parameterCount),
                         ("D", run.trainer.discriminator.parameterCount)]
      self.run = run
    case .cyclegan:
      let a = try load(settings.images, "--a"), b = try load(settings.imagesB ?? "", "--b")
      dataDescription = "A: " + describe(a) + "; B: " + describe(b)
      let run = CycleGANRun(settings: settings, imagesA: a.images, imagesB: b.images)
      parameterCounts = [("G", run.model.generators.aToB.parameterCount),
                         ("F", run.model.generators.bToA.parameterCount),
                         ("D_A", run.model.discriminators.domainA.parameterCount),
                         ("D_B", run.model.discriminators.domainB.parameterCount)]
      self.run = run
    }
    try prepareFolder()
    if settings.family == .cyclegan, options.steps > scheduleSteps {
      throw TrainingError.badFlag(
        flag: "--steps", reason: "\(options.steps) runs past the learning-rate schedule's \(scheduleSteps) steps, "
          + "where the rate has fallen to 0; give --schedule-steps \(options.steps) (or more) to plan a longer one")
    }
  }

  var stateURL: URL { options.out.appendingPathComponent("state.json") }
  var framesFolder: URL { options.out.appendingPathComponent("samples") }

  /// Creates `--out`, or continues the run in it (`--resume`), or refuses to overwrite one.
  private func prepareFolder() throws {
    let fileManager = FileManager.default
    var isFolder: ObjCBool = false
    if fileManager.fileExists(atPath: options.out.path, isDirectory: &isFolder), !isFolder.boolValue {
      throw TrainingError.badFlag(flag: "--out", reason: "\(options.out.path) is a file; give a folder")
    }
    let saved = fileManager.fileExists(atPath: stateURL.path) ? try Self.readState(stateURL) : nil
    switch (saved, options.resume) {
    case (nil, true):
      throw TrainingError.nothingToResume(folder: options.out.path)
    case (let state?, false):
      throw TrainingError.existingRun(folder: options.out.path, step: state.step)
    case (let state?, true):
      try restore(state)
    case (nil, false):
      do {
        try fileManager.createDirectory(at: framesFolder, withIntermediateDirectories: true)
      } catch {
        throw TrainingError.badFlag(flag: "--out", reason: "cannot create \(framesFolder.path): \(error.localizedDescription)")
      }
    }
  }

  static func readState(_ url: URL) throws -> RunState {
    guard let data = FileManager.default.contents(atPath: url.path) else {
      throw TrainingError.badCheckpoint(file: url.path, reason: "cannot be read")
    }
    struct Format: Decodable { var format: Int? }
    guard let format = (try? JSONDecoder().decode(Format.self, from: data))?.format else {
      throw TrainingError.badCheckpoint(file: url.path, reason: "is not a gan-train state file (no \"format\" field)")
    }
    guard format == RunState.currentFormat else {
      throw TrainingError.badCheckpoint(
        file: url.path, reason: "is format \(format); this gan-train reads format \(RunState.currentFormat)")
    }
    do {
      return try JSONDecoder().decode(RunState.self, from: data)
    } catch {
      throw TrainingError.badCheckpoint(file: url.path, reason: "is damaged: \(error)")
    }
  }

  private func restore(_ state: RunState) throws {
    if let difference = state.settings.firstDifference(from: settings) {
      throw TrainingError.settingsDiffer(folder: options.out.path, field: difference.field, saved: difference.mine,
                                         given: difference.theirs)
    }
    guard options.steps > state.step else {
      throw TrainingError.badFlag(
        flag: "--steps", reason: "\(options.steps): the run in \(options.out.path) is already at step \(state.step); "
          + "give more steps to continue it")
    }
    for (file, module) in run.modules {
      let url = options.out.appendingPathComponent(file)
      try checkStep(try Checkpoint.load(into: module, from: url), state.step, url)
    }
    for (file, optimizer) in run.optimizers {
      let url = options.out.appendingPathComponent(file)
      let contents = try SafeTensors.readWithMetadata(from: url)
      try checkStep(contents.metadata, state.step, url)
      try optimizer.loadStateContents(contents, source: url.path)
    }
    let extraURL = options.out.appendingPathComponent("extra-state.safetensors")
    let extra = try SafeTensors.readWithMetadata(from: extraURL)
    try checkStep(extra.metadata, state.step, extraURL)
    try run.restore(from: state, tensors: extra.tensors, source: stateURL.path)
    startStep = state.step
    previousSeconds = state.seconds
    scheduleSteps = options.scheduleSteps ?? state.scheduleSteps ?? options.steps
    lossRows = try readLosses().filter { Int($0[0]) <= state.step }
    // Frames from steps after the checkpoint belong to the part of the old run that is being redone.
    let frames = (try? FileManager.default.contentsOfDirectory(atPath: framesFolder.path)) ?? []
    for name in frames where (Self.frameStep(name) ?? 0) > state.step {
      try? FileManager.default.removeItem(at: framesFolder.appendingPathComponent(name))
    }
    try FileManager.default.createDirectory(at: framesFolder, withIntermediateDirectories: true)
  }

  private func checkStep(_ metadata: [String: String], _ step: Int, _ url: URL) throws {
    guard metadata["step"] == "\(step)" else {
      throw TrainingError.badCheckpoint(
        file: url.path, reason: "is from step \(metadata["step"] ?? "unknown"), state.json from step \(step): the "
          + "checkpoint was interrupted while being written; restore the folder from a backup or start again")
    }
  }

  // MARK: Training

  /// Trains from the current step to `options.steps`.
  public func train() throws -> SessionSummary {
    let console = Console.standardOutput
    let counts = parameterCounts.map { "\($0.0) \(NumberFormat.integer($0.1))" }.joined(separator: ", ")
    console.write("""
      gan-train \(settings.family.rawValue): \(dataDescription)
        \(settings.size)x\(settings.size), \(settings.channels == 1 ? "greyscale" : "RGB"); parameters: \(counts)
        batch \(settings.batch), steps \(startStep + 1) to \(options.steps); checkpoints every \
      \(options.checkpointEvery) steps in \(options.out.path)

      """)
    let progress = Progress(total: options.steps, label: "training", startingAt: startStep)
    var stepSeconds = 0.0
    let processStart = Date()
    if startStep == 0 { try writePreview(step: 0) }
    for step in (startStep + 1)...options.steps {
      let began = Date()
      let values = run.step(step, of: scheduleSteps)
      stepSeconds += Date().timeIntervalSince(began)
      if let bad = values.firstIndex(where: { !$0.isFinite }) {
        progress.finish()
        throw TrainingError.diverged(step: step, loss: "\(run.lossNames[bad]) \(values[bad])")
      }
      lossRows.append([Double(step)] + values)
      progress.update(step, orderedValues: Array(zip(run.lossNames, values)))
      if step % options.sampleEvery == 0 || step == options.steps { try writePreview(step: step) }
      if step % options.checkpointEvery == 0 || step == options.steps {
        try checkpoint(step: step, seconds: previousSeconds + Date().timeIntervalSince(processStart))
      }
    }
    let summary = SessionSummary(
      firstStep: startStep + 1, lastStep: options.steps,
      imagesPerSecond: Double((options.steps - startStep) * run.imagesPerStep) / max(stepSeconds, 1e-9),
      finalLosses: finalLosses())
    let total = previousSeconds + Date().timeIntervalSince(processStart)
    try writeFigures()
    try writeNotes(summary: summary, seconds: total)
    console.write("""
      done: step \(options.steps), \(NumberFormat.format(summary.imagesPerSecond)) images/s; \
      \(summary.finalLosses.map { "\($0.0) \(NumberFormat.format($0.1))" }.joined(separator: ", "))
      wrote \(options.out.path)/generator.safetensors, samples.png, samples.gif, losses.png, notes.md

      """)
    return summary
  }

  /// Saves the networks, the optimizers, the extra state and the losses, then `state.json` (the commit point).
  private func checkpoint(step: Int, seconds: Double) throws {
    let stamp = ["step": "\(step)"]
    for (file, module) in run.modules {
      // Every network's file names the run's architecture (the converter to PyTorch reads StyleGAN's resampling).
      var metadata = stamp.merging(run.generatorMetadata) { $1 }
      if file == "generator.safetensors" { metadata["command"] = options.command }
      try Checkpoint.save(module, to: options.out.appendingPathComponent(file), metadata: metadata)
    }
    for (file, optimizer) in run.optimizers {
      let contents = optimizer.stateContents()
      try SafeTensors.write(contents.tensors, metadata: contents.metadata.merging(stamp) { $1 },
                            to: options.out.appendingPathComponent(file))
    }
    var state = RunState(format: RunState.currentFormat, settings: settings, step: step, seconds: seconds,
                         scheduleSteps: scheduleSteps, random: [:], samplers: [:], pools: [:], imagesSeen: 0)
    var tensors: [String: Tensor] = [:]
    run.save(into: &state, tensors: &tensors)
    try SafeTensors.write(tensors, metadata: stamp, to: options.out.appendingPathComponent("extra-state.safetensors"))
    try writeLosses()
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    try AtomicFile.write(try encoder.encode(state), to: stateURL)
  }

  // MARK: Samples

  static func frameName(_ step: Int) -> String { String(format: "step-%07d.png", step) }
  static func frameStep(_ name: String) -> Int? {
    guard name.hasPrefix("step-"), name.hasSuffix(".png") else { return nil }
    return Int(name.dropFirst(5).dropLast(4))
  }

  private func writePreview(step: Int) throws {
    let (images, columns) = run.preview()
    let png = try ImageGrid(images, columns: columns, scale: max(1, 128 / settings.size)).pngData()
    try AtomicFile.write(png, to: framesFolder.appendingPathComponent(Self.frameName(step)))
    try AtomicFile.write(png, to: options.out.appendingPathComponent("samples.png"))
  }

  /// `samples.gif` from the saved frames (at most 30, evenly spaced, always with the last).
  private func writeAnimation() throws {
    let names = ((try? FileManager.default.contentsOfDirectory(atPath: framesFolder.path)) ?? [])
      .filter { Self.frameStep($0) != nil }.sorted()
    guard !names.isEmpty else { return }
    let chosen = names.count <= 30 ? names : (0..<30).map { names[$0 * (names.count - 1) / 29] }
    var gif = AnimatedGIF(delay: 0.3)
    for name in chosen {
      let path = framesFolder.appendingPathComponent(name).path
      guard let data = FileManager.default.contents(atPath: path) else { continue }
      let image = try ImageFile.decode(data, channels: 3, file: path)
      try gif.add(RasterImage(width: image.width, height: image.height, format: .rgb, pixels: image.pixels))
    }
    try AtomicFile.write(try gif.encoded(), to: options.out.appendingPathComponent("samples.gif"))
  }

  // MARK: Losses

  private var lossesURL: URL { options.out.appendingPathComponent("losses.tsv") }

  private func writeLosses() throws {
    var text = (["step"] + run.lossNames).joined(separator: "\t") + "\n"
    for row in lossRows {
      text += "\(Int(row[0]))\t" + row.dropFirst().map { "\($0)" }.joined(separator: "\t") + "\n"
    }
    try AtomicFile.write(text, to: lossesURL)
  }

  private func readLosses() throws -> [[Double]] {
    guard let text = try? String(contentsOf: lossesURL, encoding: .utf8) else { return [] }
    var rows: [[Double]] = []
    for (number, line) in text.split(separator: "\n").enumerated().dropFirst() {
      let values = line.split(separator: "\t").compactMap { Double($0) }
      guard values.count == run.lossNames.count + 1 else {
        throw TrainingError.badCheckpoint(
          file: lossesURL.path, reason: "line \(number + 1) has \(values.count) numbers, expected "
            + "\(run.lossNames.count + 1) (step, \(run.lossNames.joined(separator: ", ")))")
      }
      rows.append(values)
    }
    return rows
  }

  private func finalLosses() -> [(String, Double)] {
    let tail = lossRows.suffix(max(1, min(1000, lossRows.count / 10)))
    return run.lossNames.enumerated().map { index, name in
      (name, tail.map { $0[index + 1] }.reduce(0, +) / Double(max(tail.count, 1)))
    }
  }

  /// `losses.gp` / `.dat` / `.png`: each loss as a moving average over 1% of the steps (at least 1).
  private func writeFigures() throws {
    try writeLosses()
    try writeAnimation()
    guard !lossRows.isEmpty else { return }
    let window = max(1, lossRows.count / 100)
    var figure = Figure(name: "losses", title: "gan-train \(settings.family.rawValue): losses "
                          + "(moving average over \(window) steps)", xLabel: "step", yLabel: "loss")
    let steps = lossRows.map { $0[0] }
    for (index, name) in run.lossNames.enumerated() {
      let values = lossRows.map { $0[index + 1] }
      var averaged: [Double] = []
      var sum = 0.0
      for (i, value) in values.enumerated() {
        sum += value
        if i >= window { sum -= values[i - window] }
        averaged.append(sum / Double(min(i + 1, window)))
      }
      figure.add(.line(x: steps, y: averaged, label: name))
    }
    // From step 0, so that a run of one step still has an x range (gnuplot refuses an empty one).
    figure.panels[0].xAxis.minimum = 0
    figure.panels[0].xAxis.maximum = max(1, steps.last ?? 1)
    let files = try figure.write(to: options.out)
    if let gnuplot = Gnuplot.locate() {
      try gnuplot.render(files)
    } else {
      Console.standardOutput.write("  losses.png not drawn: \(Gnuplot.installHint)\n")
    }
  }

  // MARK: Notes

  private var previewText: String {
    settings.family == .cyclegan
      ? "the same images translated: rows A, G(A), B, F(B)" : "the same noise vectors"
  }

  private func writeNotes(summary: SessionSummary, seconds: Double) throws {
    let counts = parameterCounts.map { "\($0.0) \(NumberFormat.integer($0.1))" }.joined(separator: ", ")
    let losses = summary.finalLosses.map { "\($0.0) \(NumberFormat.format($0.1))" }.joined(separator: ", ")
    let machine = "\(ProcessInfo.processInfo.activeProcessorCount) cores"
    let text = """
      # gan-train \(settings.family.rawValue)

      Command: `\(options.command)`

      - Data: \(dataDescription), centre-cropped and scaled to \(settings.size)x\(settings.size), \
      \(settings.channels == 1 ? "greyscale" : "RGB"), values in [-1, 1].
      - Networks: \(counts) parameters (generator metadata in `generator.safetensors`).
      - Batch \(settings.batch), learning rate \(settings.learningRate), seed \(settings.seed).
      - Steps: \(options.steps) (this process: \(summary.firstStep) to \(summary.lastStep)), \
      \(NumberFormat.duration(seconds)) of training in all on \(machine).
      - Throughput in this process: \(NumberFormat.format(summary.imagesPerSecond)) images per second (training \
      steps only).
      - Losses at the end (mean of the last \(max(1, min(1000, lossRows.count / 10))) steps): \(losses).

      The losses of a GAN do not measure how good the samples are; look at `samples.gif` (\(previewText) over
      training) and `samples.png` (the last frame).

      | file | what it holds |
      |---|---|
      | `generator.safetensors` | the generator to sample from (`gan-sample`, `gan-translate`) |
      | `discriminator.safetensors`, `*-adam.safetensors`, `extra-state.safetensors`, `state.json` | the rest of \
      the checkpoint, for `--resume` |
      | `samples/step-NNNNNNN.png`, `samples.png`, `samples.gif` | the preview over training |
      | `losses.tsv`, `losses.gp`, `losses.dat`, `losses.png` | every step's losses and their plot |

      Continue: the same command with a larger `--steps` and `--resume`.

      """
    try AtomicFile.write(text, to: options.out.appendingPathComponent("notes.md"))
  }
}
