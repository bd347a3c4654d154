import Autograd
import NN

/// The starting point lessons 04 and 05 share: a generator whose samples all sit in a small blob near the origin,
/// while the data (the ring of eight Gaussians, radius 2) lies far around it. The two distributions have disjoint
/// supports, the situation Arjovsky & Bottou (2017) analyze: a discriminator can separate them perfectly, and then
/// the standard GAN's saturating generator loss has (almost) no gradient left.
///
/// The generator maps z ~ N(0, I₂) through two hidden layers of 64 ReLU units to a point in the plane (ReLU, as in
/// the WGAN-GP paper's toy generator, lets whole regions of z fold onto one mode). Its last layer is scaled by
/// `outputScale`, so the fresh generator's samples form a blob of radius about 0.1 instead of filling the plane.
/// It is built from its own random stream seeded with `seed`, so the same seed gives the same start, weight for
/// weight, in both lessons. The critics are MLPs of the same width with leaky ReLU (slope 0.2).
public enum DisjointSupportStart {
  /// z's dimension.
  public static let noiseSize = 2
  /// Units in each hidden layer of the generator and of the critics.
  public static let hiddenSize = 64
  /// The factor on the generator's last layer at the start.
  public static let outputScale: Float = 0.2

  /// The poor generator: [2] -> 64 -> 64 -> [2], ReLU, last layer scaled by `outputScale`.
  public static func generator(seed: UInt64, hiddenSize: Int = hiddenSize) -> Sequential {
    var rng = SeededGenerator(seed: seed)
    let network = multilayerPerceptron(
      sizes: [noiseSize, hiddenSize, hiddenSize, 2], activation: .relu, using: &rng)
    scaleLastLinearLayer(of: network, by: outputScale)
    return network
  }

  /// A fresh critic (or discriminator) MLP [2] -> 64 -> 64 -> [1] with leaky ReLU and PyTorch's default
  /// initialization, drawn from `rng`.
  public static func critic(hiddenSize: Int = hiddenSize, using rng: inout SeededGenerator) -> Sequential {
    multilayerPerceptron(sizes: [2, hiddenSize, hiddenSize, 1], activation: .leakyReLU(slope: 0.2), using: &rng)
  }

  /// A critic whose weights start spread uniformly inside [−limit, limit], so that none sits at the clipping bounds
  /// before training: where the weights go afterwards is then the critic's doing, not the initializer's.
  public static func clippedCritic(limit: Float, using rng: inout SeededGenerator) -> Sequential {
    let network = critic(using: &rng)
    for parameter in network.parameters() {
      parameter.scalars = parameter.scalars.map { _ in (2 * rng.nextUniform() - 1) * limit }
    }
    return network
  }

  /// The exact W1 between `count` samples of `generator` and `count` fresh real samples from `sampleData` (an
  /// optimal assignment, `assignmentWasserstein`): how far a toy generator is from its data, without a critic's
  /// opinion.
  public static func distance(
    of generator: any Layer, to sampleData: (Int, inout SeededGenerator) -> Tensor, count: Int,
    using rng: inout SeededGenerator
  ) -> Double {
    let fake = withoutGradients { generator(Tensor.randomNormal([count, noiseSize], using: &rng)) }
    return assignmentWasserstein(sampleData(count, &rng), fake)
  }

  /// The mean distance from each sample [N, 2] to the nearest of `centers`: how far a generator is from the modes.
  public static func meanDistanceToNearestCenter(_ samples: Tensor, centers: [[Float]]) -> Double {
    let points = samples.scalars
    var total = 0.0
    for i in 0..<samples.shape[0] {
      let x = points[2 * i], y = points[2 * i + 1]
      total += Double(centers.map { (($0[0] - x) * ($0[0] - x) + ($0[1] - y) * ($0[1] - y)).squareRoot() }.min()!)
    }
    return total / Double(samples.shape[0])
  }

  /// A copy of `network` (a `Sequential` of `Linear` layers and activations, as `generator(seed:)` and
  /// `critic(using:)` make), weight for weight: the same start for several runs.
  public static func copy(of network: Sequential) -> Sequential {
    let layers: [any Layer] = network.layers.map { layer in
      if let linear = layer as? Linear {
        var unused = SeededGenerator(seed: 0)
        let fresh = Linear(inputSize: linear.inputSize, outputSize: linear.outputSize, bias: linear.bias != nil,
                           using: &unused)
        fresh.weight.scalars = linear.weight.scalars
        if let bias = linear.bias { fresh.bias!.scalars = bias.scalars }
        return fresh
      }
      if let leaky = layer as? LeakyReLU { return LeakyReLU(slope: leaky.slope) }
      if layer is ReLU { return ReLU() }
      if layer is Tanh { return Tanh() }
      if layer is Sigmoid { return Sigmoid() }
      preconditionFailure("DisjointSupportStart.copy: cannot copy a \(type(of: layer)) layer")
    }
    return Sequential(layers)
  }
}
