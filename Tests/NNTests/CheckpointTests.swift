import Foundation
import XCTest

@testable import NN

/// A safetensors file assembled by hand: the 8-byte length, the header text, then the data bytes.
private func rawFile(header: String, data: [Float]) -> [UInt8] {
  var bytes: [UInt8] = []
  let headerBytes = Array(header.utf8)
  withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { bytes.append(contentsOf: $0) }
  bytes += headerBytes
  appendLittleEndian(data, to: &bytes)
  return bytes
}

private func makeModel(seed: UInt64, hidden: Int = 4, bias: Bool = true) -> Sequential {
  var g = SeededGenerator(seed: seed)
  return Sequential(
    Linear(inputSize: 2, outputSize: hidden, using: &g), BatchNorm(featureCount: hidden), ReLU(),
    Linear(inputSize: hidden, outputSize: 3, bias: bias, using: &g))
}

final class CheckpointTests: XCTestCase {
  // MARK: The format

  func testEncodingFollowsTheSafetensorsLayout() throws {
    let bytes = SafeTensors.encode(["b": Tensor([1.5, -2]), "a": Tensor(shape: [], scalars: [3])], metadata: ["step": "7"])
    let headerLength = bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
    XCTAssertEqual((8 + headerLength) % 8, 0, "the data starts 8-byte aligned")
    let header = String(decoding: bytes[8..<(8 + headerLength)], as: UTF8.self)
    XCTAssertEqual(
      header.trimmingCharacters(in: .whitespaces),
      #"{"__metadata__":{"step":"7"},"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"#
        + #""b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#)
    // Little-endian IEEE floats: 3.0 = 0x40400000, then 1.5 = 0x3FC00000 and -2.0 = 0xC0000000.
    XCTAssertEqual(Array(bytes[(8 + headerLength)...]), [0, 0, 0x40, 0x40, 0, 0, 0xC0, 0x3F, 0, 0, 0, 0xC0])
    let decoded = try SafeTensors.decode(bytes, source: "memory")
    XCTAssertEqual(decoded.metadata, ["step": "7"])
    XCTAssertEqual(decoded.tensors["a"]?.shape, [])
    XCTAssertEqual(decoded.tensors["b"]?.scalars, [1.5, -2])
  }

  func testModelRoundTripAndAtomicReplacement() throws {
    let folder = try temporaryFolder(self)
    let url = folder.appendingPathComponent("model.safetensors")
    let model = makeModel(seed: 1)
    _ = model(Tensor([[1, 2], [3, -1], [0, 0.5]]))  // move the running statistics off their start
    try Checkpoint.save(model, to: url, metadata: ["epoch": "3"])
    let restored = makeModel(seed: 2)
    XCTAssertNotEqual(snapshot(restored), snapshot(model))
    let metadata = try Checkpoint.load(into: restored, from: url)
    XCTAssertEqual(metadata, ["epoch": "3"])
    XCTAssertEqual(snapshot(restored).mapValues(bits), snapshot(model).mapValues(bits))
    XCTAssertEqual(
      try SafeTensors.read(from: url).keys.sorted(),
      ["layers.0.bias", "layers.0.weight", "layers.1.bias", "layers.1.runningMean", "layers.1.runningVariance",
       "layers.1.weight", "layers.3.bias", "layers.3.weight"])
    // Overwriting replaces the file; no temporary file is left behind.
    try Checkpoint.save(restored, to: url)
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["model.safetensors"])
    // A folder that does not exist: an error naming the path, and nothing written.
    let nowhere = folder.appendingPathComponent("missing/model.safetensors")
    XCTAssertThrowsError(try Checkpoint.save(model, to: nowhere)) { error in
      XCTAssertTrue("\(error)".contains("missing/model.safetensors"), "\(error)")
    }
  }

  // MARK: Bad checkpoints

  /// Loads `bytes` into a fresh model and checks the error and that the model did not change.
  private func assertRejected(
    _ bytes: [UInt8], into model: Module, tensor: String?, _ matches: (CheckpointError.Problem) -> Bool,
    file: StaticString = #filePath, line: UInt = #line
  ) throws {
    let url = try temporaryFolder(self).appendingPathComponent("bad.safetensors")
    try Data(bytes).write(to: url)
    let before = snapshot(model)
    XCTAssertThrowsError(try Checkpoint.load(into: model, from: url), file: file, line: line) { error in
      guard let error = error as? CheckpointError else { return XCTFail("not a CheckpointError: \(error)", file: file, line: line) }
      XCTAssertEqual(error.tensor, tensor, "\(error)", file: file, line: line)
      XCTAssertTrue(matches(error.problem), "unexpected problem: \(error)", file: file, line: line)
      XCTAssertTrue(error.description.contains(url.path), "the message names the file: \(error)", file: file, line: line)
      if let tensor { XCTAssertTrue(error.description.contains("'\(tensor)'"), "\(error)", file: file, line: line) }
    }
    XCTAssertEqual(snapshot(model).mapValues(bits), before.mapValues(bits), "the model changed", file: file, line: line)
  }

  func testTruncatedFilesAreRejected() throws {
    let good = SafeTensors.encode(makeModel(seed: 1).stateTensors())
    let model = makeModel(seed: 2)
    // Cut inside the last tensor's data (layers.3.weight comes last in sorted order).
    try assertRejected(Array(good.dropLast(5)), into: model, tensor: "layers.3.weight") {
      if case .truncated = $0 { return true } else { return false }
    }
    // Cut inside the header.
    try assertRejected(Array(good.prefix(40)), into: model, tensor: nil) {
      if case .truncated = $0 { return true } else { return false }
    }
    // Shorter than the length field.
    try assertRejected(Array(good.prefix(5)), into: model, tensor: nil) {
      if case .truncated = $0 { return true } else { return false }
    }
  }

  func testMalformedHeadersAreRejected() throws {
    var g = SeededGenerator(seed: 3)
    let model = Linear(inputSize: 1, outputSize: 1, bias: false, using: &g)
    try assertRejected(rawFile(header: #"{"weight": {"dtype": "F32", "#, data: [1]), into: model, tensor: nil) {
      if case .malformedHeader = $0 { return true } else { return false }
    }
    try assertRejected(rawFile(header: "[1, 2]  ", data: []), into: model, tensor: nil) {
      if case .malformedHeader = $0 { return true } else { return false }
    }
    try assertRejected(rawFile(header: #"{"weight": {"dtype": "F32", "shape": [1, 1]}}"#, data: [1]), into: model, tensor: "weight") {
      if case .malformedHeader = $0 { return true } else { return false }
    }
    try assertRejected(
      rawFile(header: #"{"weight": {"dtype": "F32", "shape": [1, 2.5], "data_offsets": [0, 4]}}"#, data: [1]),
      into: model, tensor: "weight"
    ) { if case .malformedHeader = $0 { return true } else { return false } }
    // Offsets that do not hold the shape's values.
    try assertRejected(
      rawFile(header: #"{"weight": {"dtype": "F32", "shape": [1, 1], "data_offsets": [0, 8]}}"#, data: [1, 2]),
      into: model, tensor: "weight"
    ) { if case .malformedHeader = $0 { return true } else { return false } }
  }

  func testWrongDTypeIsRejected() throws {
    var g = SeededGenerator(seed: 3)
    let model = Linear(inputSize: 2, outputSize: 1, bias: false, using: &g)
    let header = #"{"weight": {"dtype": "F16", "shape": [1, 2], "data_offsets": [0, 4]}}"#
    try assertRejected(rawFile(header: header, data: [0]), into: model, tensor: "weight") { $0 == .wrongDType("F16") }
  }

  func testMissingExtraAndMisshapenTensorsAreRejected() throws {
    let withoutBias = SafeTensors.encode(makeModel(seed: 1, bias: false).stateTensors())
    let withBias = SafeTensors.encode(makeModel(seed: 1, bias: true).stateTensors())
    try assertRejected(withoutBias, into: makeModel(seed: 2, bias: true), tensor: "layers.3.bias") { $0 == .missingTensor }
    try assertRejected(withBias, into: makeModel(seed: 2, bias: false), tensor: "layers.3.bias") { $0 == .unexpectedTensor }
    // Hidden size 5 instead of 4: the first tensor in sorted order that differs is layers.0.bias.
    try assertRejected(withBias, into: makeModel(seed: 2, hidden: 5), tensor: "layers.0.bias") {
      $0 == .shapeMismatch(expected: [5], found: [4])
    }
  }

  // MARK: Optimizer state

  /// Trains `model` with `adam` for the given steps on batches drawn from the step number.
  private func train(_ model: Module & Layer, _ adam: Adam, steps: Range<Int>) {
    for step in steps {
      var g = SeededGenerator(seed: 1000 + UInt64(step))
      let (points, labels) = spirals(perClass: 8, using: &g)
      adam.zeroGradients()
      crossEntropy(logits: model(points), labels: labels).backward()
      adam.step()
    }
  }

  func testResumingFromCheckpointsIsBitIdentical() throws {
    let n = 6
    let uninterrupted = makeModel(seed: 1)
    train(uninterrupted, Adam(for: uninterrupted, learningRate: 0.01, beta1: 0.5), steps: 0..<(2 * n))

    let folder = try temporaryFolder(self)
    let modelURL = folder.appendingPathComponent("model.safetensors")
    let optimizerURL = folder.appendingPathComponent("adam.safetensors")
    do {
      let first = makeModel(seed: 1)
      let adam = Adam(for: first, learningRate: 0.01, beta1: 0.5)
      train(first, adam, steps: 0..<n)
      try Checkpoint.save(first, to: modelURL)
      try Checkpoint.save(adam, to: optimizerURL)
    }
    let resumed = makeModel(seed: 99)  // another start, overwritten by the checkpoint
    let adam = Adam(for: resumed, learningRate: 0.01, beta1: 0.5)
    try Checkpoint.load(into: resumed, from: modelURL)
    try Checkpoint.load(into: adam, from: optimizerURL)
    train(resumed, adam, steps: n..<(2 * n))

    XCTAssertEqual(snapshot(resumed).mapValues(bits), snapshot(uninterrupted).mapValues(bits))
    // Without the optimizer state the run differs (the check above can fail).
    let fresh = makeModel(seed: 99)
    try Checkpoint.load(into: fresh, from: modelURL)
    train(fresh, Adam(for: fresh, learningRate: 0.01, beta1: 0.5), steps: n..<(2 * n))
    XCTAssertNotEqual(snapshot(fresh).mapValues(bits), snapshot(uninterrupted).mapValues(bits))
  }

  func testOptimizerStateThatDoesNotFitIsRejected() throws {
    let folder = try temporaryFolder(self)
    let url = folder.appendingPathComponent("rms.safetensors")
    let model = makeModel(seed: 1)
    let rms = RMSProp(for: model)
    crossEntropy(logits: model(Tensor([[1, 2], [2, 1]])), labels: [0, 2]).backward()
    rms.step()
    try Checkpoint.save(rms, to: url)
    XCTAssertEqual(try SafeTensors.readWithMetadata(from: url).metadata["layers.0.weight.step"], "1")

    // Another optimizer kind.
    let adam = Adam(for: model)
    XCTAssertThrowsError(try Checkpoint.load(into: adam, from: url)) { error in
      guard case .incompatibleState = (error as? CheckpointError)?.problem else { return XCTFail("\(error)") }
    }
    // Another model shape; the optimizer keeps its state.
    let other = makeModel(seed: 1, hidden: 5)
    let otherRMS = RMSProp(for: other)
    crossEntropy(logits: other(Tensor([[1, 2], [2, 1]])), labels: [0, 2]).backward()
    otherRMS.step()
    let before = otherRMS.stateContents().tensors.mapValues(\.scalars)
    XCTAssertThrowsError(try Checkpoint.load(into: otherRMS, from: url)) { error in
      XCTAssertEqual((error as? CheckpointError)?.tensor, "layers.0.bias.square_avg", "\(error)")
    }
    XCTAssertEqual(otherRMS.stateContents().tensors.mapValues(\.scalars), before)
  }

  // MARK: Interoperability with Python's safetensors

  func testPythonSafetensorsReadsOurFilesAndWeReadItsFiles() throws {
    let folder = try temporaryFolder(self)
    let ours = folder.appendingPathComponent("ours.safetensors")
    let theirs = folder.appendingPathComponent("theirs.safetensors")
    var g = SeededGenerator(seed: 7)
    let tensors: [String: Tensor] = [
      "generator.blocks.0.conv.weight": Tensor.randomNormal([2, 3, 2, 2], using: &g),
      "bias": Tensor([-0.0, 1e-38, 3.4e38, -1.5, .leastNonzeroMagnitude]),
      "scalar": Tensor(shape: [], scalars: [0.1]),
      "empty": Tensor.zeros([0, 3]),
    ]
    try SafeTensors.write(tensors, metadata: ["format": "pt", "step": "12"], to: ours)

    // Python reads our file and prints every tensor's shape and bit patterns; then writes its own file and prints
    // the same for it.
    let script = """
      import json, sys
      import numpy as np
      from safetensors import safe_open
      from safetensors.numpy import save_file
      report = {}
      with safe_open(sys.argv[1], framework="np") as f:
          report["metadata"] = f.metadata()
          report["tensors"] = {k: {"shape": list(f.get_tensor(k).shape), "dtype": str(f.get_tensor(k).dtype),
                                   "bits": f.get_tensor(k).reshape(-1).view(np.uint32).tolist()} for k in f.keys()}
      written = {"x": (np.arange(12, dtype=np.float32).reshape(3, 4) / np.float32(7)),
                 "layers.0.weight": np.array([[1.0, -2.5], [np.pi, 1e-20]], dtype=np.float32),
                 "one": np.array([42.0], dtype=np.float32)}
      save_file(written, sys.argv[2], metadata={"written_by": "python"})
      report["written"] = {k: {"shape": list(v.shape), "bits": v.reshape(-1).view(np.uint32).tolist()} for k, v in written.items()}
      print(json.dumps(report))
      """
    let output = try runPython(script, arguments: [ours.path, theirs.path])
    let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])

    XCTAssertEqual(report["metadata"] as? [String: String], ["format": "pt", "step": "12"])
    let read = try XCTUnwrap(report["tensors"] as? [String: [String: Any]])
    XCTAssertEqual(Set(read.keys), Set(tensors.keys))
    for (name, tensor) in tensors {
      XCTAssertEqual(read[name]?["shape"] as? [Int], tensor.shape, name)
      XCTAssertEqual(read[name]?["dtype"] as? String, "float32", name)
      XCTAssertEqual((read[name]?["bits"] as? [Int])?.map(UInt32.init), bits(tensor.scalars), name)
    }

    let contents = try SafeTensors.readWithMetadata(from: theirs)
    XCTAssertEqual(contents.metadata, ["written_by": "python"])
    let written = try XCTUnwrap(report["written"] as? [String: [String: Any]])
    XCTAssertEqual(Set(contents.tensors.keys), Set(written.keys))
    for (name, expected) in written {
      XCTAssertEqual(contents.tensors[name]?.shape, expected["shape"] as? [Int], name)
      XCTAssertEqual(contents.tensors[name].map { bits($0.scalars) }, (expected["bits"] as? [Int])?.map(UInt32.init), name)
    }
    // Independently of Python's report: x = i / 7 in Float32.
    XCTAssertEqual(contents.tensors["x"]?.scalars, (0..<12).map { Float($0) / 7 })
  }

}

/// Runs `python3 -c script arguments...` and returns its standard output. Fails (never skips) when Python or its
/// packages are missing: CI installs them (`pip install safetensors numpy`).
private func runPython(_ script: String, arguments: [String]) throws -> String {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
  process.arguments = ["python3", "-c", script] + arguments
  let stdout = Pipe(), stderr = Pipe()
  process.standardOutput = stdout
  process.standardError = stderr
  do { try process.run() } catch {
    throw PythonUnavailable(message: "cannot start python3 (\(error))")
  }
  let output = stdout.fileHandleForReading.readDataToEndOfFile()
  let errors = stderr.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  guard process.terminationStatus == 0 else {
    throw PythonUnavailable(
      message: "python3 failed (status \(process.terminationStatus)):\n\(String(decoding: errors, as: UTF8.self))")
  }
  return String(decoding: output, as: UTF8.self)
}

/// Python or its packages are missing or broken: the test fails with this message.
private struct PythonUnavailable: Error, CustomStringConvertible {
  let message: String
  var description: String {
    "\(message)\nThe safetensors interoperability test needs python3 with `pip install safetensors numpy`."
  }
}

// MARK: - What Python's safetensors rejects, rejected here with the file, tensor and field named

/// A header with one entry per (name, shape, offsets) in that order, all F32.
private func entries(_ list: [(String, String, String)], metadata: String? = nil) -> String {
  var parts = list.map { #""\#($0.0)":{"dtype":"F32","shape":\#($0.1),"data_offsets":\#($0.2)}"# }
  if let metadata { parts.insert(#""__metadata__":\#(metadata)"#, at: 0) }
  return "{" + parts.joined(separator: ",") + "}"
}

extension CheckpointTests {
  /// Writes `bytes` to a file, reads it with `SafeTensors.read`, and checks the CheckpointError: its tensor, and
  /// that its message names the file, the tensor and contains every one of `phrases` (the field and the fault).
  private func assertReadFails(
    _ bytes: [UInt8], tensor: String?, _ phrases: [String], file: StaticString = #filePath, line: UInt = #line
  ) throws {
    let url = try temporaryFolder(self).appendingPathComponent("bad.safetensors")
    try Data(bytes).write(to: url)
    XCTAssertThrowsError(try SafeTensors.read(from: url), file: file, line: line) { error in
      guard let error = error as? CheckpointError else { return XCTFail("not a CheckpointError: \(error)", file: file, line: line) }
      XCTAssertEqual(error.tensor, tensor, "\(error)", file: file, line: line)
      let message = error.description
      XCTAssertTrue(message.hasPrefix(url.path), "the message names the file: \(message)", file: file, line: line)
      if let tensor { XCTAssertTrue(message.contains("tensor '\(tensor)'"), message, file: file, line: line) }
      for phrase in phrases { XCTAssertTrue(message.contains(phrase), "'\(phrase)' missing from: \(message)", file: file, line: line) }
    }
  }

  func testShapesWhoseSizeOverflowsAreRejectedWithoutTrapping() throws {
    // 3037000500² > 2^63: the element count overflows.
    try assertReadFails(rawFile(header: entries([("w", "[3037000500,3037000500]", "[0,4]")]), data: [1]),
                        tensor: "w", ["shape [3037000500, 3037000500]", "more elements than an Int can count"])
    // 2^61 elements fit; 2^61 * 4 bytes do not.
    try assertReadFails(rawFile(header: entries([("w", "[2305843009213693952]", "[0,4]")]), data: [1]),
                        tensor: "w", ["shape [2305843009213693952]", "more bytes than an Int can count"])
    // Past Int.max and past UInt64.max: not an integer an Int can hold.
    try assertReadFails(rawFile(header: entries([("w", "[18446744073709551616]", "[0,4]")]), data: [1]),
                        tensor: "w", ["shape must be an array of non-negative integers", "18446744073709551616"])
    try assertReadFails(rawFile(header: entries([("w", "[1]", "[0,18446744073709551615]")]), data: [1]),
                        tensor: "w", ["data_offsets must be [begin, end]", "18446744073709551615"])
  }

  /// JSON that JSONSerialization would turn into integers: Python rejects booleans, 2.0, 1e3 and negatives.
  func testNumbersThatAreNotIntegersAreRejected() throws {
    for shape in ["[true]", "[1.0]", "[1e0]", "[-1]", "[\"1\"]", "[null]"] {
      try assertReadFails(rawFile(header: entries([("w", shape, "[0,4]")]), data: [1]),
                          tensor: "w", ["shape must be an array of non-negative integers, found \(shape)"])
    }
    try assertReadFails(rawFile(header: entries([("w", "[1]", "[0,4.0]")]), data: [1]), tensor: "w", ["data_offsets"])
    try assertReadFails(rawFile(header: entries([("w", "[1]", "[0,4,4]")]), data: [1]), tensor: "w", ["data_offsets"])
  }

  func testOffsetsMustTileTheDataSectionExactly() throws {
    // A gap before the first tensor.
    try assertReadFails(rawFile(header: entries([("w", "[1]", "[4,8]")]), data: [1, 2]), tensor: "w",
                        ["data_offsets [4, 8] leave a gap", "starts at byte 0"])
    // A gap between two tensors.
    try assertReadFails(rawFile(header: entries([("a", "[1]", "[0,4]"), ("b", "[1]", "[8,12]")]), data: [1, 2, 3]),
                        tensor: "b", ["data_offsets [8, 12] leave a gap", "previous tensor's data ends at byte 4"])
    // Overlapping ranges, and one range used twice.
    try assertReadFails(rawFile(header: entries([("a", "[2]", "[0,8]"), ("b", "[1]", "[4,8]")]), data: [1, 2]),
                        tensor: "b", ["data_offsets [4, 8] overlap other data", "ends at byte 8"])
    try assertReadFails(rawFile(header: entries([("a", "[2]", "[0,8]"), ("b", "[2]", "[0,8]")]), data: [1, 2]),
                        tensor: "b", ["data_offsets [0, 8] overlap other data"])
    // Bytes after the last tensor that no tensor owns.
    try assertReadFails(rawFile(header: entries([("a", "[1]", "[0,4]")]), data: [1, 2]), tensor: nil,
                        ["data_offsets cover 4 bytes, but the data section holds 8 bytes"])
    try assertReadFails(rawFile(header: "{}", data: [1]), tensor: nil, ["cover 0 bytes", "holds 4 bytes"])
    // Accepted, as Python accepts them: an empty tensor at the start or the end, and a range that starts at a byte
    // that is not a multiple of 4 (safetensors requires no alignment).
    let empties = rawFile(header: entries([("e", "[0]", "[0,0]"), ("a", "[2]", "[0,8]"), ("z", "[0,3]", "[8,8]")]), data: [1, 2])
    XCTAssertEqual(try SafeTensors.decode(empties, source: "memory").tensors.mapValues(\.shape), ["e": [0], "a": [2], "z": [0, 3]])
    var unaligned = rawFile(header: #"{"pad":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: [])
    appendLittleEndian([2.5], to: &unaligned)
    XCTAssertEqual(try SafeTensors.decode(unaligned, source: "memory").tensors["w"]?.scalars, [2.5])
  }

  /// Our writer pads the header to a multiple of 8 so the data starts aligned; Python does not require it of a
  /// reader. A header of 8k + 3 bytes puts every value at an odd address: read by copying, not in place.
  func testUnalignedDataSectionIsRead() throws {
    var header = entries([("w", "[2]", "[0,8]")])
    while header.utf8.count % 8 != 3 { header += " " }
    XCTAssertEqual(try SafeTensors.decode(rawFile(header: header, data: [1.5, -3]), source: "memory").tensors["w"]?.scalars, [1.5, -3])
  }

  func testHeaderLengthsBeyondTheFileOrTheLimitAreRejected() throws {
    for length: UInt64 in [UInt64.max, 1 << 63, UInt64(Int.max), 100_000_001] {
      var bytes: [UInt8] = []
      withUnsafeBytes(of: length.littleEndian) { bytes.append(contentsOf: $0) }
      bytes += Array("{}      ".utf8)
      try assertReadFails(bytes, tensor: nil, ["header length field says \(length) bytes", "100000000"])
    }
    var bytes: [UInt8] = []
    withUnsafeBytes(of: UInt64(16).littleEndian) { bytes.append(contentsOf: $0) }
    bytes += Array("{}      ".utf8)
    try assertReadFails(bytes, tensor: nil, ["truncated", "claims 16 bytes but only 8 follow"])
  }

  /// JSONSerialization keeps one of two equal keys; Python keeps the last (rejecting only a repeated __metadata__ or
  /// field). A repeated name is ambiguous, and no writer produces one, so every duplicate is rejected here.
  func testDuplicateKeysAreRejected() throws {
    try assertReadFails(rawFile(header: entries([("w", "[1]", "[0,4]"), ("w", "[1]", "[0,4]")]), data: [1]),
                        tensor: "w", [#"the key "w" appears twice"#])
    // The same name spelled with an escape is the same key.
    try assertReadFails(rawFile(header: entries([("w", "[1]", "[0,4]"), (#"\u0077"#, "[1]", "[0,4]")]), data: [1]),
                        tensor: "w", [#"the key "w" appears twice"#])
    try assertReadFails(
      rawFile(header: #"{"w":{"dtype":"F32","shape":[1],"shape":[1],"data_offsets":[0,4]}}"#, data: [1]),
      tensor: "w", [#"the field "shape" appears twice"#])
    try assertReadFails(rawFile(header: entries([("w", "[1]", "[0,4]")], metadata: #"{"a":"1","a":"2"}"#), data: [1]),
                        tensor: nil, [#"__metadata__ has the key "a" twice"#])
    try assertReadFails(
      rawFile(header: #"{"__metadata__":{},"__metadata__":{},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: [1]),
      tensor: nil, [#"the key "__metadata__" appears twice"#])
  }

  func testHeadersThatAreNotStrictUTF8JSONAreRejected() throws {
    var invalidUTF8 = Array(entries([("w", "[1]", "[0,4]")]).utf8)
    invalidUTF8.insert(0xFF, at: 2)
    var bytes: [UInt8] = []
    withUnsafeBytes(of: UInt64(invalidUTF8.count).littleEndian) { bytes.append(contentsOf: $0) }
    bytes += invalidUTF8
    appendLittleEndian([1], to: &bytes)
    try assertReadFails(bytes, tensor: nil, ["not valid UTF-8"])
    // NUL padding (Python: trailing characters), metadata values that are not strings, deep nesting.
    try assertReadFails(rawFile(header: entries([("w", "[1]", "[0,4]")]) + "\0\0", data: [1]), tensor: nil,
                        ["not valid JSON: trailing characters"])
    try assertReadFails(rawFile(header: entries([("w", "[1]", "[0,4]")], metadata: #"{"step":7}"#), data: [1]),
                        tensor: nil, [#"__metadata__ must map strings to strings, not "step" to 7"#])
    try assertReadFails(rawFile(header: String(repeating: "[", count: 5000), data: []), tensor: nil, ["nested deeper than 64"])
    // Accepted like Python: a null __metadata__, fields safetensors does not know, spaces before the object.
    let lenient = rawFile(header: #" {"__metadata__":null,"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":[]}}"#, data: [4])
    XCTAssertEqual(try SafeTensors.decode(lenient, source: "memory").tensors["w"]?.scalars, [4])
  }

  /// SafeTensors.read returns NaN and infinities (a file may hold them); loading them into a model or an optimizer
  /// is refused, naming the tensor and counting the bad values, and nothing changes.
  func testNonFiniteValuesAreReadButNotLoaded() throws {
    var g = SeededGenerator(seed: 3)
    let model = Linear(inputSize: 4, outputSize: 1, bias: false, using: &g)
    let bytes = rawFile(header: entries([("weight", "[1,4]", "[0,16]")]), data: [.nan, 1, .infinity, -.infinity])
    XCTAssertEqual(try SafeTensors.decode(bytes, source: "memory").tensors["weight"]?.scalars.filter(\.isFinite), [1])
    try assertRejected(bytes, into: model, tensor: "weight") { $0 == .nonFinite(nan: 1, infinite: 2, of: 4) }
    let url = try temporaryFolder(self).appendingPathComponent("nan.safetensors")
    try Data(bytes).write(to: url)
    XCTAssertThrowsError(try Checkpoint.load(into: model, from: url)) { error in
      XCTAssertEqual("\(error)", "\(url.path): tensor 'weight': 3 of its 4 values are not finite (1 NaN, 2 infinite)")
    }

    // Optimizer state: a NaN second moment.
    let folder = try temporaryFolder(self)
    let stateURL = folder.appendingPathComponent("adam.safetensors")
    let trained = makeModel(seed: 1)
    let adam = Adam(for: trained)
    crossEntropy(logits: trained(Tensor([[1, 2], [2, 1]])), labels: [0, 2]).backward()
    adam.step()
    var contents = adam.stateContents()
    let name = "layers.3.weight.exp_avg_sq"
    let moment = try XCTUnwrap(contents.tensors[name])
    var values = moment.scalars
    values[1] = .nan
    contents.tensors[name] = Tensor(shape: moment.shape, scalars: values)
    try SafeTensors.write(contents.tensors, metadata: contents.metadata, to: stateURL)
    let before = adam.stateContents().tensors.mapValues { bits($0.scalars) }
    XCTAssertThrowsError(try Checkpoint.load(into: adam, from: stateURL)) { error in
      XCTAssertEqual((error as? CheckpointError)?.tensor, name, "\(error)")
      XCTAssertTrue("\(error)".contains("1 of its \(values.count) values are not finite (1 NaN, 0 infinite)"), "\(error)")
    }
    XCTAssertEqual(adam.stateContents().tensors.mapValues { bits($0.scalars) }, before)
  }
}
