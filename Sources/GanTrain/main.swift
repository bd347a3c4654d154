// gan-train: the full-scale DCGAN, CycleGAN and StyleGAN2 on a folder of your own images, with checkpoints that
// resume bit for bit. See the README's "After the course" section.
//
//   swift run gan-train dcgan --images photos/ --size 64 --steps 20000 --out runs/faces
//   swift run gan-train cyclegan --a horses/ --b zebras/ --size 256 --steps 100000 --out runs/h2z
//   swift run gan-train stylegan --images photos/ --size 64 --steps 50000 --out runs/faces-sg
//   swift run gan-train dcgan ... --steps 40000 --out runs/faces --resume     # continue to 40,000
import ArgumentParser
import Datasets
import Foundation
import GAN
import GANTools
import LessonKit


/// The flags every family shares.
struct RunFlags: ParsableArguments {
  @Option(allowed: .count(1...10_000_000), help: "Train up to this step (with --resume: over the whole run).")
  var steps: Int = 10_000
  @Option(help: ArgumentHelp("The run's folder: checkpoint, samples, losses and notes.", valueName: "dir"))
  var out: String
  @Flag(help: "Continue the run saved in --out (same data and architecture) up to --steps.")
  var resume = false
  @Option(allowed: .count(1...10_000_000), help: "Write a checkpoint every this many steps (and at the end).")
  var checkpointEvery: Int = 1000
  @Option(
    allowed: .count(1...10_000_000), help: "Save a preview frame every this many steps (default: --steps / 40).")
  var sampleEvery: Int?
  @Option(allowed: .count(1...3), help: "1 for greyscale, 3 for RGB.") var channels: Int = 3
  @Option(help: ArgumentHelp("The seed of the initialization, noise and batch order (0 to 2^64 - 1)."))
  var seed: UInt64 = 1
  @Option(help: "Unreadable image files: stop (fail) or leave them out and list them (skip).")
  var badFiles: ImageFolder.BadFiles = .fail

  func validate() throws {
    guard channels == 1 || channels == 3 else {
      throw ValidationError("--channels \(channels): must be 1 (greyscale) or 3 (RGB)")
    }
  }

  func options(command: String, scheduleSteps: Int? = nil) -> SessionOptions {
    SessionOptions(steps: steps, checkpointEvery: checkpointEvery, sampleEvery: sampleEvery ?? max(1, steps / 40),
                   resume: resume, scheduleSteps: scheduleSteps, out: URL(fileURLWithPath: out), command: command)
  }
}

func isPowerOfTwo(_ n: Int) -> Bool { n > 0 && n & (n - 1) == 0 }

func checkFolder(_ path: String, _ flag: String) throws {
  var isFolder: ObjCBool = false
  guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue else {
    throw ValidationError("\(flag) \(path): no such folder; give a folder of PNG or JPEG images")
  }
}

/// Runs a session; every error becomes one line on standard error and exit status 1.
func train(_ settings: TrainingSettings, _ flags: RunFlags, scheduleSteps: Int? = nil) throws {
  let command = (["gan-train"] + CommandLine.arguments.dropFirst()).joined(separator: " ")
  do {
    try reportingErrors(tool: "gan-train") {
      _ = try TrainingSession(settings: settings, options: flags.options(command: command, scheduleSteps: scheduleSteps))
        .train()
    }
  } catch is ToolFailure {
    throw ExitCode.failure
  }
}

struct DCGANCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "dcgan", abstract: "DCGAN (Radford et al. 2016) as pytorch/examples builds it, on one folder.")
  @Option(help: ArgumentHelp("The folder of training images (PNG or JPEG).", valueName: "dir")) var images: String
  @Option(allowed: .count(8...1024), help: "Image side in pixels, a power of two (the paper: 64).") var size: Int = 64
  @OptionGroup var common: RunFlags
  @Option(allowed: .count(1...8192), help: "Images per step (the paper: 128).") var batch: Int = 128
  @Option(allowed: .rate, help: "Adam's learning rate (the paper: 2e-4).") var learningRate: Double = 2e-4
  @Option(allowed: .count(1...1024), help: "Channels ngf = ndf (the paper: 64).") var width: Int = 64
  @Option(allowed: .count(1...4096), help: "Size of the noise z (the paper: 100).") var noiseSize: Int = 100

  func validate() throws {
    guard isPowerOfTwo(size) else { throw ValidationError("--size \(size): must be a power of two from 8 to 1024") }
    try checkFolder(images, "--images")
  }

  func run() throws {
    try train(TrainingSettings(
      family: .dcgan, images: images, size: size, channels: common.channels, batch: batch, seed: common.seed,
      learningRate: learningRate, width: width, latentSize: noiseSize, badFiles: common.badFiles), common)
  }
}

struct CycleGANCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "cyclegan", abstract: "CycleGAN (Zhu et al. 2017): unpaired translation between two folders.")
  @Option(help: ArgumentHelp("Domain A's images (PNG or JPEG).", valueName: "dir")) var a: String
  @Option(help: ArgumentHelp("Domain B's images (PNG or JPEG).", valueName: "dir")) var b: String
  @Option(allowed: .count(32...1024), help: "Image side in pixels, a multiple of 4 (the paper: 256).")
  var size: Int = 256
  @OptionGroup var common: RunFlags
  @Option(allowed: .count(1...1024), help: "Images of each domain per step (the paper: 1).") var batch: Int = 1
  @Option(allowed: .rate, help: "Adam's learning rate (the paper: 2e-4).") var learningRate: Double = 2e-4
  @Option(allowed: .count(1...1024), help: "Channels ngf = ndf (the paper: 64).") var width: Int = 64
  @Option(allowed: .count(0...64), help: "Residual blocks (the paper: 9 at 256 and above, 6 below).")
  var blocks: Int?
  @Option(
    allowed: .count(1...10_000_000),
    help: "Steps the learning rate is planned over: constant for the first half, then linearly to 0 at the end "
      + "(default: --steps; on --resume, the run's plan).")
  var scheduleSteps: Int?

  func validate() throws {
    guard size % 4 == 0 else { throw ValidationError("--size \(size): must be a multiple of 4 from 32 to 1024") }
    try checkFolder(a, "--a")
    try checkFolder(b, "--b")
  }

  func run() throws {
    try train(TrainingSettings(
      family: .cyclegan, images: a, imagesB: b, size: size, channels: common.channels, batch: batch,
      seed: common.seed, learningRate: learningRate, width: width, blocks: blocks ?? (size >= 256 ? 9 : 6),
      badFiles: common.badFiles), common, scheduleSteps: scheduleSteps)
  }
}

struct StyleGANCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "stylegan", abstract: "StyleGAN2 (Karras et al. 2020) on one folder.")
  @Option(help: ArgumentHelp("The folder of training images (PNG or JPEG).", valueName: "dir")) var images: String
  @Option(allowed: .count(8...1024), help: "Image side in pixels, a power of two.") var size: Int = 64
  @OptionGroup var common: RunFlags
  @Option(allowed: .count(1...1024), help: "Images per step, a multiple of 4 above 4 (stylegan2-ada: 32 to 64).")
  var batch: Int = 32
  @Option(allowed: .rate, help: "Adam's learning rate (the paper: 0.002).") var learningRate: Double = 0.002
  @Option(allowed: .count(1...4096), help: "Size of z and w (the paper: 512).") var latentSize: Int = 512
  @Option(allowed: .count(1...16), help: "Layers of the mapping network (the paper: 8).") var mappingLayers: Int = 8
  @Option(allowed: .count(8...65536), help: "Channels at resolution r are channel-base / r (paper256: 16384).")
  var channelBase: Int = 16384
  @Option(allowed: .count(1...1024), help: "The most channels of any layer (the paper: 512).") var channelMax: Int = 512
  @Option(help: "Resampling: the reference's filtered (exchangeable with PyTorch) or the lessons' simpler one.")
  var resampling: StyleGANResampling = .reference

  func validate() throws {
    guard isPowerOfTwo(size) else { throw ValidationError("--size \(size): must be a power of two from 8 to 1024") }
    guard channelBase >= size else {
      throw ValidationError("--channel-base \(channelBase): must be at least --size \(size) (one channel at the top)")
    }
    guard batch <= 4 || batch % 4 == 0 else {
      throw ValidationError("--batch \(batch): must be at most 4 or a multiple of 4 (D's minibatch groups of 4)")
    }
    try checkFolder(images, "--images")
  }

  func run() throws {
    try train(TrainingSettings(
      family: .stylegan, images: images, size: size, channels: common.channels, batch: batch, seed: common.seed,
      learningRate: learningRate, latentSize: latentSize, mappingLayers: mappingLayers, channelBase: channelBase,
      channelMax: channelMax, badFiles: common.badFiles, resampling: resampling), common)
  }
}

struct GANTrain: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "gan-train",
    abstract: "Train a full-scale GAN on your own images, with checkpoints that resume bit for bit.",
    subcommands: [DCGANCommand.self, CycleGANCommand.self, StyleGANCommand.self])
}

GANTrain.main()
