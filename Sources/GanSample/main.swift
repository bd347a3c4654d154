// gan-sample: draws images from a generator trained by gan-train (DCGAN or StyleGAN2) and writes them as PNG files.
//
//   swift run gan-sample runs/faces/generator.safetensors --count 64 --out samples/
import ArgumentParser
import Foundation
import GANTools
import LessonKit

struct GANSample: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "gan-sample", abstract: "Draw samples from a gan-train generator as PNG files.")
  @Argument(help: ArgumentHelp("generator.safetensors written by gan-train (or its run folder).", valueName: "checkpoint"))
  var checkpoint: String
  @Option(allowed: .count(1...100_000), help: "How many images.") var count: Int = 64
  @Option(help: ArgumentHelp("The folder to write sample-NNNNN.png into (created if missing).", valueName: "dir"))
  var out: String
  @Option(help: ArgumentHelp("The seed of the noise (0 to 2^64 - 1).")) var seed: UInt64 = 1
  @Option(allowed: .number(0...1), help: "StyleGAN only: truncation ψ, w pulled towards its average (1: none).")
  var truncation: Double = 1

  func run() throws {
    do {
      try reportingErrors(tool: "gan-sample") { try work() }
    } catch is ToolFailure {
      throw ExitCode.failure
    }
  }

  func work() throws {
    let generator = try GeneratorFile(path: checkpoint)
    guard generator.family != .cyclegan else {
      throw TrainingError.badFlag(
        flag: checkpoint, reason: "is a CycleGAN generator: it translates images; use gan-translate")
    }
    let folder = try createOutputFolder(out)
    let started = Date()
    let images = generator.samples(count: count, seed: seed, psi: Float(truncation))
    for index in 0..<count {
      try writePNG(images, index: index, to: folder.appendingPathComponent(String(format: "sample-%05d.png", index)))
    }
    print("gan-sample: \(count) \(generator.family.rawValue) samples, \(generator.resolution)x\(generator.resolution),"
            + " in \(NumberFormat.duration(Date().timeIntervalSince(started))) -> \(out)")
  }
}

GANSample.main()
