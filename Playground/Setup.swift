import Foundation
import GAN
import LessonKit

/// "ring, mlp 128×2, non-saturating".
func experimentTitle(_ flags: PlaygroundFlags) -> String {
  var parts = [flags.data.rawValue]
  parts.append(flags.resolvedArchitecture == .mlp ? "mlp \(flags.resolvedWidth)×\(flags.resolvedDepth)"
                                                  : "conv w\(flags.resolvedWidth)")
  parts.append(flags.loss.rawValue)
  if let clip = flags.clip { parts.append("clip \(clip)") }
  if let penalty = flags.gradientPenalty { parts.append("GP \(penalty)") }
  if let r1 = flags.r1 { parts.append("R1 \(r1)") }
  if flags.spectralNorm { parts.append("spectral norm") }
  if flags.minibatch != .none { parts.append("minibatch \(flags.minibatch.rawValue)") }
  return parts.joined(separator: ", ")
}

/// The optimizer a flag names, with the run's learning rate, betas and momentum.
func makeOptimizer(_ choice: OptimizerChoice, for model: Module, learningRate: Float, flags: PlaygroundFlags)
  -> any Optimizer
{
  switch choice {
  case .adam:
    return Adam(for: model, learningRate: learningRate, beta1: flags.beta1 ?? 0.5, beta2: flags.beta2 ?? 0.999)
  case .sgd:
    return SGD(for: model, learningRate: learningRate, momentum: flags.momentum ?? 0)
  case .rmsprop:
    return RMSProp(for: model, learningRate: learningRate)
  }
}

/// "Adam (β = 0.5, 0.999), learning rate 0.001".
func optimizerDescription(_ choice: OptimizerChoice, learningRate: Float, flags: PlaygroundFlags) -> String {
  switch choice {
  case .adam: return "Adam (β₁ = \(flags.beta1 ?? 0.5), β₂ = \(flags.beta2 ?? 0.999)), learning rate \(learningRate)"
  case .sgd: return "SGD (momentum \(flags.momentum ?? 0)), learning rate \(learningRate)"
  case .rmsprop: return "RMSProp (α = 0.99), learning rate \(learningRate)"
  }
}

/// What each loss asks of D and G, in one line.
func lossDescription(_ loss: AdversarialLoss) -> String {
  switch loss {
  case .minimax: return "minimax (Goodfellow et al. 2014): G minimizes log(1 − D(G(z))), which saturates when D wins"
  case .nonSaturating: return "non-saturating: D as in the minimax game, G maximizes log D(G(z))"
  case .wasserstein: return "Wasserstein (Arjovsky et al. 2017): the critic maximizes E f(x) − E f(G(z)), G maximizes E f(G(z))"
  case .leastSquares: return "least squares (LSGAN, Mao et al. 2017): D regresses real to 1 and fake to 0, G pulls D(G(z)) to 1"
  case .hinge: return "hinge (Lim & Ye 2017): D minimizes relu(1 − D(x)) + relu(1 + D(G(z))), G maximizes D(G(z))"
  }
}

/// Section 1: the configuration as the run resolved it (defaults filled in), and the command that repeats it.
func describeExperiment(lesson: Lesson, flags: PlaygroundFlags, arguments: [String]) {
  lesson.section("1. The experiment")
  var regularizers: [String] = []
  switch flags.constraint {
  case .none: break
  case .weightClipping(let limit): regularizers.append("weight clipping of D to [−\(limit), \(limit)] after every update")
  case .gradientPenalty(let weight): regularizers.append("gradient penalty λ = \(weight) at interpolates (WGAN-GP)")
  }
  if let r1 = flags.r1 { regularizers.append("R1 penalty γ = \(r1) on real data") }
  if flags.spectralNorm { regularizers.append("spectral normalization of every weighted layer of D") }
  switch flags.minibatch {
  case .none: break
  case .discrimination: regularizers.append("minibatch discrimination before D's last layer")
  case .stddev: regularizers.append("minibatch standard deviation before D's last layer")
  }
  if flags.resolvedArchitecture == .conv && flags.resolvedBatchNorm { regularizers.append("batch norm in D") }
  let architecture = flags.resolvedArchitecture == .mlp
    ? "multilayer perceptrons, \(flags.resolvedDepth) hidden layers of \(flags.resolvedWidth) units"
    : "DCGAN-style convolutional networks for 28×28 images (lesson 06's), base width \(flags.resolvedWidth)"
  var reproduce = "gan-playground"
  for argument in arguments { reproduce += " " + (argument.contains(" ") ? "'\(argument)'" : argument) }
  let seedNote = arguments.contains("--seed") ? "" : " --seed \(lesson.seed)"
  lesson.narrate("""
    A GAN of your own design, measured the way the lessons measure theirs. This run:

    - **data**: \(flags.data.rawValue)
    - **networks**: \(architecture); noise z ~ N(0, I) of size \(flags.resolvedNoiseSize)
    - **loss**: \(lossDescription(flags.loss))
    - **regularizers**: \(regularizers.isEmpty ? "none" : regularizers.joined(separator: "; "))
    - **G's optimizer**: \(optimizerDescription(flags.generatorOptimizer, learningRate: flags.resolvedGeneratorLearningRate, flags: flags))
    - **D's optimizer**: \(optimizerDescription(flags.discriminatorOptimizer, learningRate: flags.resolvedDiscriminatorLearningRate, flags: flags))
    - **schedule**: \(flags.discriminatorSteps) D update\(flags.discriminatorSteps == 1 ? "" : "s") per G update, batches of \(flags.batch)

    To repeat it exactly: `\(reproduce)\(seedNote)`.
    """)
  if flags.loss == .wasserstein && flags.constraint == .none && !flags.spectralNorm {
    lesson.narrate("""
      Note: a Wasserstein critic with no constraint (no --clip, --gradient-penalty or --spectral-norm) is not kept \
      Lipschitz, so E f(x) − E f(G(z)) can grow without bound. That may be the experiment; expect the scores to run away.
      """)
  }
}

/// Whether every number is finite.
func allFinite(_ values: [Float]) -> Bool { values.allSatisfy(\.isFinite) }

/// Under `--serve`, the page lets the viewer change G's and D's learning rates and the loss while it trains, as GAN
/// Lab does in its browser; each change takes effect at the next step and is logged in the notes with that step.
func offerViewerControls(_ lesson: Lesson, _ trainer: GANTrainer) {
  let rate: @Sendable (String) -> String? = { text in
    guard let value = Double(text), Allowed.rate.contains(value) else { return "allowed: \(Allowed.rate)" }
    return nil
  }
  lesson.addControl("learning-rate-g", .init(label: "G's learning rate",
                                             current: "\(trainer.generatorOptimizer.learningRate)", check: rate)) {
    trainer.generatorOptimizer.learningRate = Float($0) ?? trainer.generatorOptimizer.learningRate
  }
  lesson.addControl("learning-rate-d", .init(label: "D's learning rate",
                                             current: "\(trainer.criticOptimizer.learningRate)", check: rate)) {
    trainer.criticOptimizer.learningRate = Float($0) ?? trainer.criticOptimizer.learningRate
  }
  let losses = AdversarialLoss.allCases.map(\.rawValue)
  lesson.addControl("loss", .init(label: "loss", choices: losses, current: trainer.loss.rawValue) { value in
    losses.contains(value) ? nil : "allowed: \(losses.joined(separator: ", "))"
  }) { value in
    if let loss = AdversarialLoss(rawValue: value) { trainer.loss = loss }
  }
}
