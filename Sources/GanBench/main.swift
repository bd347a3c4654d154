// gan-bench: the engine's speed, measured. `gan-bench --kernels` times the GEMM and convolution kernels;
// the GAN workloads of ../shared/bench/WORKLOADS.md are timed side by side with PyTorch's reference.
import Autograd
import Foundation

let arguments = Array(CommandLine.arguments.dropFirst())
func value(of flag: String) -> String? {
  guard let i = arguments.firstIndex(of: flag), i + 1 < arguments.count else { return nil }
  return arguments[i + 1]
}
if let threads = value(of: "--threads") {
  guard let n = Int(threads), n >= 1 else {
    FileHandle.standardError.write("gan-bench: --threads needs a positive integer, got '\(threads)'\n".data(using: .utf8)!)
    exit(64)
  }
  setenv("GAN_THREADS", String(n), 1)  // read once, when the engine first runs
}
if arguments.contains("--help") || arguments.contains("-h") {
  print("""
    usage: gan-bench [--only W1,W2,...] [--threads N] [--reps N] [--min-rep-s S] [--warmup-s S]
           gan-bench --kernels [--reps N]
      (default)     time the GAN training workloads of ../shared/bench/WORKLOADS.md (\(Workloads.all.joined(separator: ", ")))
      --only LIST   a comma-separated subset of the workloads
      --threads N   cores the engine uses (default: all)
      --reps N      timed repetitions; the median is reported (default 7 for workloads, 5 for kernels)
      --kernels     time sgemm (1 and all cores) and the DCGAN-on-MNIST convolutions against their GEMM rate
    Output: one JSON object per line, with the reference's record and field names.
    """)
  exit(0)
}
if arguments.contains("--kernels") {
  KernelBench.run(reps: Int(value(of: "--reps") ?? "5") ?? 5) { line in
    FileHandle.standardOutput.write((line + "\n").data(using: .utf8)!)
  }
} else {
  let selected = (value(of: "--only") ?? Workloads.all.joined(separator: ",")).split(separator: ",").map(String.init)
  for id in selected where !Workloads.all.contains(id) {
    FileHandle.standardError.write("gan-bench: unknown workload '\(id)' in --only (known: \(Workloads.all.joined(separator: ", ")))\n".data(using: .utf8)!)
    exit(64)
  }
  let reps = Int(value(of: "--reps") ?? "7") ?? 7
  let minRep = Double(value(of: "--min-rep-s") ?? "0.75") ?? 0.75
  let warmup = Double(value(of: "--warmup-s") ?? "1.0") ?? 1.0
  let environment: [String: Any] = ["record": "environment", "engine": "swift-gan-course", "blas": Kernels.blasDescription,
                                    "threads": Kernels.cores]
  emitJSON(environment)
  for id in selected {
    FileHandle.standardError.write("\(id): warm-up + \(reps) reps\n".data(using: .utf8)!)
    emitJSON(WorkloadTimer.run(Workloads.make(id)!, reps: reps, minRepSeconds: minRep, warmupSeconds: warmup))
  }
}

func emitJSON(_ record: [String: Any]) {
  let data = try! JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])
  FileHandle.standardOutput.write(data + "\n".data(using: .utf8)!)
}
