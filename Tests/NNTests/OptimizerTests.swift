import Foundation
import XCTest

import Autograd
@testable import NN

/// A module holding one raw parameter, so a test can set its gradient by hand.
final class Holder: Module {
  var theta: Tensor
  init(_ values: [Float]) {
    theta = Tensor(values, requiresGrad: true)
    super.init()
  }
}

/// Gradients fed to the optimizers, one row per step (independent of θ, so the reference needs no model).
private let gradientSteps: [[Double]] = [[0.1, -0.2, 0.3], [0.05, -0.4, -0.3], [-0.2, 0.1, 0.25], [0.3, 0.3, -0.01]]
private let start: [Double] = [0.5, -1.0, 2.0]

/// Runs an optimizer through `gradientSteps` and returns θ after each step.
private func trajectory(_ makeOptimizer: (Module) -> any Optimizer) -> [[Float]] {
  let holder = Holder(start.map { Float($0) })
  let optimizer = makeOptimizer(holder)
  return gradientSteps.map { g in
    holder.theta.grad = Tensor(g.map { Float($0) })
    optimizer.step()
    return holder.theta.scalars
  }
}

final class OptimizerTests: XCTestCase {
  /// PyTorch's Adam (`torch/optim/adam.py`, `_single_tensor_adam`) written out in Double.
  private func adamReference(lr: Double, beta1: Double, beta2: Double, eps: Double, weightDecay: Double, decoupled: Bool)
    -> [[Double]]
  {
    var theta = start, m = [0.0, 0, 0], v = [0.0, 0, 0]
    var trajectory: [[Double]] = []
    for (index, gradient) in gradientSteps.enumerated() {
      let t = Double(index + 1)
      for i in 0..<3 {
        var g = gradient[i]
        if decoupled { theta[i] *= 1 - lr * weightDecay } else { g += weightDecay * theta[i] }
        m[i] = beta1 * m[i] + (1 - beta1) * g
        v[i] = beta2 * v[i] + (1 - beta2) * g * g
        let mHat = m[i] / (1 - pow(beta1, t))
        let vHat = v[i] / (1 - pow(beta2, t))
        theta[i] -= lr * mHat / (vHat.squareRoot() + eps)
      }
      trajectory.append(theta)
    }
    return trajectory
  }

  func testAdamMatchesPyTorchsUpdateRule() {
    // Step 1 by hand: m̂ = g and v̂ = g², so θ moves by lr · g / (|g| + ε) ≈ lr · sign(g).
    let adam = trajectory { Adam(for: $0, learningRate: 0.01) }
    assertClose(adam[0], [0.5 - 0.01 * 0.1 / (0.1 + 1e-8), -1 + 0.01 * 0.2 / (0.2 + 1e-8), 2 - 0.01 * 0.3 / (0.3 + 1e-8)],
                tolerance: 1e-7, "Adam step 1")
    let reference = adamReference(lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false)
    for (step, (actual, expected)) in zip(adam, reference).enumerated() {
      assertClose(actual, expected, tolerance: 1e-6, "Adam step \(step + 1)")
    }
    // GAN settings, with L2 weight decay (added to the gradient) and with AdamW's decoupled decay.
    let gan = trajectory { Adam(for: $0, learningRate: 2e-4, beta1: 0.5, beta2: 0.999, weightDecay: 0.1) }
    let ganReference = adamReference(lr: 2e-4, beta1: 0.5, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, decoupled: false)
    for (step, (actual, expected)) in zip(gan, ganReference).enumerated() {
      assertClose(actual, expected, tolerance: 1e-7, "Adam (β1 0.5, L2) step \(step + 1)")
    }
    let adamW = trajectory { Adam(for: $0, learningRate: 0.01, weightDecay: 0.5, decoupledWeightDecay: true) }
    let adamWReference = adamReference(lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.5, decoupled: true)
    for (step, (actual, expected)) in zip(adamW, adamWReference).enumerated() {
      assertClose(actual, expected, tolerance: 1e-6, "AdamW step \(step + 1)")
    }
    // ε sits outside the root: with a tiny gradient and a large ε the step shrinks to lr · g / ε.
    let tiny = Holder([0])
    let adamTiny = Adam(for: tiny, learningRate: 1, epsilon: 1)
    tiny.theta.grad = Tensor([1e-4])
    adamTiny.step()
    XCTAssertEqual(Double(tiny.theta.scalars[0]), -1e-4 / (1e-4 + 1), accuracy: 1e-9)
  }

  /// The update runs as a vectorized C loop, on both cores for large parameters and shared out for small ones; it must
  /// give exactly (bit for bit) what the formula gives in Float, element by element, in any cut of the work.
  func testAdamFastPathEqualsTheFormulaBitForBit() {
    final class Many: Module {
      var big = Tensor.zeros([70_001], requiresGrad: true)
      var smalls = (0..<40).map { Tensor.zeros([37 + $0 * 50], requiresGrad: true) }
    }
    let model = Many()
    var rng = SeededGenerator(seed: 4)
    let all = [model.big] + model.smalls
    for p in all { p.scalars = Tensor.randomNormal(p.shape, using: &rng).scalars }
    var theta = all.map(\.scalars), m = all.map { [Float](repeating: 0, count: $0.count) }, v = m
    let (lr, beta1, beta2, eps): (Float, Float, Float, Float) = (2e-4, 0.5, 0.999, 1e-8)
    let adam = Adam(for: model, learningRate: lr, beta1: beta1, beta2: beta2, epsilon: eps)
    for step in 1...3 {
      let grads = all.map { Tensor.randomNormal($0.shape, using: &rng) }
      for (p, g) in zip(all, grads) { p.grad = g }
      adam.step()
      let stepSize = Float(Double(lr) / (1 - pow(Double(beta1), Double(step))))
      let root = Float((1 - pow(Double(beta2), Double(step))).squareRoot())
      for k in all.indices {
        for i in theta[k].indices {
          let g = grads[k].scalars[i]
          m[k][i] = m[k][i] + (1 - beta1) * (g - m[k][i])
          v[k][i] = v[k][i] * beta2 + (1 - beta2) * g * g
          theta[k][i] += -stepSize * (m[k][i] / (v[k][i].squareRoot() / root + eps))
        }
        XCTAssertEqual(all[k].scalars, theta[k], "parameter \(k) (\(all[k].count) elements) after step \(step)")
      }
    }
  }

  func testRMSPropMatchesPyTorchsUpdateRule() {
    // PyTorch's RMSprop written out in Double: v = α v + (1 - α) g², θ -= lr g / (√v + ε).
    func reference(lr: Double, alpha: Double, eps: Double, momentum: Double) -> [[Double]] {
      var theta = start, v = [0.0, 0, 0], b = [0.0, 0, 0]
      return gradientSteps.map { gradient in
        for i in 0..<3 {
          let g = gradient[i]
          v[i] = alpha * v[i] + (1 - alpha) * g * g
          let average = v[i].squareRoot() + eps
          if momentum > 0 {
            b[i] = momentum * b[i] + g / average
            theta[i] -= lr * b[i]
          } else {
            theta[i] -= lr * g / average
          }
        }
        return theta
      }
    }
    let rms = trajectory { RMSProp(for: $0, learningRate: 5e-5) }
    // Step 1 by hand: √v = 0.1 |g|, so θ moves by lr · g / (0.1 |g| + ε) ≈ 10 lr · sign(g).
    assertClose(rms[0], [0.5 - 5e-5 * 0.1 / (0.01 + 1e-8), -1 + 5e-5 * 0.2 / (0.02 + 1e-8), 2 - 5e-5 * 0.3 / (0.03 + 1e-8)],
                tolerance: 1e-7, "RMSProp step 1")
    for (step, (actual, expected)) in zip(rms, reference(lr: 5e-5, alpha: 0.99, eps: 1e-8, momentum: 0)).enumerated() {
      assertClose(actual, expected, tolerance: 1e-7, "RMSProp step \(step + 1)")
    }
    let withMomentum = trajectory { RMSProp(for: $0, learningRate: 1e-3, momentum: 0.9) }
    for (step, (actual, expected)) in zip(withMomentum, reference(lr: 1e-3, alpha: 0.99, eps: 1e-8, momentum: 0.9)).enumerated() {
      assertClose(actual, expected, tolerance: 1e-6, "RMSProp with momentum step \(step + 1)")
    }
  }

  func testSGDWithMomentumAndNesterov() {
    func reference(lr: Double, momentum: Double, nesterov: Bool) -> [[Double]] {
      var theta = start, b = [0.0, 0, 0]
      var first = true
      return gradientSteps.map { gradient in
        for i in 0..<3 {
          let g = gradient[i]
          b[i] = first ? g : momentum * b[i] + g  // PyTorch: the buffer starts as a copy of the first gradient
          theta[i] -= lr * (nesterov ? g + momentum * b[i] : b[i])
        }
        first = false
        return theta
      }
    }
    let plain = trajectory { SGD(for: $0, learningRate: 0.1) }
    assertClose(plain[0], [0.49, -0.98, 1.97], tolerance: 1e-7, "SGD step 1")
    for (nesterov, label) in [(false, "momentum"), (true, "Nesterov")] {
      let actual = trajectory { SGD(for: $0, learningRate: 0.1, momentum: 0.9, nesterov: nesterov) }
      for (step, (a, e)) in zip(actual, reference(lr: 0.1, momentum: 0.9, nesterov: nesterov)).enumerated() {
        assertClose(a, e, tolerance: 1e-6, "SGD \(label) step \(step + 1)")
      }
    }
  }

  func testParametersWithoutGradientsAreSkipped() {
    let holder = Holder([1, 2])
    let adam = Adam(for: holder)
    adam.step()
    XCTAssertEqual(holder.theta.scalars, [1, 2])
    XCTAssertTrue(adam.stateContents().tensors.isEmpty)
  }

  /// The optimizer remembers the parameters it first found (the model is walked once, not on every step); a tensor
  /// assigned to the model afterwards is updated only after `refreshParameters()`.
  func testOptimizerWalksOnceAndRefreshesOnRequest() {
    let holder = Holder([1, 2])
    let optimizer = SGD(for: holder, learningRate: 0.5)
    XCTAssertTrue(optimizer.parameters.first === holder.theta)
    let original = holder.theta
    holder.theta = Tensor([10, 20], requiresGrad: true)
    holder.theta.grad = Tensor([1, 1])
    original.grad = Tensor([2, 2])
    optimizer.step()
    XCTAssertEqual(original.scalars, [0, 1])
    XCTAssertEqual(holder.theta.scalars, [10, 20])
    optimizer.refreshParameters()
    XCTAssertTrue(optimizer.parameters.first === holder.theta)
    optimizer.step()
    XCTAssertEqual(holder.theta.scalars, [9.5, 19.5])
    XCTAssertEqual(original.scalars, [0, 1])
  }

  func testSmallClassifierTrainedWithAdamSeparatesThreeSpirals() {
    var g = SeededGenerator(seed: 42)
    let (trainPoints, trainLabels) = spirals(perClass: 100, using: &g)
    let (testPoints, testLabels) = spirals(perClass: 100, using: &g)
    let model = Sequential(
      Linear(inputSize: 2, outputSize: 64, using: &g), BatchNorm(featureCount: 64), ReLU(),
      Linear(inputSize: 64, outputSize: 64, using: &g), ReLU(),
      Linear(inputSize: 64, outputSize: 3, using: &g))
    let adam = Adam(for: model, learningRate: 0.01)
    let initialLoss = crossEntropy(logits: model(trainPoints), labels: trainLabels).scalar
    var loss: Float = 0
    for _ in 0..<300 {
      adam.zeroGradients()
      let objective = crossEntropy(logits: model(trainPoints), labels: trainLabels)
      objective.backward()
      adam.step()
      loss = objective.scalar
    }
    model.eval()
    func accuracy(_ points: Tensor, _ labels: [Int]) -> Double {
      let predictions = withoutGradients { model(points) }.argmaxLastAxis()
      return Double(zip(predictions, labels).filter { $0 == $1 }.count) / Double(labels.count)
    }
    let trainAccuracy = accuracy(trainPoints, trainLabels), testAccuracy = accuracy(testPoints, testLabels)
    print("spiral classifier: loss \(initialLoss) -> \(loss), train accuracy \(trainAccuracy), test accuracy \(testAccuracy)")
    XCTAssertLessThan(loss, 0.2 * initialLoss)
    XCTAssertGreaterThanOrEqual(trainAccuracy, 0.97)
    XCTAssertGreaterThanOrEqual(testAccuracy, 0.93)
  }
}

/// Three interleaved spiral arms in the plane (class = arm), with a little noise: not linearly separable.
func spirals(perClass: Int, using generator: inout SeededGenerator) -> (Tensor, [Int]) {
  var points: [Float] = [], labels: [Int] = []
  for arm in 0..<3 {
    for _ in 0..<perClass {
      let t = generator.nextUniform()
      let radius = 0.15 + t
      let angle = Float(arm) * 2 * Float.pi / 3 + 3.5 * t + 0.15 * generator.nextNormal()
      points += [radius * cos(angle), radius * sin(angle)]
      labels.append(arm)
    }
  }
  return (Tensor(shape: [3 * perClass, 2], scalars: points), labels)
}
