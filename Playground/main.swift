// gan-playground: one executable for the experiments no lesson covers.
// Choose the data, the networks, the loss, the regularizers and the optimizers; the run writes what a lesson writes
// (figures with their gnuplot scripts and data, notes.md, lesson.ipynb, metrics.json) into its output folder.
// Run: swift run gan-playground --help
//      swift run gan-playground --data grid --loss wasserstein --gradient-penalty 10 --d-steps 5
//      Emits: output/gan-playground/{samples.png, training.png, snapshots.png, notes.md, metrics.json, ...}
import ArgumentParser
import Datasets
import Foundation
import GAN
import LessonKit
import Plotting

/// The command line: the common run flags every lesson has, and the experiment's own.
struct PlaygroundCommand: ParsableCommand {
  static var configuration: CommandConfiguration {
    CommandConfiguration(
      commandName: "gan-playground",
      abstract: "Train a GAN of your own design and measure it, as the lessons do.",
      discussion: """
        Data: toy mixtures (mixture-1d, ring, grid) are measured by mode coverage, high-quality share and the \
        Wasserstein-1 distance to the data; images (mnist, fashion) get sample grids, and on mnist only the \
        Fréchet distance on the course's MNIST classifier's features, its classifier score and class histogram \
        (the classifier knows digits, not clothes).

        Budgets: --steps defaults to 3000 generator steps on toy data and 2000 on images (500 and 200 with \
        --quick); --seed defaults to 1.

        Impossible combinations (e.g. --clip without --loss wasserstein, --architecture conv on toy data) are \
        rejected before anything is written. Files go to --out (default output/gan-playground). Examples are in \
        Playground/README.md.
        """)
  }

  @OptionGroup(title: "Run options") var common: CommonOptions
  @OptionGroup(title: "Experiment options") var flags: PlaygroundFlags
}

/// The default output folder, after the lessons' `output/lesson-NN-slug`.
let defaultOutputFolder = "output/gan-playground"

let arguments = Array(CommandLine.arguments.dropFirst())
let command: PlaygroundCommand
do {
  command = try PlaygroundCommand.parse(arguments)
} catch {
  // --help prints the help and exits 0; a bad flag or combination prints the message and exits 64.
  PlaygroundCommand.exit(withError: error)
}
let flags = command.flags

/// Prints an error naming its cause and exits with `code`, before anything is written.
func fail(_ message: String, code: Int32) -> Never {
  FileHandle.standardError.write(Data("gan-playground: error: \(message)\n".utf8))
  exit(code)
}

// Image data is found (or its absence reported) before the output folder is created.
let dataset: Dataset?
if flags.data.isImages {
  do {
    dataset = try Dataset.named(flags.data.rawValue, dataDirectory: flags.dataFolder, verify: !flags.noVerify)
  } catch {
    fail("--data \(flags.data.rawValue): \(error)", code: 66)
  }
} else {
  dataset = nil
}

var lessonArguments = arguments
if command.common.outputFolder == nil { lessonArguments += ["--out", defaultOutputFolder] }
let lesson: Lesson
do {
  let started = try Lesson.start(
    number: 0, slug: "playground", title: "GAN playground: \(experimentTitle(flags))", seed: 1,
    flags: PlaygroundFlags.self, arguments: lessonArguments, console: .standardOutput)
  lesson = started.0
} catch let error as LessonSetupError {
  fail(error.description, code: error.exitCode)
} catch {
  fail("\(error)", code: 64)
}

describeExperiment(lesson: lesson, flags: flags, arguments: arguments)
if let dataset {
  runImageExperiment(lesson: lesson, flags: flags, dataset: dataset)
} else {
  runToyExperiment(lesson: lesson, flags: flags)
}
lesson.finish()
