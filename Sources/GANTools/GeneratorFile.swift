import Autograd
import Datasets
import Foundation
import GAN
import NN
import Plotting

/// A generator rebuilt from `generator.safetensors` alone: its metadata names the family and the architecture
/// (written by `gan-train`), so `gan-sample` and `gan-translate` need no other file.
public struct GeneratorFile {
  public let family: ModelFamily
  public let resolution: Int
  public let channels: Int
  public let metadata: [String: String]
  /// DCGAN and StyleGAN: noise -> images.
  public let sampler: (any Layer)?
  /// DCGAN's z size or StyleGAN's z dimension.
  public let latentSize: Int
  /// CycleGAN: G (A -> B) and F (B -> A).
  public let translators: CycleGANGenerators?
  /// CycleGAN: the directions the file holds weights for (`a-to-b`, `b-to-a`).
  public private(set) var directions = ["a-to-b", "b-to-a"]

  /// Reads the file (a run folder is read as its `generator.safetensors`).
  public init(path: String) throws {
    var url = URL(fileURLWithPath: path)
    var isFolder: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
      url = url.appendingPathComponent("generator.safetensors")
    }
    let contents = try SafeTensors.readWithMetadata(from: url)
    var (tensors, metadata) = (contents.tensors, contents.metadata)
    // A reference implementation's state_dict saved as safetensors: its names translated, its architecture read off
    // its shapes (metadata the file carries wins).
    if let kind = ReferenceNames.kind(of: tensors.keys) {
      guard kind != .patchGAN, kind != .styleGANDiscriminator else {
        throw TrainingError.badCheckpoint(
          file: url.path, reason: "is a \(kind == .patchGAN ? "PatchGAN" : "StyleGAN2") discriminator, not a generator")
      }
      tensors = ReferenceNames.ours(tensors) ?? [:]
      if kind == .cycleGANGenerator {
        tensors = Dictionary(uniqueKeysWithValues: tensors.map { ("aToB." + $0.key, $0.value) })
      }
      metadata = Self.architecture(of: tensors, kind: kind).merging(metadata) { $1 }
    }
    func field(_ name: String) throws -> Int {
      guard let text = metadata[name], let value = Int(text), value > 0 else {
        throw TrainingError.badCheckpoint(
          file: url.path, reason: "metadata field \"\(name)\" is \(metadata[name].map { "\"\($0)\"" } ?? "missing"); "
            + "gan-sample and gan-translate read generators written by gan-train (a positive whole number here)")
      }
      return value
    }
    guard let familyName = metadata["family"], let family = ModelFamily(rawValue: familyName) else {
      throw TrainingError.badCheckpoint(
        file: url.path, reason: "metadata field \"family\" is \(metadata["family"].map { "\"\($0)\"" } ?? "missing");"
          + " allowed: \(ModelFamily.allCases.map(\.rawValue).joined(separator: ", ")) (written by gan-train)")
    }
    self.family = family
    self.metadata = metadata
    resolution = try field("resolution")
    channels = try field("channels")
    guard channels == 1 || channels == 3 else {
      throw TrainingError.badCheckpoint(file: url.path, reason: "metadata field \"channels\" is \(channels); allowed: 1, 3")
    }
    var scratch = SeededGenerator(seed: 0)  // the weights are overwritten by the file's
    let module: Module
    switch family {
    case .dcgan:
      guard resolution >= 8, resolution <= 1024, resolution & (resolution - 1) == 0 else {
        throw TrainingError.badCheckpoint(file: url.path, reason: "resolution \(resolution) is not a power of two from 8 to 1024")
      }
      latentSize = try field("noise_size")
      let g = DCGANGenerator(resolution: resolution, noiseSize: latentSize, width: try field("width"),
                             channels: channels, using: &scratch)
      (sampler, translators, module) = (g, nil, g)
    case .stylegan:
      guard resolution >= 4, resolution <= 1024, resolution & (resolution - 1) == 0,
            try field("channel_base") >= resolution else {
        throw TrainingError.badCheckpoint(
          file: url.path, reason: "resolution \(resolution) must be a power of two up to 1024 and at most channel_base")
      }
      latentSize = try field("z_dim")
      // gan-train's files from before the reference resampling was its default say nothing: they are simplified.
      guard let resampling = StyleGANResampling(rawValue: metadata["resampling"] ?? "simplified") else {
        throw TrainingError.badCheckpoint(
          file: url.path, reason: "metadata field \"resampling\" is \"\(metadata["resampling"]!)\"; allowed: "
            + StyleGANResampling.allCases.map(\.rawValue).joined(separator: ", "))
      }
      var clamp: Float? = nil
      if let text = metadata["conv_clamp"], text != "none" {
        guard let value = Float(text), value > 0, value.isFinite else {
          throw TrainingError.badCheckpoint(
            file: url.path, reason: "metadata field \"conv_clamp\" is \"\(text)\"; allowed: none or a positive number")
        }
        clamp = value
      }
      let g = StyleGANGenerator(
        configuration: StyleGANConfiguration(
          resolution: resolution, channels: channels, zDim: latentSize, wDim: try field("w_dim"),
          mappingLayers: try field("mapping_layers"), channelBase: try field("channel_base"),
          channelMax: try field("channel_max"), resampling: resampling, convClamp: clamp),
        using: &scratch)
      (sampler, translators, module) = (g, nil, g)
    case .cyclegan:
      latentSize = 0
      let (width, blocks) = (try field("width"), Int(metadata["blocks"] ?? "") ?? -1)
      guard blocks >= 0 else {
        throw TrainingError.badCheckpoint(file: url.path, reason: "metadata field \"blocks\" is missing or negative")
      }
      let c = channels
      let g = ResnetGenerator(inputChannels: c, outputChannels: c, width: width, blocks: blocks, using: &scratch)
      let f = ResnetGenerator(inputChannels: c, outputChannels: c, width: width, blocks: blocks, using: &scratch)
      let pair = CycleGANGenerators(aToB: g, bToA: f)
      // A converted reference generator may hold one direction only (a published model such as horse2zebra's).
      if tensors.keys.contains(where: { $0.hasPrefix("bToA.") }) {
        (sampler, translators, module) = (nil, pair, pair)
      } else {
        directions = ["a-to-b"]
        tensors = Dictionary(uniqueKeysWithValues: tensors.map { (String($0.key.dropFirst("aToB.".count)), $0.value) })
        (sampler, translators, module) = (nil, pair, g)
      }
    }
    try module.loadState(tensors, source: url.path)
    module.eval()
  }

  /// The metadata gan-train would have written, read off a reference generator's shapes (in our names).
  static func architecture(of tensors: [String: Tensor], kind: ReferenceNames.Kind) -> [String: String] {
    switch kind {
    case .dcgan:
      let convolutions = tensors.filter { $0.key.hasSuffix(".weight") && $0.value.rank == 4 }
        .sorted { Int($0.key.split(separator: ".")[2]) ?? 0 < Int($1.key.split(separator: ".")[2]) ?? 0 }
      guard let first = convolutions.first?.value, let last = convolutions.last?.value else { return [:] }
      return ["family": "dcgan", "resolution": "\(4 << (convolutions.count - 1))", "channels": "\(last.shape[1])",
              "noise_size": "\(first.shape[0])", "width": "\(last.shape[0])"]
    case .cycleGANGenerator:
      guard let input = tensors["aToB.inputConv.weight"] else { return [:] }
      let blocks = Set(tensors.keys.filter { $0.hasPrefix("aToB.blocks.") }.map { $0.split(separator: ".")[2] }).count
      return ["family": "cyclegan", "resolution": "256", "channels": "\(input.shape[1])",
              "width": "\(input.shape[0])", "blocks": "\(blocks)"]
    case .styleGANGenerator:
      // Widths are min(channel_base / r, channel_max): the widest (4x4) is channel_max; the first resolution below
      // it fixes channel_base (any base reproducing every width is the same network). A state_dict does not say
      // whether its network clamped: 256 is what the reference's train.py sets, as Tools/convert_checkpoint.py assumes.
      let mapping = tensors.filter { $0.key.hasPrefix("mappingNetwork.layers.") && $0.key.hasSuffix(".weight") }
      let blocks = tensors.keys.filter { $0.hasPrefix("synthesisNetwork.blocks.") && $0.hasSuffix(".toRGB.weight") }
      guard let first = tensors["mappingNetwork.layers.0.weight"], !blocks.isEmpty,
            let rgb = tensors["synthesisNetwork.blocks.0.toRGB.weight"] else { return [:] }
      let resolution = 4 << (blocks.count - 1)
      let widths = (0..<blocks.count).map { tensors["synthesisNetwork.blocks.\($0).toRGB.weight"]?.shape[1] ?? 0 }
      let widest = widths.max() ?? 0
      let base = zip(widths, (0..<blocks.count).map { 4 << $0 }).first { $0.0 < widest }.map { $0.0 * $0.1 }
        ?? widest * resolution
      return ["family": "stylegan", "resolution": "\(resolution)", "channels": "\(rgb.shape[0])",
              "z_dim": "\(first.shape[1])", "w_dim": "\(first.shape[0])", "mapping_layers": "\(mapping.count)",
              "channel_base": "\(base)", "channel_max": "\(widest)", "resampling": "reference",
              "conv_clamp": "256"]
    case .patchGAN, .styleGANDiscriminator:
      return [:]
    }
  }

  /// `count` samples [count, channels, resolution, resolution] in [-1, 1] from noise drawn with `seed`;
  /// StyleGAN's w is truncated towards its average by `psi` (1: none).
  public func samples(count: Int, seed: UInt64, psi: Float = 1) -> Tensor {
    guard let sampler else { preconditionFailure("GeneratorFile.samples: a \(family) generator does not sample") }
    var random = SeededGenerator(seed: seed)
    let z = Tensor.randomNormal([count, latentSize], using: &random)
    if let style = sampler as? StyleGANGenerator {
      return inBatches(z, of: 16) { style($0, psi: psi, noise: .random, using: &random) }
    }
    return inBatches(z, of: 16) { sampler($0) }
  }
}

/// Writes image [C, H, W] (values in [-1, 1]) of `images` as a PNG file, atomically.
public func writePNG(_ images: Tensor, index: Int, to url: URL) throws {
  let (channels, height, width) = (images.shape[1], images.shape[2], images.shape[3])
  let plane = height * width
  let scalars = images.sliced(axis: 0, index..<(index + 1)).scalars
  var pixels = [UInt8](repeating: 0, count: plane * channels)
  for c in 0..<channels {
    for p in 0..<plane {
      let value = (scalars[c * plane + p] + 1) * 127.5
      pixels[p * channels + c] = UInt8(max(0, min(255, value.rounded())))
    }
  }
  let data = ImageFile.encodePNG(DecodedImage(width: width, height: height, channels: channels, pixels: pixels))
  do {
    try AtomicFile.write(data, to: url)
  } catch {
    throw TrainingError.badFlag(flag: "--out", reason: "cannot write \(url.path): \(error)")
  }
}

/// Runs a tool's work; any error becomes one line `tool: message` on standard error and a non-zero exit (thrown as
/// `ToolFailure`, which the caller turns into its exit status).
public func reportingErrors(tool: String, _ body: () throws -> Void) throws {
  do {
    try body()
  } catch let error as CustomStringConvertible {
    FileHandle.standardError.write(Data("\(tool): \(error.description)\n".utf8))
    throw ToolFailure()
  }
}

/// The error `reportingErrors` throws after it has printed the message.
public struct ToolFailure: Error {}

/// Creates the output folder `path` (and its parents) for `--out`.
public func createOutputFolder(_ path: String) throws -> URL {
  let folder = URL(fileURLWithPath: path)
  do {
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
  } catch {
    throw TrainingError.badFlag(flag: "--out", reason: "cannot create \(path): \(error.localizedDescription)")
  }
  return folder
}
