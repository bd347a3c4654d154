import NN

/// Scales each row of x [N, D] to unit second moment: x / √(mean(x²) + ε). StyleGAN applies it to z before the
/// mapping network ("pixel norm" over the latent's features), so the length of z carries no information.
public func pixelNorm(_ x: Tensor, epsilon: Float = 1e-8) -> Tensor {
  precondition(x.rank == 2, "pixelNorm: expected [N, D], got \(x.shape)")
  return x / sqrt(pow(x, 2).mean(alongAxes: 1) + epsilon)
}

/// StyleGAN's mapping network f: z -> w. z is normalized by `pixelNorm`, then passes through `layerCount` fully
/// connected layers (all of width wDim, each followed by leaky ReLU 0.2 with gain √2) with equalized learning rate
/// and a learning-rate multiplier of 0.01: the mapping moves a hundred times slower than the synthesis network.
///
/// It also tracks the center of W, w_avg, as an exponential moving average of the batches' mean w
/// (w_avg ← β w_avg + (1 - β) mean(w), β = 0.995), kept in a buffer (saved in checkpoints, copied by the EMA).
/// Truncation pulls styles towards it: w' = w_avg + ψ (w - w_avg).
public final class MappingNetwork: Module, Layer {
  public var layers: [EqualizedLinear]
  /// w_avg [wDim], starting at zero as in the reference.
  public let averageW: Buffer
  public let zDim: Int
  public let wDim: Int
  /// β of the w_avg moving average.
  public var averageDecay: Float

  public init(zDim: Int, wDim: Int, layerCount: Int = 8, learningRateMultiplier: Float = 0.01,
              averageDecay: Float = 0.995, using generator: inout SeededGenerator) {
    precondition(layerCount >= 1, "MappingNetwork: needs at least one layer, got \(layerCount)")
    self.zDim = zDim
    self.wDim = wDim
    self.averageDecay = averageDecay
    layers = (0..<layerCount).map { index in
      EqualizedLinear(inputSize: index == 0 ? zDim : wDim, outputSize: wDim,
                      learningRateMultiplier: learningRateMultiplier, using: &generator)
    }
    averageW = Buffer(Tensor.zeros([wDim]))
    super.init()
  }

  /// z [N, zDim] -> w [N, wDim], leaving w_avg alone.
  public func callAsFunction(_ z: Tensor) -> Tensor { callAsFunction(z, updatingAverage: false) }

  /// z [N, zDim] -> w [N, wDim]; with `updatingAverage`, also moves w_avg towards this batch's mean w (what the
  /// reference does on every training forward pass, except for the second latent of style mixing).
  public func callAsFunction(_ z: Tensor, updatingAverage: Bool) -> Tensor {
    precondition(z.rank == 2 && z.shape[1] == zDim, "MappingNetwork: z must be [N, \(zDim)], got \(z.shape)")
    var x = pixelNorm(z)
    for layer in layers { x = styleGANActivation(layer(x)) }
    if updatingAverage { updateAverage(with: x) }
    return x
  }

  /// w_avg ← β w_avg + (1 - β) mean over the batch of `w` [N, wDim] (no gradient).
  public func updateAverage(with w: Tensor) {
    let n = w.shape[0], d = wDim
    precondition(w.rank == 2 && w.shape[1] == d && n > 0, "MappingNetwork.updateAverage: expected [N, \(d)], got \(w.shape)")
    let beta = averageDecay
    var average = averageW.value.scalars
    w.scalars.withUnsafeBufferPointer { values in
      for j in 0..<d {
        var mean: Float = 0
        for i in 0..<n { mean += values[i * d + j] }
        mean /= Float(n)
        average[j] = beta * average[j] + (1 - beta) * mean
      }
    }
    averageW.value = Tensor(shape: [d], scalars: average)
  }

  /// The truncation trick: w_avg + ψ (w - w_avg) for w [N, wDim] or styles [N, count, wDim]. ψ = 1 leaves w as it
  /// is; ψ = 0 gives w_avg for every latent (the "average image"); values in between trade diversity for quality.
  public func truncated(_ w: Tensor, psi: Float) -> Tensor {
    precondition(w.shape.last == wDim, "MappingNetwork.truncated: the last axis of \(w.shape) must be \(wDim)")
    if psi == 1 { return w }
    let average = averageW.value
    return average + psi * (w - average)
  }
}
