import Foundation
import XCTest

/// Lesson 06 trains DCGAN on MNIST. The test data are the canonical files in ../shared/data/mnist (or
/// $GAN_DATA_DIR/mnist); the test never downloads.
final class Lesson06Tests: XCTestCase {
  static var mnistFolder: String {
    if let root = ProcessInfo.processInfo.environment["GAN_DATA_DIR"] { return root + "/mnist" }
    return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/data/mnist").path
  }

  /// Training from scratch in the quick budget: the claims (with the quick bars) and every file.
  func testQuickTrainingRun() throws {
    let run = try LessonHarness.run("lesson-06-dcgan-mnist", extraArguments: ["--data", Self.mnistFolder])
    for file in ["samples-final.png", "samples.gif", "metrics.png", "interpolation.png", "neighbors.png",
                 "classes.png", "losses.png", "samples.safetensors"] {
      XCTAssertTrue(run.files.contains(file), "missing \(file)")
    }
    try checkSamplesFile(run.folder.appendingPathComponent("samples.safetensors"))
    // The quick run's claims are about what it trained, not about a checkpoint.
    let names = claimNames(run)
    XCTAssertTrue(names.contains { $0.hasPrefix("training works") }, "\(names)")
    XCTAssertFalse(names.contains { $0.contains("shipped") }, "\(names)")
  }

  /// The shipped generator, as a teacher starts a demo: the full budget's bars.
  func testPretrainedGenerator() throws {
    let run = try LessonHarness.run("lesson-06-dcgan-mnist", extraArguments: ["--data", Self.mnistFolder, "--pretrained"])
    XCTAssertTrue(run.files.contains("samples-final.png"))
    // Claims about the shipped checkpoint say so, in the claims table as in the terminal.
    let names = claimNames(run)
    XCTAssertGreaterThanOrEqual(names.filter { $0.hasPrefix("shipped checkpoint:") }.count, 3, "\(names)")
    XCTAssertTrue(run.output.contains("shipped checkpoint"))
  }

  func claimNames(_ run: LessonHarness.Run) -> [String] {
    ((run.metrics["claims"] as? [[String: Any]]) ?? []).compactMap { $0["name"] as? String }
  }

  /// samples.safetensors: one F32 tensor `images` of shape [1000, 1, 28, 28] with values in [-1, 1].
  func checkSamplesFile(_ url: URL) throws {
    let data = try Data(contentsOf: url)
    let headerLength = data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
    let header = try XCTUnwrap(JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + Int(headerLength)))) as? [String: Any])
    let images = try XCTUnwrap(header["images"] as? [String: Any])
    XCTAssertEqual(images["dtype"] as? String, "F32")
    XCTAssertEqual(images["shape"] as? [Int], [1000, 1, 28, 28])
    let body = data.subdata(in: (8 + Int(headerLength))..<data.count)
    let values = body.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    XCTAssertEqual(values.count, 1000 * 784)
    XCTAssertTrue(values.allSatisfy { $0 >= -1 && $0 <= 1 }, "values outside [-1, 1]")
  }
}
