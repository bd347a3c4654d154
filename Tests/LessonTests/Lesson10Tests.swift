import Foundation
import XCTest

/// Lesson 10 upscales 7×7 MNIST digits 4× with nearest, bicubic, a content-loss network and SRGAN, in the quick
/// budget. The test data are the canonical files in ../shared/data/mnist (or $GAN_DATA_DIR/mnist); it never downloads.
final class Lesson10Tests: XCTestCase {
  func testQuickRun() throws {
    let run = try LessonHarness.run("lesson-10-super-resolution", extraArguments: ["--data", Lesson06Tests.mnistFolder])
    for file in ["comparison.png", "scores.png", "scores.dat", "training.png", "training.dat"] {
      XCTAssertTrue(run.files.contains(file), "missing \(file)")
    }
    // The interpolation baselines depend only on the data (the first 500 test digits) and the formulas.
    XCTAssertEqual(try XCTUnwrap(run.value("nearest: PSNR (dB)")), 14.21, accuracy: 0.01)
    XCTAssertEqual(try XCTUnwrap(run.value("bicubic: PSNR (dB)")), 14.73, accuracy: 0.01)
    XCTAssertGreaterThan(try XCTUnwrap(run.value("real digits: classifier accuracy")), 0.98)
    // The story: SRGAN gives up some PSNR for sharpness closer to the real digits'.
    XCTAssertLessThan(try XCTUnwrap(run.value("SRGAN PSNR minus content-only PSNR (dB)")), 0)
    XCTAssertGreaterThan(try XCTUnwrap(run.value("SRGAN: mean gradient magnitude")),
                         try XCTUnwrap(run.value("content-only: mean gradient magnitude")))
    XCTAssertLessThan(try XCTUnwrap(run.value("SRGAN: |high-frequency share − real|")),
                      try XCTUnwrap(run.value("content-only: |high-frequency share − real|")))
    XCTAssertEqual(try XCTUnwrap(run.value("pixel shuffle vs its index formula, largest difference")), 0)
  }
}
