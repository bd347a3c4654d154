import ArgumentParser
import Foundation

/// The flags every lesson understands.
///
/// ```
/// --out DIR      where figures, images and notes go (default output/lesson-NN-slug)
/// --seed N       the random seed (default: the lesson's own fixed seed)
/// --quick        the small budget tests use
/// --steps N      training steps, overriding the lesson's choice
/// --no-render    write gnuplot scripts and data but do not run gnuplot
/// --live         stream figures to an interactive gnuplot window
/// --strict       exit with status 1 when a claim fails
/// ```
public struct CommonOptions: ParsableArguments, Sendable {
  @Option(name: .customLong("out"), help: ArgumentHelp("Folder for figures, images and notes.", valueName: "dir"))
  public var outputFolder: String?

  @Option(help: ArgumentHelp("Random seed, any whole number from 0 to 2^64 - 1 (default: the lesson's fixed seed).", valueName: "n"))
  public var seed: UInt64?

  @Flag(help: "Small budget: a quick look, and what the tests run.")
  public var quick = false

  @Option(help: CommonOptions.stepsAllowed.help("Training steps (overrides the lesson's default and --quick).", valueName: "n"))
  public var steps: Int?

  @Flag(name: .customLong("no-render"), help: "Write gnuplot scripts and data, but do not run gnuplot.")
  public var noRender = false

  @Flag(help: "Stream figures to an interactive gnuplot window while training runs.")
  public var live = false

  @Flag(help: "Exit with status 1 when a claim fails.")
  public var strict = false

  @Option(
    name: .customLong("serve"), allowed: .count(1...65535),
    help: "Serve the lesson as a page at http://127.0.0.1:PORT/ while it runs (--serve alone: port 8000).")
  public var servePort: Int?

  @Flag(help: "With --serve: keep serving after the lesson ends, until Ctrl-C.")
  public var serveKeep = false

  /// The port `--serve` alone stands for.
  public static let defaultServePort = 8000

  /// Ten million steps is days of training for the smallest lesson; beyond it a count is a typo.
  static let stepsAllowed = Allowed.count(1...10_000_000)

  public init() {}

  public func validate() throws {
    try Self.stepsAllowed.check(steps, "--steps")
    if serveKeep && servePort == nil { throw ValidationError("--serve-keep needs --serve [PORT]") }
    if let servePort {
      do { try LessonServer.checkAvailable(servePort) } catch { throw ValidationError("\(error)") }
    }
    if let outputFolder, outputFolder.trimmingCharacters(in: .whitespaces).isEmpty {
      throw ValidationError("--out needs a folder name, got an empty string")
    }
  }
}

/// The extra flags of a lesson that has none.
public struct NoExtraFlags: ParsableArguments, Sendable {
  public init() {}
}

/// Why a lesson could not start. `exitCode` is what the process should exit with.
public enum LessonSetupError: Error, CustomStringConvertible {
  /// `--help` was given: `text` is the help, the exit code 0.
  case helpRequested(text: String)
  /// A flag or value the lesson does not accept.
  case badArguments(message: String, exitCode: Int32)
  /// The output folder cannot be created or written.
  case outputFolder(path: String, reason: String)

  public var description: String {
    switch self {
    case .helpRequested(let text): return text
    case .badArguments(let message, _): return message
    case .outputFolder(let path, let reason): return "Error: --out \(path): \(reason)"
    }
  }

  /// 0 for help, 64 (EX_USAGE) for bad flags and unusable output folders.
  public var exitCode: Int32 {
    switch self {
    case .helpRequested: return 0
    case .badArguments(_, let code): return code
    case .outputFolder: return 64
    }
  }
}

/// Who the lesson is, for the help text's first line (read while parsing).
struct LessonIdentity: Sendable {
  var executable: String
  var title: String
  @TaskLocal static var current = LessonIdentity(executable: "lesson", title: "A lesson of the GAN course.")
}

/// The command line of a lesson: the common flags plus the lesson's own.
struct LessonCommand<Extra: ParsableArguments>: ParsableCommand {
  static var configuration: CommandConfiguration {
    CommandConfiguration(commandName: LessonIdentity.current.executable, abstract: LessonIdentity.current.title)
  }

  @OptionGroup(title: "Lesson options") var common: CommonOptions
  @OptionGroup(title: "Options of this lesson") var extra: Extra

  init() {}

  /// Parses `arguments` (without the program name) or throws a `LessonSetupError` with the message
  /// swift-argument-parser would print (naming the flag and the bad value).
  static func parseLesson(_ arguments: [String], identity: LessonIdentity) throws -> (CommonOptions, Extra) {
    try LessonIdentity.$current.withValue(identity) {
      do {
        // `--serve [PORT]`: a bare --serve means the default port.
        var arguments = arguments
        for index in arguments.indices where arguments[index] == "--serve" {
          if index + 1 == arguments.count || Int(arguments[index + 1]) == nil {
            arguments[index] = "--serve=\(CommonOptions.defaultServePort)"
          }
        }
        let parsed = try Self.parse(arguments)
        return (parsed.common, parsed.extra)
      } catch let error as LessonSetupError {
        throw error
      } catch {
        let code = exitCode(for: error).rawValue
        let message = fullMessage(for: error)
        if code == 0 { throw LessonSetupError.helpRequested(text: message) }
        throw LessonSetupError.badArguments(message: message, exitCode: code)
      }
    }
  }
}
