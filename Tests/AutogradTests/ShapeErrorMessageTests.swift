import Foundation
import XCTest

@testable import Autograd

/// A shape mismatch stops the program with a message naming the op and both shapes. Stopping cannot be observed
/// in-process, so the test runs its own test binary again with one mismatch to trigger and reads what it printed.
final class ShapeErrorMessageTests: XCTestCase {
  static let triggers: [String: @Sendable () -> Void] = [
    "add": { _ = Tensor.zeros([2, 3]) + Tensor.zeros([4]) },
    "matmul": { _ = matmul(Tensor.zeros([2, 3]), Tensor.zeros([4, 5])) },
    "conv2d": { _ = conv2d(Tensor.zeros([1, 3, 8, 8]), Tensor.zeros([4, 2, 3, 3])) },
    "reshape": { _ = Tensor.zeros([2, 3]).reshaped(to: 4, 2) },
    "concatenate": { _ = concatenate([Tensor.zeros([2, 3]), Tensor.zeros([3, 2])], alongAxis: 0) },
  ]

  static let expected: [String: [String]] = [
    "add": ["add", "[2, 3]", "[4]"],
    "matmul": ["matmul", "[2, 3]", "[4, 5]"],
    "conv2d": ["conv2d", "[1, 3, 8, 8]", "[4, 2, 3, 3]"],
    "reshape": ["reshape", "[2, 3]", "[4, 2]"],
    "concatenate": ["concatenate", "[2, 3]", "[3, 2]"],
  ]

  func testMismatchMessagesNameOpAndShapes() throws {
    if let op = ProcessInfo.processInfo.environment["GAN_TEST_TRIGGER_SHAPE_ERROR"] {
      Self.triggers[op]!()
      XCTFail("\(op) did not stop on a shape mismatch")
      return
    }
    let binary = URL(fileURLWithPath: CommandLine.arguments[0])
    for (op, words) in Self.expected {
      let process = Process()
      process.executableURL = binary
      process.arguments = ["AutogradTests.ShapeErrorMessageTests/testMismatchMessagesNameOpAndShapes"]
      var environment = ProcessInfo.processInfo.environment
      environment["GAN_TEST_TRIGGER_SHAPE_ERROR"] = op
      environment["SWIFT_BACKTRACE"] = "enable=no"
      process.environment = environment
      let errors = Pipe(), output = Pipe()
      process.standardError = errors
      process.standardOutput = output
      try process.run()
      let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        + String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      process.waitUntilExit()
      XCTAssertNotEqual(process.terminationStatus, 0, "\(op): the mismatch did not stop the program")
      let line = text.split(separator: "\n").first { $0.contains("shape error") }.map(String.init) ?? ""
      for word in words { XCTAssertTrue(line.contains(word), "\(op): message lacks \(word): \(line.isEmpty ? text : line)") }
    }
  }
}
