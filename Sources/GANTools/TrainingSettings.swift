import Autograd
import Datasets
import Foundation
import GAN

/// The three full-scale model families `gan-train` trains on a user's images.
public enum ModelFamily: String, Codable, CaseIterable, Sendable {
  /// DCGAN (Radford et al. 2016) as pytorch/examples `dcgan/main.py` builds it.
  case dcgan
  /// CycleGAN (Zhu et al. 2017): ResNet generators and PatchGAN discriminators, two unpaired folders.
  case cyclegan
  /// StyleGAN2 (Karras et al. 2020) as configured by `StyleGANConfiguration`.
  case stylegan
}

/// Everything that decides what a training run computes: the data, the architecture and the optimizer. A resumed run
/// must have the same settings (only the number of steps, and how often to checkpoint and sample, may change), so they
/// are saved in the checkpoint's `state.json`. Fields that a family does not use keep their defaults.
public struct TrainingSettings: Codable, Equatable, Sendable {
  public var family: ModelFamily
  /// The image folder (domain A for CycleGAN).
  public var images: String
  /// Domain B's folder (CycleGAN only).
  public var imagesB: String?
  /// The images' side in pixels after centre-cropping and scaling.
  public var size: Int
  /// 1 (greyscale) or 3 (RGB).
  public var channels: Int
  /// Images per step (per domain for CycleGAN).
  public var batch: Int
  public var seed: UInt64
  public var learningRate: Double
  /// DCGAN's ngf = ndf, CycleGAN's ngf = ndf.
  public var width: Int
  /// DCGAN's nz; StyleGAN's z and w dimensions.
  public var latentSize: Int
  /// CycleGAN's residual blocks.
  public var blocks: Int
  /// StyleGAN's mapping layers, channel base and channel maximum.
  public var mappingLayers: Int
  public var channelBase: Int
  public var channelMax: Int
  /// Whether unreadable image files stop the run (`fail`) or are listed and left out (`skip`).
  public var badFiles: String
  /// StyleGAN's resampling (`StyleGANResampling`); nil in run states written before it was a setting, whose
  /// networks used `simplified`.
  public var resampling: String?

  public init(
    family: ModelFamily, images: String, imagesB: String? = nil, size: Int, channels: Int = 3, batch: Int,
    seed: UInt64 = 1, learningRate: Double, width: Int = 64, latentSize: Int = 100, blocks: Int = 9,
    mappingLayers: Int = 8, channelBase: Int = 16384, channelMax: Int = 512, badFiles: ImageFolder.BadFiles = .fail,
    resampling: StyleGANResampling = .reference
  ) {
    self.family = family
    self.images = images
    self.imagesB = imagesB
    self.size = size
    self.channels = channels
    self.batch = batch
    self.seed = seed
    self.learningRate = learningRate
    self.width = width
    self.latentSize = latentSize
    self.blocks = blocks
    self.mappingLayers = mappingLayers
    self.channelBase = channelBase
    self.channelMax = channelMax
    self.badFiles = badFiles.rawValue
    self.resampling = family == .stylegan ? resampling.rawValue : nil
  }

  /// The first setting in which `self` and `other` differ, as (field, self's value, other's value).
  public func firstDifference(from other: TrainingSettings) -> (field: String, mine: String, theirs: String)? {
    let fields: [(String, String, String)] = [
      ("family", family.rawValue, other.family.rawValue), ("images", images, other.images),
      ("imagesB", imagesB ?? "-", other.imagesB ?? "-"), ("size", "\(size)", "\(other.size)"),
      ("channels", "\(channels)", "\(other.channels)"), ("batch", "\(batch)", "\(other.batch)"),
      ("seed", "\(seed)", "\(other.seed)"), ("learningRate", "\(learningRate)", "\(other.learningRate)"),
      ("width", "\(width)", "\(other.width)"), ("latentSize", "\(latentSize)", "\(other.latentSize)"),
      ("blocks", "\(blocks)", "\(other.blocks)"), ("mappingLayers", "\(mappingLayers)", "\(other.mappingLayers)"),
      ("channelBase", "\(channelBase)", "\(other.channelBase)"),
      ("channelMax", "\(channelMax)", "\(other.channelMax)"), ("badFiles", badFiles, other.badFiles),
      ("resampling", resampling ?? "simplified", other.resampling ?? "simplified"),
    ]
    return fields.first { $0.1 != $0.2 }.map { (field: $0.0, mine: $0.1, theirs: $0.2) }
  }

  /// The StyleGAN configuration these settings describe.
  public var styleGANConfiguration: StyleGANConfiguration {
    StyleGANConfiguration(resolution: size, channels: channels, zDim: latentSize, wDim: latentSize,
                          mappingLayers: mappingLayers, channelBase: channelBase, channelMax: channelMax,
                          resampling: StyleGANResampling(rawValue: resampling ?? "") ?? .simplified)
  }
}

/// What a checkpoint folder holds besides the networks and optimizers: the settings, the step, and every random
/// stream's position, so that `--resume` continues bit for bit. Written last, atomically, after the tensor files.
public struct RunState: Codable, Equatable, Sendable {
  /// The format of this file (1); older or newer formats are reported, not guessed at.
  public var format: Int
  public var settings: TrainingSettings
  /// Steps done.
  public var step: Int
  /// Training seconds over all processes of the run so far.
  public var seconds: Double
  /// The steps the learning-rate schedule spans (CycleGAN's linear decay), kept across resumes.
  public var scheduleSteps: Int?
  /// Named random streams (the noise, the image pools' choices, StyleGAN's latents).
  public var random: [String: SeededGenerator.State]
  /// Named batch samplers' positions.
  public var samplers: [String: InfiniteBatchSampler.State]
  /// CycleGAN's image pools (their images are in `pools.safetensors`).
  public var pools: [String: ImagePool.State]
  /// StyleGAN's count of images shown to D (for the EMA's ramp-up).
  public var imagesSeen: Int

  public static let currentFormat = 1
}
