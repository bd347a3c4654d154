import Autograd
import Foundation

/// Adam (Kingma & Ba), exactly as PyTorch's `torch.optim.Adam` (and `AdamW` with `decoupledWeightDecay`).
/// For each parameter θ with gradient g, at its step t = 1, 2, ...:
/// ```
/// g = g + λ θ                                  (L2 weight decay λ, Adam)   or   θ = θ (1 - lr λ)   (AdamW)
/// m = m + (1 - β1)(g - m)                      (= β1 m + (1 - β1) g: the first moment, a lerp as in PyTorch)
/// v = β2 v + (1 - β2) g²                       (the second moment)
/// θ = θ - (lr / (1 - β1ᵗ)) · m / (√v / √(1 - β2ᵗ) + ε)
/// ```
/// m and v start at zero, which biases them towards zero early on; dividing by 1 - βᵗ corrects that. Note where ε
/// sits: added to the bias-corrected √v̂, not inside the root. GANs usually take β1 = 0.5 (DCGAN) or 0 (StyleGAN).
public final class Adam: Optimizer {
  public let model: Module
  public var parameters: [Tensor] { states.parameters(of: model).map(\.tensor) }
  public func refreshParameters() { states.forgetParameters() }
  public var learningRate: Float
  public let beta1: Float
  public let beta2: Float
  public let epsilon: Float
  public let weightDecay: Float
  /// AdamW: decay θ directly by lr λ instead of adding λ θ to the gradient.
  public let decoupledWeightDecay: Bool
  var states = OptimizerStates(kind: "Adam", slotNames: ["exp_avg", "exp_avg_sq"])

  public init(
    for model: Module, learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
    weightDecay: Float = 0, decoupledWeightDecay: Bool = false
  ) {
    self.model = model
    self.learningRate = learningRate
    self.beta1 = beta1
    self.beta2 = beta2
    self.epsilon = epsilon
    self.weightDecay = weightDecay
    self.decoupledWeightDecay = decoupledWeightDecay
  }

  public func step() {
    withoutGradients {
      let work = parametersToUpdate(model, &states, optimizer: "Adam")
      let constants = work.map { _, _, state in
        state.step += 1
        // The bias corrections in Double, as PyTorch computes them from the step count in Python floats.
        let t = Double(state.step)
        let biasCorrection1 = 1 - pow(Double(beta1), t)
        let biasCorrection2 = 1 - pow(Double(beta2), t)
        return Constants(
          stepSize: Float(Double(learningRate) / biasCorrection1),
          biasCorrection2Root: Float(biasCorrection2.squareRoot()),
          beta1: beta1, beta2: beta2, epsilon: epsilon,
          l2: decoupledWeightDecay ? 0 : weightDecay,
          decay: decoupledWeightDecay ? Float(1 - Double(learningRate) * Double(weightDecay)) : 1)
      }
      forEachUpdate(sizes: work.map(\.parameter.count)) { index, split in
        let (parameter, gradient, state) = work[index]
        parameter.scalars.withUnsafeMutableBufferPointer { theta in
          gradient.scalars.withUnsafeBufferPointer { g in
            state.slots[0].values.withUnsafeMutableBufferPointer { m in
              state.slots[1].values.withUnsafeMutableBufferPointer { v in
                let (pt, pg, pm, pv) = (theta.baseAddress!, g.baseAddress!, m.baseAddress!, v.baseAddress!)
                split(theta.count) { range in
                  let i = range.lowerBound
                  Self.update(pt + i, pg + i, pm + i, pv + i, range.count, constants[index])
                }
              }
            }
          }
        }
      }
    }
  }

  struct Constants {
    let stepSize, biasCorrection2Root, beta1, beta2, epsilon, l2, decay: Float
  }

  private static func update(
    _ theta: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ m: UnsafeMutablePointer<Float>,
    _ v: UnsafeMutablePointer<Float>, _ n: Int, _ c: Constants
  ) {
    let oneMinusBeta1 = 1 - c.beta1, oneMinusBeta2 = 1 - c.beta2
    if c.l2 == 0 && c.decay == 1 {
      // The usual case: the same arithmetic as the loop below, vectorized (one of the engine's kernels).
      Kernels.adamUpdate(
        theta: theta, gradient: g, m: m, v: v, count: n, beta1: c.beta1, beta2: c.beta2, stepSize: c.stepSize,
        biasCorrection2Root: c.biasCorrection2Root, epsilon: c.epsilon)
      return
    }
    for i in 0..<n {
      let grad = c.l2 != 0 ? g[i] + c.l2 * theta[i] : g[i]
      if c.decay != 1 { theta[i] *= c.decay }
      m[i] = m[i] + oneMinusBeta1 * (grad - m[i])
      v[i] = v[i] * c.beta2 + oneMinusBeta2 * grad * grad
      let denominator = v[i].squareRoot() / c.biasCorrection2Root + c.epsilon
      theta[i] += -c.stepSize * (m[i] / denominator)
    }
  }

  public func stateContents() -> SafeTensors.Contents {
    states.contents(shapes: model.parameterShapes, hyperparameters: [
      "learningRate": "\(learningRate)", "beta1": "\(beta1)", "beta2": "\(beta2)", "epsilon": "\(epsilon)",
      "weightDecay": "\(weightDecay)", "decoupledWeightDecay": "\(decoupledWeightDecay)",
    ])
  }

  public func loadStateContents(_ contents: SafeTensors.Contents, source: String) throws {
    try states.load(contents, shapes: model.parameterShapes, source: source)
  }
}
