import Autograd
import Datasets
import Foundation
import GAN
import NN
import XCTest

@testable import LessonKit

/// Lesson 08's `--state`: a training stopped and continued from its file ends where the uninterrupted one does, bit
/// for bit, and files that are not such a state, or belong to another recipe, are refused with the field named.
final class StyleGANTrainingStateTests: XCTestCase {
  let configuration = StyleGANConfiguration(
    resolution: 8, channels: 1, zDim: 8, wDim: 8, mappingLayers: 2, channelBase: 64, channelMax: 8)
  let recipe = ["network": "tiny", "seed": "3"]

  private func images() -> Tensor {
    var source = SeededGenerator(seed: 11)
    return Tensor.randomUniform([24, 1, 8, 8], low: -1, high: 1, using: &source)
  }

  private func makeRun() -> (StyleGANTrainer, InfiniteBatchSampler) {
    var source = SeededGenerator(seed: 3)
    let g = StyleGANGenerator(configuration: configuration, using: &source)
    let d = StyleGANDiscriminator(configuration: configuration, using: &source)
    // R1 every 2 steps, so the continued half regularizes too.
    let trainer = StyleGANTrainer(
      generator: g, discriminator: d, options: StyleGANTrainingOptions(r1Gamma: 1, r1Interval: 2, seed: 5))
    return (trainer, InfiniteBatchSampler(examples: images(), batchSize: 8, seed: 7))
  }

  private func file() -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("state-\(UUID().uuidString).safetensors")
    addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
  }

  private func everything(_ trainer: StyleGANTrainer) -> [String: [Float]] {
    var all: [String: [Float]] = [:]
    let modules: [(String, Module)] = [
      ("g", trainer.generator), ("ema", trainer.averagedGenerator), ("d", trainer.discriminator)]
    for (prefix, module) in modules {
      for (name, tensor) in module.stateTensors() { all[prefix + name] = tensor.scalars }
    }
    for (name, tensor) in trainer.generatorOptimizer.stateContents().tensors { all["adam-g" + name] = tensor.scalars }
    for (name, tensor) in trainer.discriminatorOptimizer.stateContents().tensors {
      all["adam-d" + name] = tensor.scalars
    }
    return all
  }

  func testAStoppedRunContinuesBitForBit() throws {
    let (straight, straightData) = makeRun()
    var straightSampler = straightData
    for _ in 0..<5 { straight.step(real: straightSampler.next().examples) }

    let url = file()
    let (run, firstData) = makeRun()
    var firstSampler = firstData
    for _ in 0..<2 { run.step(real: firstSampler.next().examples) }
    let first = StyleGANTrainingState.Sitting(from: 0, to: 2, command: "swift run lesson --steps 2", learningRate: 0.002)
    try StyleGANTrainingState.save(
      run, sampler: firstSampler, recipe: recipe,
      position: StyleGANTrainingState.Position(step: 2, seconds: 1.5, sittings: [first]), to: url)

    let (second, secondData) = makeRun()
    var secondSampler = secondData
    let position = try StyleGANTrainingState.load(
      into: second, sampler: &secondSampler, recipe: recipe, steps: 5, from: url, flag: "--state")
    XCTAssertEqual(position.step, 2)
    XCTAssertEqual(position.seconds, 1.5)
    XCTAssertEqual(position.sittings, [first])
    XCTAssertEqual(second.iteration, 2)
    XCTAssertEqual(second.imagesSeen, 16)
    for _ in 0..<3 { second.step(real: secondSampler.next().examples) }

    let (a, b) = (everything(straight), everything(second))
    XCTAssertEqual(Set(a.keys), Set(b.keys))
    XCTAssertGreaterThan(a.count, 20)
    let differing = a.keys.filter { a[$0] != b[$0] }.sorted()
    XCTAssertTrue(differing.isEmpty, "differ after the continued run: \(differing.prefix(5))")
    XCTAssertEqual(straight.randomness.state, second.randomness.state)
    XCTAssertEqual(straightSampler.state, secondSampler.state)
  }

  func testAGeneratorTrainedInSeveralSittingsNamesEach() throws {
    let (run, sampler) = makeRun()
    let url = file()
    let sittings = [
      StyleGANTrainingState.Sitting(from: 0, to: 2, command: "swift run lesson --steps 2", learningRate: 0.002),
      StyleGANTrainingState.Sitting(
        from: 2, to: 4, command: "swift run lesson --steps 4 --learning-rate 0.0005 --r1-gamma 1",
        learningRate: 0.0005, r1Gamma: 1),
    ]
    try StyleGANTrainingState.save(
      run, sampler: sampler, recipe: recipe,
      position: StyleGANTrainingState.Position(step: 4, seconds: 3, sittings: sittings), to: url)
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sittings-\(UUID().uuidString)")
    addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
    let lesson = try Lesson(
      number: 8, slug: "sittings", title: "Sittings", arguments: ["--out", folder.path, "--no-render"],
      console: makeConsole(OutputBuffer()))
    let generator = file()
    lesson.saveStyleGANGenerator(
      run.averagedGenerator, to: generator.path, steps: 4, batch: 8, log: TrainingLog(),
      state: StyleGANStateFile(path: url.path, recipe: recipe))
    let metadata = try SafeTensors.readWithMetadata(from: generator).metadata
    XCTAssertEqual(StyleGANTrainingState.sittings(in: metadata), sittings)
    XCTAssertEqual(
      metadata["command"],
      "swift run lesson --steps 2 (steps 0–2, learning rate 0.002), then "
        + "swift run lesson --steps 4 --learning-rate 0.0005 --r1-gamma 1 "
        + "(steps 2–4, learning rate 0.0005, R1 γ 1.0)")
  }

  /// γ left the recipe so that a long run can weaken R1 once its early collapse is behind it. A state written while
  /// γ was part of the recipe still continues, and its sittings are said to have run at the γ it recorded.
  func testAStateWithGammaInItsRecipeContinuesAndNamesThatGamma() throws {
    let (run, data) = makeRun()
    var sampler = data
    let url = file()
    let old = StyleGANTrainingState.Sitting(from: 0, to: 2, command: "swift run lesson --steps 2", learningRate: 0.002)
    XCTAssertNil(old.r1Gamma)
    try StyleGANTrainingState.save(
      run, sampler: sampler, recipe: recipe.merging(["r1_gamma": "10.0"]) { $1 },
      position: StyleGANTrainingState.Position(step: 2, seconds: 1, sittings: [old]), to: url)
    let position = try StyleGANTrainingState.load(
      into: run, sampler: &sampler, recipe: recipe, steps: 4, from: url, flag: "--state")
    XCTAssertEqual(position.sittings.map(\.r1Gamma), [10])
    XCTAssertEqual(position.sittings[0].summary, "steps 0–2, learning rate 0.002, R1 γ 10.0")

    // Older still: no sittings at all. The one the steps are said to have had ran at the recorded γ too.
    let older = file()
    try StyleGANTrainingState.save(
      run, sampler: sampler, recipe: recipe.merging(["r1_gamma": "10.0"]) { $1 },
      position: StyleGANTrainingState.Position(step: 2, seconds: 1), to: older)
    let unrecorded = try StyleGANTrainingState.load(
      into: run, sampler: &sampler, recipe: recipe, steps: 4, from: older, flag: "--state")
    XCTAssertEqual(unrecorded.sittings.map(\.r1Gamma), [10])
  }

  func testFilesThatAreNotThisRunsStateAreRefused() throws {
    let (trainer, data) = makeRun()
    var sampler = data
    let url = file()
    try StyleGANTrainingState.save(
      trainer, sampler: sampler, recipe: recipe, position: StyleGANTrainingState.Position(step: 4, seconds: 0),
      to: url)
    func refusal(recipe: [String: String], steps: Int = 10, from source: URL) -> String {
      do {
        _ = try StyleGANTrainingState.load(
          into: trainer, sampler: &sampler, recipe: recipe, steps: steps, from: source, flag: "--state")
        return "accepted"
      } catch { return "\(error)" }
    }
    let otherSeed = refusal(recipe: ["network": "tiny", "seed": "4"], from: url)
    XCTAssertTrue(otherSeed.contains("--state \(url.path)") && otherSeed.contains("seed '3'")
                    && otherSeed.contains("'4'"), otherSeed)
    let done = refusal(recipe: recipe, steps: 4, from: url)
    XCTAssertTrue(done.contains("--steps 4") && done.contains("already at step 4"), done)
    // Saved without sittings: the steps are still said to have had a command of their own.
    let unrecorded = try StyleGANTrainingState.load(
      into: trainer, sampler: &sampler, recipe: recipe, steps: 10, from: url, flag: "--state")
    XCTAssertEqual(unrecorded.sittings.map(\.to), [4])
    XCTAssertTrue(unrecorded.sittings[0].command.contains("does not record"))

    let checkpoint = file()
    try Checkpoint.save(trainer.generator, to: checkpoint, metadata: ["steps": "100"])
    let generatorFile = refusal(recipe: recipe, from: checkpoint)
    XCTAssertTrue(generatorFile.contains("not a lesson 08 training state") && generatorFile.contains("'format'"),
                  generatorFile)

    let text = file()
    try Data("not a state".utf8).write(to: text)
    let garbage = refusal(recipe: recipe, from: text)
    XCTAssertTrue(garbage.hasPrefix("--state \(text.path)"), garbage)

    // A state of a wider network: the tensor and both shapes are named.
    let wide = StyleGANConfiguration(
      resolution: 8, channels: 1, zDim: 8, wDim: 8, mappingLayers: 2, channelBase: 64, channelMax: 16)
    var source = SeededGenerator(seed: 1)
    let other = StyleGANTrainer(
      generator: StyleGANGenerator(configuration: wide, using: &source),
      discriminator: StyleGANDiscriminator(configuration: wide, using: &source))
    let wideFile = file()
    try StyleGANTrainingState.save(
      other, sampler: sampler, recipe: recipe, position: StyleGANTrainingState.Position(step: 1, seconds: 0),
      to: wideFile)
    let shapes = refusal(recipe: recipe, from: wideFile)
    XCTAssertTrue(shapes.hasPrefix("--state") && shapes.contains("[16"), shapes)
  }
}
