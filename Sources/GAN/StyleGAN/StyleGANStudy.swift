import Foundation

// What lesson 08 needs to study a trained StyleGAN on digits and on cartoon faces: judges, images of styles with the
// noise held fixed, style-mixing grids and measurements, and the latent paths of the perceptual path length.
// Everything here runs without gradients.

/// A judge of generated images: a perceptual feature space (distances there stand in for the paper's VGG
/// distances) and, for a classifier, the class of each image.
public protocol StyleGANJudge {
  /// The features [N, F] of images, and their classes if the judge classifies (nil otherwise).
  func reading(_ images: Tensor) -> (classes: [Int]?, features: Tensor)
}

extension FactorRegressor: StyleGANJudge {
  public func reading(_ images: Tensor) -> (classes: [Int]?, features: Tensor) {
    (nil, outputs(for: images).features)
  }
}

/// Lesson 06's MNIST classifier as a judge of 32×32 digits. StyleGAN grows images by doubling from 4×4, so its
/// digits are MNIST's 28×28 padded with two background pixels a side; the classifier sees the central 28×28 crop,
/// exactly the original digit area. Its predicted class says which digit an image shows, and its 128 penultimate
/// features serve as a perceptual space (distances there stand in for the paper's VGG distances).
public struct PaddedDigitJudge {
  public let classifier: MNISTClassifier
  /// The background pixels added on each side of a 28×28 digit.
  public static let margin = 2

  public init(classifier: MNISTClassifier) { self.classifier = classifier }

  /// [N, 1, 28, 28] -> [N, 1, 32, 32], padded with the background value -1.
  public static func padded(_ images: Tensor) -> Tensor {
    let m = margin
    return withoutGradients { ((images + 1).padded(before: [0, 0, m, m], after: [0, 0, m, m]) - 1).detached() }
  }

  /// [N, 1, 32, 32] -> the central [N, 1, 28, 28], the classifier's input.
  public static func cropped(_ images: Tensor) -> Tensor {
    let inner = margin..<(images.shape[2] - margin)
    return images.sliced(axis: 2, inner).sliced(axis: 3, inner).detached()
  }

  /// The classifier's predicted class and features of each 32×32 image.
  public func callAsFunction(_ images: Tensor) -> (classes: [Int], features: Tensor) {
    let outputs = classifier.outputs(for: Self.cropped(images))
    return (ClassPredictions(logits: outputs.logits).predictedClasses, outputs.features)
  }
}

extension PaddedDigitJudge: StyleGANJudge {
  public func reading(_ images: Tensor) -> (classes: [Int]?, features: Tensor) {
    let judged = self(images)
    return (judged.classes, judged.features)
  }
}

extension StyleGANGenerator {
  /// The styles of latents z with truncation ψ, as constants (no gradient): [N, styleCount, wDim].
  public func fixedStyles(_ z: Tensor, psi: Float = 1) -> Tensor { withoutGradients { styles(z, psi: psi) }.detached() }

  /// Images of styles [N, styleCount, wDim] with each layer's constant noise image, so that an image depends on its
  /// styles alone and a latent always gives the same picture; `batchSize` at a time, clamped to [-1, 1] (StyleGAN's
  /// output is linear).
  public func images(ofStyles ws: Tensor, batchSize: Int = 200) -> Tensor {
    inBatches(ws, of: batchSize) { clamp(synthesize(ws: $0.detached(), noise: .constant), min: -1, max: 1) }
  }

  /// A style-mixing grid of the samples at `sourcesA` and `sourcesB` (indices into latents `z` and their `images`),
  /// rows of [1, C, R, R] images: row 0 is a blank corner then the sources A; row i starts with B_i, then B_i with the
  /// style inputs at `indices` taken from each A_j.
  public func mixingGrid(
    z: Tensor, images: Tensor, sourcesA: [Int], sourcesB: [Int], replacing indices: Range<Int>
  ) -> Tensor {
    func rows(_ x: Tensor, _ indices: [Int]) -> Tensor {
      concatenate(indices.map { x.sliced(axis: 0, $0..<($0 + 1)) }, alongAxis: 0).detached()
    }
    let stylesA = fixedStyles(rows(z, sourcesA)), stylesB = fixedStyles(rows(z, sourcesB))
    // The empty corner is mid-gray, the grid's margin color, whatever the images' background.
    var cells: [Tensor] = [Tensor.full([1] + Array(images.shape.dropFirst()), 0), rows(images, sourcesA)]
    for (i, b) in sourcesB.enumerated() {
      let row = stylesB.sliced(axis: 0, i..<(i + 1)).broadcasted(to: [sourcesA.count, styleCount, wDim]).detached()
      cells.append(rows(images, [b]))
      cells.append(self.images(ofStyles: withoutGradients { mixedStyles(row, stylesA, replacing: indices) }))
    }
    return concatenate(cells, alongAxis: 0).detached()
  }
}

/// What mixing one level of styles from A into B does to the digit, over many pairs (A, B).
public struct StyleMixingMeasure: Sendable {
  /// Among pairs whose A and B differ in class: the share of mixed digits with A's class, and with B's.
  public var agreesWithA: Double
  public var agreesWithB: Double
  /// The correlation over pairs of the mixed digit's ink with A's ink, and with B's (ink follows stroke thickness).
  public var inkCorrelationA: Double
  public var inkCorrelationB: Double
}

/// Random pairs of latents (A, B) for measuring style mixing: their styles, and the judge's classes and the ink of
/// their images. Six hand-picked pairs show what mixing does; hundreds of pairs say how often.
public struct StyleMixingPairs {
  public let stylesA: Tensor
  public let stylesB: Tensor
  public let classesA: [Int]
  public let classesB: [Int]
  public let inkA: [Double]
  public let inkB: [Double]
  /// The pairs whose A and B the judge puts in different classes: only there can the mixed digit's class tell
  /// whose it is.
  public let differing: [Int]

  public init(generator: StyleGANGenerator, zA: Tensor, zB: Tensor, judge: PaddedDigitJudge) {
    stylesA = generator.fixedStyles(zA)
    stylesB = generator.fixedStyles(zB)
    let imagesA = generator.images(ofStyles: stylesA), imagesB = generator.images(ofStyles: stylesB)
    let (a, b) = (judge(imagesA).classes, judge(imagesB).classes)
    (classesA, classesB) = (a, b)
    inkA = inkMass(imagesA)
    inkB = inkMass(imagesB)
    differing = a.indices.filter { a[$0] != b[$0] }
  }

  /// Mixes the style inputs at `indices` from A into B's styles and measures whose class and ink the result has.
  public func measure(
    replacing indices: Range<Int>, generator: StyleGANGenerator, judge: PaddedDigitJudge
  ) -> StyleMixingMeasure {
    let mixed = generator.images(ofStyles: withoutGradients {
      generator.mixedStyles(stylesB, stylesA, replacing: indices)
    })
    let classes = judge(mixed).classes, ink = inkMass(mixed)
    let pairs = Double(Swift.max(1, differing.count))
    return StyleMixingMeasure(
      agreesWithA: Double(differing.filter { classes[$0] == classesA[$0] }.count) / pairs,
      agreesWithB: Double(differing.filter { classes[$0] == classesB[$0] }.count) / pairs,
      inkCorrelationA: pearsonCorrelation(ink, inkA), inkCorrelationB: pearsonCorrelation(ink, inkB))
  }
}

/// Random pairs of latents (A, B) for measuring style mixing against known factors of variation: their styles and
/// the regressed factors of their images.
public struct FactorMixingPairs {
  public let stylesA: Tensor
  public let stylesB: Tensor
  public let factorsA: Tensor
  public let factorsB: Tensor

  public init(generator: StyleGANGenerator, zA: Tensor, zB: Tensor, regressor: FactorRegressor) {
    stylesA = generator.fixedStyles(zA)
    stylesB = generator.fixedStyles(zB)
    factorsA = regressor.outputs(for: generator.images(ofStyles: stylesA)).factors
    factorsB = regressor.outputs(for: generator.images(ofStyles: stylesB)).factors
  }

  /// Mixes the style inputs at `indices` from A into B's styles and measures, for each factor, how far the mixed
  /// image's factor moved from B's value toward A's: the least-squares slope Σ(m − b)(a − b) / Σ(a − b)² over the
  /// pairs. 1 means the mixed image has A's factor, 0 that it kept B's.
  public func shares(
    replacing indices: Range<Int>, generator: StyleGANGenerator, regressor: FactorRegressor
  ) -> [Double] {
    let mixed = regressor.outputs(for: generator.images(ofStyles: withoutGradients {
      generator.mixedStyles(stylesB, stylesA, replacing: indices)
    })).factors
    return (0..<factorsA.shape[1]).map { k in
      let a = column(factorsA, k), b = column(factorsB, k), m = column(mixed, k)
      let moved = zip(zip(a, b), m).map { pair, m in (m - pair.1) * (pair.0 - pair.1) }.reduce(0, +)
      let apart = zip(a, b).map { ($0 - $1) * ($0 - $1) }.reduce(0, +)
      return moved / Swift.max(apart, 1e-12)
    }
  }
}

/// The paths of the perceptual path length: from z0 to z1 by slerp in Z, and from w0 = f(z0) to w1 = f(z1) by a
/// straight line in W, each cut at a random fraction t. The same endpoints and fractions serve both spaces, so the
/// two lengths differ only in the space walked.
public struct LatentPaths {
  public let z0: Tensor
  public let z1: Tensor
  public let w0: Tensor
  public let w1: Tensor
  /// One fraction t in [0, 1) per path.
  public let fractions: [Float]

  public init(generator: StyleGANGenerator, count: Int, using rng: inout SeededGenerator, fractionSeed: UInt64) {
    let start = Tensor.randomNormal([count, generator.zDim], using: &rng)
    let end = Tensor.randomNormal([count, generator.zDim], using: &rng)
    (z0, z1) = (start, end)
    w0 = withoutGradients { generator.mapping(start) }.detached()
    w1 = withoutGradients { generator.mapping(end) }.detached()
    var fractionRNG = SeededGenerator(seed: fractionSeed)
    fractions = (0..<count).map { _ in Float(fractionRNG.nextUniform()) }
  }

  /// The styles at fractions `t` of the first `t.count` paths, in W (lerp) or in Z (slerp).
  func styles(_ generator: StyleGANGenerator, inW: Bool, at t: [Float]) -> Tensor {
    let rows = 0..<t.count
    if inW {
      return generator.broadcastStyles(lerp(w0.sliced(axis: 0, rows), w1.sliced(axis: 0, rows), t: t)).detached()
    }
    return generator.fixedStyles(slerp(z0.sliced(axis: 0, rows).detached(), z1.sliced(axis: 0, rows).detached(), t: t))
  }

  /// The squared feature distances d(G(p(t)), G(p(t + ε))) across a step of `epsilon` on the first `count` paths
  /// (all by default), in W or in Z: what `perceptualPathLength` averages.
  public func pieces(
    _ generator: StyleGANGenerator, inW: Bool, epsilon: Double, count: Int? = nil, judge: some StyleGANJudge
  ) -> [Double] {
    let t0 = Array(fractions.prefix(count ?? fractions.count)), t1 = t0.map { $0 + Float(epsilon) }
    let a = generator.images(ofStyles: styles(generator, inW: inW, at: t0))
    let b = generator.images(ofStyles: styles(generator, inW: inW, at: t1))
    return rowwiseSquaredDistances(judge.reading(a).features, judge.reading(b).features)
  }

  /// Walks between the endpoints of the first `pairs` paths in `steps` even steps: for each pair a row in Z, then a
  /// row in W, as images [2·pairs·steps, C, R, R].
  public func walks(_ generator: StyleGANGenerator, pairs: Int, steps: Int) -> Tensor {
    let t = (0..<steps).map { Float($0) / Float(steps - 1) }
    func repeated(_ x: Tensor, _ row: Int) -> Tensor {
      x.sliced(axis: 0, row..<(row + 1)).broadcasted(to: [steps, x.shape[1]]).detached()
    }
    let rows = (0..<pairs).flatMap { pair in
      [
        generator.fixedStyles(slerp(repeated(z0, pair), repeated(z1, pair), t: t)),
        generator.broadcastStyles(lerp(repeated(w0, pair), repeated(w1, pair), t: t)).detached(),
      ].map { generator.images(ofStyles: $0) }
    }
    return concatenate(rows, alongAxis: 0).detached()
  }
}

/// The truncation trick measured: for each ψ, the same latents' images and how diverse they are (mean pairwise
/// distance of the judge's features and of the pixels, entropy of the judge's classes if it classifies). Truncation
/// pulls every w towards w_avg, so all three should fall as ψ goes to 0.
public struct TruncationSweep {
  public let psis: [Float]
  public private(set) var featureDiversity: [Double] = []
  public private(set) var pixelDiversity: [Double] = []
  /// Empty when the judge does not classify.
  public private(set) var classEntropies: [Double] = []
  /// The first `shown` images at each ψ, one row per ψ: [psis.count · shown, C, R, R].
  public let shownImages: Tensor

  public init(generator: StyleGANGenerator, z: Tensor, psis: [Float], judge: some StyleGANJudge, shown: Int = 10) {
    self.psis = psis
    var rows: [Tensor] = []
    for psi in psis {
      let images = generator.images(ofStyles: generator.fixedStyles(z, psi: psi))
      let judged = judge.reading(images)
      featureDiversity.append(meanPairwiseDistance(judged.features))
      pixelDiversity.append(meanPairwiseDistance(images))
      if let classes = judged.classes { classEntropies.append(classEntropy(classes)) }
      rows.append(images.sliced(axis: 0, 0..<Swift.min(shown, images.shape[0])))
    }
    shownImages = concatenate(rows, alongAxis: 0).detached()
  }
}
