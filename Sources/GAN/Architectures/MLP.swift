import NN

/// The nonlinearity between the layers of the toy networks.
public enum Activation: Sendable, Equatable {
  case relu
  case leakyReLU(slope: Float)
  case tanh
  case sigmoid

  /// A fresh layer for this activation.
  public func layer() -> any Layer {
    switch self {
    case .relu: return ReLU()
    case .leakyReLU(let slope): return LeakyReLU(slope: slope)
    case .tanh: return Tanh()
    case .sigmoid: return Sigmoid()
    }
  }
}

/// A multilayer perceptron: Linear layers of the given sizes with `activation` between them and none (or
/// `outputActivation`) after the last, as the toy GANs use. Parameters are named `layers.0.weight`, `layers.0.bias`,
/// `layers.2.weight`, ... (the activations take the odd indices), as PyTorch's `nn.Sequential` names them.
public func multilayerPerceptron(
  sizes: [Int], activation: Activation = .leakyReLU(slope: 0.2), outputActivation: Activation? = nil,
  using generator: inout SeededGenerator
) -> Sequential {
  precondition(sizes.count >= 2, "multilayerPerceptron: needs at least an input and an output size, got \(sizes)")
  var layers: [any Layer] = []
  for i in 0..<(sizes.count - 1) {
    layers.append(Linear(inputSize: sizes[i], outputSize: sizes[i + 1], using: &generator))
    if i < sizes.count - 2 { layers.append(activation.layer()) }
  }
  if let outputActivation { layers.append(outputActivation.layer()) }
  return Sequential(layers)
}

/// Minibatch discrimination (Salimans et al. 2016, "Improved Techniques for Training GANs", section 3.2).
///
/// Each sample's features f (size A) are projected by a learned tensor T into B rows of C numbers, M = f·T. For every
/// pair of samples i, j and every row b, the closeness c_b(i, j) = exp(-‖M_i,b - M_j,b‖₁); summed over the other
/// samples j it says how many near-copies of sample i the batch holds. These B numbers are appended to the features,
/// so the discriminator can see a collapsed batch (all samples alike) at a glance.
public final class MinibatchDiscrimination: Module, Layer {
  /// The learned projection T, stored as [A, B * C].
  public var weight: Tensor
  public let kernels: Int
  public let kernelSize: Int
  /// `initialScale` is the standard deviation T starts from: it sets how far apart (in L1) the rows of two different
  /// samples start, so how local "near-copy" is before T has learned anything.
  ///
  /// Divide each closeness by N - 1, so the feature is the mean closeness to the other samples, in [0, 1], whatever
  /// the batch size (the paper sums; the sum grows with N and can swamp the other features).
  public let averaged: Bool

  public init(
    inputSize: Int, kernels: Int = 8, kernelSize: Int = 4, averaged: Bool = false, initialScale: Float = 0.1,
    using generator: inout SeededGenerator
  ) {
    self.kernels = kernels
    self.kernelSize = kernelSize
    self.averaged = averaged
    weight = Tensor.randomNormal([inputSize, kernels * kernelSize], std: initialScale, using: &generator, requiresGrad: true)
    super.init()
  }

  /// [N, A] -> [N, A + B].
  public func callAsFunction(_ input: Tensor) -> Tensor {
    let n = input.shape[0]
    let m = matmul(input, weight).reshaped(to: [n, kernels, kernelSize])
    let differences = m.reshaped(to: [n, 1, kernels, kernelSize]) - m.reshaped(to: [1, n, kernels, kernelSize])
    let distances = abs(differences).sum(squeezingAxes: 3)  // [N, N, B]
    let closeness = exp(-distances).sum(squeezingAxes: 1) - 1  // the sample itself contributes exp(0) = 1
    return concatenate([input, averaged && n > 1 ? closeness / Float(n - 1) : closeness], alongAxis: 1)
  }
}

/// The toy discriminator, optionally with a mode-collapse countermeasure before its last layer: minibatch
/// discrimination or the minibatch standard deviation.
public final class ToyDiscriminator: Module, Layer {
  public enum Countermeasure: String, Sendable, CaseIterable {
    case none
    case minibatchDiscrimination = "minibatch-discrimination"
    case minibatchStandardDeviation = "minibatch-stddev"

    /// The name of a GAN whose discriminator uses this countermeasure, for tables and figures.
    public var title: String {
      switch self {
      case .none: return "vanilla GAN"
      case .minibatchDiscrimination: return "minibatch discrimination"
      case .minibatchStandardDeviation: return "minibatch std. deviation"
      }
    }

    /// A short name for file names: `vanilla`, `minibatch-discrimination`, `minibatch-stddev`.
    public var fileName: String { self == .none ? "vanilla" : rawValue }
  }

  public var body: Sequential
  public var minibatch: MinibatchDiscrimination?
  public var head: Linear
  public let countermeasure: Countermeasure

  /// `sizes` = [input, hidden..., ] (the last hidden size feeds the head, which outputs one logit).
  /// The minibatch-discrimination layer (when chosen) has `minibatchKernels` rows of `minibatchKernelSize` numbers,
  /// `averagedCloseness` makes its features means over the batch rather than sums, and T starts from
  /// N(0, `minibatchInitialScale`²).
  public init(
    sizes: [Int], activation: Activation = .leakyReLU(slope: 0.2), countermeasure: Countermeasure = .none,
    minibatchKernels: Int = 8, minibatchKernelSize: Int = 4, averagedCloseness: Bool = false,
    minibatchInitialScale: Float = 0.1, using generator: inout SeededGenerator
  ) {
    precondition(sizes.count >= 2, "ToyDiscriminator: needs an input and at least one hidden size, got \(sizes)")
    self.countermeasure = countermeasure
    body = multilayerPerceptron(sizes: sizes, activation: activation, outputActivation: activation, using: &generator)
    let features = sizes.last!
    var headInput = features
    switch countermeasure {
    case .none: minibatch = nil
    case .minibatchDiscrimination:
      let layer = MinibatchDiscrimination(
        inputSize: features, kernels: minibatchKernels, kernelSize: minibatchKernelSize, averaged: averagedCloseness,
        initialScale: minibatchInitialScale, using: &generator)
      minibatch = layer
      headInput += layer.kernels
    case .minibatchStandardDeviation:
      minibatch = nil
      headInput += 1
    }
    head = Linear(inputSize: headInput, outputSize: 1, using: &generator)
    super.init()
  }

  /// [N, input] -> logits [N, 1].
  public func callAsFunction(_ input: Tensor) -> Tensor {
    var features = body(input)
    switch countermeasure {
    case .none: break
    case .minibatchDiscrimination: features = minibatch!(features)
    case .minibatchStandardDeviation: features = minibatchStandardDeviation(features, groupSize: features.shape[0])
    }
    return head(features)
  }
}
