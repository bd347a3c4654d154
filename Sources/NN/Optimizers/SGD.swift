/// Stochastic gradient descent with optional momentum, as PyTorch's `torch.optim.SGD` (dampening 0):
/// ```
/// d = g + λ θ                           (weight decay λ, if any)
/// b = μ b + d                           (momentum μ; b starts at 0, so the first b is d)
/// d = d + μ b   (Nesterov)   or   d = b
/// θ = θ - lr · d
/// ```
public final class SGD: Optimizer {
  public let model: Module
  public var parameters: [Tensor] { states.parameters(of: model).map(\.tensor) }
  public func refreshParameters() { states.forgetParameters() }
  public var learningRate: Float
  public let momentum: Float
  public let nesterov: Bool
  public let weightDecay: Float
  var states: OptimizerStates

  public init(for model: Module, learningRate: Float, momentum: Float = 0, nesterov: Bool = false, weightDecay: Float = 0) {
    precondition(!nesterov || momentum > 0, "SGD: Nesterov momentum needs momentum > 0")
    self.model = model
    self.learningRate = learningRate
    self.momentum = momentum
    self.nesterov = nesterov
    self.weightDecay = weightDecay
    states = OptimizerStates(kind: "SGD", slotNames: momentum > 0 ? ["momentum_buffer"] : [])
  }

  public func step() {
    withoutGradients {
      for (parameter, gradient, state) in parametersToUpdate(model, &states, optimizer: "SGD") {
        state.step += 1
        parameter.scalars.withUnsafeMutableBufferPointer { theta in
          gradient.scalars.withUnsafeBufferPointer { g in
            if let buffer = state.slots.first {
              buffer.values.withUnsafeMutableBufferPointer { b in
                Self.update(theta.baseAddress!, g.baseAddress!, b.baseAddress!, theta.count, lr: learningRate,
                            momentum: momentum, nesterov: nesterov, weightDecay: weightDecay)
              }
            } else {
              Self.update(theta.baseAddress!, g.baseAddress!, nil, theta.count, lr: learningRate,
                          momentum: 0, nesterov: false, weightDecay: weightDecay)
            }
          }
        }
      }
    }
  }

  private static func update(
    _ theta: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ b: UnsafeMutablePointer<Float>?, _ n: Int,
    lr: Float, momentum: Float, nesterov: Bool, weightDecay: Float
  ) {
    for i in 0..<n {
      var d = weightDecay != 0 ? g[i] + weightDecay * theta[i] : g[i]
      if let b {
        b[i] = momentum * b[i] + d
        d = nesterov ? d + momentum * b[i] : b[i]
      }
      theta[i] += -lr * d
    }
  }

  public func stateContents() -> SafeTensors.Contents {
    states.contents(shapes: model.parameterShapes, hyperparameters: [
      "learningRate": "\(learningRate)", "momentum": "\(momentum)", "nesterov": "\(nesterov)",
      "weightDecay": "\(weightDecay)",
    ])
  }

  public func loadStateContents(_ contents: SafeTensors.Contents, source: String) throws {
    try states.load(contents, shapes: model.parameterShapes, source: source)
  }
}
