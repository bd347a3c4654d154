import Datasets
import Foundation
import XCTest

/// gan-train, gan-sample and gan-translate as a user types them, on image folders the test writes: what a run leaves
/// (a checkpoint that gan-sample and gan-translate read, previews, the loss plot rendered by gnuplot, notes), and
/// each unusable folder, file or checkpoint refused with one line naming it, a non-zero exit and nothing written.
final class ImageToolsTests: XCTestCase {
  var root = URL(fileURLWithPath: "/")

  override func setUpWithError() throws {
    root = FileManager.default.temporaryDirectory.appendingPathComponent("image-tools-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws {
    try? FileManager.default.removeItem(at: root)
  }

  /// `count` PNG images of stripes (`vertical` or not), `side` pixels square, in a new folder.
  func stripes(_ name: String, count: Int, side: Int, vertical: Bool) throws -> String {
    let folder = root.appendingPathComponent(name)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    for i in 0..<count {
      var pixels: [UInt8] = []
      for y in 0..<side {
        for x in 0..<side { pixels += ((vertical ? x : y) + i) % 8 < 4 ? [230, 200, 60] : [40, 60, 160] }
      }
      let png = ImageFile.encodePNG(DecodedImage(width: side, height: side, channels: 3, pixels: pixels))
      try png.write(to: folder.appendingPathComponent("stripes-\(i).png"))
    }
    return folder.path
  }

  func tool(_ name: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    try LessonHarness.execute(LessonHarness.productsFolder.appendingPathComponent(name), arguments, in: nil)
  }

  func expectRefusal(_ name: String, _ arguments: [String], naming words: [String], writes: String? = nil,
                     line: UInt = #line) throws {
    let (status, output) = try tool(name, arguments)
    XCTAssertNotEqual(status, 0, "\(name) \(arguments) exited 0:\n\(output)", line: line)
    for word in words { XCTAssertTrue(output.contains(word), "no '\(word)' in:\n\(output)", line: line) }
    for crash in ["Fatal error", "Program crashed", "Backtrace"] {
      XCTAssertFalse(output.contains(crash), "\(name) \(arguments) crashed:\n\(output)", line: line)
    }
    if let writes {
      XCTAssertFalse(FileManager.default.fileExists(atPath: writes), "\(name) \(arguments) left \(writes)", line: line)
    }
  }

  func testTrainSampleAndTranslateAsAUserTypesThem() throws {
    let horizontal = try stripes("h", count: 6, side: 36, vertical: false)
    let vertical = try stripes("v", count: 6, side: 36, vertical: true)
    let dcgan = root.appendingPathComponent("dcgan").path
    var (status, output) = try tool("gan-train", ["dcgan", "--images", horizontal, "--size", "16", "--steps", "6",
                                                  "--batch", "4", "--width", "4", "--out", dcgan])
    XCTAssertEqual(status, 0, output)
    XCTAssertTrue(output.contains("6 images from"), output)
    for file in ["generator.safetensors", "samples.png", "samples.gif", "losses.png", "losses.gp", "notes.md"] {
      XCTAssertTrue(FileManager.default.fileExists(atPath: dcgan + "/" + file), "gan-train left no \(file)")
    }
    let samples = root.appendingPathComponent("samples").path
    (status, output) = try tool("gan-sample", [dcgan + "/generator.safetensors", "--count", "3", "--out", samples])
    XCTAssertEqual(status, 0, output)
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: samples).sorted(),
                   ["sample-00000.png", "sample-00001.png", "sample-00002.png"])
    let sample = try ImageFile.decode(Data(contentsOf: URL(fileURLWithPath: samples + "/sample-00000.png")),
                                      channels: 3, file: "sample")
    XCTAssertEqual([sample.width, sample.height], [16, 16])

    let cyclegan = root.appendingPathComponent("cyclegan").path
    (status, output) = try tool("gan-train", ["cyclegan", "--a", horizontal, "--b", vertical, "--size", "32",
                                              "--steps", "2", "--width", "2", "--blocks", "1", "--out", cyclegan])
    XCTAssertEqual(status, 0, output)
    let translated = root.appendingPathComponent("translated").path
    (status, output) = try tool("gan-translate", [cyclegan, "--images", horizontal, "--out", translated,
                                                  "--direction", "a-to-b"])
    XCTAssertEqual(status, 0, output)
    XCTAssertTrue(output.contains("per image"), output)
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: translated).count, 6)

    // Each tool refuses the other's checkpoints, and a run folder is not overwritten.
    try expectRefusal("gan-sample", [cyclegan, "--out", root.appendingPathComponent("s2").path],
                      naming: ["CycleGAN", "gan-translate"], writes: root.appendingPathComponent("s2").path)
    try expectRefusal("gan-translate", [dcgan, "--images", horizontal, "--out", root.appendingPathComponent("t2").path],
                      naming: ["dcgan", "gan-sample"], writes: root.appendingPathComponent("t2").path)
    try expectRefusal("gan-train", ["dcgan", "--images", horizontal, "--size", "16", "--steps", "6", "--batch", "4",
                                    "--width", "4", "--out", dcgan], naming: ["--out", "already holds a run", "--resume"])
    (status, output) = try tool("gan-train", ["dcgan", "--images", horizontal, "--size", "16", "--steps", "8",
                                              "--batch", "4", "--width", "4", "--out", dcgan, "--resume"])
    XCTAssertEqual(status, 0, output)
    XCTAssertTrue(output.contains("steps 7 to 8"), output)
  }

  func testUnusableFoldersAndFilesAreNamed() throws {
    let out = root.appendingPathComponent("out").path
    let empty = root.appendingPathComponent("empty").path
    try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
    try Data("notes".utf8).write(to: URL(fileURLWithPath: empty + "/readme.txt"))
    try expectRefusal("gan-train", ["dcgan", "--images", empty, "--size", "16", "--out", out],
                      naming: [empty, "no PNG or JPEG"], writes: out)
    try expectRefusal("gan-train", ["dcgan", "--images", root.appendingPathComponent("missing").path, "--out", out],
                      naming: ["--images", "no such folder"], writes: out)
    let good = try stripes("good", count: 5, side: 20, vertical: true)
    try expectRefusal("gan-train", ["stylegan", "--images", good, "--size", "32", "--out", out],
                      naming: ["stripes-0.png", "20x20", "32x32"], writes: out)
    try Data("\u{89}PNG broken".utf8).write(to: URL(fileURLWithPath: good + "/broken.png"))
    try expectRefusal("gan-train", ["dcgan", "--images", good, "--size", "16", "--batch", "4", "--out", out],
                      naming: ["broken.png"], writes: out)
    // With --bad-files skip the broken file is listed and the run goes on.
    let (status, output) = try tool("gan-train", ["dcgan", "--images", good, "--size", "8", "--steps", "1",
                                                  "--batch", "4", "--width", "2", "--bad-files", "skip", "--out", out])
    XCTAssertEqual(status, 0, output)
    XCTAssertTrue(output.contains("1 skipped: broken.png"), output)
    try expectRefusal("gan-train", ["dcgan", "--images", good, "--size", "8", "--batch", "6", "--bad-files", "skip",
                                    "--out", root.appendingPathComponent("o2").path],
                      naming: ["--batch", "6", "5 usable images"], writes: root.appendingPathComponent("o2").path)
    try expectRefusal("gan-train", ["cyclegan", "--a", good, "--b", good, "--size", "30", "--out", out],
                      naming: ["--size", "multiple of 4"])
    try expectRefusal("gan-train", ["stylegan", "--images", good, "--batch", "6", "--out", out],
                      naming: ["--batch", "multiple of 4"])
    try expectRefusal("gan-train", ["stylegan", "--images", good, "--size", "64", "--channel-base", "32", "--out", out],
                      naming: ["--channel-base", "at least --size"])
    try expectRefusal("gan-train", ["dcgan", "--images", good, "--channels", "2", "--out", out],
                      naming: ["--channels", "1 (greyscale) or 3 (RGB)"])
    let notAModel = root.appendingPathComponent("notes.safetensors").path
    try Data("not a checkpoint".utf8).write(to: URL(fileURLWithPath: notAModel))
    try expectRefusal("gan-sample", [notAModel, "--out", root.appendingPathComponent("s").path],
                      naming: ["notes.safetensors"], writes: root.appendingPathComponent("s").path)
  }
}
