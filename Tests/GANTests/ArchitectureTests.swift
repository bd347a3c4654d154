import XCTest

@testable import GAN

final class ArchitectureTests: XCTestCase {
  /// pytorch/examples dcgan at 64x64, nz 100, ngf = ndf = 64, 3 channels: G 3,576,704 and D 2,765,568 parameters
  /// (the counts ../shared/bench/WORKLOADS.md gives for W5, as torch counts them).
  func testFullScaleDCGANParameterCountsAndShapes() {
    var rng = SeededGenerator(seed: 1)
    let g = DCGANGenerator(resolution: 64, noiseSize: 100, width: 64, channels: 3, using: &rng)
    let d = DCGANDiscriminator(resolution: 64, width: 64, channels: 3, using: &rng)
    XCTAssertEqual(g.parameterCount, 3_576_704)
    XCTAssertEqual(d.parameterCount, 2_765_568)
    let images = withoutGradients { g(Tensor.randomNormal([2, 100], using: &rng)) }
    XCTAssertEqual(images.shape, [2, 3, 64, 64])
    XCTAssertTrue(images.scalars.allSatisfy { $0 >= -1 && $0 <= 1 })
    XCTAssertEqual(withoutGradients { d(images) }.shape, [2, 1])
    XCTAssertEqual(g.namedParameters().first?.path, "main.layers.0.weight")
  }

  func testSmallerDCGANResolutions() {
    var rng = SeededGenerator(seed: 2)
    let g = DCGANGenerator(resolution: 32, noiseSize: 16, width: 8, channels: 1, using: &rng)
    let d = DCGANDiscriminator(resolution: 32, width: 8, channels: 1, using: &rng)
    let x = withoutGradients { g(Tensor.randomNormal([3, 16, 1, 1], using: &rng)) }
    XCTAssertEqual(x.shape, [3, 1, 32, 32])
    XCTAssertEqual(withoutGradients { d(x) }.shape, [3, 1])
  }

  /// W4's networks: G = Linear(100, 6272) + BN1d(6272) + ConvT(128, 64, 4) + BN2d(64) + ConvT(64, 1, 4);
  /// D = Conv(1, 64, 4) + Conv(64, 128, 4) + BN2d(128) + Linear(6272, 1), all with biases.
  func testMNISTDCGANCounts() {
    var rng = SeededGenerator(seed: 3)
    let g = MNISTGenerator(using: &rng), d = MNISTDiscriminator(using: &rng)
    let gCount = (100 * 6272 + 6272) + 2 * 6272 + (128 * 64 * 16 + 64) + 2 * 64 + (64 * 1 * 16 + 1)
    let dCount = (64 * 16 + 64) + (64 * 128 * 16 + 128) + 2 * 128 + (6272 + 1)
    XCTAssertEqual(g.parameterCount, gCount)
    XCTAssertEqual(d.parameterCount, dCount)
    let x = g(Tensor.randomNormal([4, 100], using: &rng))
    XCTAssertEqual(x.shape, [4, 1, 28, 28])
    XCTAssertEqual(d(x).shape, [4, 1])
  }

  /// Lesson 06's networks at w = 32 with their 3×3 layers (G at 7×7 and 14×14 after each upsampling, D at 14×14 and
  /// 7×7 after each strided convolution): 402,753 and 82,945 parameters, and the shapes between them.
  func testRefinedMNISTNetworksCounts() {
    var rng = SeededGenerator(seed: 5)
    let w = 32
    let g = MNISTGenerator(noiseSize: 100, width: w, refined: true, using: &rng)
    let d = ConvolutionalDiscriminator(width: w, refined: true, using: &rng)
    let gCount = (100 * 2 * w * 49 + 2 * w * 49) + 2 * (2 * w * 49) + (2 * w * 2 * w * 9 + 2 * w) + 2 * (2 * w)
      + (2 * w * w * 16 + w) + 2 * w + (w * w * 9 + w) + 2 * w + (w * 16 + 1)
    let dCount = (w * 16 + w) + (w * w * 9 + w) + (w * 2 * w * 16 + 2 * w) + 2 * (2 * w)
      + (2 * w * 2 * w * 9 + 2 * w) + 2 * (2 * w) + (2 * w * 49 + 1)
    XCTAssertEqual(g.parameterCount, gCount)
    XCTAssertEqual(g.parameterCount, 402_753)
    XCTAssertEqual(d.parameterCount, dCount)
    XCTAssertEqual(d.parameterCount, 82_945)
    let x = g(Tensor.randomNormal([4, 100], using: &rng))
    XCTAssertEqual(x.shape, [4, 1, 28, 28])
    XCTAssertEqual(d(x).shape, [4, 1])
  }

  func testToyNetworks() {
    var rng = SeededGenerator(seed: 4)
    let g = multilayerPerceptron(sizes: [8, 64, 64, 1], using: &rng)
    XCTAssertEqual(g.parameterCount, (8 * 64 + 64) + (64 * 64 + 64) + (64 + 1))
    XCTAssertEqual(g.namedParameters().map(\.path), [
      "layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias", "layers.4.weight", "layers.4.bias",
    ])
    for countermeasure in ToyDiscriminator.Countermeasure.allCases {
      let d = ToyDiscriminator(sizes: [2, 32, 32], countermeasure: countermeasure, using: &rng)
      XCTAssertEqual(d(Tensor.randomNormal([16, 2], using: &rng)).shape, [16, 1], "\(countermeasure)")
    }
  }

  /// Minibatch discrimination: identical samples are each other's near-copies (closeness N - 1 per kernel); far-apart
  /// samples are not (closeness near 0).
  func testMinibatchDiscriminationFeatures() {
    var rng = SeededGenerator(seed: 5)
    let layer = MinibatchDiscrimination(inputSize: 3, kernels: 2, kernelSize: 2, using: &rng)
    let same = layer(Tensor.ones([4, 3]))
    XCTAssertEqual(same.shape, [4, 5])
    XCTAssertEqual(same[0, 3], 3, accuracy: 1e-5)
    let apart = layer(Tensor(shape: [2, 3], scalars: [100, -100, 50, -100, 100, -50]))
    XCTAssertEqual(apart[0, 3], 0, accuracy: 1e-3)
  }
}
