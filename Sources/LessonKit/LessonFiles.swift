import Autograd
import Foundation
import GAN
import NN
import Plotting

extension Lesson {
  /// Writes rows of numbers as `NAME.dat` in the output folder (written whole, then renamed into place): the
  /// `comments` as `#` lines first, then one row a line, values separated by spaces, the format gnuplot reads.
  /// The file is listed with the run's files; a write error ends the run (`fail`), since a lesson whose data is
  /// missing cannot show what it claims.
  public func writeData(_ name: String, comments: [String], rows: [[Double]]) {
    let fileName = name.hasSuffix(".dat") ? name : name + ".dat"
    var text = comments.map { "# " + $0 + "\n" }.joined()
    for row in rows { text += row.map { "\($0)" }.joined(separator: " ") + "\n" }
    let url = outputFolder.appendingPathComponent(fileName)
    do {
      try AtomicFile.write(text, to: url)
    } catch {
      fail("could not write \(fileName): \(error)")
    }
    addFiles([url])
  }

  /// `Lessons/NN-slug/pretrained/FILE`, beside the lesson's source.
  static func pretrainedURL(_ file: String, lessonSource: String) -> URL {
    URL(fileURLWithPath: lessonSource).deletingLastPathComponent().appendingPathComponent("pretrained/\(file)")
  }

  /// The metadata of a checkpoint shipped in the lesson's `pretrained` folder (its command, seed, and the network
  /// sizes it was trained at), read before the networks are built so that they can take the shipped sizes.
  public func pretrainedMetadata(file: String = "generator.safetensors", lessonSource: String = #filePath)
    -> [String: String]
  {
    let url = Self.pretrainedURL(file, lessonSource: lessonSource)
    do {
      return try SafeTensors.readWithMetadata(from: url).metadata
    } catch {
      fail("the shipped checkpoint could not be read: \(error)")
    }
  }

  /// Loads a checkpoint shipped beside the lesson's source (`Lessons/NN-slug/pretrained/FILE`) into `module` and
  /// returns its metadata. A file that is missing, damaged or made for another architecture ends the run with the
  /// reason (which names the file and the tensor): a demo must not run on weights that did not load.
  public func loadPretrained(
    _ module: Module, file: String = "generator.safetensors", lessonSource: String = #filePath, hint: String = ""
  ) -> [String: String] {
    let url = Self.pretrainedURL(file, lessonSource: lessonSource)
    do {
      return try Checkpoint.load(into: module, from: url)
    } catch {
      fail("the shipped checkpoint could not be loaded: \(error)" + (hint.isEmpty ? "" : " (\(hint))"))
    }
  }
}

extension Lesson {
  /// Saves `module` as a safetensors checkpoint at `path` with `metadata` (the command that made it, its steps),
  /// and says so in the notes; nil (the flag left out) saves nothing. A write error ends the run: a run asked to
  /// refresh a shipped checkpoint must not end as if it had.
  public func saveCheckpoint(_ module: Module, to path: String?, what: String, metadata: [String: String]) {
    guard let path else { return }
    do {
      try Checkpoint.save(module, to: URL(fileURLWithPath: path), metadata: metadata)
      narrate("Saved \(what) to `\(path)`.")
    } catch {
      fail("\(what) could not be written to \(path): \(error)")
    }
  }
}

extension Lesson {
  /// Writes `tensors` with `metadata` as the safetensors file `name` in the output folder, for readers who want the
  /// lesson's samples in their own tools. A write error ends the run (`fail`): the notes promise the file.
  public func writeTensors(_ name: String, _ tensors: [String: Tensor], metadata: [String: String]) {
    do {
      try SafeTensors.write(tensors, metadata: metadata, to: outputFolder.appendingPathComponent(name))
    } catch {
      fail("\(name) could not be written: \(error)")
    }
  }
}

extension Lesson {
  /// Writes points, a [N, D] tensor, as `NAME.dat`: `about` and the column names as comments, then one point a line,
  /// so a reader can check the lesson's counts with their own tools.
  public func writePoints(_ points: Tensor, name: String, about: String, columns: [String] = ["x", "y"]) {
    precondition(points.rank == 2, "writePoints: points must be [N, D], got \(points.shape)")
    let width = points.shape[1], values = points.scalars
    writeData(
      name,
      comments: [about, "\(points.shape[0]) points, written by \(executableName) (seed \(seed)).",
                 columns.joined(separator: " ")],
      rows: (0..<points.shape[0]).map { row in (0..<width).map { Double(values[row * width + $0]) } })
  }
}

extension Lesson {
  /// Shows the mean, standard deviation, minimum and maximum of repeated measurements as four values named
  /// "`label`, mean", "`label`, std", "`label`, min" and "`label`, max": a result over repetitions is its spread.
  public func show(_ label: String, spread: SpreadSummary) {
    show("\(label), mean", spread.mean)
    show("\(label), std", spread.standardDeviation)
    show("\(label), min", spread.minimum)
    show("\(label), max", spread.maximum)
  }
}

/// The CPU this runs on and how many cores the engine uses, e.g. "Intel(R) Xeon(R) Processor @ 2.90GHz, 2 cores":
/// what a recorded wall time needs beside it to mean anything.
public func machineDescription() -> String {
  let info = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
  let model =
    info.split(separator: "\n").first { $0.hasPrefix("model name") }
    .flatMap { $0.split(separator: ":", maxSplits: 1).last }
    .map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown CPU"
  return "\(model), \(Kernels.cores) core\(Kernels.cores == 1 ? "" : "s")"
}

extension Lesson {
  /// The arguments this run was started with, without the options named in `dropping` (and their values, given as
  /// `--out DIR` or `--out=DIR`): the part of a command someone else can run again to make the same thing.
  public func commandLine(dropping options: Set<String>) -> String {
    var kept: [String] = []
    var skipValue = false
    for argument in CommandLine.arguments.dropFirst() {
      if skipValue {
        skipValue = false
        continue
      }
      let name = String(argument.split(separator: "=", maxSplits: 1).first ?? "")
      if options.contains(name) {
        skipValue = !argument.contains("=")
        continue
      }
      kept.append(argument)
    }
    return kept.joined(separator: " ")
  }
}
