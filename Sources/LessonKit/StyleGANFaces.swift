import ArgumentParser
import Autograd
import Datasets
import Foundation
import GAN
import NN
import Plotting

/// The two image domains of the StyleGAN lesson.
extension SynthesisOutput: ExpressibleByArgument {}
extension StyleGANResampling: ExpressibleByArgument {}

extension StyleGANConfiguration {
  /// The same sizes with the synthesis network `network` names (its image output and where AdaIN sits).
  public func with(_ network: SynthesisNetworkChoice) -> StyleGANConfiguration {
    var changed = self
    changed.output = network.output
    changed.adaptiveNormResolutions = network.adaptiveNorm.resolutions(upTo: resolution)
    changed.resampling = network.resampling
    return changed
  }
}

/// Lesson 08's choice of synthesis network: where the image comes from, which layers end in AdaIN, and how both
/// networks change resolution.
public struct SynthesisNetworkChoice: Equatable, Sendable {
  public var output: SynthesisOutput
  public var adaptiveNorm: AdaptiveNormPlacement
  public var resampling: StyleGANResampling

  public init(
    output: SynthesisOutput, adaptiveNorm: AdaptiveNormPlacement, resampling: StyleGANResampling = .simplified
  ) {
    self.output = output
    self.adaptiveNorm = adaptiveNorm
    self.resampling = resampling
  }

  /// StyleGAN2's own: every block's toRGB summed, no AdaIN.
  public static let styleGAN2 = SynthesisNetworkChoice(output: .skip, adaptiveNorm: .none)
  /// StyleGAN1's synthesis inside StyleGAN2's recipe: the image from the last block alone, every layer ending in AdaIN.
  public static let adaptiveNormEverywhere = SynthesisNetworkChoice(output: .lastBlock, adaptiveNorm: .everyBlock)

  /// As the lesson's flags spell it.
  public var flags: String {
    "--output \(output.rawValue) --adaptive-norm \(adaptiveNorm.rawValue) --resampling \(resampling.rawValue)"
  }
}

/// Where lesson 08's generator uses StyleGAN1's AdaIN (`StyleGANConfiguration.adaptiveNormResolutions`).
public enum AdaptiveNormPlacement: String, CaseIterable, Sendable, ExpressibleByArgument {
  case none
  case lastBlock = "last-block"
  case everyBlock = "every-block"

  /// The resolutions it names in a generator of `resolution`.
  public func resolutions(upTo resolution: Int) -> ClosedRange<Int>? {
    switch self {
    case .none: nil
    case .lastBlock: resolution...resolution
    case .everyBlock: 4...resolution
    }
  }
}

public enum StyleGANDataset: String, CaseIterable, Sendable, ExpressibleByArgument {
  /// Cartoon faces rendered from known factors (pose, hair, features, colors, light): the paper's faces story,
  /// measurable because every factor is known.
  case faces
  /// MNIST digits padded to 32×32.
  case mnist

  /// The synthesis network of the shipped generator and of the default run. On faces, StyleGAN2's own network let
  /// the coarse styles decide the colors with the pose; AdaIN in every layer (StyleGAN1's synthesis) moved the colors
  /// to the fine styles (the lesson's notes measure both).
  public var defaultNetwork: SynthesisNetworkChoice {
    switch self {
    case .faces: .adaptiveNormEverywhere
    case .mnist: .styleGAN2
    }
  }
}

/// The StyleGAN lesson's network and training options (the faces' and the digits' defaults differ where nil).
public struct StyleGANFlags: ParsableArguments, Sendable {
  @Option(allowed: .count(4...512), help: "Images per batch (a multiple of --minibatch-group).")
  public var batch: Int = 32
  @Option(allowed: .count(32...8192), help: "Channels at resolution r: min(channel-base / r, channel-max) (default "
    + "512 for faces, 256 for digits; with --pretrained, the shipped generator's).")
  public var channelBase: Int?
  @Option(allowed: .count(1...512), help: "The widest feature map (default 64 for faces, 32 for digits; with "
    + "--pretrained, the shipped generator's).")
  public var channelMax: Int?
  @Option(allowed: .count(1...1024), help: "Length of z and of w.")
  public var wDim: Int = 64
  @Option(allowed: .weight, help: "R1 penalty weight γ, applied lazily every 16 steps (default 1 for faces, 10 for "
    + "digits).")
  public var r1Gamma: Float?
  @Option(allowed: .rate, help: "Adam's learning rate for both networks.")
  public var learningRate: Float = 0.002
  @Option(allowed: .share, help: "The share of training batches that mix two latents (style-mixing regularization).")
  public var mixingProbability: Float = 0.9
  @Option(allowed: .count(1...512), help: "Group size of D's minibatch standard deviation (must divide --batch).")
  public var minibatchGroup: Int = 4
  @Option(help: ArgumentHelp(
    "Where the image comes from: every block's toRGB summed (StyleGAN2's skip), or the last block's alone (default "
      + "last-block for faces, skip for digits)."))
  public var output: SynthesisOutput?
  @Option(help: ArgumentHelp(
    "Which blocks' layers end in StyleGAN1's adaptive instance normalization, AdaIN (default every-block for faces, "
      + "none for digits)."))
  public var adaptiveNorm: AdaptiveNormPlacement?
  @Option(help: ArgumentHelp(
    "How both networks change resolution: nearest-neighbor upsampling and average pooling (simplified), or the "
      + "StyleGAN2 reference's [1, 3, 3, 1] low-pass filter inside strided convolutions (default simplified)."))
  public var resampling: StyleGANResampling?

  public init() {}

  /// The widths (channel base, channel max): the flags', else those in `shipped` (a shipped generator's metadata,
  /// for a run that studies that generator: it may be wider than the default run's network, which must train in
  /// class time), else the dataset's defaults.
  public func widths(for dataset: StyleGANDataset, shipped: [String: String] = [:]) -> (base: Int, max: Int) {
    let faces = dataset == .faces
    return (channelBase ?? shipped["channel_base"].flatMap { Int($0) } ?? (faces ? 512 : 256),
            channelMax ?? shipped["channel_max"].flatMap { Int($0) } ?? (faces ? 64 : 32))
  }

  /// The synthesis network the flags ask for on `dataset` (the dataset's default where a flag is not given).
  public func network(for dataset: StyleGANDataset) -> SynthesisNetworkChoice {
    let standard = dataset.defaultNetwork
    return SynthesisNetworkChoice(
      output: output ?? standard.output, adaptiveNorm: adaptiveNorm ?? standard.adaptiveNorm,
      resampling: resampling ?? standard.resampling)
  }

  /// How the synthesis network on `dataset` differs from StyleGAN2's own, as a sentence for the narration (empty for
  /// StyleGAN2's own network).
  public func networkSentence(for dataset: StyleGANDataset) -> String {
    let network = network(for: dataset)
    var parts: [String] = []
    if network.output == .lastBlock { parts.append("only the last block has a toRGB: the image is its output alone") }
    switch network.adaptiveNorm {
    case .none: break
    case .lastBlock: parts.append("the last block's layers end in StyleGAN1's AdaIN")
    case .everyBlock: parts.append("every layer ends in StyleGAN1's AdaIN")
    }
    if network.resampling == .reference {
      parts.append("both networks resample as the reference does, through the [1, 3, 3, 1] low-pass filter (a "
        + "stride-2 transposed convolution then the filter to upsample, the filter then a stride-2 convolution to "
        + "downsample) instead of nearest neighbor and average pooling")
    }
    guard !parts.isEmpty else { return "" }
    let adaIN = "AdaIN standardizes each image's each channel over its pixels, then scales and shifts it by two more "
      + "affine maps of the layer's w, so the style sets each channel's level and spread"
    let source = network == dataset.defaultNetwork ? "On \(dataset.rawValue), unlike StyleGAN2" : "Changed by the flags"
    return " \(source): " + parts.joined(separator: "; ") + (network.adaptiveNorm == .none ? "." : ". " + adaIN + ".")
  }

  /// Refuses `--output` and `--adaptive-norm` with `--pretrained` where they name another network than the shipped
  /// generator's.
  public func checkShippedNetwork(pretrained: Bool, dataset: StyleGANDataset) throws {
    let (asked, shipped) = (network(for: dataset), dataset.defaultNetwork)
    guard pretrained, asked != shipped else { return }
    throw ValidationError(
      "\(asked.flags): the shipped \(dataset.rawValue) generator has another synthesis network (allowed with "
        + "--pretrained: \(shipped.flags)); train one without --pretrained")
  }

  public func validate() throws {
    guard batch % minibatchGroup == 0 else {
      throw ValidationError("--minibatch-group must divide --batch \(batch), got \(minibatchGroup)")
    }
  }
}

extension Lesson {
  /// The judge of cartoon faces: the shipped `pretrained/face-regressor.safetensors` (beside the lesson's source,
  /// `lessonSource`), or, with `trainSteps`, a regressor trained here on freshly rendered faces (and saved to
  /// `saveTo` if given), on faces of `size`×`size` pixels as the lesson's generator draws them.
  public func faceRegressor(
    trainSteps: Int?, size: Int, saveTo path: String?, lessonSource: String = #filePath
  ) -> FactorRegressor {
    var initial = SeededGenerator(seed: seed &+ 101)
    let regressor = FactorRegressor(factorCount: FaceFactors.names.count, using: &initial)
    guard let steps = trainSteps else {
      _ = loadPretrained(regressor, file: "face-regressor.safetensors", lessonSource: lessonSource)
      return regressor
    }
    var data = SeededGenerator(seed: seed &+ 102)
    let bar = progress(total: steps, label: "training the face regressor")
    let started = Date()
    regressor.train(steps: steps, nextBatch: { CartoonFaces.sample(count: 64, size: size, using: &data) }) {
      bar.update($0, values: ["loss": Double($1)])
    }
    bar.finish()
    saveCheckpoint(
      regressor, to: path, what: "the face regressor",
      metadata: [
        "command": "swift run lesson-08-stylegan-mixing " + commandLine(dropping: ["--out"]),
        "steps": String(steps), "seed": String(seed), "batch": "64",
        "wall_time_seconds": String(format: "%.0f", Date().timeIntervalSince(started)), "machine": machineDescription(),
      ])
    return regressor
  }
}

/// What mixing each level of styles from A into B does to the three groups of face factors: `shares[level][group]`
/// is the mean over the group's factors of how far the mixed face moved from B's value toward A's (1 = A's, 0 = B's).
public struct FaceMixingShares: Sendable {
  public let shares: [[Double]]
  /// Each factor's share, by level: `perFactor[level][factor]`.
  public let perFactor: [[Double]]

  public init(perFactor: [[Double]]) {
    self.perFactor = perFactor
    shares = perFactor.map { factorShares in
      FaceFactorLevel.allCases.map { group in
        let indices = FaceFactors.indices(of: group)
        return indices.map { factorShares[$0] }.reduce(0, +) / Double(indices.count)
      }
    }
  }

  /// The share of `group`'s factors that mixing `level`'s styles from A moves to A's.
  public func share(mixing level: FaceFactorLevel, of group: FaceFactorLevel) -> Double {
    shares[FaceFactorLevel.allCases.firstIndex(of: level)!][FaceFactorLevel.allCases.firstIndex(of: group)!]
  }
}

extension Figure {
  /// For each level taken from A, how far each group of face factors moved to A's value.
  public static func faceMixingMeasured(_ measured: FaceMixingShares) -> Figure {
    let colors: [Color] = [.vermillion, .green, .blue]
    let groups = FaceFactorLevel.allCases
    return Figure(
      name: "mixing-measured", title: "Whose factors does the mixed face get?",
      panels: [
        .groupedBars(
          title: "0 = B's value, 1 = A's value", xLabel: "the level whose styles come from A",
          yLabel: "share moved to A's value", groups: groups.map(\.rawValue),
          series: groups.indices.map { g in
            (groups[g].factors, measured.shares.map { $0[g] }, colors[g])
          },
          range: -0.1...1.5)
      ])
  }
}

/// What lesson 08 studies a generator against: the training images (nil when nothing trains), 1000 held-out real
/// images, 1000 more for the Fréchet distance's real-vs-real floor, and the judge (the face regressor, with its R²
/// per factor on the held-out faces, or the digit classifier).
public struct StyleGANLessonData {
  public let train: Tensor?
  public let heldOut: Tensor
  public let floorImages: Tensor
  public let judge: any StyleGANJudge
  public let regressor: FactorRegressor?
  public let explainedVariance: [Double]
  public let digitJudge: PaddedDigitJudge?
}

extension Lesson {
  /// Cartoon faces of `size`×`size` pixels: `trainCount` rendered for training (none when nil), 2 × 1000 fresh ones,
  /// and the regressor (shipped, or trained for `trainJudge` steps and saved to `saveJudge`) with its R² on the fresh
  /// faces.
  public func cartoonFaceData(
    size: Int, trainCount: Int?, trainJudge: Int?, saveJudge: String?, lessonSource: String = #filePath
  ) -> StyleGANLessonData {
    var rendering = SeededGenerator(seed: seed &+ 7)
    let train = trainCount.map { CartoonFaces.sample(count: $0, size: size, using: &rendering).images }
    let fresh = CartoonFaces.sample(count: 1000, size: size, using: &rendering)
    let floor = CartoonFaces.sample(count: 1000, size: size, using: &rendering).images
    let regressor = faceRegressor(trainSteps: trainJudge, size: size, saveTo: saveJudge, lessonSource: lessonSource)
    return StyleGANLessonData(
      train: train, heldOut: fresh.images, floorImages: floor, judge: regressor, regressor: regressor,
      explainedVariance: regressor.explainedVariance(images: fresh.images, factors: fresh.factors), digitJudge: nil)
  }

  /// MNIST padded to 32×32: the training split (at most 4000 images in `--quick`; none unless `needsTrain`), the
  /// first 1000 test digits, the next 1000 for the floor (held-out digits both: the classifier was trained on the
  /// training digits and its features set those apart, a floor of 60 against the test digits' 12), and lesson 06's
  /// classifier as the judge.
  public func paddedDigitData(_ flags: MNISTFlags, batch: Int, needsTrain: Bool) -> StyleGANLessonData {
    let mnist = loadMNIST(
      flags, trainLimit: quick ? 4000 : nil, testLimit: 2000, minimumTrain: batch, minimumTest: 2000,
      needsTrain: needsTrain)
    let train = needsTrain ? PaddedDigitJudge.padded(mnist.train.images) : nil
    let test = PaddedDigitJudge.padded(mnist.test.images)
    let heldOut = test.sliced(axis: 0, 0..<1000)
    let judge = PaddedDigitJudge(classifier: mnist.classifier)
    return StyleGANLessonData(
      train: train, heldOut: heldOut,
      floorImages: test.sliced(axis: 0, 1000..<2000),
      judge: judge, regressor: nil, explainedVariance: [], digitJudge: judge)
  }

  /// The faces' style-mixing claims: what each level moves, by factor group.
  public func checkFaceMixing(_ shares: FaceMixingShares) {
    let share = shares.share
    narrate("""
      The claims are what the faces' default network (AdaIN in every layer) showed at every seed we measured: the
      colors leave the coarse styles and go to the middle and fine ones (how they split between those two varies
      from seed to seed). With StyleGAN2's own network (`--output skip --adaptive-norm none`) the coarse styles
      carried the colors along with the pose, and the claims on colors fail: try it.
      """)
    check(
      "coarse styles from A move pose & shape to A's (share ≥ 0.5)", measured: share(.coarse, .coarse), .atLeast(0.5))
    check(
      "the pose & shape share falls from coarse to middle to fine styles from A",
      share(.coarse, .coarse) > share(.middle, .coarse) && share(.middle, .coarse) > share(.fine, .coarse),
      detail: [FaceFactorLevel.coarse, .middle, .fine].map { String(format: "%.2f", share($0, .coarse)) }
        .joined(separator: " > "))
    check(
      "middle styles from A move hair & features more than fine styles do",
      measured: share(.middle, .middle) - share(.fine, .middle), .above(0))
    check("fine styles from A leave pose & shape at B's (share ≤ 0.2)", measured: share(.fine, .coarse), .atMost(0.2))
    check(
      "coarse styles from A leave colors & light near B's (share ≤ 0.3)", measured: share(.coarse, .fine),
      .atMost(0.3))
    check(
      "fine styles from A move colors & light more than pose & shape (by ≥ 0.1)",
      measured: share(.fine, .fine) - share(.fine, .coarse), .atLeast(0.1))
  }

  /// Faces: for each level mixed from A into B over the random pairs (zA, zB), how far each group of factors moved
  /// to A's; shown and plotted (`mixing-measured.png`).
  public func measureFaceMixing(
    _ generator: StyleGANGenerator, zA: Tensor, zB: Tensor, regressor: FactorRegressor,
    levels: [(name: String, indices: Range<Int>, resolutions: String)]
  ) -> FaceMixingShares {
    let pairs = FactorMixingPairs(generator: generator, zA: zA, zB: zB, regressor: regressor)
    let shares = FaceMixingShares(perFactor: levels.map {
      pairs.shares(replacing: $0.indices, generator: generator, regressor: regressor)
    })
    for (level, row) in zip(levels, shares.shares) {
      show(
        "\(level.name) styles from A: pose & shape / hair & features / colors & light moved to A's",
        row.map { String(format: "%.2f", $0) }.joined(separator: " / "))
    }
    figure(
      .faceMixingMeasured(shares),
      caption: "Over \(zA.shape[0]) random pairs: how far each group of regressed factors moved from B's value to "
        + "A's, for each level taken from A.")
    return shares
  }
}
