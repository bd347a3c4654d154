import Foundation
import XCTest

/// Lesson 08 trains a small StyleGAN on cartoon faces (the default) or on MNIST. The quick run trains a few steps
/// from scratch, checks claims about what those steps did, and studies the shipped generator, whose claims say so.
/// The digits are
/// ../shared/data/mnist (or $GAN_DATA_DIR/mnist); the test never downloads.
final class Lesson08Tests: XCTestCase {
  static var mnistFolder: String {
    if let root = ProcessInfo.processInfo.environment["GAN_DATA_DIR"] { return root + "/mnist" }
    return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/data/mnist").path
  }

  func testQuickRunOnFaces() throws {
    let run = try LessonHarness.run("lesson-08-stylegan-mixing")
    for file in ["faces.png", "samples.png", "samples-quick-trained.png", "mixing-coarse.png", "mixing-middle.png",
                 "mixing-fine.png", "mixing-measured.png", "truncation.png", "truncation-diversity.png",
                 "interpolation.png", "path-lengths.png", "losses.png", "training.gif", "samples.safetensors"] {
      XCTAssertTrue(run.files.contains(file), "missing \(file)")
    }
    XCTAssertTrue(run.output.contains("measured on the SHIPPED generator"), "the quick run must say what it evaluates")
    checkClaimSubjects(run, ownClaims: 2)
    // The coarse styles carry the pose far more than the fine ones do.
    let shares = { (level: String) throws -> [Double] in
      let text = try XCTUnwrap(run.text("\(level) styles from A: pose & shape / hair & features / colors & light moved to A's"))
      return text.split(separator: "/").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
    }
    let (coarse, fine) = (try shares("coarse"), try shares("fine"))
    XCTAssertEqual(coarse.count, 3)
    XCTAssertEqual(fine.count, 3)
    XCTAssertGreaterThan(coarse[0], fine[0] + 0.3)
    // With AdaIN in every layer (the faces' network) the fine styles carry the colors, the coarse ones hardly.
    XCTAssertGreaterThan(fine[2], coarse[2] + 0.2)
    try checkSamplesFile(run.folder.appendingPathComponent("samples.safetensors"), channels: 3, size: 64)
  }

  func testQuickRunOnDigits() throws {
    let run = try LessonHarness.run(
      "lesson-08-stylegan-mixing", extraArguments: ["--dataset", "mnist", "--data", Self.mnistFolder])
    for file in ["samples.png", "samples-quick-trained.png", "mixing-coarse.png", "mixing-middle.png", "mixing-fine.png",
                 "mixing-measured.png", "truncation.png", "truncation-diversity.png", "interpolation.png",
                 "path-lengths.png", "losses.png", "training.gif", "samples.safetensors"] {
      XCTAssertTrue(run.files.contains(file), "missing \(file)")
    }
    XCTAssertTrue(run.output.contains("measured on the SHIPPED generator"), "the quick run must say what it evaluates")
    checkClaimSubjects(run, ownClaims: 2)
    // The mixing levels order as the notes say: coarse styles carry A's class far more often than fine ones.
    let coarseA = try XCTUnwrap(run.value("coarse styles from A: class = A's class (pairs of different classes)"))
    let fineA = try XCTUnwrap(run.value("fine styles from A: class = A's class (pairs of different classes)"))
    XCTAssertGreaterThan(coarseA, fineA + 0.1)
    // W is smoother than Z.
    let pplZ = try XCTUnwrap(run.value("perceptual path length in Z (ε = 0.001)"))
    let pplW = try XCTUnwrap(run.value("perceptual path length in W (ε = 0.001)"))
    XCTAssertLessThan(pplW, pplZ)
    try checkSamplesFile(run.folder.appendingPathComponent("samples.safetensors"), channels: 1, size: 32)
  }

  /// The quick run's claims about its own training (a broken training step fails them) come first; every claim
  /// about the generator it studies afterwards is labelled as the shipped checkpoint's, in the claims table.
  func checkClaimSubjects(_ run: LessonHarness.Run, ownClaims: Int) {
    let names = ((run.metrics["claims"] as? [[String: Any]]) ?? []).compactMap { $0["name"] as? String }
    XCTAssertEqual(names.filter { $0.hasPrefix("this run's 60 steps:") }.count, ownClaims, "\(names)")
    let generatorClaims = names.filter { !$0.hasPrefix("this run's") && !$0.hasPrefix("the judge") }
    XCTAssertFalse(generatorClaims.isEmpty)
    XCTAssertTrue(generatorClaims.allSatisfy { $0.hasPrefix("shipped checkpoint: ") }, "\(generatorClaims)")
  }

  /// samples.safetensors: F32 `images` [1000, channels, size, size] in [-1, 1], and the mixing grids' source indices.
  func checkSamplesFile(_ url: URL, channels: Int, size: Int) throws {
    let data = try Data(contentsOf: url)
    let headerLength = Int(data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
    let header = try XCTUnwrap(JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + headerLength))) as? [String: Any])
    let images = try XCTUnwrap(header["images"] as? [String: Any])
    XCTAssertEqual(images["dtype"] as? String, "F32")
    XCTAssertEqual(images["shape"] as? [Int], [1000, channels, size, size])
    let offsets = try XCTUnwrap(images["data_offsets"] as? [Int])
    let body = data.subdata(in: (8 + headerLength + offsets[0])..<(8 + headerLength + offsets[1]))
    let values = body.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    XCTAssertEqual(values.count, 1000 * channels * size * size)
    XCTAssertTrue(values.allSatisfy { $0 >= -1 && $0 <= 1 }, "values outside [-1, 1]")
    for name in ["mixing_sources_a", "mixing_sources_b"] {
      // Up to six sources with distinct predicted classes (fewer when the generator draws fewer classes).
      let entry = try XCTUnwrap(header[name] as? [String: Any], "missing \(name)")
      let shape = try XCTUnwrap(entry["shape"] as? [Int])
      XCTAssertEqual(shape.count, 1)
      XCTAssertTrue((1...6).contains(shape[0]), "\(name) has \(shape[0]) entries")
    }
  }
}
