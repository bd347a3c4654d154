// gan-bench: the engine's speed, measured. `gan-bench --kernels` times the GEMM and convolution kernels;
// the GAN workloads of ../shared/bench/WORKLOADS.md are timed side by side with PyTorch's reference.
import Autograd
import Foundation

import ArgumentParser
import LessonKit

struct Options: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "gan-bench",
    abstract: "Time the GAN training workloads of ../shared/bench/WORKLOADS.md, or the engine's kernels.",
    discussion: "Output: one JSON object per line, with the reference's record and field names.")

  @Option(help: ArgumentHelp("A comma-separated subset of the workloads (\(Workloads.all.joined(separator: ", "))).", valueName: "list"))
  var only: String?
  @Option(help: Allowed.count(1...256).help("Cores the engine uses (default: all).")) var threads: Int?
  @Option(help: Allowed.count(1...1000).help("Timed repetitions; the median is reported (default 7 for workloads, 5 for kernels)."))
  var reps: Int?
  @Option(name: .customLong("min-rep-s"), help: Allowed.positive(atMost: 600).help("Seconds each timed repetition lasts at least."))
  var minimumRepSeconds = 0.75
  @Option(name: .customLong("warmup-s"), help: Allowed.number(0...600).help("Seconds of warm-up before timing."))
  var warmupSeconds = 1.0
  @Flag(help: "Time sgemm (1 and all cores) and the DCGAN-on-MNIST convolutions against their GEMM rate.")
  var kernels = false

  var selected: [String] { (only ?? Workloads.all.joined(separator: ",")).split(separator: ",").map(String.init) }

  func validate() throws {
    try Allowed.count(1...256).check(threads, "--threads")
    try Allowed.count(1...1000).check(reps, "--reps")
    try Allowed.positive(atMost: 600).check(minimumRepSeconds, "--min-rep-s")
    try Allowed.number(0...600).check(warmupSeconds, "--warmup-s")
    for id in selected where !Workloads.all.contains(id) {
      throw ValidationError("--only: unknown workload '\(id)' (known: \(Workloads.all.joined(separator: ", ")))")
    }
  }
}

let options = Options.parseOrExit()
if let threads = options.threads {
  setenv("GAN_THREADS", String(threads), 1)  // read once, when the engine first runs
}
if options.kernels {
  KernelBench.run(reps: options.reps ?? 5) { line in
    FileHandle.standardOutput.write((line + "\n").data(using: .utf8)!)
  }
} else {
  let reps = options.reps ?? 7
  let environment: [String: Any] = ["record": "environment", "engine": "swift-gan-course", "blas": Kernels.blasDescription,
                                    "threads": Kernels.cores]
  emitJSON(environment)
  for id in options.selected {
    FileHandle.standardError.write("\(id): warm-up + \(reps) reps\n".data(using: .utf8)!)
    emitJSON(WorkloadTimer.run(Workloads.make(id)!, reps: reps, minRepSeconds: options.minimumRepSeconds,
                               warmupSeconds: options.warmupSeconds))
  }
}

func emitJSON(_ record: [String: Any]) {
  let data = try! JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])
  FileHandle.standardOutput.write(data + "\n".data(using: .utf8)!)
}
