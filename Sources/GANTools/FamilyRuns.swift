import Autograd
import Datasets
import Foundation
import GAN
import NN

/// One family's networks, optimizers and training step, seen the same way by `TrainingSession`.
protocol FamilyRun: AnyObject {
  /// The names of the values `step` returns, in order (the loss plot's legend).
  var lossNames: [String] { get }
  /// Images each step consumes (for the throughput).
  var imagesPerStep: Int { get }
  /// One training step (`step` counts from 1; `total` is the steps the learning-rate schedule spans).
  func step(_ step: Int, of total: Int) -> [Double]
  /// The fixed preview shown over training: images [N, C, H, W] in [-1, 1], and the grid's columns.
  func preview() -> (images: Tensor, columns: Int)
  /// The networks to save, by file name; `generator.safetensors` is what `gan-sample` and `gan-translate` load.
  var modules: [(file: String, module: Module)] { get }
  var optimizers: [(file: String, optimizer: any Optimizer)] { get }
  /// Records the random streams and positions in `state`, and any tensors they need in `tensors`.
  func save(into state: inout RunState, tensors: inout [String: Tensor])
  /// Continues from a saved state (the networks and optimizers are already loaded).
  func restore(from state: RunState, tensors: [String: Tensor], source: String) throws
  /// The architecture, for `generator.safetensors`' metadata (so a checkpoint can be rebuilt from the file alone).
  var generatorMetadata: [String: String] { get }
}

/// Holds a batch sampler that a trainer's closure reads from while the run saves and restores it.
final class SamplerBox {
  var sampler: InfiniteBatchSampler
  init(_ sampler: InfiniteBatchSampler) { self.sampler = sampler }
}

// MARK: - DCGAN

/// DCGAN with the paper's recipe: Adam (lr 2e-4, β1 0.5, β2 0.999), the non-saturating loss, one D step per G step,
/// batch 128, z ∈ ℝ¹⁰⁰ from N(0, I), weights from N(0, 0.02).
final class DCGANRun: FamilyRun {
  let generator: DCGANGenerator
  let discriminator: DCGANDiscriminator
  let trainer: GANTrainer
  let data: SamplerBox
  var random: SeededGenerator
  let fixedNoise: Tensor
  let settings: TrainingSettings

  init(settings: TrainingSettings, images: Tensor) {
    self.settings = settings
    var initial = SeededGenerator(seed: settings.seed)
    generator = DCGANGenerator(resolution: settings.size, noiseSize: settings.latentSize, width: settings.width,
                               channels: settings.channels, using: &initial)
    discriminator = DCGANDiscriminator(resolution: settings.size, width: settings.width, channels: settings.channels,
                                       using: &initial)
    let rate = Float(settings.learningRate)
    let box = SamplerBox(InfiniteBatchSampler(examples: images, batchSize: settings.batch, seed: initial.next()))
    data = box
    trainer = GANTrainer(
      generator: generator, critic: discriminator,
      generatorOptimizer: Adam(for: generator, learningRate: rate, beta1: 0.5, beta2: 0.999),
      criticOptimizer: Adam(for: discriminator, learningRate: rate, beta1: 0.5, beta2: 0.999),
      loss: .nonSaturating, batchSize: settings.batch, noiseSize: settings.latentSize,
      realBatch: { _ in box.sampler.next().examples })
    fixedNoise = Tensor.randomNormal([previewCount(settings.size), settings.latentSize], using: &initial)
    random = SeededGenerator(seed: initial.next())
  }

  var lossNames: [String] { ["D loss", "G loss"] }
  var imagesPerStep: Int { settings.batch }

  func step(_ step: Int, of total: Int) -> [Double] {
    let result = trainer.step(using: &random)
    return [Double(result.critic.loss), Double(result.generatorLoss)]
  }

  func preview() -> (images: Tensor, columns: Int) {
    (sample(generator, fixedNoise), previewColumns(settings.size))
  }

  var modules: [(file: String, module: Module)] {
    [("generator.safetensors", generator), ("discriminator.safetensors", discriminator)]
  }

  var optimizers: [(file: String, optimizer: any Optimizer)] {
    [("generator-adam.safetensors", trainer.generatorOptimizer),
     ("discriminator-adam.safetensors", trainer.criticOptimizer)]
  }

  func save(into state: inout RunState, tensors: inout [String: Tensor]) {
    state.random["noise"] = random.state
    state.samplers["images"] = data.sampler.state
  }

  func restore(from state: RunState, tensors: [String: Tensor], source: String) throws {
    random = SeededGenerator(state: try required(state.random["noise"], "random.noise", source))
    try data.sampler.restore(try required(state.samplers["images"], "samplers.images", source), source: source)
  }

  var generatorMetadata: [String: String] {
    ["family": "dcgan", "resolution": "\(settings.size)", "channels": "\(settings.channels)",
     "noise_size": "\(settings.latentSize)", "width": "\(settings.width)"]
  }
}

// MARK: - CycleGAN

/// CycleGAN with the paper's recipe: least-squares loss, λ = 10, identity 0.5 λ, image pools of 50, Adam (2e-4,
/// β1 0.5), batch 1, weights from N(0, 0.02) as the reference's `init_type=normal`; the learning rate is constant for
/// the first half of the steps and decays linearly to 0 over the second (the paper's 100 + 100 epochs, in steps).
final class CycleGANRun: FamilyRun {
  let model: CycleGAN
  let dataA: SamplerBox, dataB: SamplerBox
  let fixedA: Tensor, fixedB: Tensor
  let settings: TrainingSettings

  init(settings: TrainingSettings, imagesA: Tensor, imagesB: Tensor) {
    self.settings = settings
    var initial = SeededGenerator(seed: settings.seed)
    func generator() -> ResnetGenerator {
      ResnetGenerator(inputChannels: settings.channels, outputChannels: settings.channels, width: settings.width,
                      blocks: settings.blocks, weightInitializer: .dcgan, biasInitializer: .zeros, using: &initial)
    }
    func discriminator() -> PatchGANDiscriminator {
      PatchGANDiscriminator(inputChannels: settings.channels, width: settings.width, weightInitializer: .dcgan,
                            biasInitializer: .zeros, using: &initial)
    }
    let (g, f, dA, dB) = (generator(), generator(), discriminator(), discriminator())
    model = CycleGAN(aToB: g, bToA: f, discriminatorA: dA, discriminatorB: dB,
                     configuration: CycleGAN.Configuration(learningRate: Float(settings.learningRate)),
                     using: &initial)
    dataA = SamplerBox(InfiniteBatchSampler(examples: imagesA, batchSize: settings.batch, seed: initial.next()))
    dataB = SamplerBox(InfiniteBatchSampler(examples: imagesB, batchSize: settings.batch, seed: initial.next()))
    let shown = min(4, imagesA.shape[0], imagesB.shape[0])
    fixedA = imagesA.examples(at: Array(0..<shown))
    fixedB = imagesB.examples(at: Array(0..<shown))
  }

  var lossNames: [String] { ["D_A loss", "D_B loss", "G adversarial", "cycle"] }
  var imagesPerStep: Int { 2 * settings.batch }

  func step(_ step: Int, of total: Int) -> [Double] {
    // Constant for the first half, then linearly to 0 at the last step (the reference's `linear` policy).
    let half = total / 2
    let factor = step <= half ? 1 : max(0, Float(total - step + 1) / Float(total - half + 1))
    model.generatorOptimizer.learningRate = Float(settings.learningRate) * factor
    model.discriminatorOptimizer.learningRate = Float(settings.learningRate) * factor
    let losses = model.step(realA: dataA.sampler.next().examples, realB: dataB.sampler.next().examples)
    return [losses.discriminatorA, losses.discriminatorB, losses.generatorAdversarial, losses.cycle].map(Double.init)
  }

  /// Rows: real A, G(A), real B, F(B).
  func preview() -> (images: Tensor, columns: Int) {
    let translatedB = sample(model.generators.aToB, fixedA), translatedA = sample(model.generators.bToA, fixedB)
    return (concatenate([fixedA, translatedB, fixedB, translatedA], alongAxis: 0), fixedA.shape[0])
  }

  var modules: [(file: String, module: Module)] {
    [("generator.safetensors", model.generators), ("discriminator.safetensors", model.discriminators)]
  }

  var optimizers: [(file: String, optimizer: any Optimizer)] {
    [("generator-adam.safetensors", model.generatorOptimizer),
     ("discriminator-adam.safetensors", model.discriminatorOptimizer)]
  }

  func save(into state: inout RunState, tensors: inout [String: Tensor]) {
    state.samplers["a"] = dataA.sampler.state
    state.samplers["b"] = dataB.sampler.state
    state.pools["a"] = model.poolA.state
    state.pools["b"] = model.poolB.state
    if let images = model.poolA.storedImages { tensors["pool.a"] = images }
    if let images = model.poolB.storedImages { tensors["pool.b"] = images }
  }

  func restore(from state: RunState, tensors: [String: Tensor], source: String) throws {
    try dataA.sampler.restore(try required(state.samplers["a"], "samplers.a", source), source: source)
    try dataB.sampler.restore(try required(state.samplers["b"], "samplers.b", source), source: source)
    for (name, pool) in [("a", \CycleGAN.poolA), ("b", \CycleGAN.poolB)] {
      let saved = try required(state.pools[name], "pools.\(name)", source)
      if let problem = model[keyPath: pool].restore(saved, images: tensors["pool.\(name)"]) {
        throw TrainingError.badCheckpoint(file: source, reason: "image pool \(name): \(problem)")
      }
    }
  }

  var generatorMetadata: [String: String] {
    ["family": "cyclegan", "resolution": "\(settings.size)", "channels": "\(settings.channels)",
     "width": "\(settings.width)", "blocks": "\(settings.blocks)"]
  }
}

// MARK: - StyleGAN

/// StyleGAN2 with `StyleGANTrainer`'s recipe (Adam 0.002, β 0/0.99, lazy R1 γ = 10 every 16 steps, mixing 0.9, the
/// generator's moving average with a 10k-image half-life); `generator.safetensors` holds the averaged generator,
/// which samples come from, and `training-generator.safetensors` the one the optimizer moves.
final class StyleGANRun: FamilyRun {
  let trainer: StyleGANTrainer
  let data: SamplerBox
  let fixedLatents: Tensor
  let settings: TrainingSettings

  init(settings: TrainingSettings, images: Tensor) {
    self.settings = settings
    var initial = SeededGenerator(seed: settings.seed)
    let configuration = settings.styleGANConfiguration
    let generator = StyleGANGenerator(configuration: configuration, using: &initial)
    let discriminator = StyleGANDiscriminator(configuration: configuration, using: &initial)
    trainer = StyleGANTrainer(
      generator: generator, discriminator: discriminator,
      options: StyleGANTrainingOptions(learningRate: Float(settings.learningRate), seed: initial.next()))
    data = SamplerBox(InfiniteBatchSampler(examples: images, batchSize: settings.batch, seed: initial.next()))
    fixedLatents = Tensor.randomNormal([previewCount(settings.size), configuration.zDim], using: &initial)
  }

  var lossNames: [String] { ["D loss", "G loss"] }
  var imagesPerStep: Int { settings.batch }

  func step(_ step: Int, of total: Int) -> [Double] {
    let result = trainer.step(real: data.sampler.next().examples)
    return [Double(result.discriminatorLoss), Double(result.generatorLoss)]
  }

  func preview() -> (images: Tensor, columns: Int) {
    let g = trainer.averagedGenerator
    return (withoutGradients { g(fixedLatents, psi: 1, noise: .constant) }, previewColumns(settings.size))
  }

  var modules: [(file: String, module: Module)] {
    [("generator.safetensors", trainer.averagedGenerator), ("training-generator.safetensors", trainer.generator),
     ("discriminator.safetensors", trainer.discriminator)]
  }

  var optimizers: [(file: String, optimizer: any Optimizer)] {
    [("generator-adam.safetensors", trainer.generatorOptimizer),
     ("discriminator-adam.safetensors", trainer.discriminatorOptimizer)]
  }

  func save(into state: inout RunState, tensors: inout [String: Tensor]) {
    state.random["latents"] = trainer.randomness.state
    state.samplers["images"] = data.sampler.state
    state.imagesSeen = trainer.imagesSeen
  }

  func restore(from state: RunState, tensors: [String: Tensor], source: String) throws {
    let randomness = SeededGenerator(state: try required(state.random["latents"], "random.latents", source))
    try data.sampler.restore(try required(state.samplers["images"], "samplers.images", source), source: source)
    trainer.resume(iteration: state.step, imagesSeen: state.imagesSeen, randomness: randomness)
  }

  var generatorMetadata: [String: String] {
    let c = settings.styleGANConfiguration
    return ["family": "stylegan", "resolution": "\(c.resolution)", "channels": "\(c.channels)",
            "z_dim": "\(c.zDim)", "w_dim": "\(c.wDim)", "mapping_layers": "\(c.mappingLayers)",
            "channel_base": "\(c.channelBase)", "channel_max": "\(c.channelMax)", "resampling": c.resampling.rawValue]
  }
}

// MARK: - Helpers

/// Preview grids stay projector-sized: 64 images up to 64x64, 16 above.
func previewCount(_ size: Int) -> Int { size <= 64 ? 64 : 16 }
func previewColumns(_ size: Int) -> Int { size <= 64 ? 8 : 4 }

/// A network's outputs in evaluation mode (batch norm from its running statistics), without a graph, leaving the
/// network in the mode it was in.
func sample(_ network: any Layer, _ input: Tensor) -> Tensor {
  let training = network.isTraining
  network.eval()
  defer { network.setTraining(training) }
  return inBatches(input, of: 16) { network($0) }
}

func required<T>(_ value: T?, _ field: String, _ source: String) throws -> T {
  guard let value else { throw TrainingError.badCheckpoint(file: source, reason: "field \(field) is missing") }
  return value
}
