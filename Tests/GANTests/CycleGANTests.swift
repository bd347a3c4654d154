import Foundation
import XCTest

@testable import GAN

final class CycleGANArchitectureTests: XCTestCase {
  /// The paper's networks: ResnetGenerator(3, 3, ngf 64, 9 blocks) and the 70x70 PatchGAN (ndf 64, 3 layers). The
  /// counts are those of the reference implementation (../shared/bench/WORKLOADS.md, W6's "params_full_*").
  func testFullScaleParameterCounts() {
    var rng = SeededGenerator(seed: 1)
    let g = ResnetGenerator(inputChannels: 3, outputChannels: 3, width: 64, blocks: 9, using: &rng)
    let d = PatchGANDiscriminator(inputChannels: 3, width: 64, layers: 3, using: &rng)
    XCTAssertEqual(g.parameterCount, 11_378_179)
    XCTAssertEqual(d.parameterCount, 2_764_737)

    let generatorShapes = Dictionary(uniqueKeysWithValues: g.namedParameters().map { ($0.path, $0.tensor.shape) })
    XCTAssertEqual(generatorShapes.count, 2 * (1 + 2 + 2 * 9 + 2 + 1))
    XCTAssertEqual(generatorShapes["inputConv.weight"], [64, 3, 7, 7])
    XCTAssertEqual(generatorShapes["downsampling.1.weight"], [256, 128, 3, 3])
    XCTAssertEqual(generatorShapes["blocks.3.conv1.weight"], [256, 256, 3, 3])
    XCTAssertEqual(generatorShapes["blocks.8.conv2.bias"], [256])
    XCTAssertEqual(generatorShapes["upsampling.0.weight"], [256, 128, 3, 3])  // ConvTranspose2d: [in, out, k, k]
    XCTAssertEqual(generatorShapes["outputConv.weight"], [3, 64, 7, 7])
    XCTAssertEqual(generatorShapes["outputConv.bias"], [3])
    XCTAssertEqual(d.namedParameters().map(\.path), [
      "features.0.weight", "features.0.bias", "features.1.weight", "features.1.bias", "features.2.weight",
      "features.2.bias", "features.3.weight", "features.3.bias", "outputConv.weight", "outputConv.bias",
    ])
    XCTAssertEqual(d.features.map(\.stride), [2, 2, 2, 1])
    XCTAssertEqual(d.features.map { $0.weight.shape[0] }, [64, 128, 256, 512])
  }

  /// A 256x256 image gives a 30x30 map of patch scores (256 -> 128 -> 64 -> 32 -> 31 -> 30); the full-scale
  /// generator keeps the size (tried at 64x64 to keep the test fast).
  func testFullScaleShapes() {
    var rng = SeededGenerator(seed: 2)
    let d = PatchGANDiscriminator(inputChannels: 3, width: 64, layers: 3, using: &rng)
    let image = Tensor.randomUniform([1, 3, 256, 256], low: -1, high: 1, using: &rng)
    let start = Date()
    let scores = withoutGradients { d(image) }
    let seconds = Date().timeIntervalSince(start)
    XCTAssertEqual(scores.shape, [1, 1, 30, 30])
    XCTAssertTrue(scores.scalars.allSatisfy(\.isFinite))
    // About 3 GFLOP: well under a second on one core of the slow BLAS kernel.
    XCTAssertLessThan(seconds, 5, "the 256x256 PatchGAN forward took \(seconds) s")

    let g = ResnetGenerator(inputChannels: 3, outputChannels: 3, width: 64, blocks: 9, using: &rng)
    let translated = withoutGradients { g(Tensor.randomUniform([1, 3, 64, 64], low: -1, high: 1, using: &rng)) }
    XCTAssertEqual(translated.shape, [1, 3, 64, 64])
    XCTAssertTrue(translated.scalars.allSatisfy { $0 >= -1 && $0 <= 1 })
  }

  /// The W6 benchmark's networks: ngf 16 with 3 blocks, ndf 16 with 3 layers, on batches of 4 32x32x3 images.
  func testSmallConfigurationShapesAndCounts() {
    var rng = SeededGenerator(seed: 3)
    let g = ResnetGenerator(inputChannels: 3, outputChannels: 3, width: 16, blocks: 3, using: &rng)
    let d = PatchGANDiscriminator(inputChannels: 3, width: 16, layers: 3, using: &rng)
    // Generator, w = 16, C = C' = 3, n = 3 (weights + biases):
    //   c7s1-16  3·16·49 + 16   =   2,368      d32   16·32·9 + 32   =   4,640      d64  32·64·9 + 64 = 18,496
    //   R64 x 3  3 · 2 · (64·64·9 + 64) = 3 · 73,856 = 221,568
    //   u32      64·32·9 + 32   =  18,464      u16   32·16·9 + 16   =   4,624      c7s1-3  16·3·49 + 3 = 2,355
    //   total 272,515
    let w = 16
    let downsamplingCount: Int = (w * 2 * w * 9 + 2 * w) + (2 * w * 4 * w * 9 + 4 * w)
    let blocksCount: Int = 3 * 2 * (4 * w * 4 * w * 9 + 4 * w)
    let upsamplingCount: Int = (4 * w * 2 * w * 9 + 2 * w) + (2 * w * w * 9 + w)
    let generatorCount: Int = (3 * w * 49 + w) + downsamplingCount + blocksCount + upsamplingCount + (w * 3 * 49 + 3)
    XCTAssertEqual(generatorCount, 272_515)
    XCTAssertEqual(g.parameterCount, generatorCount)
    // PatchGAN, w = 16, 3 layers, 4x4 kernels: 3->16 (784), 16->32 (8,224), 32->64 (32,832), 64->128 stride 1
    // (131,200), 128->1 (2,049): total 175,089.
    let stridedCount: Int = (3 * w * 16 + w) + (w * 2 * w * 16 + 2 * w) + (2 * w * 4 * w * 16 + 4 * w)
    let discriminatorCount: Int = stridedCount + (4 * w * 8 * w * 16 + 8 * w) + (8 * w * 16 + 1)
    XCTAssertEqual(discriminatorCount, 175_089)
    XCTAssertEqual(d.parameterCount, discriminatorCount)

    let images = Tensor.randomUniform([4, 3, 32, 32], low: -1, high: 1, using: &rng)
    let translated = g(images)
    XCTAssertEqual(translated.shape, [4, 3, 32, 32])
    XCTAssertTrue(translated.scalars.allSatisfy { $0 >= -1 && $0 <= 1 })
    // 32 -> 16 -> 8 -> 4 -> 3 -> 2.
    XCTAssertEqual(d(translated).shape, [4, 1, 2, 2])
  }

  /// The skip connection: with zero weights and biases both convolutions give 0, instance norm keeps 0, and the
  /// block is the identity. With weights, each sample's output depends on that sample only (instance norm).
  func testResidualBlockAndPerSampleIndependence() {
    var rng = SeededGenerator(seed: 4)
    let block = ResnetBlock(channels: 4, weightInitializer: .zeros, biasInitializer: .zeros, using: &rng)
    let x = Tensor.randomNormal([2, 4, 5, 5], using: &rng)
    XCTAssertEqual(block(x).scalars, x.scalars)

    let g = ResnetGenerator(inputChannels: 2, outputChannels: 1, width: 4, blocks: 1, using: &rng)
    let batch = Tensor.randomNormal([3, 2, 8, 8], using: &rng)
    let together = withoutGradients { g(batch) }
    XCTAssertEqual(together.shape, [3, 1, 8, 8])
    let alone = withoutGradients { g(batch.sliced(axis: 0, 1..<2)) }
    for (a, b) in zip(alone.scalars, together.sliced(axis: 0, 1..<2).scalars) { XCTAssertEqual(a, b, accuracy: 1e-5) }
    // Other widths and depths of the discriminator: 2 layers has one stride-2 conv after the first, then stride 1.
    let d = PatchGANDiscriminator(inputChannels: 1, width: 8, layers: 2, using: &rng)
    XCTAssertEqual(d.features.map(\.stride), [2, 2, 1])
    XCTAssertEqual(d.features.map { $0.weight.shape[0] }, [8, 16, 32])
    XCTAssertEqual(d(Tensor.zeros([1, 1, 32, 32])).shape, [1, 1, 6, 6])  // 32 -> 16 -> 8 -> 7 -> 6
    XCTAssertEqual(PatchGANDiscriminator(inputChannels: 1, width: 8, layers: 0, using: &rng).features.count, 2)
  }
}

final class CycleGANTrainingTests: XCTestCase {
  func testCycleAndIdentityLossValues() {
    let original = Tensor(shape: [1, 1, 2, 2], scalars: [0, 1, -1, 0.5])
    let other = Tensor(shape: [1, 1, 2, 2], scalars: [0.5, 1, 0, 0.5])
    // mean |difference| = (0.5 + 0 + 1 + 0) / 4 = 0.375.
    XCTAssertEqual(cycleConsistencyLoss(reconstructed: other, original: original).scalar, 3.75, accuracy: 1e-6)
    XCTAssertEqual(identityLoss(translated: other, original: original).scalar, 1.875, accuracy: 1e-6)
    XCTAssertEqual(cycleConsistencyLoss(reconstructed: original, original: original, weight: 3).scalar, 0)
    // The least-squares loss is CycleGAN's: D ½[MSE(D(real), 1) + MSE(D(fake), 0)], G MSE(D(fake), 1).
    let real = Tensor(shape: [1, 1, 2, 2], scalars: [1, 0, 2, 1]), fake = Tensor(shape: [1, 1, 2, 2], scalars: [0, 1, -1, 2])
    // D: ½[mean(0, 1, 1, 0) + mean(0, 1, 1, 4)] = ½(0.5 + 1.5) = 1; G: mean(1, 0, 4, 1) = 1.5.
    XCTAssertEqual(AdversarialLoss.leastSquares.discriminatorLoss(real: real, fake: fake).scalar, 1, accuracy: 1e-6)
    XCTAssertEqual(AdversarialLoss.leastSquares.generatorLoss(fakeLogits: fake).scalar, 1.5, accuracy: 1e-6)
  }

  /// Sample i of a batch [N, 1, 1, 1] holding the value i + offset: which images come out of the pool is visible.
  private func batch(_ values: [Float]) -> Tensor { Tensor(shape: [values.count, 1, 1, 1], scalars: values) }

  func testImagePoolFillsThenMixes() {
    var pool = ImagePool(capacity: 50, seed: 7)
    // Filling: every image is returned as it is and kept.
    for start in stride(from: 0, to: 48, by: 4) {
      let values = (start..<(start + 4)).map(Float.init)
      XCTAssertEqual(pool.query(batch(values)).scalars, values)
    }
    XCTAssertFalse(pool.isFull)
    // A batch that crosses the capacity: images 48 and 49 fill the pool and come back; 50 and 51 may be swapped.
    let crossing = pool.query(batch([48, 49, 50, 51])).scalars
    XCTAssertTrue(pool.isFull)
    XCTAssertEqual(Array(crossing.prefix(2)), [48, 49])
    XCTAssertEqual(pool.images.count, 50)

    // Mixing: about half the returned images are older ones, each stored image handed out at most once, and the new
    // image takes its place.
    var returnedOld = 0, total = 0
    var seenInPool = Set(pool.images.map { $0[0] })
    for round in 0..<250 {
      let values = (0..<4).map { Float(1000 + round * 4 + $0) }
      let out = pool.query(batch(values)).scalars
      for (new, returned) in zip(values, out) {
        total += 1
        if returned != new {
          returnedOld += 1
          XCTAssertTrue(seenInPool.contains(returned), "returned \(returned), which was not in the pool")
          seenInPool.remove(returned)
          seenInPool.insert(new)
        }
      }
      XCTAssertEqual(Set(pool.images.map { $0[0] }), seenInPool)
    }
    let share = Double(returnedOld) / Double(total)
    XCTAssertGreaterThan(share, 0.43)
    XCTAssertLessThan(share, 0.57)
    XCTAssertEqual(pool.images.count, 50)
  }

  func testImagePoolIsDeterministicBySeedAndDetaches() {
    func run(seed: UInt64) -> [Float] {
      var pool = ImagePool(capacity: 5, seed: seed)
      return (0..<20).flatMap { i in pool.query(batch([Float(2 * i), Float(2 * i + 1)])).scalars }
    }
    XCTAssertEqual(run(seed: 3), run(seed: 3))
    XCTAssertNotEqual(run(seed: 3), run(seed: 4))
    XCTAssertEqual(Array(run(seed: 3).prefix(5)), [0, 1, 2, 3, 4])

    var off = ImagePool(capacity: 0, seed: 1)
    let fake = Tensor.ones([2, 3], requiresGrad: true) * 2
    let out = off.query(fake)
    XCTAssertEqual(out.scalars, fake.scalars)
    XCTAssertFalse(out.requiresGrad)
    var on = ImagePool(capacity: 4, seed: 1)
    XCTAssertFalse(on.query(fake).requiresGrad)
  }

  /// The reference's lambda_rule: 1 - max(0, e + 1 - n) / (n_decay + 1).
  func testLinearDecaySchedule() {
    let paper = LinearDecaySchedule(constantEpochs: 100, decayEpochs: 100)
    XCTAssertEqual(paper.factor(epoch: 0), 1)
    XCTAssertEqual(paper.factor(epoch: 98), 1)
    XCTAssertEqual(paper.factor(epoch: 99), 1)
    XCTAssertEqual(paper.factor(epoch: 100), 1 - 1 / 101, accuracy: 1e-7)
    XCTAssertEqual(paper.factor(epoch: 150), 1 - 51 / 101, accuracy: 1e-7)
    XCTAssertEqual(paper.factor(epoch: 199), 1 / 101, accuracy: 1e-7)
    XCTAssertEqual(paper.factor(epoch: 200), 0)
    XCTAssertEqual(paper.factor(epoch: 500), 0)
    let short = LinearDecaySchedule(constantEpochs: 2, decayEpochs: 3)
    XCTAssertEqual((0..<6).map { short.factor(epoch: $0) }, [1, 1, 0.75, 0.5, 0.25, 0])
    XCTAssertEqual(short.learningRate(base: 2e-4, epoch: 3), 1e-4, accuracy: 1e-10)

    var rng = SeededGenerator(seed: 1)
    let gan = tinyCycleGAN(using: &rng)
    gan.applySchedule(short, epoch: 4)
    XCTAssertEqual(gan.generatorOptimizer.learningRate, 5e-5, accuracy: 1e-10)
    XCTAssertEqual(gan.discriminatorOptimizer.learningRate, 5e-5, accuracy: 1e-10)
  }

  private func tinyCycleGAN(
    configuration: CycleGAN.Configuration = .init(), using rng: inout SeededGenerator
  ) -> CycleGAN {
    CycleGAN(channels: 3, generatorWidth: 4, blocks: 1, discriminatorWidth: 4, discriminatorLayers: 2,
             configuration: configuration, using: &rng)
  }

  /// Smooth random images in [-1, 1]: a few random low-frequency waves per channel.
  private func smoothImages(_ n: Int, size: Int, using rng: inout SeededGenerator) -> Tensor {
    var values = [Float](repeating: 0, count: n * 3 * size * size)
    for i in 0..<(n * 3) {
      let (fx, fy, phase) = (rng.nextUniform() * 2, rng.nextUniform() * 2, rng.nextUniform() * 6.28)
      for y in 0..<size {
        for x in 0..<size {
          let t = Float(x) / Float(size) * fx * 3.14 + Float(y) / Float(size) * fy * 3.14 + phase
          values[(i * size + y) * size + x] = 0.8 * Foundation.sin(t)
        }
      }
    }
    return Tensor(shape: [n, 3, size, size], scalars: values)
  }

  /// Which parameter values each half of the step changes: the generators' update leaves the discriminators alone
  /// (and gives them no gradient), the discriminators' update leaves the generators alone, and every parameter of
  /// all four networks receives a finite gradient in its own network's update.
  func testGradientsReachTheRightNetworks() {
    var rng = SeededGenerator(seed: 11)
    let gan = tinyCycleGAN(using: &rng)
    let realA = smoothImages(2, size: 16, using: &rng), realB = smoothImages(2, size: 16, using: &rng)
    func snapshot(_ module: Module) -> [[Float]] { module.parameters().map(\.scalars) }

    let discriminatorsBefore = snapshot(gan.discriminators)
    let generatorsBefore = snapshot(gan.generators)
    let (_, fakeA, fakeB) = gan.updateGenerators(realA: realA, realB: realB)
    XCTAssertEqual(snapshot(gan.discriminators), discriminatorsBefore, "the generators' update moved a discriminator")
    XCTAssertTrue(gan.discriminators.parameters().allSatisfy { $0.grad == nil })
    for (path, parameter) in gan.generators.namedParameters() {
      guard let grad = parameter.grad else { return XCTFail("\(path) got no gradient") }
      XCTAssertTrue(grad.scalars.allSatisfy(\.isFinite), path)
    }
    let generatorsAfter = snapshot(gan.generators)
    for (path, (before, after)) in zip(gan.generators.namedParameters().map(\.path), zip(generatorsBefore, generatorsAfter))
    where path.hasSuffix("weight") {
      XCTAssertNotEqual(before, after, "\(path) did not move")
    }
    // Both generators take part: their weight gradients are not all zero.
    for network in [gan.generators.aToB, gan.generators.bToA] {
      let weightGradient = network.namedParameters().first { $0.path == "blocks.0.conv1.weight" }!.tensor.grad!
      XCTAssertGreaterThan(weightGradient.scalars.map(Swift.abs).max()!, 0)
    }

    _ = gan.updateDiscriminators(realA: realA, realB: realB, fakeA: fakeA, fakeB: fakeB)
    XCTAssertEqual(snapshot(gan.generators), generatorsAfter, "the discriminators' update moved a generator")
    for network in [gan.discriminators.domainA, gan.discriminators.domainB] {
      for (path, parameter) in network.namedParameters() {
        guard let grad = parameter.grad else { return XCTFail("\(path) got no gradient") }
        XCTAssertTrue(grad.scalars.allSatisfy(\.isFinite), path)
        // (A bias followed by instance norm has a true gradient of 0: only weights are sure to be non-zero.)
        if path.hasSuffix("weight") { XCTAssertGreaterThan(grad.scalars.map(Swift.abs).max()!, 0, path) }
      }
    }
    XCTAssertNotEqual(snapshot(gan.discriminators), discriminatorsBefore)
  }

  /// The step, written out as the reference's `make_cyclegan_step` (pool off, as there) on a copy of the same
  /// networks: both give the same parameters afterwards and the same losses.
  func testStepMatchesTheReferenceOrder() {
    var rngA = SeededGenerator(seed: 21), rngB = SeededGenerator(seed: 21)
    let configuration = CycleGAN.Configuration(poolSize: 0)
    let gan = tinyCycleGAN(configuration: configuration, using: &rngA)
    let copy = tinyCycleGAN(configuration: configuration, using: &rngB)
    var data = SeededGenerator(seed: 5)
    let realA = smoothImages(2, size: 16, using: &data), realB = smoothImages(2, size: 16, using: &data)

    let losses = gan.step(realA: realA, realB: realB)

    // The reference, line by line (G_A = aToB, G_B = bToA, D_A judges B = domainB, D_B judges A = domainA).
    let (gA, gB) = (copy.generators.aToB, copy.generators.bToA)
    let (dA, dB) = (copy.discriminators.domainB, copy.discriminators.domainA)
    func mse(_ x: Tensor, _ target: Float) -> Tensor { pow(x - target, 2).mean() }
    func l1(_ x: Tensor, _ y: Tensor) -> Tensor { abs(x - y).mean() }
    let fakeB = gA(realA), recA = gB(fakeB), fakeA = gB(realB), recB = gA(fakeA)
    let idtA = gA(realB), idtB = gB(realA)
    let lossG = mse(dA(fakeB), 1) + mse(dB(fakeA), 1) + 10 * (l1(recA, realA) + l1(recB, realB))
      + 10 * 0.5 * (l1(idtA, realB) + l1(idtB, realA))
    let gParameters = copy.generators.parameters()
    for (p, g) in zip(gParameters, gradients(of: lossG, wrt: gParameters)) { p.grad = g }
    copy.generatorOptimizer.step()
    let lossDA = 0.5 * (mse(dA(realB), 1) + mse(dA(fakeB.detached()), 0))
    let lossDB = 0.5 * (mse(dB(realA), 1) + mse(dB(fakeA.detached()), 0))
    let dParameters = copy.discriminators.parameters()
    for (p, g) in zip(dParameters, gradients(of: lossDA + lossDB, wrt: dParameters)) { p.grad = g }
    copy.discriminatorOptimizer.step()

    XCTAssertEqual(losses.generatorTotal, lossG.scalar, accuracy: 1e-4)
    XCTAssertEqual(losses.discriminatorB, lossDA.scalar, accuracy: 1e-5)
    XCTAssertEqual(losses.discriminatorA, lossDB.scalar, accuracy: 1e-5)
    XCTAssertEqual(losses.reconstructionError, (l1(recA, realA).scalar + l1(recB, realB).scalar) / 2, accuracy: 1e-5)
    XCTAssertEqual(losses.generatorTotal, losses.generatorAdversarial + losses.cycle + losses.identity, accuracy: 1e-4)
    for ((path, mine), reference) in zip(gan.namedParameters(), copy.parameters()) {
      XCTAssertEqual(mine.shape, reference.shape, path)
      let difference = zip(mine.scalars, reference.scalars).map { Swift.abs($0 - $1) }.max() ?? 0
      XCTAssertLessThan(difference, 1e-6, path)
    }
  }

  /// A trivial problem: one fixed batch per domain, both from the same distribution, so the identity is a perfect
  /// translation. Over 20 steps the total loss falls (about 21 -> 10 here), mostly through the cycle and identity
  /// terms, which the generators drive down by learning to pass their input through.
  func testTrainingReducesTheLossOnATrivialProblem() {
    var rng = SeededGenerator(seed: 31)
    let gan = tinyCycleGAN(configuration: .init(learningRate: 2e-3), using: &rng)
    let a = smoothImages(2, size: 16, using: &rng), b = smoothImages(2, size: 16, using: &rng)
    var history: [CycleGANLosses] = []
    for _ in 0..<20 { history.append(gan.step(realA: a, realB: b)) }
    func mean(_ values: ArraySlice<CycleGANLosses>, _ value: (CycleGANLosses) -> Float) -> Float {
      values.map(value).reduce(0, +) / Float(values.count)
    }
    let first = history.prefix(3), last = history.suffix(3)
    XCTAssertLessThan(mean(last, \.total), 0.7 * mean(first, \.total), "\(history.map(\.total))")
    XCTAssertLessThan(mean(last, \.reconstructionError), 0.7 * mean(first, \.reconstructionError))
    XCTAssertTrue(history.allSatisfy { $0.total.isFinite })
  }

  /// Without the cycle loss the generators do not minimize it, but the step still measures it.
  func testCycleLossSwitch() {
    var rng = SeededGenerator(seed: 41)
    let gan = tinyCycleGAN(configuration: .init(identityWeight: 0, usesCycleLoss: false), using: &rng)
    let a = smoothImages(2, size: 16, using: &rng), b = smoothImages(2, size: 16, using: &rng)
    let losses = gan.step(realA: a, realB: b)
    XCTAssertEqual(losses.identity, 0)
    XCTAssertGreaterThan(losses.cycle, 0)
    XCTAssertEqual(losses.generatorTotal, losses.generatorAdversarial, accuracy: 1e-6)
    XCTAssertEqual(losses.cycle, 10 * 2 * losses.reconstructionError, accuracy: 1e-4)
  }

  /// The W6 benchmark's step: 2 ResNet generators (ngf 16, 3 blocks) and 2 PatchGANs (ndf 16, 3 layers), batch 4
  /// of 32x32x3. Prints the time per step.
  func testSmallConfigurationStep() {
    var rng = SeededGenerator(seed: 51)
    let gan = CycleGAN(channels: 3, generatorWidth: 16, blocks: 3, discriminatorWidth: 16, discriminatorLayers: 3,
                       configuration: .init(poolSize: 0), using: &rng)
    let a = Tensor.randomUniform([4, 3, 32, 32], low: -1, high: 1, using: &rng)
    let b = Tensor.randomUniform([4, 3, 32, 32], low: -1, high: 1, using: &rng)
    gan.step(realA: a, realB: b)
    let steps = 5
    let start = Date()
    var losses: [CycleGANLosses] = []
    for _ in 0..<steps { losses.append(gan.step(realA: a, realB: b)) }
    let perStep = Date().timeIntervalSince(start) / Double(steps)
    print(String(format: "CycleGAN W6 configuration: %.1f ms per step (%.1f steps/s)", perStep * 1000, 1 / perStep))
    XCTAssertTrue(losses.allSatisfy { $0.total.isFinite })
  }
}
