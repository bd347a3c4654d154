import Foundation
import XCTest

/// gan-playground: short runs on toy data and on MNIST (through `LessonHarness`, which also re-renders every gnuplot
/// script), its help text, and the impossible combinations it must refuse before writing anything.
/// The MNIST files come from ../shared/data/mnist (or $GAN_DATA_DIR/mnist), as in Lesson06Tests; nothing is downloaded.
final class PlaygroundTests: XCTestCase {
  static let executable = "gan-playground"

  static var binary: URL { LessonHarness.productsFolder.appendingPathComponent(executable) }

  /// Runs the playground with `arguments` as they are (no --quick/--out added).
  func execute(_ arguments: [String]) throws -> (status: Int32, output: String) {
    guard FileManager.default.isExecutableFile(atPath: Self.binary.path) else {
      XCTFail("\(Self.executable) is not built at \(Self.binary.path); run `swift build` first")
      throw CocoaError(.fileNoSuchFile)
    }
    return try LessonHarness.execute(Self.binary, arguments, in: nil)
  }

  /// Every flag is documented in --help, with the allowed values of the choices and the defaults.
  func testHelpDocumentsEveryFlag() throws {
    let (status, help) = try execute(["--help"])
    XCTAssertEqual(status, 0, help)
    let flags = [
      "--out", "--seed", "--quick", "--steps", "--no-render", "--live", "--strict",
      "--data", "--data-folder", "--mode-std", "--architecture", "--width", "--depth", "--noise-size", "--loss",
      "--clip", "--gradient-penalty", "--r1", "--spectral-norm", "--minibatch", "--d-batch-norm", "--no-d-batch-norm",
      "--g-optimizer", "--d-optimizer", "--g-lr", "--d-lr", "--beta1", "--beta2", "--momentum", "--d-steps", "--batch",
    ]
    for flag in flags {
      XCTAssertTrue(help.contains(flag + " ") || help.contains(flag + "/") || help.contains(flag + "\n"),
                    "--help does not mention \(flag)")
    }
    // The help is wrapped to the terminal: compare with runs of whitespace collapsed to one space.
    let collapsed = help.split(whereSeparator: { $0 == " " || $0 == "\n" }).joined(separator: " ")
    for values in ["mixture-1d, ring, grid, mnist, fashion", "minimax, non-saturating, wasserstein, least-squares, hinge",
                   "none, discrimination, stddev", "adam, sgd, rmsprop", "mlp, conv"] {
      XCTAssertTrue(collapsed.contains(values), "--help does not list the values \(values)")
    }
    for defaultText in ["default: ring", "default: non-saturating", "default: 64", "default: 1)", "default 0.5",
                        "2e-4 on images", "output/gan-playground"] {
      XCTAssertTrue(collapsed.contains(defaultText), "--help does not state \(defaultText)")
    }
  }

  /// WGAN-GP with the minibatch stddev on the 5 × 5 grid, two critic steps per G step: the toy outputs and metrics.
  func testGridWGANGP() throws {
    let run = try LessonHarness.run(Self.executable, extraArguments: [
      "--data", "grid", "--loss", "wasserstein", "--gradient-penalty", "10", "--d-steps", "2", "--minibatch", "stddev",
      "--steps", "60",
    ])
    for file in ["samples.png", "snapshots.png", "training.png", "training.dat", "notes.md", "metrics.json"] {
      XCTAssertTrue(run.files.contains(file), "missing \(file)")
    }
    XCTAssertEqual(run.metrics["steps"] as? Int, 60)
    XCTAssertEqual((run.metrics["lesson"] as? [String: Any])?["slug"] as? String, "playground")
    XCTAssertEqual((run.metrics["lesson"] as? [String: Any])?["executable"] as? String, "gan-playground")
    let modes = try XCTUnwrap(run.value("modes captured at the end (of 25)"))
    XCTAssertTrue((0...25).contains(Int(modes)), "modes \(modes)")
    let share = try XCTUnwrap(run.value("high-quality share at the end"))
    XCTAssertTrue((0...1).contains(share), "share \(share)")
    let distance = try XCTUnwrap(run.value("W1 to the data at the end"))
    let floor = try XCTUnwrap(run.value("W1 between two samples of the data (the floor)"))
    XCTAssertTrue(distance.isFinite && distance > floor, "W1 \(distance) after 60 steps, floor \(floor)")
    XCTAssertEqual(run.value("real data: modes captured (of 25)"), 25)
    let notes = try String(contentsOf: run.folder.appendingPathComponent("notes.md"), encoding: .utf8)
    XCTAssertTrue(notes.contains("gradient penalty λ = 10.0"), "the notes do not describe the penalty")
    XCTAssertTrue(notes.hasPrefix("# GAN playground"), "the notes' heading: \(notes.prefix(60))")
    XCTAssertTrue(notes.contains("minibatch standard deviation"), "the notes do not describe the batch feature")
    try? FileManager.default.removeItem(at: run.folder)
  }

  /// The 1-D mixture with hinge loss, spectral norm, R1 and SGD for G: a histogram figure and 1-D W1.
  func testMixture1DHingeSpectralNormR1() throws {
    let run = try LessonHarness.run(Self.executable, extraArguments: [
      "--data", "mixture-1d", "--loss", "hinge", "--spectral-norm", "--r1", "1", "--g-optimizer", "sgd",
      "--momentum", "0.9", "--g-lr", "0.01", "--width", "32", "--depth", "1", "--steps", "40",
    ])
    XCTAssertTrue(run.files.contains("samples.png"))
    XCTAssertNotNil(run.value("modes captured at the end (of 3)"))
    let script = try String(contentsOf: run.folder.appendingPathComponent("samples.gp"), encoding: .utf8)
    XCTAssertTrue(script.contains("boxes"), "the 1-D samples figure should draw a histogram")
    try? FileManager.default.removeItem(at: run.folder)
  }

  /// MNIST with the MLP networks, a few steps: sample grids, the animation and the classifier's metrics.
  func testMNISTClassifierMetrics() throws {
    let run = try LessonHarness.run(Self.executable, extraArguments: [
      "--data", "mnist", "--data-folder", Lesson06Tests.mnistFolder, "--architecture", "mlp", "--width", "64",
      "--depth", "1", "--steps", "3",
    ])
    for file in ["real-images.png", "samples-final.png", "samples.gif", "losses.png", "metrics.png", "classes.png"] {
      XCTAssertTrue(run.files.contains(file), "missing \(file)")
    }
    let frechet = try XCTUnwrap(run.value("Fréchet distance at the end"))
    let floor = try XCTUnwrap(run.value("Fréchet distance of 500 real training images (the floor)"))
    XCTAssertGreaterThan(frechet, floor, "3 steps cannot reach real images")
    let score = try XCTUnwrap(run.value("classifier score at the end"))
    XCTAssertTrue((1...10).contains(score), "classifier score \(score)")
    try? FileManager.default.removeItem(at: run.folder)
  }

  /// Impossible combinations fail with a message naming the flags, a non-zero status, and no output folder.
  func testImpossibleCombinationsWriteNothing() throws {
    let cases: [(arguments: [String], message: String)] = [
      (["--clip", "0.01"], "--clip (weight clipping) needs --loss wasserstein; got --loss non-saturating"),
      (["--loss", "hinge", "--gradient-penalty", "10"], "--gradient-penalty (WGAN-GP) needs --loss wasserstein"),
      (["--loss", "wasserstein", "--clip", "0.01", "--gradient-penalty", "10"], "--clip and --gradient-penalty"),
      (["--data", "mixture-1d", "--architecture", "conv"], "--architecture conv needs image data"),
      (["--width", "0"], "--width must be a whole number in [1, 1024], got 0"),
      (["--data", "moons"], "'moons' is invalid for '--data"),
      (["--data", "mnist", "--depth", "3"], "--depth applies to --architecture mlp only"),
      (["--data", "mnist", "--r1", "1", "--d-batch-norm"], "--d-batch-norm cannot be combined with --r1"),
      (["--beta1", "0.9", "--g-optimizer", "sgd", "--d-optimizer", "rmsprop"], "--beta1 is Adam's"),
      (["--momentum", "0.9"], "--momentum is SGD's"),
      (["--data", "ring", "--data-folder", "/tmp"], "--data-folder applies to --data mnist or fashion only"),
      (["--minibatch", "stddev", "--batch", "1"], "--batch must be at least 2"),
      (["--data", "fashion", "--data-folder", "/nonexistent-playground-data"], "/nonexistent-playground-data: missing"),
    ]
    for (arguments, message) in cases {
      let folder = FileManager.default.temporaryDirectory.appendingPathComponent("playground-bad-\(UUID().uuidString)")
      let (status, output) = try execute(arguments + ["--out", folder.path])
      XCTAssertNotEqual(status, 0, "\(arguments) should fail")
      XCTAssertTrue(output.contains(message), "\(arguments): expected \"\(message)\" in:\n\(output)")
      XCTAssertFalse(FileManager.default.fileExists(atPath: folder.path), "\(arguments) wrote \(folder.path)")
    }
  }
}
