import NN

/// The pieces lesson 07 builds its toy translations from: a CycleGAN of MLPs for points, translation without
/// gradients, and the rows of a round-trip grid.
extension CycleGAN {
  /// The point model: MLPs 2 → h → h → 2 for G and F and 2 → h → h → 1 for the discriminators, leaky ReLU (0.2),
  /// no identity loss (it would tie each point to itself, which the ring and the square do not share).
  public static func points(
    hidden h: Int, usesCycleLoss: Bool, learningRate: Float, using rng: inout SeededGenerator
  ) -> CycleGAN {
    func mlp(_ sizes: [Int]) -> Sequential {
      multilayerPerceptron(sizes: sizes, activation: .leakyReLU(slope: 0.2), using: &rng)
    }
    let g = mlp([2, h, h, 2]), f = mlp([2, h, h, 2]), dA = mlp([2, h, h, 1]), dB = mlp([2, h, h, 1])
    let configuration = CycleGAN.Configuration(
      identityWeight: 0, usesCycleLoss: usesCycleLoss, learningRate: learningRate)
    return CycleGAN(aToB: g, bToA: f, discriminatorA: dA, discriminatorB: dB, configuration: configuration, using: &rng)
  }

  /// G (`forward`) or F applied without gradients.
  public func translate(_ inputs: Tensor, aToB forward: Bool) -> Tensor {
    withoutGradients { forward ? generators.aToB(inputs) : generators.bToA(inputs) }
  }

  /// Four rows of the first `columns` inputs: x, its translation, the translation back, and the round trip's error
  /// |back − x| drawn from black (0) to white (1 or more). For a grid of what the cycle keeps.
  public func roundTripRows(_ inputs: Tensor, aToB forward: Bool, columns: Int) -> Tensor {
    let x = inputs.sliced(axis: 0, 0..<columns).detached()
    let translated = translate(x, aToB: forward)
    let back = translate(translated, aToB: !forward)
    let error = Tensor(shape: x.shape, scalars: zip(back.scalars, x.scalars).map { min(1, abs($0 - $1)) * 2 - 1 })
    return concatenate([x, translated, back, error], alongAxis: 0)
  }
}
