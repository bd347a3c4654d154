import Foundation
import XCTest

/// Lesson 11 trains a conditional GAN and two classifiers per repetition on a small MNIST subset. The test data are
/// the canonical files in ../shared/data/mnist (or $GAN_DATA_DIR/mnist); the test never downloads.
final class Lesson11Tests: XCTestCase {
  func testQuickRun() throws {
    let run = try LessonHarness.run("lesson-11-data-augmentation", extraArguments: ["--data", Lesson06Tests.mnistFolder])
    for file in ["cgan-samples.png", "labeled-subset.png", "accuracy-per-seed.png", "training-curves.png",
                 "conditional-confusion.png", "accuracy-per-seed.dat", "training-curves.dat"] {
      XCTAssertTrue(run.files.contains(file), "missing \(file)")
    }
    // The reported numbers are consistent with each other: the paired mean is the difference of the means, every
    // accuracy is a share, the spread is ordered.
    let baseline = try XCTUnwrap(run.value("baseline accuracy, mean"))
    let augmented = try XCTUnwrap(run.value("augmented accuracy, mean"))
    let difference = try XCTUnwrap(run.value("paired difference, mean"))
    XCTAssertEqual(difference, augmented - baseline, accuracy: 1e-9)
    for label in ["baseline accuracy, min", "baseline accuracy, max", "augmented accuracy, min",
                  "augmented accuracy, max", "cGAN conditional accuracy, mean"] {
      let value = try XCTUnwrap(run.value(label), label)
      XCTAssertTrue((0...1).contains(value), "\(label) = \(value)")
    }
    let minimum = try XCTUnwrap(run.value("paired difference, min"))
    let maximum = try XCTUnwrap(run.value("paired difference, max"))
    XCTAssertLessThanOrEqual(minimum, difference)
    XCTAssertLessThanOrEqual(difference, maximum)
    XCTAssertGreaterThanOrEqual(try XCTUnwrap(run.value("paired difference, std")), 0)
    XCTAssertEqual(run.value("repetitions"), 2)
  }

  /// A bad flag is refused with a message naming it.
  func testRejectsASingleRepetition() throws {
    let binary = LessonHarness.productsFolder.appendingPathComponent("lesson-11-data-augmentation")
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lesson-test-\(UUID().uuidString)")
    let (status, output) = try LessonHarness.execute(binary, ["--quick", "--repetitions", "1", "--out", folder.path], in: nil)
    XCTAssertNotEqual(status, 0)
    XCTAssertTrue(output.contains("--repetitions"), output)
  }
}
