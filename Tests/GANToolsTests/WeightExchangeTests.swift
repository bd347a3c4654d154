import Autograd
import Foundation
import GAN
import NN
import XCTest

@testable import GANTools

/// Weights both ways with the reference PyTorch implementations (torch 2.13.0+cpu, as the README's set-up installs):
/// a randomly initialised reference network, saved as `.pth` and converted by `Tools/convert_checkpoint.py`, or saved
/// as safetensors under its own names, gives our network's outputs on the same input; and ours, converted back, loads
/// into the reference class (strictly) with the same outputs. DCGAN's generator and discriminator
/// (pytorch/examples), CycleGAN's ResnetGenerator and NLayerDiscriminator (junyanz) and StyleGAN2's Generator and
/// Discriminator (stylegan2-ada-pytorch, with `StyleGANResampling.reference` and conv_clamp 256 here); the PyTorch
/// definitions are in `PyTorch/exchange.py`.
final class WeightExchangeTests: XCTestCase {
  static let kinds = ["dcgan-generator", "dcgan-discriminator", "cyclegan-generator", "cyclegan-discriminator",
                      "stylegan-generator", "stylegan-discriminator"]
  /// exchange.py's StyleGAN2 sizes.
  static let styleGAN = StyleGANConfiguration(
    resolution: 16, channels: 3, zDim: 16, wDim: 16, mappingLayers: 2, channelBase: 256, channelMax: 16,
    resampling: .reference, convClamp: 256)
  static let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
  static let exchange = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("PyTorch/exchange.py").path
  static let converter = package.appendingPathComponent("Tools/convert_checkpoint.py").path

  var folder = URL(fileURLWithPath: "/")

  override func setUpWithError() throws {
    folder = FileManager.default.temporaryDirectory.appendingPathComponent("exchange-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws {
    try? FileManager.default.removeItem(at: folder)
  }

  /// Runs python3 with `arguments`: its exit status and what it printed (standard output and error).
  func runPython(_ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3"] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, output)
  }

  /// Runs python3 and throws what it printed when it fails.
  @discardableResult
  func python(_ arguments: [String]) throws -> String {
    let (status, output) = try runPython(arguments)
    guard status == 0 else {
      throw PythonFailure(description: "python3 \(arguments.joined(separator: " ")) failed:\n\(output)")
    }
    return output
  }

  struct PythonFailure: Error, CustomStringConvertible { var description: String }

  /// Our network for `kind`, of the small sizes `exchange.py` uses, drawn from `seed`.
  func network(_ kind: String, seed: UInt64) -> any Layer {
    var random = SeededGenerator(seed: seed)
    switch kind {
    case "dcgan-generator": return DCGANGenerator(resolution: 64, noiseSize: 8, width: 4, channels: 3, using: &random)
    case "dcgan-discriminator": return DCGANDiscriminator(resolution: 64, width: 4, channels: 3, using: &random)
    case "cyclegan-generator":
      return ResnetGenerator(inputChannels: 3, outputChannels: 3, width: 4, blocks: 2, using: &random)
    case "stylegan-generator": return StyleGANGenerator(configuration: Self.styleGAN, using: &random)
    case "stylegan-discriminator": return StyleGANDiscriminator(configuration: Self.styleGAN, using: &random)
    default: return PatchGANDiscriminator(inputChannels: 3, width: 4, layers: 3, using: &random)
    }
  }

  /// The name prefix the converter gives `kind` in our files (CycleGAN's networks come in pairs).
  func prefix(_ kind: String) -> String {
    ["cyclegan-generator": "aToB.", "cyclegan-discriminator": "domainB."][kind] ?? ""
  }

  /// What the reference returns: the DCGAN discriminator's sigmoid (ours leaves it to the loss), flattened; StyleGAN's
  /// generator truncated with ψ = 0.7 (so w_avg counts) and its fixed noise images.
  func outputs(_ network: any Layer, _ kind: String, _ x: Tensor) -> [Float] {
    network.eval()
    let y = withoutGradients {
      (network as? StyleGANGenerator).map { $0(x, psi: 0.7, noise: .constant) } ?? network(x)
    }
    return kind == "dcgan-discriminator" ? y.scalars.map { 1 / (1 + Foundation.exp(-$0)) } : y.scalars
  }

  func assertClose(_ ours: [Float], _ theirs: [Float], _ what: String, line: UInt = #line) {
    XCTAssertEqual(ours.count, theirs.count, what, line: line)
    let scale = max(theirs.map { abs($0) }.max() ?? 0, 1e-6)
    let worst = zip(ours, theirs).map { abs($0 - $1) }.max() ?? .infinity
    XCTAssertLessThanOrEqual(worst / scale, 1e-4, "\(what): max error \(worst) relative to \(scale)", line: line)
  }

  func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

  func testReferenceWeightsLoadAndOursExportWithTheSameOutputs() throws {
    do {
      try python(["-c", "import torch, safetensors; assert torch.__version__.startswith('2.13.0')"])
    } catch {
      XCTFail("python3 with torch 2.13.0 (CPU) and safetensors is needed: pip install torch==2.13.0+cpu safetensors")
      return
    }
    try python([Self.exchange, "reference", folder.path])
    var exported: [String: [Float]] = [:]
    for kind in Self.kinds {
      let io = try SafeTensors.read(from: URL(fileURLWithPath: path("\(kind)-io.safetensors")))
      let (x, y) = (try XCTUnwrap(io["x"]), try XCTUnwrap(io["y"]).scalars)

      // PyTorch -> ours, through the converter.
      try python([Self.converter, path("\(kind).pth"), path("\(kind)-ours.safetensors")])
      // and back again: what the converter wrote is what it reads.
      try python([Self.converter, path("\(kind)-ours.safetensors"), path("\(kind)-back.pth")])
      let converted = try SafeTensors.read(from: URL(fileURLWithPath: path("\(kind)-ours.safetensors")))
      let mine = Dictionary(uniqueKeysWithValues: converted.map { (String($0.key.dropFirst(prefix(kind).count)), $0.value) })
      let fromConverter = network(kind, seed: 1)
      try fromConverter.loadState(mine, source: "\(kind)-ours.safetensors")
      assertClose(outputs(fromConverter, kind, x), y, "\(kind) converted")

      // PyTorch's names, loaded directly.
      let names = try SafeTensors.read(from: URL(fileURLWithPath: path("\(kind)-names.safetensors")))
      let direct = network(kind, seed: 2)
      try direct.loadState(try XCTUnwrap(ReferenceNames.ours(names), "\(kind): names not recognised"), source: kind)
      assertClose(outputs(direct, kind, x), y, "\(kind) under the reference names")

      // Ours -> PyTorch.
      let fresh = network(kind, seed: 3)
      exported[kind] = outputs(fresh, kind, x)
      let state = Dictionary(uniqueKeysWithValues: fresh.stateTensors().map { (prefix(kind) + $0.key, $0.value) })
      // What gan-train writes beside a StyleGAN network, which the converter checks.
      let metadata = kind.hasPrefix("stylegan") ? ["family": "stylegan", "resampling": "reference"] : [:]
      try SafeTensors.write(state, metadata: metadata, to: URL(fileURLWithPath: path("\(kind)-swift.safetensors")))
      try python([Self.converter, path("\(kind)-swift.safetensors"), path("\(kind)-exported.pth")])
    }
    try python([Self.exchange, "outputs", folder.path])
    for kind in Self.kinds {
      let torch = try SafeTensors.read(from: URL(fileURLWithPath: path("\(kind)-torch.safetensors")))
      assertClose(try XCTUnwrap(exported[kind]), try XCTUnwrap(torch["y"]).scalars, "\(kind) exported")
    }

    // The converted generators are gan-sample's and gan-translate's checkpoints, with or without metadata.
    for file in ["dcgan-generator-ours.safetensors", "dcgan-generator-names.safetensors"] {
      let generator = try GeneratorFile(path: path(file))
      XCTAssertEqual([generator.resolution, generator.channels, generator.latentSize], [64, 3, 8], file)
      XCTAssertEqual(generator.samples(count: 2, seed: 1).shape, [2, 3, 64, 64], file)
    }
    for file in ["stylegan-generator-ours.safetensors", "stylegan-generator-names.safetensors"] {
      let generator = try GeneratorFile(path: path(file))
      let style = try XCTUnwrap(generator.sampler as? StyleGANGenerator, file)
      XCTAssertEqual(style.configuration, Self.styleGAN, file)
      let io = try SafeTensors.read(from: URL(fileURLWithPath: path("stylegan-generator-io.safetensors")))
      assertClose(
        outputs(style, "stylegan-generator", try XCTUnwrap(io["x"])), try XCTUnwrap(io["y"]).scalars,
        "\(file) through GeneratorFile")
    }
    for file in ["cyclegan-generator-ours.safetensors", "cyclegan-generator-names.safetensors"] {
      let generator = try GeneratorFile(path: path(file))
      XCTAssertEqual(generator.family, .cyclegan, file)
      XCTAssertEqual(generator.directions, ["a-to-b"], file)
      let io = try SafeTensors.read(from: URL(fileURLWithPath: path("cyclegan-generator-io.safetensors")))
      let translated = inBatches(try XCTUnwrap(io["x"]), of: 2) { try! XCTUnwrap(generator.translators).aToB($0) }
      assertClose(translated.scalars, try XCTUnwrap(io["y"]).scalars, "\(file) through GeneratorFile")
    }
  }

  func testConverterRefusesWhatItCannotConvert() throws {
    guard (try? python(["-c", "import torch"])) != nil else {
      XCTFail("python3 with torch is needed: pip install torch==2.13.0+cpu safetensors")
      return
    }
    try Data("not a checkpoint".utf8).write(to: URL(fileURLWithPath: path("bad.pth")))
    try Data("not a checkpoint".utf8).write(to: URL(fileURLWithPath: path("bad.safetensors")))
    // A StyleGAN generator of the lessons' simplified resampling, one with a tensor too many, and a DCGAN generator.
    var random = SeededGenerator(seed: 4)
    var simplified = Self.styleGAN
    simplified.resampling = .simplified
    let lesson = StyleGANGenerator(configuration: simplified, using: &random).stateTensors()
    try SafeTensors.write(
      lesson, metadata: ["resampling": "simplified"], to: URL(fileURLWithPath: path("simple.safetensors")))
    try python(["-c", """
      import torch, sys; sys.path.insert(0, '\(URL(fileURLWithPath: Self.exchange).deletingLastPathComponent().path)')
      import exchange
      state = exchange.StyleGANGenerator().state_dict(); state['synthesis.b8.extra'] = torch.zeros(2)
      torch.save(state, '\(path("extra.pth"))'); torch.save(exchange.DCGANGenerator().state_dict(), '\(path("g.pth"))')
      """])
    for (arguments, expected) in [
      ([path("bad.pth"), path("o.safetensors")], "bad.pth: not a PyTorch checkpoint"),
      ([path("missing.pth"), path("o.safetensors")], "missing.pth"),
      ([path("bad.safetensors"), path("o.pth")], "bad.safetensors: not a safetensors file"),
      ([path("g.pth"), path("o.safetensors"), "--size", "30"], "--size 30"),
      ([path("g.pth"), path("o.txt")], "allowed: IN.pth (or .pt) OUT.safetensors, or IN.safetensors OUT.pth"),
      ([path("g.pth"), path("o.safetensors"), "--family", "stylegan"], "holds a dcgan network, not --family stylegan"),
      ([path("g.pth"), path("o.safetensors"), "--conv-clamp", "-1"], "--conv-clamp -1: allowed: none or a positive"),
      ([path("extra.pth"), path("o.safetensors")], "tensor synthesis.b8.extra is not a stylegan2-ada-pytorch Generator"),
      ([path("simple.safetensors"), path("o.pth")], "metadata resampling is simplified"),
    ] {
      let (status, output) = try runPython([Self.converter] + arguments)
      XCTAssertNotEqual(status, 0, "\(arguments)")
      XCTAssertTrue(output.contains(expected), "no '\(expected)' in: \(output)")
      XCTAssertFalse(output.contains("Traceback"), "a traceback instead of a message: \(output)")
      XCTAssertFalse(FileManager.default.fileExists(atPath: path("o.safetensors")))
      XCTAssertFalse(FileManager.default.fileExists(atPath: path("o.pth")))
    }
  }
}
