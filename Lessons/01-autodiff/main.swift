// Lesson 01: the compiled engine, and a critic on its own
// You will: differentiate a function three ways (by hand, by finite differences, by the engine), take a second
// derivative, then train a critic D(x) to tell real samples from a forger's and compare it with the best critic
// there can be, D*(x) = p_data(x) / (p_data(x) + p_forger(x)).
// Run: swift run lesson-01-autodiff        Emits: output/lesson-01-autodiff/{critic.gp, critic.png,
//    critic-training.gif, notes.md, ...}
import Datasets
import Foundation
import GAN
import LessonKit
import Plotting

let lesson = Lesson(number: 1, slug: "autodiff", title: "The compiled engine and a critic on its own")

// MARK: - 1. One function, three derivatives

lesson.section("1. One function, three derivatives")
lesson.narrate("""
  Every GAN is trained by gradients, so we start with the machine that computes them. Take f(x) = x³ − 2x + e^(x/2).
  By hand, f′(x) = 3x² − 2 + ½e^(x/2) and f″(x) = 6x + ¼e^(x/2). A finite difference needs no calculus at all:
  f′(x) ≈ [f(x+h) − f(x−h)] / 2h. The engine records each operation as it runs and walks the record backwards
  (reverse-mode differentiation); its backward rules are themselves written in engine operations, so it can
  differentiate its own gradient and give f″ too.
  """)

func f(_ x: Tensor) -> Tensor { pow(x, 3) - 2 * x + exp(x / 2) }
func byHand(_ x: Double) -> (Double, Double) {
  (3 * x * x - 2 + 0.5 * Foundation.exp(x / 2), 6 * x + 0.25 * Foundation.exp(x / 2))
}
func fDouble(_ x: Double) -> Double { x * x * x - 2 * x + Foundation.exp(x / 2) }

var table =
  "| x | f′ by hand | f′ finite difference | f′ engine | f″ by hand | f″ engine |\n"
  + "|---|---|---|---|---|---|\n"
var worstFirst = 0.0, worstSecond = 0.0, worstFiniteDifference = 0.0
for value in [-1.5, -0.5, 0.0, 0.8, 2.0] as [Double] {
  let x = Tensor(Float(value), requiresGrad: true)
  let first = gradient(of: f(x), wrt: x, createGraph: true)
  let second = gradient(of: first, wrt: x)
  let h = 1e-4
  let finite = (fDouble(value + h) - fDouble(value - h)) / (2 * h)
  let (hand1, hand2) = byHand(value)
  worstFirst = max(worstFirst, Swift.abs(Double(first.scalar) - hand1) / max(1, Swift.abs(hand1)))
  worstSecond = max(worstSecond, Swift.abs(Double(second.scalar) - hand2) / max(1, Swift.abs(hand2)))
  worstFiniteDifference = max(
    worstFiniteDifference, Swift.abs(Double(first.scalar) - finite) / max(1, Swift.abs(finite)))
  table += String(
    format: "| %.1f | %.5f | %.5f | %.5f | %.5f | %.5f |\n", value, hand1, finite, Double(first.scalar),
    hand2, Double(second.scalar))
}
lesson.narrate(table)
lesson.show("largest relative error, engine f′ vs hand", worstFirst)
lesson.show("largest relative error, engine f′ vs finite difference", worstFiniteDifference)
lesson.show("largest relative error, engine f″ vs hand", worstSecond)
lesson.check("the engine's f′ matches the hand derivative", measured: worstFirst, .below(1e-5))
lesson.check("the engine's f′ matches finite differences", measured: worstFiniteDifference, .below(1e-4))
lesson.check(
  "the engine's f″ (a gradient of a gradient) matches the hand derivative", measured: worstSecond, .below(1e-5))

// MARK: - 1b. What the engine recorded, and the rules it walks back

lesson.narrate("""
  How does the engine get f′? Running f records every primitive operation with its backward rule; the gradient is
  a walk through that record in reverse, each rule turning the gradient of its output into gradients of its inputs
  (and summing where a value was used twice). Here is the record of f at x = 0.8, and the engine's own rules for
  those operations, as `Sources/Autograd/RULES.md` lists them (g is the incoming gradient, x the inputs, out the
  output):
  """)
let recorded = f(Tensor(0.8, requiresGrad: true)).recordedOps
let rulesIndex = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .deletingLastPathComponent().appendingPathComponent("Sources/Autograd/RULES.md")
let ruleLines = ((try? String(contentsOf: rulesIndex, encoding: .utf8)) ?? "").split(separator: "\n")
var walk = "| step of the backward walk | op | its rule |\n|---|---|---|\n"
var rulesFound = 0
for (step, op) in recorded.reversed().enumerated() {
  let row = ruleLines.first { $0.hasPrefix("| `\(op)` |") }
  let rule =
    row.map { $0.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) } }.map { $0[3] } ?? "(not found)"
  if row != nil { rulesFound += 1 }
  walk += "| \(step + 1) | `\(op)` | \(rule) |\n"
}
lesson.narrate("Forward, the record: \(recorded.map { "`\($0)`" }.joined(separator: " → ")).\n\n" + walk)
lesson.check(
  "every operation on the record has its rule in RULES.md", measured: Double(recorded.count - rulesFound),
  .atMost(0))

// MARK: - 2. Gradients of a small network, checked

lesson.section("2. A network's gradients, checked numerically")
lesson.narrate("""
  A critic is a small network: D(x) = σ(MLP(x)). Its loss on a batch of real samples (label 1) and forged ones
  (label 0) is the binary cross-entropy −[log D(real) + log(1 − D(fake))]. Below, the engine's gradient of that
  loss for every one of the network's weights is compared with central finite differences. (The check uses tanh
  between the layers: a finite difference straddling the kink of a ReLU measures the kink, not the gradient.)
  """)
var rng = lesson.makeGenerator()
let real = Gaussian1D(mean: 4, std: 1.25)
let forger = Gaussian1D(mean: 1, std: 1)
let probe = multilayerPerceptron(sizes: [1, 8, 8, 1], activation: .tanh, using: &rng)
let probeReal = real.sample(count: 16, using: &rng), probeFake = forger.sample(count: 16, using: &rng)
func criticLoss(_ d: some Layer, real: Tensor, fake: Tensor) -> Tensor {
  binaryCrossEntropy(logits: d(real), target: 1) + binaryCrossEntropy(logits: d(fake), target: 0)
}
let parameters = probe.parameters()
let engineGradients = gradients(of: criticLoss(probe, real: probeReal, fake: probeFake), wrt: parameters)
var worstNetwork = 0.0, checkedWeights = 0
for (parameter, engine) in zip(parameters, engineGradients) {
  for i in 0..<parameter.count {
    let original = parameter.scalars[i]
    let h: Float = 1e-2
    func lossAt(_ value: Float) -> Double {
      parameter.scalars[i] = value
      return Double(withoutGradients { criticLoss(probe, real: probeReal, fake: probeFake) }.scalar)
    }
    // The five-point stencil: truncation error O(h⁴), so a step large enough to swamp Float32 rounding is fine.
    let finite =
      (-lossAt(original + 2 * h) + 8 * lossAt(original + h) - 8 * lossAt(original - h)
        + lossAt(original - 2 * h)) / (12 * Double(h))
    parameter.scalars[i] = original
    worstNetwork = max(worstNetwork, Swift.abs(Double(engine.scalars[i]) - finite) / max(1e-2, Swift.abs(finite)))
    checkedWeights += 1
  }
}
lesson.show("weights checked", checkedWeights)
lesson.show("largest relative error, engine vs finite differences", worstNetwork)
lesson.check("every weight's gradient matches finite differences", measured: worstNetwork, .below(1e-2))

// MARK: - 3. The critic alone

lesson.section("3. The critic alone")
lesson.narrate("""
  Real data: x ~ N(4, 1.25²). A fixed forger produces x ~ N(1, 1). The critic D(x) = σ(MLP(x)) (two hidden layers
  of 32, leaky ReLU) is trained with Adam to say 1 on real samples and 0 on forged ones. Read D(x) as "how likely
  is x to be real". For fixed distributions the best possible critic is known in closed form:
  D*(x) = p_data(x) / (p_data(x) + p_forger(x)). Where the two densities are equal, even the best critic can only
  say ½.
  """)
let steps = lesson.steps(default: 1500, quick: 400)
let batch = 256
let critic = multilayerPerceptron(sizes: [1, 32, 32, 1], activation: .leakyReLU(slope: 0.2), using: &rng)
let optimizer = Adam(for: critic, learningRate: 2e-3, beta1: 0.5, beta2: 0.999)

let grid = (0...240).map { -3 + Double($0) * 0.05 }  // x from -3 to 9
let gridTensor = Tensor(shape: [grid.count, 1], scalars: grid.map(Float.init))
let pData = grid.map { Double(real.density(at: Float($0))) }
let pForger = grid.map { Double(forger.density(at: Float($0))) }
let best = zip(pData, pForger).map { $0 / ($0 + $1) }
@MainActor func criticCurve() -> [Double] { withoutGradients { sigmoid(critic(gridTensor)) }.scalars.map(Double.init) }

@MainActor func frame(_ step: Int) -> Figure {
  var top = Panel(title: "the two distributions", xLabel: nil, yLabel: "density", legend: .topRight)
  top.xAxis = Axis(nil, range: -3...9)
  top.series = [
    .density(x: grid, y: pData, label: "real: N(4, 1.25²)", color: .blue),
    .density(x: grid, y: pForger, label: "forger: N(1, 1)", color: .orange),
  ]
  var bottom = Panel(title: "critic after \(step) steps", xLabel: "x", yLabel: "D(x)", legend: .topLeft)
  bottom.yAxis = Axis("D(x)", range: -0.02...1.02)
  bottom.xAxis = Axis("x", range: -3...9)
  bottom.series = [
    // A wide light band under the trained curve: where the critic has learned D*, the two overlap.
    .line(x: grid, y: best, label: "best possible D*(x)", color: "#BBBBBB", width: 10),
    .line(x: grid, y: criticCurve(), label: "trained D(x)", color: .vermillion, width: 4),
  ]
  bottom.referenceLines = [.horizontal(0.5, label: "D = 1/2")]
  return Figure(name: "critic", title: "A critic learning to tell real from forged", columns: 1, panels: [top, bottom])
}

var frames: [Figure] = [frame(0)]
var lossHistory: [Double] = []
let progress = lesson.progress(total: steps, label: "training the critic")
for step in 1...steps {
  let loss = optimizer.minimize(
    criticLoss(
      critic, real: real.sample(count: batch, using: &rng),
      fake: forger.sample(count: batch, using: &rng)))
  lossHistory.append(Double(loss))
  if step % max(1, steps / 24) == 0 || step == steps { frames.append(frame(step)) }
  if lesson.isLive && step % 50 == 0 { lesson.live(frame(step)) }
  progress.update(step, values: ["loss": Double(loss)])
}

lesson.figure(frames.last!, caption: "The trained critic (red) over the best possible critic D* (wide gray band).")
lesson.animation(
  Animation(name: "critic-training", frames: frames, delay: 0.25),
  caption: "D(x) over training: it starts flat and bends towards D*.")

// The loss D* has over the whole distributions, ∫ p_data log(1/D*) + p_forger log(1/(1 − D*)) dx: no critic does
// better on average (single batches scatter around it).
var bestLoss = 0.0
for i in 0..<20_000 {
  let x = Float(-6 + Double(i) * 0.001), p = Double(real.density(at: x)), q = Double(forger.density(at: x))
  if p > 0 { bestLoss += p * Foundation.log((p + q) / p) * 0.001 }
  if q > 0 { bestLoss += q * Foundation.log((p + q) / q) * 0.001 }
}
var lossPlot = Figure(name: "critic-loss", title: "The critic's loss", xLabel: "step", yLabel: "binary cross-entropy")
lossPlot.add(.line(x: Array(1...steps), y: lossHistory, label: "critic loss", color: .blue, width: 2))
lossPlot.panels[0].referenceLines = [.horizontal(bestLoss, label: "loss of D* over the whole distributions")]
lesson.figure(lossPlot)
lesson.show("loss of the best possible critic D*", bestLoss)

// MARK: - 4. How good is it?

lesson.section("4. How good is the critic?")
lesson.narrate("""
  Accuracy on fresh samples, thresholding D at ½, against the Bayes accuracy — the accuracy of D*, the best any
  critic can do here, ½∫max(p_data, p_forger) dx, computed numerically. And the point x* where the two densities
  cross: there D* = ½ exactly, and a well-trained critic should say about ½ too.
  """)
let testCount = 20_000
let testReal = withoutGradients { sigmoid(critic(real.sample(count: testCount, using: &rng))) }.scalars
let testFake = withoutGradients { sigmoid(critic(forger.sample(count: testCount, using: &rng))) }.scalars
let accuracy = Double(testReal.filter { $0 > 0.5 }.count + testFake.filter { $0 <= 0.5 }.count) / Double(2 * testCount)
var bayes = 0.0
let fineStep = 0.001
for i in 0..<20_000 {
  let x = Float(-6 + Double(i) * fineStep)
  bayes += 0.5 * Double(max(real.density(at: x), forger.density(at: x))) * fineStep
}
// The crossing between the means, by bisection on p_data - p_forger.
var low: Float = 1, high: Float = 4
for _ in 0..<60 {
  let mid = (low + high) / 2
  if real.density(at: mid) > forger.density(at: mid) { high = mid } else { low = mid }
}
let crossing = (low + high) / 2
let atCrossing = Double(withoutGradients { sigmoid(critic(Tensor(shape: [1, 1], scalars: [crossing]))) }.scalar)
lesson.show("critic accuracy on fresh samples", accuracy)
lesson.show("Bayes accuracy (the best possible)", bayes)
lesson.show("densities cross at x*", Double(crossing))
lesson.show("D(x*)", atCrossing)
lesson.check("the critic's accuracy is within 2 points of the Bayes accuracy", measured: bayes - accuracy, .below(0.02))
lesson.check("where the densities are equal, D(x*) is near 1/2", measured: atCrossing, .near(0.5, tolerance: 0.1))

lesson.narrate("""
  **What to take away.** The engine's gradients are exact to Float32 rounding, at first and second order, for a
  hand-written function and for every weight of a network. A critic trained on two fixed distributions approaches
  the optimum D* = p_data / (p_data + p_forger): confident far from the overlap, ½ where the densities are equal.
  In the next lesson the forger learns too, and the game ends when D* is ½ everywhere.
  """)
lesson.finish()
