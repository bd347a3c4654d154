import Datasets
import Foundation
import GAN
import LessonKit
import Plotting

/// The toy distribution a flag names, with its mode standard deviation.
func toyDistribution(_ flags: PlaygroundFlags) -> any ToyDistribution {
  switch flags.data {
  case .mixture1d: return GaussianMixture1D(means: [-4, 0, 4], std: flags.modeStd ?? 0.25)
  case .ring: return GaussianRing(modeCount: 8, radius: 2, std: flags.modeStd ?? 0.02)
  case .grid: return GaussianGrid(side: 5, spacing: 2, std: flags.modeStd ?? 0.05)
  case .mnist, .fashion: preconditionFailure("toyDistribution: \(flags.data) is image data")
  }
}

/// What a toy run measured at one point of training.
struct ToyEvaluation {
  var step: Int
  var coverage: ModeCoverage
  var wasserstein: Double
}

/// Column `k` of a [N, D] tensor.
func column(_ t: Tensor, _ k: Int) -> [Float] {
  let d = t.shape[1]
  return stride(from: k, to: t.count, by: d).map { t.scalars[$0] }
}

/// Sections 2-4 on toy data: the data, training with evaluations along the way, the results.
func runToyExperiment(lesson: Lesson, flags: PlaygroundFlags) {
  let target = toyDistribution(flags)
  let dimension = target.dimension
  let std = target.modeStds[0]
  let evaluationCount = lesson.budget(2500, quick: 1000)
  let minimumCount = max(5, evaluationCount / 125)
  let distanceCount = lesson.budget(300, quick: 200)
  var dataRNG = lesson.makeGenerator(offset: 10)
  var rng = lesson.makeGenerator()

  // MARK: 2. The data
  lesson.section("2. The data and how it is measured")
  lesson.narrate("""
    \(target.modeCount) Gaussian modes in \(dimension) dimension\(dimension == 1 ? "" : "s"), σ = \(std) each, equally \
    likely. Every mode is known, so a generator can be scored (the protocol of lesson 03, on \(evaluationCount) \
    generated samples):

    - a sample is **high quality** if it lies within 3σ of its nearest mode center;
    - a mode is **captured** if at least \(minimumCount) high-quality samples fall on it;
    - **KL to uniform** of the high-quality samples' mode histogram: 0 when every mode gets its share, \
    ln \(target.modeCount) ≈ \(String(format: "%.2f", log(Double(target.modeCount)))) when all sit on one mode;
    - the **Wasserstein-1 distance** between generated and real samples (lesson 05): \(dimension == 1
      ? "exact, between \(evaluationCount) samples of each (the area between the quantile functions)"
      : "exact, between \(distanceCount) samples of each (an optimal assignment)"). Two samples of the data itself \
    are not at 0: that floor is measured too.
    """)
  let dataSamples = target.sample(count: evaluationCount, using: &dataRNG)
  let dataCoverage = ModeCoverage(samples: dataSamples, centers: target.modeCenters, std: std, minimumCount: minimumCount)

  /// W1 between `samples` and fresh data.
  func distanceToData(_ samples: Tensor, using rng: inout SeededGenerator) -> Double {
    if dimension == 1 {
      return wasserstein1D(samples.scalars, target.sample(count: samples.shape[0], using: &rng).scalars)
    }
    let count = min(distanceCount, samples.shape[0])
    return assignmentWasserstein(samples.sliced(axis: 0, 0..<count).detached(),
                                 target.sample(count: count, using: &rng))
  }
  let floor = distanceToData(target.sample(count: evaluationCount, using: &dataRNG), using: &dataRNG)
  lesson.show("real data: modes captured (of \(target.modeCount))", dataCoverage.modesCaptured)
  lesson.show("real data: high-quality share", dataCoverage.highQualityFraction)
  lesson.show("W1 between two samples of the data (the floor)", floor)

  // MARK: 3. Training
  lesson.section("3. Training")
  let noiseSize = flags.resolvedNoiseSize
  let generator = multilayerPerceptron(
    sizes: [noiseSize] + Array(repeating: flags.resolvedWidth, count: flags.resolvedDepth) + [dimension],
    activation: .leakyReLU(slope: 0.2), using: &rng)
  let discriminator = MLPDiscriminator(
    inputSize: dimension, width: flags.resolvedWidth, depth: flags.resolvedDepth, spectralNorm: flags.spectralNorm,
    batchFeature: flags.minibatch, using: &rng)
  lesson.show("generator parameters", generator.parameterCount)
  lesson.show("discriminator parameters", discriminator.parameterCount)
  let batch = flags.batch
  let trainer = GANTrainer(
    generator: generator, critic: discriminator,
    generatorOptimizer: makeOptimizer(flags.generatorOptimizer, for: generator,
                                      learningRate: flags.resolvedGeneratorLearningRate, flags: flags),
    criticOptimizer: makeOptimizer(flags.discriminatorOptimizer, for: discriminator,
                                   learningRate: flags.resolvedDiscriminatorLearningRate, flags: flags),
    loss: flags.loss, constraint: flags.constraint, r1Gamma: flags.r1, criticSteps: flags.discriminatorSteps,
    batchSize: batch, noiseSize: noiseSize, realBatch: { rng in target.sample(count: batch, using: &rng) })

  let steps = lesson.steps(default: 3000, quick: 500)
  let evaluationPoints = min(steps, lesson.budget(30, quick: 10))
  let evaluateAt = Set((1...evaluationPoints).map { steps * $0 / evaluationPoints })
  let snapshotAt = [steps / 4, steps / 2, 3 * steps / 4, steps].map { max($0, 1) }
  lesson.narrate("""
    \(steps) generator steps. Every \(max(1, steps / evaluationPoints)) steps the generator is scored on fresh noise; \
    its samples are kept at steps \(snapshotAt.map(String.init).joined(separator: ", ")).
    """)
  let fixedNoise = trainer.noise(evaluationCount, using: &rng)
  func evaluate(step: Int, using rng: inout SeededGenerator) -> (ToyEvaluation, Tensor) {
    let samples = trainer.generate(from: fixedNoise)
    let coverage = ModeCoverage(samples: samples, centers: target.modeCenters, std: std, minimumCount: minimumCount)
    return (ToyEvaluation(step: step, coverage: coverage, wasserstein: distanceToData(samples, using: &rng)), samples)
  }
  var evalRNG = lesson.makeGenerator(offset: 20)
  var evaluations = [evaluate(step: 0, using: &evalRNG).0]
  var snapshots: [(step: Int, samples: Tensor)] = []
  var lossHistory = LossHistory(totalSteps: steps)
  offerViewerControls(lesson, trainer)
  let progress = lesson.progress(total: steps, label: "training")
  for step in 1...steps {
    let result = trainer.step(using: &rng)
    lossHistory.record(result, at: step)
    if evaluateAt.contains(step) {
      let (evaluation, samples) = evaluate(step: step, using: &evalRNG)
      evaluations.append(evaluation)
      if snapshotAt.contains(step) { snapshots.append((step, samples)) }
      if lesson.isLive { lesson.live(samplesFigure(name: "live", title: "step \(step)", data: dataSamples,
                                                   samples: samples, target: target)) }
    } else if snapshotAt.contains(step) {
      snapshots.append((step, trainer.generate(from: fixedNoise)))
    }
    progress.update(step, values: ["D loss": Double(result.critic.loss), "G loss": Double(result.generatorLoss)])
  }

  // MARK: 4. Results
  lesson.section("4. What the generator learned")
  let final = evaluations.last!
  let finalSamples = trainer.generate(from: fixedNoise)
  lesson.figure(samplesFigure(name: "samples", title: "Data and \(evaluationCount) generated samples after \(steps) steps",
                              data: dataSamples, samples: finalSamples, target: target),
                caption: dimension == 1
                  ? "The data's density (shaded) and a histogram of the generated samples (those outside the plot are counted in its end bins)."
                  : "Real samples in blue, generated in red (those outside the plot drawn on its edge), mode centers as crosses.")
  var snapshotPanels: [Panel] = []
  for snapshot in snapshots {
    var figure = samplesFigure(name: "x", title: "step \(snapshot.step)", data: dataSamples, samples: snapshot.samples,
                               target: target)
    figure.panels[0].title = "step \(snapshot.step)"
    figure.panels[0].legend = .hidden
    snapshotPanels.append(figure.panels[0])
  }
  lesson.figure(Figure(name: "snapshots", title: "The generator's samples during training", width: dimension == 1 ? 1600 : 1300,
                       height: dimension == 1 ? 1000 : 1300,
                       columns: 2, panels: snapshotPanels),
                caption: "The same noise at four points of training: mode hopping shows as samples moving between modes.")

  let evaluationSteps = evaluations.map(\.step)
  var lossPanel = Panel(title: "losses", xLabel: "step", yLabel: "loss", series: lossHistory.series)
  if flags.loss.isProbabilistic { lossPanel.referenceLines.append(.horizontal(2 * log(2), label: "2 ln 2")) }
  var distancePanel = Panel(title: "W1 to the data", xLabel: "step", yLabel: "W1", series: [
    .linesPoints(x: evaluationSteps, y: evaluations.map(\.wasserstein), label: "generated", color: .blue),
  ], referenceLines: [.horizontal(floor, label: "data vs data")])
  if evaluations.allSatisfy({ $0.wasserstein > 0 }) && floor > 0 { distancePanel.yAxis.logScale = true }
  var modesPanel = Panel(title: "modes captured", xLabel: "step", yLabel: "modes", series: [
    .linesPoints(x: evaluationSteps, y: evaluations.map(\.coverage.modesCaptured), label: "captured", color: .green),
  ], referenceLines: [.horizontal(Double(target.modeCount), label: "all \(target.modeCount)")], legend: .bottomRight)
  modesPanel.yAxis.range = 0...(Double(target.modeCount) + 1)
  let qualityPanel = Panel(title: "high-quality share", xLabel: "step", yLabel: "share within 3σ", series: [
    .linesPoints(x: evaluationSteps, y: evaluations.map(\.coverage.highQualityFraction), label: "generated",
                 color: .vermillion),
  ], referenceLines: [.horizontal(dataCoverage.highQualityFraction, label: "data")], legend: .bottomRight)
  lesson.figure(Figure(name: "training", title: "Training, measured", width: 1600, height: 1100, columns: 2,
                       panels: [lossPanel, distancePanel, modesPanel, qualityPanel]),
                caption: "Losses every \(lossHistory.every) steps; the scores at \(evaluationPoints) points of training.")

  lesson.show("modes captured at the end (of \(target.modeCount))", final.coverage.modesCaptured)
  lesson.show("high-quality share at the end", final.coverage.highQualityFraction)
  lesson.show("KL to uniform of the mode histogram at the end (nats)", final.coverage.klToUniform)
  lesson.show("W1 to the data at the end", final.wasserstein)
  lesson.show("W1 to the data, best during training", evaluations.map(\.wasserstein).min()!)
  lesson.show("most modes captured during training", evaluations.map(\.coverage.modesCaptured).max()!)
  lesson.show("D loss at the end", lossHistory.discriminator.last!)
  lesson.show("G loss at the end", lossHistory.generator.last!)

  lesson.section("5. Sanity checks")
  lesson.narrate("""
    The playground makes no promise about how well an experiment works: that is what it is for. It checks only that \
    the run is sound: the numbers stayed finite and the evaluation saw real samples score perfectly.
    """)
  lesson.check("every recorded loss is finite", lossHistory.allFinite,
               detail: "\(lossHistory.steps.count) D and G losses recorded")
  lesson.check("every generated sample is finite", allFinite(finalSamples.scalars),
               detail: "\(finalSamples.count) coordinates")
  lesson.check("real data captures every mode (the protocol works)", measured: dataCoverage.modesCaptured,
               .atLeast(Double(target.modeCount)))
}

/// Data and generated samples: a scatter in 2-D (with the mode centers), density and histogram in 1-D.
func samplesFigure(name: String, title: String, data: Tensor, samples: Tensor, target: any ToyDistribution) -> Figure {
  var figure: Figure
  if target.dimension == 1 {
    let centers = target.modeCenters.map { $0[0] }
    let low = Double(centers.min()! - 6 * target.modeStds.max()! - 1)
    let high = Double(centers.max()! + 6 * target.modeStds.max()! + 1)
    let xs = (0...400).map { low + (high - low) * Double($0) / 400 }
    let density: [Double] = xs.map { x in
      zip(zip(target.modeCenters, target.modeStds), target.modeWeights).reduce(0.0) { total, mode in
        let ((center, std), weight) = mode
        let z = (x - Double(center[0])) / Double(std)
        return total + Double(weight) * exp(-0.5 * z * z) / (Double(std) * (2 * Double.pi).squareRoot())
      }
    }
    figure = Figure(name: name, title: title, xLabel: "x", yLabel: "density")
    figure.add(.density(x: xs, y: density, label: "data", color: .blue))
    figure.add(.histogram(samples.scalars.map { min(max(Double($0), low), high) }, bins: 120, range: low...high,
                          label: "generated", color: .vermillion))
    figure.panel.xAxis.range = low...high
  } else {
    let extent = Double(target.modeCenters.flatMap { $0.map(abs) }.max()!) + 1
    var panel = Panel(title: title, xLabel: "x₁", yLabel: "x₂", legend: .below, equalAspect: true)
    let clamp: ([Float]) -> [Float] = { $0.map { min(max($0, Float(-extent)), Float(extent)) } }
    panel.series = [
      .scatter(x: column(data, 0), y: column(data, 1), label: "data", color: .blue, size: 0.6, opacity: 0.5),
      .scatter(x: clamp(column(samples, 0)), y: clamp(column(samples, 1)), label: "generated", color: .vermillion,
               size: 0.6, opacity: 0.5),
      .points(x: target.modeCenters.map { $0[0] }, y: target.modeCenters.map { $0[1] }, label: "mode centers",
              color: .black, size: 1.5, pointType: 2),
    ]
    panel.xAxis.range = -extent...extent
    panel.yAxis.range = -extent...extent
    figure = Figure(name: name, title: title, width: 1000, height: 1100, panels: [panel])
  }
  return figure
}
