import Autograd
import Datasets
import Foundation
import GAN
import Plotting

// The cells of lesson 08 that are the same for faces and digits, and the digits' own mixing measures and claims.

/// The magnification that draws images of this size 128 pixels wide (4× for 32×32, 2× for 64×64): big enough to
/// project, small enough that a 7-wide grid fits a screen.
public func projectorScale(_ images: Tensor) -> Int { Swift.max(1, 128 / images.shape[images.rank - 1]) }

extension Lesson {
  /// Trains `trainer` up to `steps` on batches from `sampler`, with the smoothed losses as progress and, at 8 points,
  /// the fixed latents' images (averaged generator) and how diverse the judge finds them; then shows the losses,
  /// that diversity against the diversity of `real` (as many real images as latents), the frames as
  /// `training.gif`, and the wall time. With `state`, a run saved there continues from its step, and the state is
  /// saved at every tenth of the steps and at the end, so a training longer than one sitting can go on bit for bit;
  /// the log then covers this sitting and its `seconds` every sitting.
  public func trainStyleGAN(
    _ trainer: StyleGANTrainer, steps: Int, sampler: inout InfiniteBatchSampler, state: StyleGANStateFile? = nil,
    fixedZ: Tensor, judge: some StyleGANJudge, real: Tensor
  ) -> TrainingLog<StyleGANSnapshot> {
    let realDiversity = meanPairwiseDistance(judge.reading(real).features)
    var saved = StyleGANTrainingState.Position(step: 0, seconds: 0)
    if let state, FileManager.default.fileExists(atPath: state.url.path) {
      do {
        saved = try StyleGANTrainingState.load(
          into: trainer, sampler: &sampler, recipe: state.recipe, steps: steps, from: state.url, flag: "--state")
      } catch { fail("\(error)") }
      narrate("Continuing the run saved in `\(state.url.path)` from its step \(saved.step) "
        + "(\(Int(saved.seconds)) s of training so far) up to step \(steps), at learning rate "
        + "\(trainer.options.learningRate) and R1 γ \(trainer.options.r1Gamma).")
    }
    let (first, started) = (saved.step, Date())
    let saveEvery = Swift.max(1, (steps - first) / 10)
    var smoothed = (d: 0.0, g: 0.0)
    var history = train(
      steps: steps - first, label: "training StyleGAN", measureEvery: .every(10), framesEvery: .evenly(8, start: true)
    ) { n in
      let result = trainer.step(real: sampler.next().examples)
      if let state, n % saveEvery == 0 || n == steps - first {
        let sitting = StyleGANTrainingState.Sitting(
          from: first, to: first + n, command: "swift run \(executableName) " + commandLine(dropping: ["--out"]),
          learningRate: trainer.options.learningRate, r1Gamma: trainer.options.r1Gamma)
        let position = StyleGANTrainingState.Position(
          step: first + n, seconds: saved.seconds + Date().timeIntervalSince(started),
          sittings: saved.sittings + [sitting])
        do {
          try StyleGANTrainingState.save(trainer, sampler: sampler, recipe: state.recipe, position: position,
                                         to: state.url)
        } catch { fail("--state \(state.url.path): the training state could not be written: \(error)") }
      }
      let rate = n == 1 ? 1 : 0.05  // moving averages of the noisy per-batch losses
      smoothed.d += rate * (Double(result.discriminatorLoss) - smoothed.d)
      smoothed.g += rate * (Double(result.generatorLoss) - smoothed.g)
      return ["D loss": smoothed.d, "G loss": smoothed.g]
    } frame: { _ in
      let generator = trainer.averagedGenerator
      let images = generator.images(ofStyles: generator.fixedStyles(fixedZ))
      let grid = try! ImageGrid(images, columns: 8, scale: projectorScale(images))
      return StyleGANSnapshot(grid, meanPairwiseDistance(judge.reading(images).features))
    }
    history.seconds += saved.seconds
    figure(.styleGANLosses(history))
    let latents = fixedZ.shape[0]
    figure(
      .latentDiversity(history, realDiversity: realDiversity, latents: latents),
      caption: "Falling far below the real images' level means the generator draws the same image for every latent: "
        + "mode collapse.")
    let grids = history.frameValues.map(\.grid)
    animation(
      "training", frames: grids + [grids.last!, grids.last!], delay: 0.5,
      caption: "The same \(latents) latents (averaged generator, ψ = 1) before training and at 8 points of it.")
    show("wall time of training (s)" + (first > 0 ? ", every sitting" : ""), history.seconds)
    return history
  }

  /// The truncation sweep's diversities at each ψ, its grid (`truncation.png`) and its curves
  /// (`truncation-diversity.png`).
  public func showTruncation(_ sweep: TruncationSweep, realFeatureDiversity: Double) {
    let classes = !sweep.classEntropies.isEmpty
    for (i, psi) in sweep.psis.enumerated() {
      show(
        String(format: "ψ = %.1f: feature diversity / pixel diversity", psi) + (classes ? " / class entropy" : ""),
        String(format: "%.3f / %.3f", sweep.featureDiversity[i], sweep.pixelDiversity[i])
          + (classes ? String(format: " / %.3f", sweep.classEntropies[i]) : ""))
    }
    image(
      "truncation", grid: try! ImageGrid(sweep.shownImages, columns: 10, scale: projectorScale(sweep.shownImages)),
      rowLabels: sweep.psis.map { String(format: "ψ = %.1f", $0) }, columnLabels: (1...10).map { "z\($0)" },
      caption: "Rows ψ = \(sweep.psis.map { String(format: "%g", $0) }.joined(separator: ", ")) (top to bottom); "
        + "columns: the same 10 latents.")
    figure(
      .truncationDiversity(sweep),
      caption: String(
        format: "At ψ = 1 the feature diversity is %.2f of the real images' (%.1f).",
        sweep.featureDiversity[0] / realFeatureDiversity, realFeatureDiversity))
  }

  /// Where a generator stands against the held-out real images, measured on `generator`'s images for latents `z`
  /// (constant noise): the Fréchet distance in the judge's features, and the mean squared difference between the
  /// average generated image and the average real one (pixel by pixel), the first thing a generator learns.
  public struct QuickProbe: Sendable {
    public let frechet: Double
    public let averageImageGap: Double
  }

  public func quickProbe(_ generator: StyleGANGenerator, z: Tensor, data: StyleGANLessonData) -> QuickProbe {
    let images = generator.images(ofStyles: generator.fixedStyles(z))
    let frechet = frechetDistance(
      FeatureStatistics(features: data.judge.reading(data.heldOut).features),
      FeatureStatistics(features: data.judge.reading(images).features))
    let gap = meanSquaredError(images.mean(alongAxes: 0), data.heldOut.mean(alongAxes: 0))
    return QuickProbe(frechet: frechet, averageImageGap: Double(gap.scalars[0]))
  }

  /// The claims of a `--quick` run about its own few steps (`before` and `after` them, on the same latents): D
  /// learns to tell (its loss falls from near 2 ln 2), and G's average image moves towards the real images' average.
  /// The Fréchet distance in the judge's features is shown, without a claim: at this budget it does not fall
  /// reliably (blobs of ink move the classifier's features further from the digits' before strokes bring them
  /// closer; the faces' AdaIN network starts some seeds with a low distance).
  public func checkQuickTraining(
    steps: Int, history: TrainingLog<StyleGANSnapshot>, before: QuickProbe, after: QuickProbe
  ) {
    let dLoss = history["D loss"]
    check(
      "this run's \(steps) steps: D's loss (moving average) falls by at least 0.2",
      measured: (dLoss.first ?? .nan) - (dLoss.last ?? .nan), .atLeast(0.2))
    show(
      "this run: Fréchet distance on 300 latents, untrained / trained",
      String(format: "%.2f / %.2f", before.frechet, after.frechet))
    show(
      "this run: average image's squared gap to the real average, untrained / trained",
      String(format: "%.4f / %.4f", before.averageImageGap, after.averageImageGap))
    check(
      "this run's \(steps) steps: the average image's gap to the real one falls to at most 0.75 of its untrained value",
      measured: after.averageImageGap / before.averageImageGap, .atMost(0.75))
  }

  /// 1000 samples of `generator` for latents `z` (constant noise), measured against the real images: the grid of the
  /// first 64 (`samples.png`), the Fréchet distance in the judge's features and its real-vs-real floor, the feature
  /// diversity relative to the real images', the classes (digits), and how much diversity random noise adds.
  public func measureSamples(
    _ generator: StyleGANGenerator, z: Tensor, data: StyleGANLessonData, realFeatureDiversity: Double
  ) -> (images: Tensor, classes: [Int], frechet: Double, frechetFloor: Double, diversity: Double) {
    let samples = generator.images(ofStyles: generator.fixedStyles(z))
    let features = data.judge.reading(samples).features
    image(
      "samples", images: samples.sliced(axis: 0, 0..<64), columns: 8, scale: projectorScale(samples),
      caption: "64 samples, ψ = 1.")
    let real = FeatureStatistics(features: data.judge.reading(data.heldOut).features)
    let floor = frechetDistance(real, FeatureStatistics(features: data.judge.reading(data.floorImages).features))
    let frechet = frechetDistance(real, FeatureStatistics(features: features))
    show("Fréchet distance, samples vs real (floor: two real sets, \(String(format: "%.2f", floor)))", frechet)
    // The same measure on an untrained generator of the same shape, for scale (it varies several-fold with the
    // initialization, so no claim rests on it).
    var initial = SeededGenerator(seed: seed &+ 29)
    let untrained = StyleGANGenerator(configuration: generator.configuration, using: &initial)
    let untrainedImages = untrained.images(ofStyles: untrained.fixedStyles(z))
    let untrainedFrechet = frechetDistance(
      real, FeatureStatistics(features: data.judge.reading(untrainedImages).features))
    show("Fréchet distance of an untrained generator of the same shape", untrainedFrechet)
    let diversityRatio = meanPairwiseDistance(features) / realFeatureDiversity
    show("samples: mean pairwise feature distance / the real images'", diversityRatio)
    let classes = data.digitJudge.map { $0(samples).classes } ?? []
    if !classes.isEmpty {
      let histogram = (0..<10).map { c in classes.filter { $0 == c }.count }
      show("classes among 1000 samples (0…9)", histogram.map(String.init).joined(separator: " "))
      show("class entropy of the samples (ln 10 = 2.303 is uniform)", classEntropy(classes))
    }
    if let digits = data.digitJudge {
      // Lesson 06's own quality numbers, so the two lessons' generators compare on the same judge.
      let judged = ClassifierMetrics(
        images: PaddedDigitJudge.cropped(samples), classifier: digits.classifier, reference: nil)
      show("classifier score of the samples (lesson 06's bar for its shipped generator: 9)", judged.classifierScore)
      show("share classified with confidence > 0.9 (lesson 06's bar: 0.9)", judged.confidentShare)
    }
    if diversityRatio < 0.3 {
      narrate("""
        **This generator has collapsed** (measured just above): its samples' feature diversity is \
        \(String(format: "%.0f", 100 * diversityRatio))% of the real images'. The style-mixing measurements below
        are still real measurements, but of a generator that draws nearly one image; read the claims with that in
        mind.
        """)
    }
    // The same latents with fresh random noise: how much of the variety comes from the noise inputs?
    var noiseSource = SeededGenerator(seed: seed &+ 23)
    let noisy = withoutGradients {
      clamp(
        generator.synthesize(
          ws: generator.fixedStyles(z.sliced(axis: 0, 0..<200)), noise: .random, using: &noiseSource),
        min: -1, max: 1)
    }.detached()
    show(
      "200 of them with random noise instead: mean pairwise feature distance",
      meanPairwiseDistance(data.judge.reading(noisy).features))
    return (samples, classes, frechet, floor, diversityRatio)
  }

  /// Writes `samples.safetensors`: tensor `images` (ψ = 1, constant noise, in [−1, 1]) and the mixing grids' source
  /// indices into it, `mixing_sources_a` / `mixing_sources_b`, with `metadata`; and says so.
  public func writeStyleGANSamples(
    _ samples: Tensor, sourcesA: [Int], sourcesB: [Int], metadata: [String: String]
  ) {
    let (a, b) = (sourcesA.map(String.init).joined(separator: ","), sourcesB.map(String.init).joined(separator: ","))
    writeTensors(
      "samples.safetensors",
      ["images": samples, "mixing_sources_a": Tensor(shape: [sourcesA.count], scalars: sourcesA.map(Float.init)),
       "mixing_sources_b": Tensor(shape: [sourcesB.count], scalars: sourcesB.map(Float.init))],
      metadata: metadata.merging(
        ["range": "[-1, 1]", "psi": "1", "noise": "constant", "mixing_sources_a": a, "mixing_sources_b": b]
      ) { given, _ in given })
    narrate("""
      Wrote `samples.safetensors`: tensor `images`, shape \(samples.shape), values in [−1, 1], ψ = 1; and
      `mixing_sources_a` / `mixing_sources_b`, the indices (into `images`) of the mixing grids' top row and left
      column: \(a) and \(b).
      """)
  }

  /// The three style-mixing grids (`mixing-coarse.png`, `-middle`, `-fine`): sources A across the top, sources B
  /// down the left, each cell B's styles with one level's taken from A.
  public func mixingGrids(
    _ generator: StyleGANGenerator, z: Tensor, images: Tensor, sourcesA: [Int], sourcesB: [Int],
    levels: [(name: String, indices: Range<Int>, resolutions: String)]
  ) {
    for level in levels {
      image(
        "mixing-\(level.name)",
        grid: try! ImageGrid(
          generator.mixingGrid(z: z, images: images, sourcesA: sourcesA, sourcesB: sourcesB, replacing: level.indices),
          columns: sourcesA.count + 1, scale: projectorScale(images)),
        rowLabels: ["sources A"] + sourcesB.indices.map { "B\($0 + 1) + A's \(level.name)" },
        columnLabels: ["B alone"] + sourcesA.indices.map { "A\($0 + 1)" },
        title: "\(level.resolutions) styles from the column's A, the rest from the row's B",
        caption: "Top row: sources A; left column: sources B. Each cell: the \(level.resolutions) styles of its "
          + "column's A, the rest of its row's B.")
    }
  }

  /// Digits: for each level taken from A, whose class and ink the mixed digit has, over the pairs of different
  /// classes; shown, plotted (`mixing-measured.png`) and returned in the order of `levels`.
  public func measureDigitMixing(
    _ pairs: StyleMixingPairs, generator: StyleGANGenerator, judge: PaddedDigitJudge, levels: [String],
    indices: (Int) -> Range<Int>
  ) -> [StyleMixingMeasure] {
    let measures = levels.indices.map { pairs.measure(replacing: indices($0), generator: generator, judge: judge) }
    for (level, measure) in zip(levels, measures) {
      show("\(level) styles from A: class = A's class (pairs of different classes)", measure.agreesWithA)
      show("\(level) styles from A: class = B's class", measure.agreesWithB)
      show(
        "\(level) styles from A: ink correlation with A / with B",
        String(format: "%.2f / %.2f", measure.inkCorrelationA, measure.inkCorrelationB))
    }
    show("pairs measured (A and B of different classes)", pairs.differing.count)
    figure(
      .styleMixingMeasured(levels: levels, measures: measures),
      caption: "Over \(pairs.differing.count) random pairs whose digits differ: the mixed digit's class (classifier) "
        + "and ink, for each level taken from A.")
    return measures
  }

  /// The digits' style-mixing claims, from the measures of the coarse, middle and fine levels.
  public func checkDigitMixing(_ measures: [StyleMixingMeasure]) {
    let (coarse, middle, fine) = (measures[0], measures[1], measures[2])
    narrate("""
      Many mixed digits are classified as neither A's nor B's digit (a small generator's crossings are often not
      clean digits), so the coarse-level claim compares A's class with B's rather than asking for a fixed share.
      """)
    check(
      "coarse (4×4–8×8) styles from A: the mixed digit has A's class in at least 25% of pairs",
      measured: coarse.agreesWithA, .atLeast(0.25))
    check(
      "coarse styles from A: the mixed digit has A's class at least 1.2× as often as B's",
      measured: coarse.agreesWithA / Swift.max(coarse.agreesWithB, 1e-9), .atLeast(1.2))
    // Not "middle above fine": on a well-trained generator both are under 1% (0-3 pairs of 300), and the order of
    // two such shares is sampling noise, not a property of the method.
    check(
      "A's class comes through the coarse styles more often than through the middle or the fine ones",
      coarse.agreesWithA > middle.agreesWithA && coarse.agreesWithA > fine.agreesWithA,
      detail: String(
        format: "coarse %.3f, middle %.3f, fine %.3f", coarse.agreesWithA, middle.agreesWithA, fine.agreesWithA))
    check(
      "fine (32×32) styles from A: the mixed digit keeps B's class (B gives the coarse styles) in at least 80% "
        + "of pairs",
      measured: fine.agreesWithB, .atLeast(0.8))
  }

  /// The perceptual path lengths in Z and in W with step `epsilon`, a check at ε = 10⁻⁴ on the first 150 paths,
  /// the walks (`interpolation.png`) and the pieces' histograms (`path-lengths.png`).
  public func measurePathLengths(
    _ paths: LatentPaths, generator: StyleGANGenerator, judge: some StyleGANJudge, epsilon: Double
  ) -> (z: Double, w: Double) {
    let piecesZ = paths.pieces(generator, inW: false, epsilon: epsilon, judge: judge)
    let piecesW = paths.pieces(generator, inW: true, epsilon: epsilon, judge: judge)
    let pplZ = perceptualPathLength(squaredDistances: piecesZ, epsilon: epsilon)
    let pplW = perceptualPathLength(squaredDistances: piecesW, epsilon: epsilon)
    show("perceptual path length in Z (ε = \(epsilon))", pplZ)
    show("perceptual path length in W (ε = \(epsilon))", pplW)
    let checkCount = Swift.min(paths.fractions.count, 150)
    func length(inW: Bool, eps: Double) -> Double {
      let pieces = eps == epsilon
        ? Array((inW ? piecesW : piecesZ).prefix(checkCount))
        : paths.pieces(generator, inW: inW, epsilon: eps, count: checkCount, judge: judge)
      return perceptualPathLength(squaredDistances: pieces, epsilon: eps)
    }
    for eps in [epsilon, 1e-4] {
      show(
        "check on the first \(checkCount) paths, Z / W: ε = "
          + (eps == epsilon ? "\(epsilon)" : "1e-4 (the paper's)") + " gives",
        String(format: "%.1f / %.1f", length(inW: false, eps: eps), length(inW: true, eps: eps)))
    }
    let walks = paths.walks(generator, pairs: 4, steps: 10)
    image(
      "interpolation", grid: try! ImageGrid(walks, columns: 10, scale: projectorScale(walks)),
      rowLabels: (1...4).flatMap { ["walk \($0) in Z", "walk \($0) in W"] },
      caption: "Four walks between the same two latents: in Z (rows 1, 3, 5, 7) and in W (rows 2, 4, 6, 8).")
    figure(
      .pathLengths(piecesZ: piecesZ, piecesW: piecesW, lengthZ: pplZ, lengthW: pplW, epsilon: epsilon),
      caption: "\(paths.fractions.count) path pieces each: W's pieces change the image less, and its long tail of "
        + "jumps is thinner.")
    return (pplZ, pplW)
  }
}
