import Datasets
import Foundation
import GAN
import LessonKit
import Plotting

/// Real batches from an endless shuffled pass over the training images (a class, so a closure can advance it).
final class ImageBatches {
  var sampler: InfiniteBatchSampler
  init(_ sampler: InfiniteBatchSampler) { self.sampler = sampler }
  func next() -> Tensor { sampler.next().examples }
}

/// Sections 2-4 on MNIST or Fashion-MNIST: the data, training with snapshots (and on MNIST the classifier's
/// judgement along the way), the results.
func runImageExperiment(lesson: Lesson, flags: PlaygroundFlags, dataset: Dataset) {
  let isMNIST = flags.data == .mnist
  let trainLimit: Int? = lesson.budget(nil, quick: 5000)
  let evaluationCount = lesson.budget(1000, quick: 500)
  let train: LabeledImages
  let test: LabeledImages
  let classifier: MNISTClassifier?
  // Unreadable data is an error, not a failed claim: there is nothing to measure. The minimums are what the run
  // draws from each split: a batch and a 64-image grid of training images, the Fréchet reference's samples (MNIST),
  // and 16 test images for the memorization check.
  do {
    train = try dataset.load(.train, limit: trainLimit)
    test = try dataset.load(.test, limit: isMNIST ? lesson.budget(10_000, quick: 2000) : 16)
    classifier = isMNIST ? try MNISTClassifier.pretrained() : nil
    let neededTrain = max(flags.batch, 64, isMNIST ? evaluationCount : 0)
    if train.count < neededTrain {
      throw DatasetError.tooFewExamples(
        file: try dataset.path(of: .train, labels: false), count: train.count, needed: neededTrain, who: "gan-playground")
    }
    let neededTest = isMNIST ? evaluationCount : 16
    if test.count < neededTest {
      throw DatasetError.tooFewExamples(
        file: try dataset.path(of: .test, labels: false), count: test.count, needed: neededTest, who: "gan-playground")
    }
  } catch {
    lesson.fail("--data \(flags.data.rawValue): \(error)")
  }
  var rng = lesson.makeGenerator()

  // MARK: 2. The data
  lesson.section("2. The data and how it is judged")
  if isMNIST {
    lesson.narrate("""
      MNIST: \(train.count) training images of handwritten digits, 28×28, scaled to [−1, 1] (from \
      `\(dataset.directory)`). Generated digits are judged as in lesson 06 by the course's own MNIST classifier \
      (99.3% test accuracy) on \(evaluationCount) samples: the **Fréchet distance** between its 128 penultimate \
      features on generated and on \(test.count) test images (lower is better; \(evaluationCount) real training \
      images score the floor, not 0), the **classifier score** exp(E KL(p(y|x) ‖ p(y))) (10 at best), the **class \
      histogram**'s KL to uniform, and the share classified with confidence > 0.9.
      """)
  } else {
    lesson.narrate("""
      \(dataset.name): \(train.count) training images, 28×28, scaled to [−1, 1] (from `\(dataset.directory)`). The \
      course's classifier was trained on MNIST digits and knows nothing about clothes, so its Fréchet distance, score \
      and class histogram would not mean anything here and are not computed: judge the sample grids by eye, and the \
      nearest-neighbor check at the end says whether G copies its training images.
      """)
  }
  lesson.image("real-images", images: train.images.sliced(axis: 0, 0..<64).detached(),
               caption: "Real training images.")
  let reference = classifier.map {
    FrechetReference(classifier: $0, referenceImages: test.images, trainImages: train.images,
                     sampleCount: evaluationCount)
  }
  if let reference { lesson.show("Fréchet distance of \(evaluationCount) real training images (the floor)", reference.floor) }

  // MARK: 3. Training
  lesson.section("3. Training")
  let noiseSize = flags.resolvedNoiseSize
  let width = flags.resolvedWidth
  let generator: any Layer
  let discriminator: any Layer
  switch flags.resolvedArchitecture {
  case .conv:
    generator = MNISTGenerator(noiseSize: noiseSize, width: width, using: &rng)
    discriminator = ConvolutionalDiscriminator(
      width: width, batchNorm: flags.resolvedBatchNorm, spectralNorm: flags.spectralNorm,
      batchFeature: flags.minibatch, using: &rng)
  case .mlp:
    generator = MLPImageGenerator(noiseSize: noiseSize, width: width, depth: flags.resolvedDepth, using: &rng)
    discriminator = MLPDiscriminator(
      inputSize: 784, width: width, depth: flags.resolvedDepth, spectralNorm: flags.spectralNorm,
      batchFeature: flags.minibatch, using: &rng)
  }
  lesson.show("generator parameters", generator.parameterCount)
  lesson.show("discriminator parameters", discriminator.parameterCount)
  let batches = ImageBatches(InfiniteBatchSampler(train, batchSize: flags.batch, seed: lesson.seed))
  let trainer = GANTrainer(
    generator: generator, critic: discriminator,
    generatorOptimizer: makeOptimizer(flags.generatorOptimizer, for: generator,
                                      learningRate: flags.resolvedGeneratorLearningRate, flags: flags),
    criticOptimizer: makeOptimizer(flags.discriminatorOptimizer, for: discriminator,
                                   learningRate: flags.resolvedDiscriminatorLearningRate, flags: flags),
    loss: flags.loss, constraint: flags.constraint, r1Gamma: flags.r1, criticSteps: flags.discriminatorSteps,
    batchSize: flags.batch, noiseSize: noiseSize, realBatch: { _ in batches.next() })

  let steps = lesson.steps(default: 2000, quick: 200)
  let evaluationPoints = min(steps, lesson.budget(8, quick: 3))
  let evaluateAt = Set((1...evaluationPoints).map { steps * $0 / evaluationPoints })
  let snapshotAt = Set((1...min(steps, 8)).map { steps * $0 / min(steps, 8) })
  lesson.narrate("""
    \(steps) generator steps (\(String(format: "%.2f", Double(steps * flags.batch * flags.discriminatorSteps) / Double(train.count))) \
    epochs of D's real batches). A fixed batch of 64 noise vectors is drawn at the start; its images are kept at \
    \(snapshotAt.count) points of training\(isMNIST ? ", and the classifier judges \(evaluationCount) fresh samples at \(evaluationPoints) points" : "").
    """)
  let fixedNoise = trainer.noise(64, using: &rng)
  var grids: [ImageGrid] = []
  if let grid = try? ImageGrid(trainer.generate(from: fixedNoise)) { grids.append(grid) }
  func judge(using rng: inout SeededGenerator) -> ClassifierMetrics? {
    guard let classifier, let reference else { return nil }
    return ClassifierMetrics(images: trainer.generate(evaluationCount, chunk: 250, using: &rng), classifier: classifier,
                             reference: reference)
  }
  var history: [(step: Int, metrics: ClassifierMetrics)] = []
  if let untrained = judge(using: &rng) { history.append((0, untrained)) }
  var lossHistory = LossHistory(totalSteps: steps)
  offerViewerControls(lesson, trainer)
  let progress = lesson.progress(total: steps, label: "training")
  for step in 1...steps {
    let result = trainer.step(using: &rng)
    lossHistory.record(result, at: step)
    if snapshotAt.contains(step), let grid = try? ImageGrid(trainer.generate(from: fixedNoise)) { grids.append(grid) }
    if evaluateAt.contains(step), let metrics = judge(using: &rng) { history.append((step, metrics)) }
    progress.update(step, values: ["D loss": Double(result.critic.loss), "G loss": Double(result.generatorLoss)])
  }

  // MARK: 4. Results
  lesson.section("4. What the generator learned")
  let finalImages = trainer.generate(from: fixedNoise)
  lesson.image("samples-final", images: finalImages, caption: "The fixed noise batch after \(steps) steps.")
  lesson.animation("samples", frames: grids + [grids.last!, grids.last!], delay: 0.5,
                   caption: "The same 64 noise vectors over training.")
  var losses = Figure(name: "losses", title: "Losses", xLabel: "step", yLabel: "loss")
  for series in lossHistory.series { losses.add(series) }
  if flags.loss.isProbabilistic { losses.add(.horizontal(2 * log(2), label: "2 ln 2")) }
  lesson.figure(losses, caption: "Losses every \(lossHistory.every) steps.")

  if let reference, let final = history.last?.metrics {
    let metricSteps = history.map(\.step)
    var metricFigure = Figure(name: "metrics", title: "The MNIST classifier's judgement over training", width: 1600,
                              height: 600, columns: 3, panels: [
      Panel(title: "Fréchet distance (log)", xLabel: "step", yLabel: "distance",
            series: [.linesPoints(x: metricSteps, y: history.map { $0.metrics.frechetDistance ?? .nan },
                                  label: "generated", color: .blue)],
            referenceLines: [.horizontal(reference.floor, label: "real floor")]),
      Panel(title: "classifier score", xLabel: "step", yLabel: "score (max 10)",
            series: [.linesPoints(x: metricSteps, y: history.map(\.metrics.classifierScore), label: "score",
                                  color: .green)], legend: .bottomRight),
      Panel(title: "confident share", xLabel: "step", yLabel: "share with p > 0.9",
            series: [.linesPoints(x: metricSteps, y: history.map(\.metrics.confidentShare), label: "confident",
                                  color: .vermillion)], legend: .bottomRight),
    ])
    metricFigure.panels[0].yAxis.logScale = history.allSatisfy { ($0.metrics.frechetDistance ?? 0) > 0 }
    metricFigure.panels[1].yAxis.range = 1...10
    metricFigure.panels[2].yAxis.range = 0...1
    lesson.figure(metricFigure, caption: "\(evaluationCount) samples judged at each point.")
    var classes = Figure(name: "classes", title: "Which digits does G draw?", xLabel: "predicted class",
                         yLabel: "share of samples")
    classes.add(.bars(x: Array(0...9), heights: final.classHistogram.map { Double($0) / Double(max(1, final.sampleCount)) },
                      width: 0.8, label: "generated", color: .blue))
    classes.add(.horizontal(0.1, label: "uniform"))
    lesson.figure(classes)
    lesson.show("Fréchet distance at the end", final.frechetDistance ?? .nan)
    lesson.show("Fréchet distance of the untrained generator", history.first?.metrics.frechetDistance ?? .nan)
    lesson.show("classifier score at the end", final.classifierScore)
    lesson.show("class KL to uniform at the end (nats)", final.classKLToUniform)
    lesson.show("share classified with confidence > 0.9", final.confidentShare)
    lesson.show("classes never drawn", final.missingClasses.count)
  }

  // Memorization: distance from generated images to their nearest training image, against test images' (pixels).
  let queries = finalImages.sliced(axis: 0, 0..<16).detached()
  let generatedDistance = nearestNeighbors(of: queries, in: train.images, count: 1).map { Double($0[0].distance) }
  let realQueries: Tensor? = test.images.sliced(axis: 0, 0..<16).detached()
  lesson.show("mean pixel distance, generated image → nearest training image", generatedDistance.reduce(0, +) / 16)
  if let realQueries {
    let realDistance = nearestNeighbors(of: realQueries, in: train.images, count: 1).map { Double($0[0].distance) }
    lesson.show("mean pixel distance, test image → nearest training image", realDistance.reduce(0, +) / 16)
  }
  lesson.show("D loss at the end", lossHistory.discriminator.last!)
  lesson.show("G loss at the end", lossHistory.generator.last!)

  lesson.section("5. Sanity checks")
  lesson.narrate("""
    The playground makes no promise about how well an experiment works: that is what it is for. It checks only that \
    the run is sound: the numbers stayed finite and the images are in the generator's range [−1, 1].
    """)
  lesson.check("every recorded loss is finite", lossHistory.allFinite,
               detail: "\(lossHistory.steps.count) D and G losses recorded")
  lesson.check("every generated pixel is finite and in [−1, 1]",
               finalImages.scalars.allSatisfy { $0.isFinite && $0 >= -1 && $0 <= 1 },
               detail: "\(finalImages.count) pixels")
}
