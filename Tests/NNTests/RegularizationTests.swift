import XCTest

@testable import NN

final class RegularizationTests: XCTestCase {
  // MARK: Spectral normalization

  func testSpectralNormFindsTheLargestSingularValue() {
    var g = SeededGenerator(seed: 1)
    let linear = Linear(inputSize: 3, outputSize: 2, bias: false, using: &g)
    // Orthogonal rows of lengths 3 and 1: the singular values are 3 and 1.
    let (c, s): (Float, Float) = (0.6, 0.8)
    linear.weight.scalars = [3 * c, 3 * s, 0, -s, c, 0]
    let normalized = SpectralNorm(linear, using: &g)
    XCTAssertEqual(normalized.namedParameters().map(\.path), ["layer.weight"])
    XCTAssertEqual(normalized.namedBuffers().map(\.path), ["u", "v"])
    let x = Tensor([[1, 2, 3]])
    var y = normalized(x)
    for _ in 0..<30 { y = normalized(x) }  // one power iteration per training forward
    XCTAssertEqual(normalized.sigma.scalar, 3, accuracy: 1e-4)
    // The output is that of W / 3: [3c + 6s, -s + 2c] / 3.
    assertClose(y.scalars, [Double(3 * c + 6 * s) / 3, Double(-s + 2 * c) / 3], tolerance: 1e-4, "W / sigma")

    // σ = uᵀ W v with u, v constant, so dσ/dW = u vᵀ.
    let sigma = normalized.sigma
    let gradient = gradients(of: sigma, wrt: [linear.weight])[0]
    let u = normalized.u.value.scalars, v = normalized.v.value.scalars
    assertClose(gradient.scalars, (0..<2).flatMap { i in (0..<3).map { j in Double(u[i] * v[j]) } }, tolerance: 1e-6, "u vᵀ")

    // Evaluation mode keeps u and v.
    normalized.eval()
    let before = normalized.u.value.scalars
    linear.weight.scalars = [1, 0, 0, 0, 5, 0]
    _ = normalized(x)
    XCTAssertEqual(normalized.u.value.scalars, before)
  }

  func testSpectralNormOfTransposedConvolutionUsesItsOutputAxis() {
    var g = SeededGenerator(seed: 2)
    let up = ConvTranspose2D(inputChannels: 2, outputChannels: 3, kernelSize: 1, bias: false, using: &g)
    // Weight [in 2, out 3, 1, 1] with orthogonal rows of lengths 2 and 0.5.
    up.weight.scalars = [2, 0, 0, 0, 0, 0.5]
    let normalized = SpectralNorm(up, using: &g)
    XCTAssertEqual(normalized.u.value.shape, [3])  // rows = output channels
    XCTAssertEqual(normalized.v.value.shape, [2])
    for _ in 0..<30 { _ = normalized(Tensor.ones([1, 2, 2, 2])) }
    XCTAssertEqual(normalized.sigma.scalar, 2, accuracy: 1e-4)
  }

  // MARK: Equalized learning rate

  func testEqualizedLinearScalesAtRuntime() {
    var g = SeededGenerator(seed: 3)
    let layer = EqualizedLinear(inputSize: 512, outputSize: 256, biasInitial: 1, learningRateMultiplier: 0.01, using: &g)
    // Stored N(0, 1/λ²) = N(0, 100²); applied with c λ = (1/√512) · 0.01.
    XCTAssertEqual(standardDeviation(layer.weight.scalars), 100, accuracy: 1)
    XCTAssertEqual(layer.weightScale, 0.01 / Float(512).squareRoot(), accuracy: 1e-9)
    XCTAssertEqual(layer.parameterCount, 512 * 256 + 256)
    // The effective bias starts at 1.
    XCTAssertEqual(layer(Tensor.zeros([1, 512])).scalars, [Float](repeating: 1, count: 256))
    // The effective weight has the He-like scale 1/√512: outputs of a unit input have std about 1.
    let x = Tensor.randomNormal([64, 512], using: &g)
    let y = layer(x) - 1
    XCTAssertEqual(standardDeviation(y.scalars), 1, accuracy: 0.05)
    // The gradient reaching the stored weight carries the runtime factor: d/dW of sum(x (cW)ᵀ) = c · Σ x.
    let small = EqualizedLinear(inputSize: 2, outputSize: 1, bias: false, gain: 2, using: &g)
    let grad = gradients(of: small(Tensor([[1, 3]])).sum(), wrt: [small.weight])[0]
    assertClose(grad.scalars, [2 / 2.0.squareRoot(), 3 * 2 / 2.0.squareRoot()], tolerance: 1e-6, "scaled gradient")
  }

  func testEqualizedConvolutionShapeAndScale() {
    var g = SeededGenerator(seed: 4)
    let conv = EqualizedConv2D(inputChannels: 8, outputChannels: 4, kernelSize: 3, padding: 1, using: &g)
    XCTAssertEqual(conv.weightScale, 1 / Float(72).squareRoot(), accuracy: 1e-7)
    XCTAssertEqual(conv(Tensor.zeros([2, 8, 5, 5])).shape, [2, 4, 5, 5])
    XCTAssertEqual(conv.parameterCount, 4 * 8 * 9 + 4)
  }

  // MARK: Moving average and clipping

  func testExponentialMovingAverageFollowsTheFormulaAndCopiesIntoASecondModel() throws {
    var g = SeededGenerator(seed: 5)
    let model = Sequential(Linear(inputSize: 2, outputSize: 1, using: &g), BatchNorm(featureCount: 1))
    let start = snapshot(model)
    let average = ExponentialMovingAverage(of: model, decay: 0.9)
    XCTAssertEqual(
      average.namedBuffers().map(\.path),
      ["shadows.layers.0.bias", "shadows.layers.0.weight", "shadows.layers.1.bias", "shadows.layers.1.runningMean",
       "shadows.layers.1.runningVariance", "shadows.layers.1.weight"])
    let linear = model.layers[0] as! Linear
    linear.weight.scalars = [1, 2]
    (model.layers[1] as! BatchNorm).runningMean.value.scalars = [7]
    average.update(from: model)
    // 0.9 · old + 0.1 · new for parameters; buffers copied.
    let other = Sequential(Linear(inputSize: 2, outputSize: 1, using: &g), BatchNorm(featureCount: 1))
    average.copy(into: other)
    let copied = other.layers[0] as! Linear
    let old = start["layers.0.weight"]!
    assertClose(copied.weight.scalars, [0.9 * Double(old[0]) + 0.1, 0.9 * Double(old[1]) + 0.2], tolerance: 1e-6, "EMA weight")
    XCTAssertEqual(copied.bias!.scalars, start["layers.0.bias"]!)  // 0.9 b + 0.1 b = b
    XCTAssertEqual((other.layers[1] as! BatchNorm).runningMean.value.scalars, [7])
    // Its shadows are buffers, so a checkpoint of the average round-trips.
    let folder = try temporaryFolder(self)
    let url = folder.appendingPathComponent("ema.safetensors")
    try Checkpoint.save(average, to: url)
    let restored = ExponentialMovingAverage(of: Sequential(Linear(inputSize: 2, outputSize: 1, using: &g), BatchNorm(featureCount: 1)))
    try Checkpoint.load(into: restored, from: url)
    XCTAssertEqual(snapshot(restored), snapshot(average))
  }

  func testClipWeightsClampsEveryParameter() {
    var g = SeededGenerator(seed: 6)
    let critic = Sequential(Linear(inputSize: 4, outputSize: 4, using: &g), BatchNorm(featureCount: 4))
    (critic.layers[0] as! Linear).weight.scalars = (0..<16).map { Float($0) - 8 }
    clipWeights(of: critic, to: 0.01)
    for parameter in critic.parameters() {
      XCTAssertTrue(parameter.scalars.allSatisfy { abs($0) <= 0.01 })
    }
    XCTAssertEqual((critic.layers[0] as! Linear).weight.scalars.first, -0.01)
    XCTAssertEqual((critic.layers[1] as! BatchNorm).runningVariance.value.scalars, [1, 1, 1, 1], "buffers are not clipped")
  }
}
