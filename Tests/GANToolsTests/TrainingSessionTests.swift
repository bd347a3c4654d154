import Autograd
import Datasets
import Foundation
import NN
import XCTest

@testable import GANTools

/// gan-train's sessions on small image folders the tests write: a resumed run equals the uninterrupted one bit for
/// bit (networks, optimizers, image pools, losses) for each family; the generator file rebuilds itself for sampling
/// and translation; every way a checkpoint folder or a flag can be wrong is one clear error.
final class TrainingSessionTests: XCTestCase {
  var root = URL(fileURLWithPath: "/")

  override func setUpWithError() throws {
    root = FileManager.default.temporaryDirectory.appendingPathComponent("gan-tools-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws {
    try? FileManager.default.removeItem(at: root)
  }

  /// A folder of `count` RGB PNG images, `side` pixels square: a bright disc at a varying place on a dark ground,
  /// or horizontal or vertical stripes.
  func imageFolder(_ name: String, count: Int, side: Int, pattern: String = "disc") throws -> String {
    let folder = root.appendingPathComponent(name)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    for i in 0..<count {
      var pixels: [UInt8] = []
      let (cx, cy) = (Double(side) * (0.3 + 0.4 * Double(i % 5) / 4), Double(side) * (0.3 + 0.4 * Double(i % 3) / 2))
      for y in 0..<side {
        for x in 0..<side {
          let on: Bool
          switch pattern {
          case "horizontal": on = (y + i) % 6 < 3
          case "vertical": on = (x + i) % 6 < 3
          default: on = (Double(x) - cx) * (Double(x) - cx) + (Double(y) - cy) * (Double(y) - cy) < Double(side * side) / 16
          }
          pixels += on ? [230, UInt8(100 + 10 * (i % 10)), 60] : [20, 30, 50]
        }
      }
      let png = ImageFile.encodePNG(DecodedImage(width: side, height: side, channels: 3, pixels: pixels))
      try png.write(to: folder.appendingPathComponent(String(format: "image-%03d.png", i)))
    }
    return folder.path
  }

  func settings(_ family: ModelFamily) throws -> TrainingSettings {
    switch family {
    case .dcgan:
      return TrainingSettings(family: .dcgan, images: try imageFolder("discs", count: 12, side: 10), size: 8,
                              batch: 4, seed: 3, learningRate: 2e-4, width: 4, latentSize: 8)
    case .cyclegan:
      return TrainingSettings(family: .cyclegan, images: try imageFolder("h", count: 5, side: 32, pattern: "horizontal"),
                              imagesB: try imageFolder("v", count: 5, side: 32, pattern: "vertical"), size: 32,
                              batch: 1, seed: 3, learningRate: 2e-4, width: 2, blocks: 1)
    case .stylegan:
      return TrainingSettings(family: .stylegan, images: try imageFolder("discs", count: 12, side: 10), size: 8,
                              batch: 4, seed: 3, learningRate: 2e-3, latentSize: 8, mappingLayers: 2,
                              channelBase: 64, channelMax: 8)
    }
  }

  func options(_ out: String, steps: Int, resume: Bool = false, schedule: Int? = nil) -> SessionOptions {
    SessionOptions(steps: steps, checkpointEvery: 3, sampleEvery: 2, resume: resume, scheduleSteps: schedule,
                   out: root.appendingPathComponent(out), command: "test")
  }

  /// Every tensor of every safetensors file in a run folder, by file and name.
  func tensors(_ out: String) throws -> [String: [Float]] {
    var all: [String: [Float]] = [:]
    let folder = root.appendingPathComponent(out)
    for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) where name.hasSuffix(".safetensors") {
      for (key, tensor) in try SafeTensors.read(from: folder.appendingPathComponent(name)) {
        all["\(name):\(key)"] = tensor.scalars
      }
    }
    return all
  }

  func testResumingContinuesBitForBitInEveryFamily() throws {
    for family in ModelFamily.allCases {
      let settings = try settings(family)
      let steps = 8
      _ = try TrainingSession(settings: settings, options: options("\(family)-whole", steps: steps)).train()
      _ = try TrainingSession(settings: settings, options: options("\(family)-parts", steps: steps / 2,
                                                                    schedule: steps)).train()
      _ = try TrainingSession(settings: settings, options: options("\(family)-parts", steps: steps, resume: true))
        .train()
      let whole = try tensors("\(family)-whole"), parts = try tensors("\(family)-parts")
      XCTAssertEqual(Set(whole.keys), Set(parts.keys), "\(family)")
      XCTAssertGreaterThan(whole.count, 10, "\(family): too few tensors to mean anything")
      for (key, values) in whole {
        XCTAssertEqual(values.map(\.bitPattern), parts[key]?.map(\.bitPattern), "\(family) \(key)")
      }
      let losses = { (out: String) in
        try String(contentsOf: self.root.appendingPathComponent(out).appendingPathComponent("losses.tsv"), encoding: .utf8)
      }
      XCTAssertEqual(try losses("\(family)-whole"), try losses("\(family)-parts"), "\(family) losses.tsv")
      XCTAssertEqual(try losses("\(family)-whole").split(separator: "\n").count, steps + 1)
      // What a run leaves, for the user to look at.
      let folder = root.appendingPathComponent("\(family)-parts")
      for file in ["samples.png", "samples.gif", "losses.gp", "losses.dat", "notes.md", "state.json",
                   "samples/step-0000000.png", "samples/step-0000008.png"] {
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent(file).path), "\(family) \(file)")
      }
      let notes = try String(contentsOf: folder.appendingPathComponent("notes.md"), encoding: .utf8)
      XCTAssertTrue(notes.contains("this process: 5 to 8"), notes)
      XCTAssertTrue(notes.contains("images per second"), notes)
    }
  }

  func testGeneratorFilesRebuildThemselvesForSamplingAndTranslation() throws {
    for family in ModelFamily.allCases {
      let settings = try settings(family)
      _ = try TrainingSession(settings: settings, options: options("\(family)", steps: 2)).train()
      let file = try GeneratorFile(path: root.appendingPathComponent("\(family)").path)
      XCTAssertEqual(file.family, family)
      XCTAssertEqual(file.resolution, settings.size)
      if family == .cyclegan {
        let pair = try XCTUnwrap(file.translators)
        let input = Tensor.randomNormal([1, 3, 32, 32], using: &Self.random)
        XCTAssertEqual(inBatches(input, of: 1) { pair.aToB($0) }.shape, [1, 3, 32, 32])
      } else {
        let samples = file.samples(count: 3, seed: 5)
        XCTAssertEqual(samples.shape, [3, 3, settings.size, settings.size])
        XCTAssertEqual(samples.scalars, file.samples(count: 3, seed: 5).scalars, "the same seed, the same samples")
        XCTAssertTrue(samples.scalars.allSatisfy { $0 >= -1 && $0 <= 1 } || family == .stylegan)
      }
    }
  }

  nonisolated(unsafe) static var random = SeededGenerator(seed: 1)

  // MARK: Bad input

  func expect(_ expected: String..., when body: () throws -> Void, line: UInt = #line) {
    do {
      try body()
      XCTFail("no error; expected one naming \(expected)", line: line)
    } catch {
      let message = "\(error)"
      for word in expected { XCTAssertTrue(message.contains(word), "'\(word)' not in: \(message)", line: line) }
      XCTAssertFalse(message.contains("\n"), "one line: \(message)", line: line)
    }
  }

  func testCheckpointFoldersAndFlagsThatCannotWorkAreNamed() throws {
    let good = try settings(.dcgan)
    _ = try TrainingSession(settings: good, options: options("run", steps: 3)).train()
    let run = root.appendingPathComponent("run")

    expect("--out", "already holds a run at step 3", "--resume") {
      _ = try TrainingSession(settings: good, options: options("run", steps: 6))
    }
    expect("--resume", "holds no run") {
      _ = try TrainingSession(settings: good, options: options("empty", steps: 6, resume: true))
    }
    var other = good
    other.width = 8
    expect("--resume", "width 4", "gives 8") {
      _ = try TrainingSession(settings: other, options: options("run", steps: 6, resume: true))
    }
    expect("--steps", "already at step 3") {
      _ = try TrainingSession(settings: good, options: options("run", steps: 3, resume: true))
    }
    var big = good
    big.batch = 13
    expect("--batch", "13", "12 usable images") {
      _ = try TrainingSession(settings: big, options: options("big", steps: 3))
    }
    try Data("plain".utf8).write(to: root.appendingPathComponent("file"))
    expect("--out", "is a file") {
      _ = try TrainingSession(settings: good, options: options("file", steps: 3))
    }
    let cyclegan = try settings(.cyclegan)
    expect("--steps", "schedule", "--schedule-steps") {
      _ = try TrainingSession(settings: cyclegan, options: options("cg", steps: 6, schedule: 4))
    }

    // A checkpoint interrupted between files: the generator is from a later step than state.json.
    let state = run.appendingPathComponent("state.json")
    let saved = try Data(contentsOf: state)
    let generator = run.appendingPathComponent("generator.safetensors")
    let contents = try SafeTensors.readWithMetadata(from: generator)
    try SafeTensors.write(contents.tensors, metadata: contents.metadata.merging(["step": "9"]) { $1 }, to: generator)
    expect("generator.safetensors", "step 9", "state.json from step 3") {
      _ = try TrainingSession(settings: good, options: options("run", steps: 6, resume: true))
    }
    try SafeTensors.write(contents.tensors, metadata: contents.metadata, to: generator)

    try Data("{\"format\": 2}".utf8).write(to: state)
    expect("state.json", "format 2", "reads format 1") {
      _ = try TrainingSession(settings: good, options: options("run", steps: 6, resume: true))
    }
    try Data(saved.prefix(saved.count / 2)).write(to: state)
    expect("state.json", "not a gan-train state file") {
      _ = try TrainingSession(settings: good, options: options("run", steps: 6, resume: true))
    }
    try Data(String(decoding: saved, as: UTF8.self).replacingOccurrences(of: "\"step\" : 3", with: "\"step\" : \"x\"").utf8)
      .write(to: state)
    expect("state.json", "damaged") {
      _ = try TrainingSession(settings: good, options: options("run", steps: 6, resume: true))
    }
    try saved.write(to: state)

    // A generator file without gan-train's metadata (another program's safetensors).
    try SafeTensors.write(contents.tensors, metadata: [:], to: root.appendingPathComponent("bare.safetensors"))
    expect("bare.safetensors", "\"family\"", "missing", "dcgan, cyclegan, stylegan") {
      _ = try GeneratorFile(path: root.appendingPathComponent("bare.safetensors").path)
    }
    try SafeTensors.write(contents.tensors, metadata: contents.metadata.merging(["width": "-3"]) { $1 },
                          to: root.appendingPathComponent("width.safetensors"))
    expect("width.safetensors", "\"width\"", "\"-3\"") {
      _ = try GeneratorFile(path: root.appendingPathComponent("width.safetensors").path)
    }
    // Still resumable after all that, and it goes on from step 3.
    let summary = try TrainingSession(settings: good, options: options("run", steps: 5, resume: true)).train()
    XCTAssertEqual(summary.firstStep, 4)
  }
}
