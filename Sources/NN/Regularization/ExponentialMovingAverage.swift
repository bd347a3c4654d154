/// An exponential moving average of a model's weights (ProGAN, StyleGAN and BigGAN sample from it): after each
/// training step, every shadow value moves a little towards the model's:
///   θ_ema ← β θ_ema + (1 - β) θ       (β = `decay`, e.g. 0.999)
/// so the average over roughly the last 1 / (1 - β) steps smooths away the generator's oscillation.
/// Buffers (running statistics) are copied as they are, as StyleGAN does.
///
/// The shadows are buffers of this module, named by the model's paths, so a checkpoint of the EMA (or of a module
/// holding it) saves them. `copy(into:)` writes them into a second model of the same architecture for sampling.
public final class ExponentialMovingAverage: Module {
  public var decay: Float
  /// Shadow copies by the model's parameter and buffer paths.
  public private(set) var shadows: [String: Buffer]

  /// Starts the average at the model's current values.
  public init(of model: Module, decay: Float = 0.999) {
    precondition(decay >= 0 && decay <= 1, "ExponentialMovingAverage: decay \(decay) is outside [0, 1]")
    self.decay = decay
    shadows = model.stateTensors().mapValues { Buffer($0) }
    super.init()
  }

  /// One averaging step towards `model` (the model the average was made from, or one of the same architecture).
  public func update(from model: Module) {
    let beta = decay
    for (path, parameter) in model.namedParameters() {
      let shadow = self.shadow(path, shape: parameter.shape)
      parameter.scalars.withUnsafeBufferPointer { source in
        shadow.scalars.withUnsafeMutableBufferPointer { target in
          for i in 0..<target.count { target[i] = beta * target[i] + (1 - beta) * source[i] }
        }
      }
    }
    for (path, buffer) in model.namedBuffers() {
      shadow(path, shape: buffer.value.shape).scalars = buffer.value.scalars
    }
  }

  /// Writes the averaged values into `model`'s parameters and buffers (in place).
  public func copy(into model: Module) {
    for (path, tensor) in model.stateTensors() {
      tensor.scalars = shadow(path, shape: tensor.shape).scalars
    }
  }

  /// Sets the average to `model`'s current weights and buffers (to continue a run from a checkpoint of the
  /// averaged network).
  public func load(from model: Module) {
    for (path, tensor) in model.stateTensors() {
      shadow(path, shape: tensor.shape).scalars = tensor.scalars
    }
  }

  private func shadow(_ path: String, shape: [Int]) -> Tensor {
    guard let shadow = shadows[path] else {
      preconditionFailure("ExponentialMovingAverage: the model has '\(path)', which the average was not made with")
    }
    precondition(
      shadow.value.shape == shape,
      "ExponentialMovingAverage: '\(path)' has shape \(shape) in the model but \(shadow.value.shape) in the average")
    return shadow.value
  }
}

/// Clamps every parameter of `module` into [-limit, limit] in place: the original WGAN's crude way to keep the
/// critic Lipschitz (the weights then pile up at ±limit, which the gradient penalty was invented to avoid).
public func clipWeights(of module: Module, to limit: Float) {
  precondition(limit >= 0, "clipWeights: the limit \(limit) must not be negative")
  for parameter in module.parameters() {
    parameter.scalars.withUnsafeMutableBufferPointer { values in
      for i in 0..<values.count { values[i] = Swift.min(Swift.max(values[i], -limit), limit) }
    }
  }
}
