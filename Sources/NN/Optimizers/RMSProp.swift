/// RMSProp (Hinton), as PyTorch's `torch.optim.RMSprop` (not centered). WGAN trains its clipped critic with it.
/// ```
/// g = g + λ θ                          (weight decay λ, if any)
/// v = α v + (1 - α) g²                 (a running mean of squared gradients, α = 0.99, v starts at 0)
/// θ = θ - lr · g / (√v + ε)            (ε = 1e-8, outside the root)
/// ```
/// With momentum μ > 0: b = μ b + g / (√v + ε) and θ = θ - lr · b.
public final class RMSProp: Optimizer {
  public let model: Module
  public var parameters: [Tensor] { states.parameters(of: model).map(\.tensor) }
  public func refreshParameters() { states.forgetParameters() }
  public var learningRate: Float
  public let alpha: Float
  public let epsilon: Float
  public let momentum: Float
  public let weightDecay: Float
  var states: OptimizerStates

  public init(
    for model: Module, learningRate: Float = 1e-2, alpha: Float = 0.99, epsilon: Float = 1e-8, momentum: Float = 0,
    weightDecay: Float = 0
  ) {
    self.model = model
    self.learningRate = learningRate
    self.alpha = alpha
    self.epsilon = epsilon
    self.momentum = momentum
    self.weightDecay = weightDecay
    states = OptimizerStates(kind: "RMSProp", slotNames: momentum > 0 ? ["square_avg", "momentum_buffer"] : ["square_avg"])
  }

  public func step() {
    withoutGradients {
      for (parameter, gradient, state) in parametersToUpdate(model, &states, optimizer: "RMSProp") {
        state.step += 1
        parameter.scalars.withUnsafeMutableBufferPointer { theta in
          gradient.scalars.withUnsafeBufferPointer { g in
            state.slots[0].values.withUnsafeMutableBufferPointer { v in
              if momentum > 0 {
                state.slots[1].values.withUnsafeMutableBufferPointer { b in
                  Self.update(theta.baseAddress!, g.baseAddress!, v.baseAddress!, b.baseAddress!, theta.count,
                              lr: learningRate, alpha: alpha, epsilon: epsilon, momentum: momentum, weightDecay: weightDecay)
                }
              } else {
                Self.update(theta.baseAddress!, g.baseAddress!, v.baseAddress!, nil, theta.count,
                            lr: learningRate, alpha: alpha, epsilon: epsilon, momentum: 0, weightDecay: weightDecay)
              }
            }
          }
        }
      }
    }
  }

  private static func update(
    _ theta: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ v: UnsafeMutablePointer<Float>,
    _ b: UnsafeMutablePointer<Float>?, _ n: Int, lr: Float, alpha: Float, epsilon: Float, momentum: Float,
    weightDecay: Float
  ) {
    let oneMinusAlpha = 1 - alpha
    for i in 0..<n {
      let grad = weightDecay != 0 ? g[i] + weightDecay * theta[i] : g[i]
      v[i] = v[i] * alpha + oneMinusAlpha * grad * grad
      let average = v[i].squareRoot() + epsilon
      if let b {
        b[i] = b[i] * momentum + grad / average
        theta[i] += -lr * b[i]
      } else {
        theta[i] += -lr * (grad / average)
      }
    }
  }

  public func stateContents() -> SafeTensors.Contents {
    states.contents(shapes: model.parameterShapes, hyperparameters: [
      "learningRate": "\(learningRate)", "alpha": "\(alpha)", "epsilon": "\(epsilon)", "momentum": "\(momentum)",
      "weightDecay": "\(weightDecay)",
    ])
  }

  public func loadStateContents(_ contents: SafeTensors.Contents, source: String) throws {
    try states.load(contents, shapes: model.parameterShapes, source: source)
  }
}
