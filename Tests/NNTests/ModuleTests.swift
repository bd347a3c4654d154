import XCTest

@testable import NN

/// A block with a convolution, an affine instance norm and a plain tensor parameter.
private final class Block: Module, Layer {
  let conv: Conv2D
  let norm = InstanceNorm(featureCount: 2, affine: true)
  var gate = Tensor.ones([1], requiresGrad: true)
  init(using generator: inout SeededGenerator) {
    conv = Conv2D(inputChannels: 2, outputChannels: 2, kernelSize: 3, padding: 1, using: &generator)
    super.init()
  }
  func callAsFunction(_ x: Tensor) -> Tensor { x + gate * relu(norm(conv(x))) }
}

/// Every kind of property the walker matches, and some it must ignore.
private final class Network: Module {
  let stem: Linear
  var blocks: [Block]
  var heads: [String: Linear]
  var missing: Linear? = nil
  var present: Linear?
  let scale = Tensor.ones([3], requiresGrad: true)
  let statistics = Buffer(Tensor.zeros([4]))
  var bufferList = [Buffer(Tensor.zeros([1])), Buffer(Tensor.zeros([2]))]
  // Ignored: numbers, flags, float arrays, nested arrays, a generator.
  var notes: [Float] = [1, 2, 3]
  var count = 3
  var flag = true
  var nested: [[Linear]] = []
  var generator = SeededGenerator(seed: 1)

  init(using generator: inout SeededGenerator) {
    stem = Linear(inputSize: 4, outputSize: 2, using: &generator)
    blocks = [Block(using: &generator), Block(using: &generator), Block(using: &generator)]
    heads = [
      "real": Linear(inputSize: 2, outputSize: 1, bias: false, using: &generator),
      "class": Linear(inputSize: 2, outputSize: 5, using: &generator),
    ]
    present = Linear(inputSize: 1, outputSize: 1, using: &generator)
    nested = [[Linear(inputSize: 9, outputSize: 9, using: &generator)]]
    super.init()
  }
}

final class ModuleTests: XCTestCase {
  func testParameterCountsOfLayersByHand() {
    var g = SeededGenerator(seed: 0)
    // 3 x 4 weights + 4 biases.
    XCTAssertEqual(Linear(inputSize: 3, outputSize: 4, using: &g).parameterCount, 16)
    // 8 filters of 3 channels x 4 x 4, no bias.
    XCTAssertEqual(Conv2D(inputChannels: 3, outputChannels: 8, kernelSize: 4, bias: false, using: &g).parameterCount, 384)
    // Grouped: 6 filters in 2 groups, each seeing 4 / 2 = 2 channels: 6 x 2 x 3 x 3 + 6.
    XCTAssertEqual(Conv2D(inputChannels: 4, outputChannels: 6, kernelSize: 3, groups: 2, using: &g).parameterCount, 114)
    // Weight [in 8, out 3, 4, 4] + 3 biases.
    let transposed = ConvTranspose2D(inputChannels: 8, outputChannels: 3, kernelSize: 4, stride: 2, padding: 1, using: &g)
    XCTAssertEqual(transposed.weight.shape, [8, 3, 4, 4])
    XCTAssertEqual(transposed.parameterCount, 387)
    // γ and β per feature; the running statistics are buffers, not parameters.
    let batchNorm = BatchNorm(featureCount: 16)
    XCTAssertEqual(batchNorm.parameterCount, 32)
    XCTAssertEqual(batchNorm.namedBuffers().map(\.path), ["runningMean", "runningVariance"])
    XCTAssertEqual(InstanceNorm(featureCount: 16).parameterCount, 0)
    XCTAssertEqual(InstanceNorm(featureCount: 16, affine: true).parameterCount, 32)
    XCTAssertEqual(LayerNorm(normalizedShape: [4, 5]).parameterCount, 40)
    XCTAssertEqual(Embedding(count: 10, dimension: 7, using: &g).parameterCount, 70)
  }

  func testParameterCountAndPathsOfASmallNetworkByHand() {
    var g = SeededGenerator(seed: 0)
    let network = Sequential(
      Conv2D(inputChannels: 1, outputChannels: 4, kernelSize: 3, padding: 1, using: &g),  // 4·1·3·3 + 4 = 40
      BatchNorm(featureCount: 4),  // 4 + 4 = 8
      LeakyReLU(),
      Flatten(),
      Linear(inputSize: 4 * 8 * 8, outputSize: 10, using: &g))  // 256·10 + 10 = 2570
    XCTAssertEqual(network.parameterCount, 40 + 8 + 2570)
    XCTAssertEqual(
      network.namedParameters().map(\.path),
      ["layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias", "layers.4.weight", "layers.4.bias"])
    XCTAssertEqual(network.namedBuffers().map(\.path), ["layers.1.runningMean", "layers.1.runningVariance"])
    XCTAssertEqual(network(Tensor.zeros([2, 1, 8, 8])).shape, [2, 10])
  }

  func testPathsFollowPropertiesIndicesAndSortedKeys() {
    var g = SeededGenerator(seed: 0)
    let network = Network(using: &g)
    var expected = ["stem.weight", "stem.bias"]
    for i in 0..<3 {
      expected += ["blocks.\(i).conv.weight", "blocks.\(i).conv.bias", "blocks.\(i).norm.weight", "blocks.\(i).norm.bias", "blocks.\(i).gate"]
    }
    expected += ["heads.class.weight", "heads.class.bias", "heads.real.weight", "present.weight", "present.bias", "scale"]
    XCTAssertEqual(network.namedParameters().map(\.path), expected)
    XCTAssertEqual(network.namedBuffers().map(\.path), ["statistics", "bufferList.0", "bufferList.1"])
    XCTAssertEqual(
      network.namedModules().map(\.path),
      ["", "stem", "blocks.0", "blocks.0.conv", "blocks.0.norm", "blocks.1", "blocks.1.conv", "blocks.1.norm",
       "blocks.2", "blocks.2.conv", "blocks.2.norm", "heads.class", "heads.real", "present"])
    // The same names twice in a row: the order is stable.
    XCTAssertEqual(network.namedParameters().map(\.path), expected)
  }

  func testSharedTensorsAndModulesAreReportedOnce() {
    var g = SeededGenerator(seed: 0)
    let shared = Linear(inputSize: 2, outputSize: 2, using: &g)
    let tied = Sequential(shared, ReLU(), shared)
    XCTAssertEqual(tied.namedParameters().map(\.path), ["layers.0.weight", "layers.0.bias"])
    XCTAssertEqual(tied.parameterCount, 6)
  }

  func testTrainAndEvalReachEverySubmodule() {
    var g = SeededGenerator(seed: 0)
    let network = Network(using: &g)
    XCTAssertTrue(network.namedModules().allSatisfy { $0.module.isTraining })
    network.eval()
    XCTAssertTrue(network.namedModules().allSatisfy { !$0.module.isTraining })
    XCTAssertFalse(network.blocks[2].norm.isTraining)
    network.train()
    XCTAssertTrue(network.namedModules().allSatisfy { $0.module.isTraining })
  }

  func testZeroGradientsClearsEveryParameter() {
    var g = SeededGenerator(seed: 0)
    let model = Sequential(Linear(inputSize: 3, outputSize: 4, using: &g), Tanh(), Linear(inputSize: 4, outputSize: 1, using: &g))
    model(Tensor.randomNormal([5, 3], using: &g)).sum().backward()
    XCTAssertTrue(model.parameters().allSatisfy { $0.grad != nil })
    model.zeroGradients()
    XCTAssertTrue(model.parameters().allSatisfy { $0.grad == nil })
  }

  func testLoadStateChecksBeforeWriting() throws {
    var g = SeededGenerator(seed: 0)
    let model = Linear(inputSize: 2, outputSize: 3, using: &g)
    let before = snapshot(model)
    // The bias fits, the weight does not: nothing may change, not even the bias.
    let state = ["bias": Tensor([9, 9, 9]), "weight": Tensor.zeros([2, 3])]
    XCTAssertThrowsError(try model.loadState(state)) { error in
      XCTAssertEqual(error as? CheckpointError,
                     CheckpointError(source: "state", tensor: "weight", problem: .shapeMismatch(expected: [3, 2], found: [2, 3])))
    }
    XCTAssertEqual(snapshot(model), before)
    try model.loadState(["bias": Tensor([9, 9, 9]), "weight": Tensor.ones([3, 2])])
    XCTAssertEqual(model.bias?.scalars, [9, 9, 9])
    XCTAssertEqual(model.weight.scalars, [1, 1, 1, 1, 1, 1])
  }
}
