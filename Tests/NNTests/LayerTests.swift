import XCTest

@testable import NN

final class LayerTests: XCTestCase {
  // MARK: Linear and convolutions

  func testLinearComputesXWTransposePlusBias() {
    var g = SeededGenerator(seed: 0)
    let linear = Linear(inputSize: 2, outputSize: 3, using: &g)
    linear.weight.scalars = [1, 2, 3, 4, 5, 6]  // rows: [1, 2], [3, 4], [5, 6]
    linear.bias!.scalars = [0.5, -1, 0]
    let y = linear(Tensor([[1, 1], [2, -1]]))
    XCTAssertEqual(y.shape, [2, 3])
    XCTAssertEqual(y.scalars, [3.5, 6, 11, 0.5, 1, 4])
    // Leading batch axes: [2, 2, 2] -> [2, 2, 3], row by row the same.
    let batched = linear(Tensor(shape: [2, 2, 2], scalars: [1, 1, 2, -1, 1, 1, 2, -1]))
    XCTAssertEqual(batched.shape, [2, 2, 3])
    XCTAssertEqual(batched.scalars, y.scalars + y.scalars)
  }

  func testConvolutionShapesAndBias() {
    var g = SeededGenerator(seed: 1)
    let conv = Conv2D(inputChannels: 3, outputChannels: 5, kernelSize: 4, stride: 2, padding: 1, using: &g)
    XCTAssertEqual(conv(Tensor.zeros([2, 3, 16, 16])).shape, [2, 5, 8, 8])
    // A zero input gives each channel its bias.
    let out = conv(Tensor.zeros([1, 3, 4, 4]))
    for c in 0..<5 { XCTAssertEqual(out[0, c, 1, 1], conv.bias!.scalars[c]) }
    let up = ConvTranspose2D(inputChannels: 5, outputChannels: 3, kernelSize: 4, stride: 2, padding: 1, using: &g)
    XCTAssertEqual(up(Tensor.zeros([2, 5, 8, 8])).shape, [2, 3, 16, 16])
    // DCGAN's first generator layer: 1x1 noise to 4x4.
    let project = ConvTranspose2D(inputChannels: 100, outputChannels: 8, kernelSize: 4, bias: false, using: &g)
    XCTAssertEqual(project(Tensor.zeros([1, 100, 1, 1])).shape, [1, 8, 4, 4])
  }

  // MARK: Initializers

  func testDefaultInitializationIsPyTorchsUniformRange() {
    var g = SeededGenerator(seed: 2)
    let linear = Linear(inputSize: 100, outputSize: 200, using: &g)
    let bound: Float = 0.1  // 1 / √100
    for values in [linear.weight.scalars, linear.bias!.scalars] {
      XCTAssertLessThanOrEqual(values.map(abs).max()!, bound)
    }
    XCTAssertGreaterThan(linear.weight.scalars.map(abs).max()!, 0.99 * bound)
    // U(-b, b) has standard deviation b / √3.
    XCTAssertEqual(standardDeviation(linear.weight.scalars), Double(bound) / 3.0.squareRoot(), accuracy: 0.002)
    // ConvTranspose2D: PyTorch's fan-in for [in, out, k, k] is out · k² = 8 · 16.
    let up = ConvTranspose2D(inputChannels: 64, outputChannels: 8, kernelSize: 4, using: &g)
    XCTAssertEqual(Initializer.fans(of: up.weight.shape).fanIn, 128)
    XCTAssertLessThanOrEqual(up.weight.scalars.map(abs).max()!, 1 / Float(128).squareRoot())
  }

  func testInitializerStatistics() {
    var g = SeededGenerator(seed: 3)
    let shape = [64, 32, 3, 3]  // fan-in 288, fan-out 576
    func draw(_ rule: Initializer) -> [Float] { rule.makeTensor(shape, using: &g).scalars }
    XCTAssertEqual(standardDeviation(draw(.dcgan)), 0.02, accuracy: 0.0005)
    XCTAssertEqual(mean(draw(.dcgan)), 0, accuracy: 0.0005)
    let xavierBound = (6.0 / 864).squareRoot()
    let xavier = draw(.xavierUniform(gain: 1))
    XCTAssertLessThanOrEqual(Double(xavier.map(abs).max()!), xavierBound)
    XCTAssertEqual(standardDeviation(xavier), xavierBound / 3.0.squareRoot(), accuracy: 0.002)
    XCTAssertEqual(standardDeviation(draw(.xavierNormal(gain: 1))), (2.0 / 864).squareRoot(), accuracy: 0.001)
    XCTAssertEqual(standardDeviation(draw(.kaimingNormal(negativeSlope: 0, useFanOut: false))), (2.0 / 288).squareRoot(), accuracy: 0.002)
    XCTAssertEqual(standardDeviation(draw(.kaimingNormal(negativeSlope: 0, useFanOut: true))), (2.0 / 576).squareRoot(), accuracy: 0.002)
    let kaimingBound = (2.0 / (1 + 0.04)).squareRoot() * (3.0 / 288).squareRoot()  // leaky slope 0.2
    let kaiming = draw(.kaimingUniform(negativeSlope: 0.2, useFanOut: false))
    XCTAssertLessThanOrEqual(Double(kaiming.map(abs).max()!), kaimingBound)
    XCTAssertGreaterThan(Double(kaiming.map(abs).max()!), 0.99 * kaimingBound)
    // The same seed gives the same draw.
    var a = SeededGenerator(seed: 9), b = SeededGenerator(seed: 9)
    XCTAssertEqual(Initializer.dcgan.makeTensor([10], using: &a).scalars, Initializer.dcgan.makeTensor([10], using: &b).scalars)
  }

  // MARK: Normalization

  func testBatchNormTrainingAndEvaluationAgainstHandNumbers() {
    let norm = BatchNorm(featureCount: 2)
    norm.weight!.scalars = [2, 0.5]
    norm.bias!.scalars = [1, -1]
    // Channel 0 holds 1 and 3: μ = 2, σ² = 1 (biased). Channel 1 holds 2 and 6: μ = 4, σ² = 4.
    // y = γ (x - μ) / √(σ² + 1e-5) + β.
    let y = norm(Tensor([[1, 2], [3, 6]]))
    assertClose(y.scalars, [-0.9999900000749995, -1.4999993750011718, 2.9999900000749995, -0.5000006249988281],
                tolerance: 1e-6, "training output")
    // running_mean = 0.9 · 0 + 0.1 μ; running_var = 0.9 · 1 + 0.1 · σ² · n/(n-1), the unbiased variance (2 and 8).
    assertClose(norm.runningMean.value.scalars, [0.2, 0.4], tolerance: 1e-7, "running mean")
    assertClose(norm.runningVariance.value.scalars, [1.1, 1.7], tolerance: 1e-6, "running variance")
    // Evaluation uses the running statistics: (1 - 0.2) / √1.10001 · 2 + 1 and (2 - 0.4) / √1.70001 · 0.5 - 1.
    norm.eval()
    let single = norm(Tensor([[1, 2]]))
    assertClose(single.scalars, [2.5255332085668503, -0.3864298135376453], tolerance: 1e-6, "evaluation output")
    XCTAssertEqual(norm.runningMean.value.scalars, [0.2, 0.4].map { Float($0) }, "evaluation must not move the statistics")
  }

  func testBatchNorm2DUsesBatchHeightAndWidth() {
    let norm = BatchNorm(featureCount: 1)
    // One channel holding 1, 3, 5, 7 over batch and width: μ = 4, σ² = 5, unbiased 20/3.
    let y = norm(Tensor(shape: [2, 1, 1, 2], scalars: [1, 3, 5, 7]))
    assertClose(y.scalars, [-1.3416394448610998, -0.4472131482870333, 0.4472131482870333, 1.3416394448610998],
                tolerance: 1e-6, "normalized")
    assertClose(norm.runningVariance.value.scalars, [0.9 + 0.1 * 20 / 3], tolerance: 1e-6, "running variance")
    assertClose(norm.runningMean.value.scalars, [0.4], tolerance: 1e-7, "running mean")
  }

  func testInstanceNormStandardizesEachSampleAndChannel() {
    var g = SeededGenerator(seed: 4)
    let x = Tensor.randomNormal([2, 3, 4, 4], mean: 5, std: 3, using: &g)
    let y = InstanceNorm(featureCount: 3)(x)
    for n in 0..<2 {
      for c in 0..<3 {
        let plane = (0..<16).map { Double(y.scalars[(n * 3 + c) * 16 + $0]) }
        XCTAssertEqual(plane.reduce(0, +) / 16, 0, accuracy: 1e-5)
        XCTAssertEqual(plane.map { $0 * $0 }.reduce(0, +) / 16, 1, accuracy: 1e-3)
      }
    }
    let layerNorm = LayerNorm(normalizedShape: [4])
    let z = layerNorm(Tensor([[1, 2, 3, 4]]))
    let s = 1 / (1.25 + 1e-5).squareRoot()  // σ² of 1...4 is 1.25
    assertClose(z.scalars, [-1.5 * s, -0.5 * s, 0.5 * s, 1.5 * s], tolerance: 1e-6, "layer norm")
  }

  func testGradientsThroughBatchNormMatchFiniteDifferences() {
    let x = Tensor(shape: [4, 3], scalars: FiniteDifferences.randomValues(12, seed: 1))
    let gamma = Tensor([1.5, -0.7, 0.9]), beta = Tensor([0.1, 0.2, -0.3])
    FiniteDifferences.check("BatchNorm1D", inputs: [x, gamma, beta]) { inputs in
      let norm = BatchNorm(featureCount: 3)
      norm.weight = inputs[1]
      norm.bias = inputs[2]
      return norm(inputs[0])
    }
    let images = Tensor(shape: [2, 2, 2, 2], scalars: FiniteDifferences.randomValues(16, seed: 2))
    FiniteDifferences.check("BatchNorm2D", inputs: [images]) { BatchNorm(featureCount: 2)($0[0]) }
  }

  func testGradientsThroughInstanceNormMatchFiniteDifferences() {
    let x = Tensor(shape: [2, 2, 2, 3], scalars: FiniteDifferences.randomValues(24, seed: 3))
    let gamma = Tensor([1.2, 0.6]), beta = Tensor([-0.4, 0.3])
    FiniteDifferences.check("InstanceNorm", inputs: [x, gamma, beta]) { inputs in
      let norm = InstanceNorm(featureCount: 2, affine: true)
      norm.weight = inputs[1]
      norm.bias = inputs[2]
      return norm(inputs[0])
    }
  }

  // MARK: The other layers

  func testEmbeddingPicksRowsAndSendsGradientToThem() {
    var g = SeededGenerator(seed: 5)
    let embedding = Embedding(count: 4, dimension: 2, using: &g)
    embedding.weight.scalars = [0, 1, 10, 11, 20, 21, 30, 31]
    let rows = embedding([2, 0, 2])
    XCTAssertEqual(rows.shape, [3, 2])
    XCTAssertEqual(rows.scalars, [20, 21, 0, 1, 20, 21])
    rows.sum().backward()
    // Row 2 was used twice, row 0 once, rows 1 and 3 never.
    XCTAssertEqual(embedding.weight.grad!.scalars, [1, 1, 0, 0, 2, 2, 0, 0])
  }

  func testDropoutScalesSurvivorsAndIsIdentityInEvaluation() {
    var g = SeededGenerator(seed: 6)
    let dropout = Dropout(probability: 0.25, using: &g)
    let x = Tensor.ones([10_000])
    let y = dropout(x)
    let zeros = y.scalars.filter { $0 == 0 }.count
    XCTAssertEqual(Double(zeros) / 10_000, 0.25, accuracy: 0.015)
    XCTAssertTrue(y.scalars.allSatisfy { $0 == 0 || abs($0 - 4 / 3) < 1e-6 })
    dropout.eval()
    XCTAssertEqual(dropout(x).scalars, x.scalars)
    // The same seed gives the same masks.
    var g1 = SeededGenerator(seed: 6), g2 = SeededGenerator(seed: 6)
    XCTAssertEqual(Dropout(probability: 0.5, using: &g1)(x).scalars, Dropout(probability: 0.5, using: &g2)(x).scalars)
  }

  func testShapingLayersAndActivations() {
    let x = Tensor(shape: [1, 1, 2, 2], scalars: [1, -2, 3, -4])
    XCTAssertEqual(ReflectionPad2D(1)(x).shape, [1, 1, 4, 4])
    XCTAssertEqual(ReflectionPad2D(1)(x)[0, 0, 0, 0], -4)  // the corner mirrors the opposite pixel
    XCTAssertEqual(ZeroPad2D(2)(x).shape, [1, 1, 6, 6])
    XCTAssertEqual(Upsample(scaleFactor: 2)(x).scalars, [1, 1, -2, -2, 1, 1, -2, -2, 3, 3, -4, -4, 3, 3, -4, -4])
    XCTAssertEqual(AveragePool2D(kernelSize: 2)(x).scalars, [-0.5])
    XCTAssertEqual(Flatten()(x).shape, [1, 4])
    XCTAssertEqual(Reshape([2, 2, 1])(Flatten()(x)).shape, [1, 2, 2, 1])
    XCTAssertEqual(ReLU()(x).scalars, [1, 0, 3, 0])
    XCTAssertEqual(LeakyReLU(slope: 0.1)(x).scalars, [1, -0.2, 3, -0.4])
    XCTAssertEqual(Tanh()(Tensor([0])).scalars, [0])
    XCTAssertEqual(Sigmoid()(Tensor([0])).scalars, [0.5])
  }
}

func mean(_ values: [Float]) -> Double { values.reduce(0.0) { $0 + Double($1) } / Double(values.count) }

func standardDeviation(_ values: [Float]) -> Double {
  let m = mean(values)
  return (values.reduce(0.0) { $0 + (Double($1) - m) * (Double($1) - m) } / Double(values.count)).squareRoot()
}
