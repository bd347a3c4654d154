import Foundation
import XCTest

/// What the MNIST consumers do with data they cannot use: too few images, an altered copy, a data folder that does
/// not exist, an output file that cannot be written. Each is a non-zero exit with a message naming the file, the
/// setting or the flag, before any training; never a trap, never a failed claim with exit 0.
final class BadDataTests: XCTestCase {
  var folder: URL!

  override func setUpWithError() throws {
    folder = FileManager.default.temporaryDirectory.appendingPathComponent("bad-data-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    addTeardownBlock { [folder] in try? FileManager.default.removeItem(at: folder!) }
  }

  /// The real MNIST content (decompressed by the system's gzip).
  static let real: [String: Data] = {
    var files: [String: Data] = [:]
    for name in ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"] {
      let process = Process()
      process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
      process.arguments = ["gzip", "-dc", Lesson06Tests.mnistFolder + "/\(name).gz"]
      let pipe = Pipe()
      process.standardOutput = pipe
      guard (try? process.run()) != nil else { continue }
      let data = pipe.fileHandleForReading.readDataToEndOfFile()
      process.waitUntilExit()
      // Missing or unreadable MNIST leaves the entry out, so the tests fail naming the folder instead of trapping.
      if process.terminationStatus == 0, !data.isEmpty { files[name] = data }
    }
    return files
  }()

  /// A folder in MNIST's format holding the first `train` training and `test` test images (valid files, not the
  /// published ones: they need --no-verify).
  func smallMNIST(train: Int, test: Int) throws -> String {
    let path = folder.appendingPathComponent("mnist-\(train)-\(test)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    for (prefix, count) in [("train", train), ("t10k", test)] {
      let missing = "MNIST's \(prefix) files could not be read from \(Lesson06Tests.mnistFolder) (set GAN_DATA_DIR)"
      let images = try XCTUnwrap(Self.real["\(prefix)-images-idx3-ubyte"].flatMap { $0.count >= 16 + 784 * count ? $0 : nil }, missing)
      let labels = try XCTUnwrap(Self.real["\(prefix)-labels-idx1-ubyte"].flatMap { $0.count >= 8 + count ? $0 : nil }, missing)
      var imageHeader = Data(images.prefix(16))
      var labelHeader = Data(labels.prefix(8))
      let countBytes = withUnsafeBytes(of: UInt32(count).bigEndian) { Data($0) }
      imageHeader.replaceSubrange(4..<8, with: countBytes)
      labelHeader.replaceSubrange(4..<8, with: countBytes)
      try (imageHeader + images.subdata(in: 16..<(16 + 784 * count)))
        .write(to: URL(fileURLWithPath: path + "/\(prefix)-images-idx3-ubyte"))
      try (labelHeader + labels.subdata(in: 8..<(8 + count))).write(to: URL(fileURLWithPath: path + "/\(prefix)-labels-idx1-ubyte"))
    }
    return path
  }

  func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> (Int32, String) {
    // The verdict cache goes into the test's folder, not the user's.
    try LessonHarness.execute(
      LessonHarness.productsFolder.appendingPathComponent(executable), arguments, in: nil,
      environment: ["XDG_CACHE_HOME": folder.appendingPathComponent("cache").path].merging(environment) { $1 })
  }

  func expectFailure(_ executable: String, _ arguments: [String], naming words: [String],
                     environment: [String: String] = [:], line: UInt = #line) throws {
    let out = folder.appendingPathComponent("out-\(UUID().uuidString)").path
    let (status, output) = try run(executable, arguments + (executable.hasPrefix("train") ? [] : ["--quick", "--no-render", "--out", out]),
                                   environment: environment)
    XCTAssertNotEqual(status, 0, "\(executable) \(arguments) exited 0:\n\(output.suffix(1500))", line: line)
    // Nothing half-written: no output folder and no staging folder beside it.
    let left = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
    XCTAssertFalse(left.contains { $0.contains("out-") }, "\(executable) \(arguments) left \(left)", line: line)
    for word in words {
      XCTAssertTrue(output.contains(word), "\(executable) \(arguments): no '\(word)' in:\n\(output.suffix(1500))", line: line)
    }
    for crash in ["Fatal error", "Program crashed", "Backtrace"] {
      XCTAssertFalse(output.contains(crash), "\(executable) \(arguments) crashed:\n\(output.suffix(1500))", line: line)
    }
  }

  func testEmptyTrainingSplitStatesWhatEachConsumerNeeds() throws {
    let empty = try smallMNIST(train: 0, test: 2000)
    let file = empty + "/train-images-idx3-ubyte"
    let needs: [(String, [String], String)] = [
      ("lesson-06-dcgan-mnist", [], "needs at least 500"),
      ("lesson-10-super-resolution", [], "needs at least 16"),
      ("lesson-11-data-augmentation", [], "needs at least 100"),
      ("lesson-08-stylegan-mixing", ["--dataset", "mnist", "--steps", "10"], "needs at least 32"),
      ("gan-playground", ["--data", "mnist"], "needs at least 500"),
      ("train-classifier", ["--out", folder.appendingPathComponent("c.safetensors").path], "needs at least 10000"),
    ]
    for (executable, extra, need) in needs {
      let dataFlag = executable == "gan-playground" ? "--data-folder" : "--data"
      try expectFailure(executable, [dataFlag, empty, "--no-verify"] + extra, naming: [file, "holds 0 examples", need])
    }
  }

  func testFiveImageTestSplit() throws {
    let small = try smallMNIST(train: 3000, test: 5)
    let file = small + "/t10k-images-idx3-ubyte"
    for (executable, extra) in [("lesson-06-dcgan-mnist", []), ("lesson-10-super-resolution", []),
                                ("lesson-11-data-augmentation", []), ("lesson-08-stylegan-mixing", ["--dataset", "mnist", "--pretrained"]),
                                ("gan-playground", ["--data", "mnist"])] as [(String, [String])] {
      let dataFlag = executable == "gan-playground" ? "--data-folder" : "--data"
      try expectFailure(executable, [dataFlag, small, "--no-verify"] + extra, naming: [file, "holds 5 examples"])
    }
  }

  /// Exactly the stated minimum is enough: lesson 06 runs a few steps on 500 training and 500 test images.
  func testTheStatedMinimumIsEnough() throws {
    let minimum = try smallMNIST(train: 500, test: 500)
    let out = folder.appendingPathComponent("minimum").path
    let (status, output) = try run(
      "lesson-06-dcgan-mnist", ["--data", minimum, "--no-verify", "--quick", "--steps", "4", "--no-render", "--out", out])
    XCTAssertEqual(status, 0, output.suffix(2000).description)
  }

  func testAlteredMNISTIsRefusedUnlessTheUserSaysItIsTheirs() throws {
    let altered = try smallMNIST(train: 600, test: 600)
    try expectFailure("lesson-06-dcgan-mnist", ["--data", altered], naming: ["not the published MNIST file", "--no-verify"])
    try expectFailure("gan-playground", ["--data", "mnist", "--data-folder", altered], naming: ["not the published MNIST file"])
  }

  func testDataFolderVariableNamingNoFolder() throws {
    try expectFailure("lesson-06-dcgan-mnist", [], naming: ["GAN_DATA_DIR=/nonexistent-gan-data: no such folder"],
                      environment: ["GAN_DATA_DIR": "/nonexistent-gan-data"])
  }

  func testUnwritableSaveGeneratorIsFoundBeforeTraining() throws {
    for executable in ["lesson-06-dcgan-mnist", "lesson-08-stylegan-mixing"] {
      let started = Date()
      try expectFailure(executable, ["--save-generator", "/nonexistent-folder/g.safetensors"],
                        naming: ["--save-generator", "/nonexistent-folder"])
      XCTAssertLessThan(Date().timeIntervalSince(started), 10, "\(executable) trained before refusing")
    }
  }

  /// Lesson 08's judge flags: a judge is saved only when one is trained, and only faces have one.
  func testStyleGANJudgeFlagsAreCheckedBeforeAnyWork() throws {
    let target = folder.appendingPathComponent("judge.safetensors").path
    try expectFailure("lesson-08-stylegan-mixing", ["--save-judge", target], naming: ["--save-judge needs --train-judge"])
    try expectFailure(
      "lesson-08-stylegan-mixing", ["--dataset", "mnist", "--train-judge", "10"], naming: ["--train-judge is for --dataset faces"])
    try expectFailure("lesson-08-stylegan-mixing", ["--train-judge", "0"], naming: ["--train-judge"])
    try expectFailure("lesson-08-stylegan-mixing", ["--dataset", "cats"], naming: ["--dataset", "faces", "mnist"])
    try expectFailure("lesson-08-stylegan-mixing", ["--output", "every"], naming: ["--output", "skip", "last-block"])
    // The shipped generators' networks: faces with AdaIN in every layer and the last block's image, digits StyleGAN2's.
    try expectFailure(
      "lesson-08-stylegan-mixing", ["--pretrained", "--adaptive-norm", "none"],
      naming: ["--adaptive-norm none", "allowed with --pretrained: --output last-block --adaptive-norm every-block"])
    try expectFailure(
      "lesson-08-stylegan-mixing", ["--dataset", "mnist", "--pretrained", "--adaptive-norm", "every-block"],
      naming: ["--adaptive-norm every-block", "allowed with --pretrained: --output skip --adaptive-norm none"])
    try expectFailure(
      "lesson-08-stylegan-mixing", ["--pretrained", "--resampling", "reference"],
      naming: ["--resampling reference", "allowed with --pretrained:", "--resampling simplified"])
    try expectFailure("lesson-08-stylegan-mixing", ["--resampling", "bilinear"], naming: ["--resampling", "reference"])
    XCTAssertFalse(FileManager.default.fileExists(atPath: target))
  }

  /// With --pretrained lesson 08 builds the network at the shipped generator's widths (its metadata records them);
  /// widths that are not the shipped ones are refused with the reason, not loaded into the wrong network.
  func testStyleGANPretrainedRefusesOtherWidths() throws {
    try expectFailure("lesson-08-stylegan-mixing", ["--pretrained", "--channel-max", "32"],
                      naming: ["the shipped checkpoint could not be loaded", "needs its own widths"])
  }

  /// `--state` refuses what it cannot continue: a run that trains nothing, and a file that is not a training state
  /// (the field it lacks named); nothing is trained or written before the refusal.
  func testStyleGANStateThatCannotBeContinued() throws {
    let state = folder.appendingPathComponent("state.safetensors").path
    try expectFailure("lesson-08-stylegan-mixing", ["--pretrained", "--state", state],
                      naming: ["--state keeps a training's state", "add --steps"])
    try expectFailure("lesson-08-stylegan-mixing", ["--pretrained", "--state", folder.path],
                      naming: ["--state \(folder.path): is a folder"])
    let shipped = CourseBookTests.package.appendingPathComponent(
      "Lessons/08-stylegan-mixing/pretrained/generator-faces.safetensors")
    try FileManager.default.copyItem(atPath: shipped.path, toPath: state)
    try expectFailure("lesson-08-stylegan-mixing", ["--state", state],
                      naming: ["--state \(state): not a lesson 08 training state", "'format'"])
  }

  func testUnreadableMNISTInThePlaygroundIsAnError() throws {
    let broken = try smallMNIST(train: 600, test: 600)
    try Data([0, 0, 8, 3, 0]).write(to: URL(fileURLWithPath: broken + "/train-images-idx3-ubyte"))
    try expectFailure("gan-playground", ["--data", "mnist", "--data-folder", broken, "--no-verify"],
                      naming: [broken + "/train-images-idx3-ubyte", "truncated"])
  }

  func testThreadCountVariableThatMeansNothing() throws {
    for value in ["abc", "0", "100000"] {
      try expectFailure("lesson-01-autodiff", [], naming: ["GAN_THREADS=\(value): must be a whole number from 1 to 256"],
                        environment: ["GAN_THREADS": value])
    }
  }

  func testFiveImageTestSplitForTheClassifierTrainer() throws {
    let small = try smallMNIST(train: 10_000, test: 5)
    try expectFailure("train-classifier", ["--data", small, "--no-verify", "--out", folder.appendingPathComponent("c.safetensors").path],
                      naming: [small + "/t10k-images-idx3-ubyte", "holds 5 examples", "needs at least 1000"])
  }

  /// A lesson killed with SIGKILL takes its gnuplot with it: gnuplot is started with the kernel's parent-death
  /// signal (util-linux's setpriv), so no render outlives the run. The fake gnuplot here records its process id and
  /// hangs; the lesson is killed while it waits for it.
  func testGnuplotDiesWithAKilledLesson() throws {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else { throw XCTSkip("no setpriv") }
    let bin = folder.appendingPathComponent("bin")
    try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
    let pidFile = folder.appendingPathComponent("gnuplot.pid").path
    let fake = bin.appendingPathComponent("gnuplot")
    try "#!/bin/sh\necho $$ > \(pidFile)\nexec sleep 60\n".write(to: fake, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fake.path)
    let lesson = Process()
    lesson.executableURL = LessonHarness.productsFolder.appendingPathComponent("lesson-01-autodiff")
    lesson.arguments = ["--quick", "--out", folder.appendingPathComponent("out-killed").path]
    var environment = ProcessInfo.processInfo.environment
    environment["PATH"] = bin.path + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
    lesson.environment = environment
    lesson.standardOutput = FileHandle.nullDevice
    lesson.standardError = FileHandle.nullDevice
    try lesson.run()
    let deadline = Date().addingTimeInterval(60)
    var pid: pid_t?
    while pid == nil && Date() < deadline && lesson.isRunning {
      pid = (try? String(contentsOfFile: pidFile, encoding: .utf8)).flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
      if pid == nil { usleep(50_000) }
    }
    let gnuplot = try XCTUnwrap(pid, "the lesson never started gnuplot")
    XCTAssertEqual(kill(gnuplot, 0), 0, "the fake gnuplot should be running")
    kill(lesson.processIdentifier, SIGKILL)
    lesson.waitUntilExit()
    var alive = true
    for _ in 0..<40 where alive {
      usleep(50_000)
      alive = kill(gnuplot, 0) == 0 && !isZombie(gnuplot)
    }
    XCTAssertFalse(alive, "gnuplot (pid \(gnuplot)) outlived the killed lesson")
    if alive { kill(gnuplot, SIGKILL) }
  }

  /// Whether a process has exited but not been reaped (its parent, the killed lesson, is gone; init reaps it soon).
  func isZombie(_ pid: pid_t) -> Bool {
    let status = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
    guard let close = status.lastIndex(of: ")") else { return true }
    return status[status.index(close, offsetBy: 2)...].hasPrefix("Z")
  }
}
