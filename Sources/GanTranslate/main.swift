// gan-translate: translates a folder of images with a CycleGAN generator trained by gan-train (G: A -> B, or F:
// B -> A with --direction b-to-a). Each image is centre-cropped and scaled to the model's size first.
//
//   swift run gan-translate runs/h2z/generator.safetensors --images horses/ --out zebras/
import ArgumentParser
import Datasets
import Foundation
import GANTools
import LessonKit
import NN

struct GANTranslate: ParsableCommand {
  enum Direction: String, ExpressibleByArgument, CaseIterable { case aToB = "a-to-b", bToA = "b-to-a" }

  static let configuration = CommandConfiguration(
    commandName: "gan-translate", abstract: "Translate a folder of images with a gan-train CycleGAN generator.")
  @Argument(help: ArgumentHelp("generator.safetensors written by gan-train cyclegan (or its run folder).",
                               valueName: "checkpoint"))
  var checkpoint: String
  @Option(help: ArgumentHelp("The folder of images to translate (PNG or JPEG).", valueName: "dir")) var images: String
  @Option(help: ArgumentHelp("The folder to write the translations into (same names, .png).", valueName: "dir"))
  var out: String
  @Option(help: "Which generator: G (a-to-b) or F (b-to-a).") var direction: Direction = .aToB
  @Option(allowed: .count(8...4096), help: "The side images are cropped and scaled to, a multiple of 4 (default: the "
            + "checkpoint's size; the ResNet generator itself takes any).")
  var size: Int?
  @Option(help: "Unreadable image files: stop (fail) or leave them out and list them (skip).")
  var badFiles: ImageFolder.BadFiles = .fail

  func validate() throws {
    if let size, size % 4 != 0 { throw ValidationError("--size \(size): must be a multiple of 4") }
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: images, isDirectory: &isFolder), isFolder.boolValue else {
      throw ValidationError("--images \(images): no such folder; give a folder of PNG or JPEG images")
    }
  }

  func run() throws {
    do {
      try reportingErrors(tool: "gan-translate") { try work() }
    } catch is ToolFailure {
      throw ExitCode.failure
    }
  }

  func work() throws {
    let generator = try GeneratorFile(path: checkpoint)
    guard let pair = generator.translators else {
      throw TrainingError.badFlag(
        flag: checkpoint, reason: "is a \(generator.family.rawValue) generator: it samples; use gan-sample")
    }
    guard generator.directions.contains(direction.rawValue) else {
      throw TrainingError.badFlag(
        flag: "--direction", reason: "\(direction.rawValue): \(checkpoint) holds only \(generator.directions.joined(separator: ", "))")
    }
    let side = size ?? generator.resolution
    let data = try ImageFolder(folder: images, size: side, channels: generator.channels,
                               badFiles: badFiles)
    for (file, reason) in data.skipped { print("  skipped \(file): \(reason)") }
    let folder = try createOutputFolder(out)
    let network = direction == .aToB ? pair.aToB : pair.bToA
    let started = Date()
    for (index, file) in data.files.enumerated() {
      let translated = inBatches(data.images.sliced(axis: 0, index..<(index + 1)), of: 1) { network($0) }
      let name = ((file as NSString).deletingPathExtension as NSString).appendingPathExtension("png")!
      try writePNG(translated, index: 0, to: folder.appendingPathComponent(name))
    }
    let seconds = Date().timeIntervalSince(started)
    print("gan-translate: \(data.files.count) images (\(direction.rawValue)), \(side)x\(side), "
            + "\(NumberFormat.duration(seconds / Double(data.files.count))) per image -> \(out)")
  }
}

GANTranslate.main()
