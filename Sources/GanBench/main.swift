// gan-bench: the engine's speed, measured. `gan-bench --kernels` times the GEMM and convolution kernels;
// the GAN workloads of ../shared/bench/WORKLOADS.md are timed side by side with PyTorch's reference.
import Autograd
import Foundation

let arguments = Array(CommandLine.arguments.dropFirst())
func value(of flag: String) -> String? {
  guard let i = arguments.firstIndex(of: flag), i + 1 < arguments.count else { return nil }
  return arguments[i + 1]
}
let reps = Int(value(of: "--reps") ?? "5") ?? 5
if arguments.contains("--help") || arguments.contains("-h") {
  print("""
    usage: gan-bench --kernels [--reps N]
      --kernels   time sgemm (1 and all cores) and the DCGAN-on-MNIST convolutions against their GEMM rate
      --reps N    repetitions; medians are reported (default 5)
    Output: one JSON object per line.
    """)
  exit(0)
}
if arguments.contains("--scratch") { Scratch.run(); Scratch.split(); exit(0) }
if arguments.contains("--kernels") {
  KernelBench.run(reps: reps) { line in
    FileHandle.standardOutput.write((line + "\n").data(using: .utf8)!)
  }
} else {
  FileHandle.standardError.write("gan-bench: nothing to do; try --kernels or --help\n".data(using: .utf8)!)
  exit(64)
}
