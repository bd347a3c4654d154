import ArgumentParser
import GAN
import LessonKit

// MARK: - Choices

/// The data a run trains on.
enum DataChoice: String, CaseIterable, ExpressibleByArgument {
  /// Three 1-D Gaussians at −4, 0 and 4.
  case mixture1d = "mixture-1d"
  /// Eight 2-D Gaussians on a circle of radius 2.
  case ring
  /// A 5 × 5 grid of 2-D Gaussians, 2 apart.
  case grid
  /// Handwritten digits, 28 × 28.
  case mnist
  /// Zalando's clothing images, 28 × 28 (Debian package dataset-fashion-mnist).
  case fashion

  var isImages: Bool { self == .mnist || self == .fashion }
}

enum ArchitectureChoice: String, CaseIterable, ExpressibleByArgument {
  case mlp
  case conv
}

enum OptimizerChoice: String, CaseIterable, ExpressibleByArgument {
  case adam
  case sgd
  case rmsprop
}

extension AdversarialLoss: ExpressibleByArgument {}
extension BatchFeature: ExpressibleByArgument {}

// MARK: - Flags

/// Everything a playground run can choose, besides the common run flags (--out, --seed, --steps, --quick, ...).
/// `validate()` rejects every impossible combination before anything is written.
struct PlaygroundFlags: ParsableArguments {
  // Data
  @Option(help: ArgumentHelp("The data: 1-D mixture of 3 Gaussians, ring of 8, 5 × 5 grid, MNIST digits or Fashion-MNIST.", valueName: "name"))
  var data: DataChoice = .ring

  @Option(name: .customLong("data-folder"),
          help: ArgumentHelp("""
            Folder with the four IDX files, for --data mnist or fashion (default: mnist is searched in \
            $GAN_DATA_DIR/mnist, ./data/mnist and the user cache and downloaded if missing; fashion comes from \
            /usr/share/datasets/fashion-mnist, Debian's dataset-fashion-mnist).
            """, valueName: "dir"))
  var dataFolder: String?

  @Flag(name: .customLong("no-verify"),
        help: "Skip the SHA-256 check of MNIST's or Fashion-MNIST's files (for your own data in their format).")
  var noVerify = false

  @Option(name: .customLong("mode-std"),
          help: Allowed.positive(atMost: 10).help("Standard deviation of each toy mode (default: 0.02 ring, 0.05 grid, 0.25 mixture-1d).",
                             valueName: "s"))
  var modeStd: Float?

  // Networks
  @Option(help: ArgumentHelp("""
    Network family: multilayer perceptrons or lesson 06's convolutional nets (default: mlp for toy data, conv for \
    images; conv needs image data).
    """, valueName: "kind"))
  var architecture: ArchitectureChoice?

  @Option(help: Allowed.count(1...1024).help("""
    Width: units per hidden layer for mlp (default 128 on toy data, 512 on images), base channels w for conv \
    (default 32).
    """, valueName: "n"))
  var width: Int?

  @Option(help: Allowed.count(1...16).help("Hidden layers of G and of D, mlp only (default 2).", valueName: "n"))
  var depth: Int?

  @Option(name: .customLong("noise-size"),
          help: Allowed.count(1...1024).help("Size of the noise z (default 16 on toy data, 100 on images).", valueName: "n"))
  var noiseSize: Int?

  // Objective and regularizers
  @Option(help: ArgumentHelp("The adversarial loss (Sources/GAN/Losses.swift).", valueName: "name"))
  var loss: AdversarialLoss = .nonSaturating

  @Option(help: Allowed.positive(atMost: 10).help("Weight clipping: clamp D's weights to [-c, c] after each update (needs --loss wasserstein).",
                             valueName: "c"))
  var clip: Float?

  @Option(name: .customLong("gradient-penalty"),
          help: Allowed.positive(atMost: 1000).help("WGAN-GP's gradient penalty with weight λ, e.g. 10 (needs --loss wasserstein).",
                             valueName: "λ"))
  var gradientPenalty: Float?

  @Option(help: Allowed.positive(atMost: 1000).help("R1 penalty γ/2 E‖∇D(x)‖² on real data, e.g. 1 or 10 (any loss).", valueName: "γ"))
  var r1: Float?

  @Flag(name: .customLong("spectral-norm"), help: "Spectrally normalize every weighted layer of D.")
  var spectralNorm = false

  @Option(help: ArgumentHelp("""
    D's batch feature against mode collapse: minibatch discrimination or the minibatch standard deviation.
    """, valueName: "kind"))
  var minibatch: BatchFeature = .none

  @Flag(name: .customLong("d-batch-norm"), inversion: .prefixedNo,
        help: """
          Batch norm in the conv D (default: on, off with --gradient-penalty, --r1 or --spectral-norm; it cannot be \
          combined with a penalty).
          """)
  var discriminatorBatchNorm: Bool?

  // Optimization
  @Option(name: .customLong("g-optimizer"), help: ArgumentHelp("G's optimizer.",
                                                                valueName: "name"))
  var generatorOptimizer: OptimizerChoice = .adam

  @Option(name: .customLong("d-optimizer"), help: ArgumentHelp("D's optimizer.",
                                                                valueName: "name"))
  var discriminatorOptimizer: OptimizerChoice = .adam

  @Option(name: .customLong("g-lr"),
          help: Allowed.rate.help("G's learning rate (default 1e-3 on toy data, 2e-4 on images).", valueName: "rate"))
  var generatorLearningRate: Float?

  @Option(name: .customLong("d-lr"),
          help: Allowed.rate.help("D's learning rate (default 1e-3 on toy data, 2e-4 on images).", valueName: "rate"))
  var discriminatorLearningRate: Float?

  @Option(help: Allowed.coefficient.help("Adam's β1, for both networks (adam only; default 0.5).", valueName: "b"))
  var beta1: Float?

  @Option(help: Allowed.coefficient.help("Adam's β2, for both networks (adam only; default 0.999).", valueName: "b"))
  var beta2: Float?

  @Option(help: Allowed.coefficient.help("SGD's momentum, for both networks (sgd only; default 0).", valueName: "m"))
  var momentum: Float?

  @Option(name: .customLong("d-steps"), help: Allowed.count(1...100).help("D updates per G update.", valueName: "n"))
  var discriminatorSteps: Int = 1

  @Option(help: Allowed.count(1...8192).help("Samples per batch, real and generated (at most 1024 for image data).", valueName: "n"))
  var batch: Int = 64

  init() {}

  // MARK: Resolved settings

  var resolvedArchitecture: ArchitectureChoice { architecture ?? (data.isImages ? .conv : .mlp) }
  var resolvedWidth: Int { width ?? (resolvedArchitecture == .conv ? 32 : (data.isImages ? 512 : 128)) }
  var resolvedDepth: Int { depth ?? 2 }
  var resolvedNoiseSize: Int { noiseSize ?? (data.isImages ? 100 : 16) }
  var resolvedGeneratorLearningRate: Float { generatorLearningRate ?? (data.isImages ? 2e-4 : 1e-3) }
  var resolvedDiscriminatorLearningRate: Float { discriminatorLearningRate ?? (data.isImages ? 2e-4 : 1e-3) }
  var resolvedBatchNorm: Bool {
    discriminatorBatchNorm ?? (gradientPenalty == nil && r1 == nil && !spectralNorm)
  }
  var constraint: CriticConstraint {
    if let clip { return .weightClipping(limit: clip) }
    if let gradientPenalty { return .gradientPenalty(weight: gradientPenalty) }
    return .none
  }

  // MARK: Validation

  /// Every impossible combination is an error naming the flags involved (exit 64, nothing written).
  func validate() throws {
    // Every number in its range first, so the message names the flag and what it allows.
    try Allowed.positive(atMost: 10).check(modeStd, "--mode-std")
    try Allowed.count(1...1024).check(width, "--width")
    try Allowed.count(1...16).check(depth, "--depth")
    try Allowed.count(1...1024).check(noiseSize, "--noise-size")
    try Allowed.positive(atMost: 10).check(clip, "--clip")
    try Allowed.positive(atMost: 1000).check(gradientPenalty, "--gradient-penalty")
    try Allowed.positive(atMost: 1000).check(r1, "--r1")
    try Allowed.rate.check(generatorLearningRate, "--g-lr")
    try Allowed.rate.check(discriminatorLearningRate, "--d-lr")
    try Allowed.coefficient.check(beta1, "--beta1")
    try Allowed.coefficient.check(beta2, "--beta2")
    try Allowed.coefficient.check(momentum, "--momentum")
    try Allowed.count(1...100).check(discriminatorSteps, "--d-steps")
    try Allowed.count(1...8192).check(batch, "--batch")
    if noVerify && !data.isImages {
      throw ValidationError("--no-verify applies to --data mnist or fashion only; --data \(data.rawValue) is generated, not read")
    }

    // Data.
    if dataFolder != nil && !data.isImages {
      throw ValidationError("--data-folder applies to --data mnist or fashion only; --data \(data.rawValue) is generated, not read")
    }
    if let modeStd {
      guard !data.isImages else {
        throw ValidationError("--mode-std applies to toy data (mixture-1d, ring, grid) only, not --data \(data.rawValue)")
      }
      guard modeStd > 0 && modeStd.isFinite else { throw ValidationError("--mode-std must be positive, got \(modeStd)") }
    }

    // Networks.
    if architecture == .conv && !data.isImages {
      throw ValidationError("""
        --architecture conv needs image data (--data mnist or fashion); --data \(data.rawValue) is \
        \(data == .mixture1d ? "1-D" : "2-D") points: use --architecture mlp
        """)
    }
    if let width, width < 1 { throw ValidationError("--width must be at least 1, got \(width)") }
    if let depth {
      guard resolvedArchitecture == .mlp else {
        throw ValidationError("--depth applies to --architecture mlp only; the conv networks have a fixed depth (use --width)")
      }
      guard depth >= 1 else { throw ValidationError("--depth must be at least 1, got \(depth)") }
    }
    if let noiseSize, noiseSize < 1 { throw ValidationError("--noise-size must be at least 1, got \(noiseSize)") }

    // Objective and regularizers.
    if clip != nil && gradientPenalty != nil {
      throw ValidationError("--clip and --gradient-penalty are two ways to constrain a Wasserstein critic: choose one")
    }
    if let clip {
      guard loss == .wasserstein else {
        throw ValidationError("--clip (weight clipping) needs --loss wasserstein; got --loss \(loss.rawValue)")
      }
      guard clip > 0 && clip.isFinite else { throw ValidationError("--clip must be positive, got \(clip)") }
    }
    if let gradientPenalty {
      guard loss == .wasserstein else {
        throw ValidationError("""
          --gradient-penalty (WGAN-GP) needs --loss wasserstein; got --loss \(loss.rawValue) (for other losses use \
          --r1 or --spectral-norm)
          """)
      }
      guard gradientPenalty > 0 && gradientPenalty.isFinite else {
        throw ValidationError("--gradient-penalty must be positive, got \(gradientPenalty)")
      }
    }
    if let r1, !(r1 > 0 && r1.isFinite) { throw ValidationError("--r1 must be positive, got \(r1)") }
    if let discriminatorBatchNorm {
      guard resolvedArchitecture == .conv else {
        throw ValidationError("--d-batch-norm/--no-d-batch-norm applies to --architecture conv only (the mlp D has no batch norm)")
      }
      if discriminatorBatchNorm && (gradientPenalty != nil || r1 != nil) {
        throw ValidationError("""
          --d-batch-norm cannot be combined with \(gradientPenalty != nil ? "--gradient-penalty" : "--r1"): the \
          penalty is on each sample's gradient, and batch norm makes each sample's score depend on the whole batch
          """)
      }
    }

    // Optimization.
    if let rate = generatorLearningRate, !(rate > 0 && rate.isFinite) {
      throw ValidationError("--g-lr must be positive, got \(rate)")
    }
    if let rate = discriminatorLearningRate, !(rate > 0 && rate.isFinite) {
      throw ValidationError("--d-lr must be positive, got \(rate)")
    }
    let optimizers = [generatorOptimizer, discriminatorOptimizer]
    for (name, value) in [("--beta1", beta1), ("--beta2", beta2)] {
      guard let value else { continue }
      guard optimizers.contains(.adam) else {
        throw ValidationError("\(name) is Adam's; neither --g-optimizer nor --d-optimizer is adam")
      }
      guard value >= 0 && value < 1 else { throw ValidationError("\(name) must be in [0, 1), got \(value)") }
    }
    if let momentum {
      guard optimizers.contains(.sgd) else {
        throw ValidationError("--momentum is SGD's; neither --g-optimizer nor --d-optimizer is sgd")
      }
      guard momentum >= 0 && momentum < 1 else { throw ValidationError("--momentum must be in [0, 1), got \(momentum)") }
    }
    guard discriminatorSteps >= 1 else {
      throw ValidationError("--d-steps must be at least 1, got \(discriminatorSteps)")
    }
    guard batch >= 1 else { throw ValidationError("--batch must be at least 1, got \(batch)") }
    if minibatch != .none && batch < 2 {
      throw ValidationError("--minibatch \(minibatch.rawValue) compares the samples of a batch: --batch must be at least 2, got \(batch)")
    }
    if data.isImages && batch > 1024 {
      throw ValidationError("--batch must be at most 1024 for image data, got \(batch)")
    }
  }
}
