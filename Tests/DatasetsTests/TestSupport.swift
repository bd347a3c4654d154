import Foundation
import XCTest

/// Paths and helpers shared by the Datasets tests.
enum TestSupport {
  /// `<repository>/../shared/data/mnist`: the workplace's copy of MNIST (this file is
  /// `<repository>/Tests/DatasetsTests/TestSupport.swift`).
  static let mnistDirectory: String = {
    let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
    return repository.deletingLastPathComponent().appendingPathComponent("shared/data/mnist").path
  }()

  /// A fresh empty folder under the system's temporary folder; removed by the test's teardown.
  static func makeTemporaryFolder(_ test: XCTestCase) throws -> String {
    let path = (NSTemporaryDirectory() as NSString).appendingPathComponent("datasets-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    return path
  }

  /// Runs a program and returns its standard output (fails the test on a non-zero exit).
  @discardableResult
  static func run(_ program: String, _ arguments: [String]) throws -> Data {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: program)
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    XCTAssertEqual(process.terminationStatus, 0, "\(program) \(arguments) failed")
    return data
  }

  /// The decompressed content of a gzipped file (through the system's gzip, independent of our reader).
  static func gunzip(_ path: String) throws -> Data {
    try run("/usr/bin/env", ["gzip", "-dc", path])
  }

  /// Data compressed by the system's gzip at `level` (without a name or time stamp in the header).
  static func gzip(_ data: Data, level: Int) throws -> Data {
    let path = (NSTemporaryDirectory() as NSString).appendingPathComponent("datasets-gzip-\(UUID().uuidString)")
    try data.write(to: URL(fileURLWithPath: path))
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try run("/usr/bin/env", ["gzip", "-c", "-n", "-\(level)", path])
  }

  /// Files (hidden ones included) in a folder.
  static func contents(of folder: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
  }

  /// An IDX image file: magic 0x00000803, the sizes, then the pixel bytes.
  static func idxImages(count: Int, rows: Int, columns: Int, pixels: [UInt8]) -> Data {
    var bytes: [UInt8] = [0, 0, 8, 3]
    for size in [count, rows, columns] { bytes += bigEndian(UInt32(size)) }
    return Data(bytes + pixels)
  }

  /// An IDX label file: magic 0x00000801, the count, then the label bytes.
  static func idxLabels(_ labels: [UInt8], announcedCount: Int? = nil) -> Data {
    Data([0, 0, 8, 1] + bigEndian(UInt32(announcedCount ?? labels.count)) + labels)
  }

  static func bigEndian(_ value: UInt32) -> [UInt8] {
    [UInt8(value >> 24), UInt8((value >> 16) & 0xff), UInt8((value >> 8) & 0xff), UInt8(value & 0xff)]
  }

  /// Writes `data` to `folder/name` and returns the path.
  @discardableResult
  static func write(_ data: Data, _ name: String, in folder: String) throws -> String {
    let path = (folder as NSString).appendingPathComponent(name)
    try data.write(to: URL(fileURLWithPath: path))
    return path
  }
}
