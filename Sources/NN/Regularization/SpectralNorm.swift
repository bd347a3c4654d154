/// Spectral normalization (Miyato et al. 2018), as PyTorch's `torch.nn.utils.spectral_norm`: the wrapped layer runs
/// with W / σ(W), where σ(W) is W's largest singular value, so the layer is 1-Lipschitz (a stable discriminator).
///
/// σ is estimated by power iteration with persistent vectors u (length = rows) and v (length = columns) of the weight
/// viewed as a matrix (the output axis as rows, see `WeightedLayer.outputAxis`). Each training forward pass does
/// `powerIterations` steps, without gradient:
///   v ← Wᵀu / ‖Wᵀu‖,   u ← W v / ‖W v‖
/// and then σ = uᵀ W v with u and v held constant, so the gradient flows through W in both W and σ.
/// In evaluation mode the stored u and v are used as they are. u and v are buffers (saved in checkpoints).
public final class SpectralNorm<Wrapped: WeightedLayer>: Module, Layer {
  public let layer: Wrapped
  public let u: Buffer
  public let v: Buffer
  public let powerIterations: Int
  /// Guards the normalizations against division by zero: x / max(‖x‖, ε).
  public let epsilon: Float

  /// u and v start as normalized draws from N(0, 1), as in PyTorch.
  public init(_ layer: Wrapped, powerIterations: Int = 1, epsilon: Float = 1e-12, using generator: inout SeededGenerator) {
    precondition(powerIterations >= 1, "SpectralNorm: needs at least one power iteration")
    self.layer = layer
    self.powerIterations = powerIterations
    self.epsilon = epsilon
    let shape = Self.matrixShape(layer.weight.shape, outputAxis: layer.outputAxis)
    u = Buffer(normalized(Tensor.randomNormal([shape.rows], using: &generator), epsilon: epsilon))
    v = Buffer(normalized(Tensor.randomNormal([shape.columns], using: &generator), epsilon: epsilon))
    super.init()
  }

  public func callAsFunction(_ input: Tensor) -> Tensor {
    let weight = layer.weight
    let matrix = weightMatrix(weight)
    if isTraining {
      withoutGradients {
        let constant = matrix.detached()
        for _ in 0..<powerIterations {
          v.value = normalized(matmul(constant, u.value.reshaped(to: [-1, 1]), transposeA: true).reshaped(to: [-1]), epsilon: epsilon)
          u.value = normalized(matmul(constant, v.value.reshaped(to: [-1, 1])).reshaped(to: [-1]), epsilon: epsilon)
        }
      }
    }
    return layer(input, weight: weight / sigma(of: matrix))
  }

  /// The current estimate of the largest singular value, σ = uᵀ W v (differentiable in W).
  public var sigma: Tensor { sigma(of: weightMatrix(layer.weight)) }

  private func sigma(of matrix: Tensor) -> Tensor {
    matmul(u.value.reshaped(to: [1, -1]), matmul(matrix, v.value.reshaped(to: [-1, 1]))).reshaped(to: [])
  }

  /// The weight as a matrix: the output axis first, everything else flattened into columns.
  private func weightMatrix(_ weight: Tensor) -> Tensor {
    let axis = layer.outputAxis
    var order = Array(0..<weight.rank)
    order.remove(at: axis)
    let moved = axis == 0 ? weight : weight.permuted([axis] + order)
    return moved.reshaped(to: [weight.shape[axis], -1])
  }

  private static func matrixShape(_ shape: [Int], outputAxis: Int) -> (rows: Int, columns: Int) {
    let rows = shape[outputAxis]
    return (rows, shape.reduce(1, *) / rows)
  }
}

/// x / max(‖x‖, ε) for a vector.
private func normalized(_ x: Tensor, epsilon: Float) -> Tensor {
  let norm = x.scalars.reduce(0) { $0 + $1 * $1 }.squareRoot()
  return x / Swift.max(norm, epsilon)
}
