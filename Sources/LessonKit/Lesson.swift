import ArgumentParser
import Autograd
import Foundation
import Ink
import Plotting

/// The notebook runner: a lesson's `main.swift` creates one `Lesson`, then narrates, computes, shows values,
/// checks claims and draws figures, top to bottom like a notebook; `finish()` writes the notes.
///
/// ```swift
/// let lesson = Lesson(number: 2, slug: "toy-gan", title: "Forger versus critic")
///
/// lesson.section("1. The data")
/// lesson.narrate("Real samples come from N(4, 1.25²). The generator starts as a line through 0.")
/// let steps = lesson.steps(default: 3000, quick: 300)
/// let bar = lesson.progress(total: steps, label: "training")
/// for step in 1...steps { ...; bar.update(step, values: ["D": dLoss, "G": gLoss]) }
/// lesson.show("D(x) on real data", meanD)
/// lesson.check("the critic ends near 1/2", measured: meanD, .near(0.5, tolerance: 0.1))
/// lesson.figure(figure)
/// lesson.finish()
/// ```
///
/// Everything the lesson prints goes to the terminal (wrapped, aligned, with a progress bar) and into the output
/// folder: `notes.md`, `lesson.ipynb` (a Jupyter notebook with the same cells and the figures embedded) and
/// `metrics.json` (values, claims, seed, steps, wall time, files). All files are written atomically, into a staging
/// folder beside `--out` that `finish()` swaps into place, so `--out` holds one complete run (see `RunFolder`).
public final class Lesson: @unchecked Sendable {
  // MARK: Identity and options

  /// The lesson's number (5 for `lesson-05-wgan`); 0 for a course tool that runs like a lesson but is not one
  /// (`gan-playground`: executable `gan-<slug>`, output folder `output/gan-<slug>`, heading = the title alone).
  public let number: Int
  /// The lesson's short name (`wgan`).
  public let slug: String
  /// The lesson's title.
  public let title: String
  /// The parsed common flags.
  public let options: CommonOptions
  /// The folder to write into. While the lesson runs this is a staging folder beside `--out`
  /// (`.NAME.incomplete-PID-TAG`), which `finish()` swaps into place as a whole, so `--out` never mixes two runs;
  /// after `finish()` it is the `--out` folder. Files a lesson writes here itself are part of the run.
  public var outputFolder: URL { withState { $0.swapped } ? run.destination : run.staging }
  /// The folder the run ends in: `--out`, or `output/<executable name>`.
  public var destinationFolder: URL { run.destination }
  /// The random seed for this run: `--seed`, or the lesson's fixed default.
  public let seed: UInt64
  /// `--quick`: the small budget.
  public var quick: Bool { options.quick }
  /// Whether figures are rendered with gnuplot (not `--no-render`, and gnuplot is installed).
  public var rendersFigures: Bool { !options.noRender && gnuplot != nil }
  /// `--live`: figures are also streamed to an interactive window (when one can be opened).
  public var isLive: Bool { options.live || options.servePort != nil }

  /// `lesson-05-wgan` (or `gan-playground` for number 0).
  public var executableName: String { Self.executableName(number: number, slug: slug) }

  /// `Lesson 05: title` (or the title alone for number 0).
  public var heading: String { Self.heading(number: number, title: title) }

  static func executableName(number: Int, slug: String) -> String {
    number == 0 ? "gan-\(slug)" : "lesson-\(String(format: "%02d", number))-\(slug)"
  }

  static func heading(number: Int, title: String) -> String {
    number == 0 ? title : "Lesson \(String(format: "%02d", number)): \(title)"
  }

  let console: Console
  let gnuplot: Gnuplot?
  let run: RunFolder
  private let started = Date()
  private let lock = NSLock()
  private var state = State()

  /// Everything recorded while the lesson runs (guarded by `lock`).
  struct State {
    var cells: [Cell] = []
    var values: [ShownValue] = []
    var claims: [Claim] = []
    var files: [String] = []
    var errors: [String] = []
    var resolvedSteps: Int?
    var toldAboutGnuplot = false
    var liveWindow: LiveWindow?
    var toldAboutLive = false
    var activeProgress: Progress?
    var finished = false
    var swapped = false
    var claimSubject: String?
  }

  /// One entry of the notebook, in the order the lesson produced it.
  enum Cell {
    case section(String)
    case narrative(String)
    case value(ShownValue)
    case claim(Claim)
    /// A chart: its name, title, caption, and whether the PNG exists.
    case figure(name: String, title: String, caption: String?, image: String?, script: String, data: String)
    /// A picture file (PNG or GIF) with a caption.
    case image(file: String, caption: String?)
  }

  // MARK: Starting

  /// Starts a lesson from the process's command line. On `--help` it prints the help and exits 0; on a bad flag
  /// or an output folder it cannot write it prints the error (naming the flag or folder) and exits 64, before any
  /// work starts.
  ///
  /// - Parameter seed: the lesson's fixed default seed (default: the lesson number).
  public convenience init(number: Int, slug: String, title: String, seed: UInt64? = nil) {
    let (options, _) = Self.parseOrExit(NoExtraFlags.self, number: number, slug: slug, title: title)
    let folder = Self.prepareOrExit(options, number: number, slug: slug)
    self.init(
      number: number, slug: slug, title: title, seed: seed, options: options, run: folder, console: .standardOutput)
  }

  /// Starts a lesson from an explicit argument list (without the program name), throwing `LessonSetupError`
  /// instead of exiting. For tests and tools; `gnuplot` is the renderer to use (`nil`: behave as if it were not
  /// installed).
  public convenience init(
    number: Int, slug: String, title: String, seed: UInt64? = nil, arguments: [String], console: Console,
    gnuplot: Gnuplot? = Gnuplot.locate()
  ) throws {
    let identity = Self.identity(number: number, slug: slug, title: title)
    let (options, _) = try LessonCommand<NoExtraFlags>.parseLesson(arguments, identity: identity)
    let folder = try Self.prepareOutputFolder(options, number: number, slug: slug)
    self.init(
      number: number, slug: slug, title: title, seed: seed, options: options, run: folder, console: console,
      gnuplot: gnuplot)
  }

  /// Starts a lesson with its own extra flags from the process's command line (exiting on errors like
  /// `init(number:slug:title:seed:)`), and returns them parsed.
  ///
  /// ```swift
  /// struct Flags: ParsableArguments {
  ///   @Flag(help: "Load the pretrained generator instead of training.") var pretrained = false
  ///   @Option(help: "Folder with the MNIST files.") var data: String?
  /// }
  /// let (lesson, flags) = Lesson.start(number: 6, slug: "dcgan-mnist", title: "DCGAN on MNIST", flags: Flags.self)
  /// ```
  public static func start<Flags: ParsableArguments>(
    number: Int, slug: String, title: String, seed: UInt64? = nil, flags: Flags.Type
  ) -> (Lesson, Flags) {
    let (options, extra) = parseOrExit(Flags.self, number: number, slug: slug, title: title)
    let folder = prepareOrExit(options, number: number, slug: slug)
    let lesson = Lesson(
      number: number, slug: slug, title: title, seed: seed, options: options, run: folder, console: .standardOutput)
    return (lesson, extra)
  }

  /// Like `start(number:slug:title:seed:flags:)` with an explicit argument list, throwing instead of exiting.
  public static func start<Flags: ParsableArguments>(
    number: Int, slug: String, title: String, seed: UInt64? = nil, flags: Flags.Type, arguments: [String],
    console: Console
  ) throws -> (Lesson, Flags) {
    let identity = identity(number: number, slug: slug, title: title)
    let (options, extra) = try LessonCommand<Flags>.parseLesson(arguments, identity: identity)
    let folder = try prepareOutputFolder(options, number: number, slug: slug)
    let lesson = Lesson(
      number: number, slug: slug, title: title, seed: seed, options: options, run: folder, console: console)
    return (lesson, extra)
  }

  private init(
    number: Int, slug: String, title: String, seed: UInt64?, options: CommonOptions, run: RunFolder,
    console: Console, gnuplot: Gnuplot? = Gnuplot.locate()
  ) {
    self.number = number
    self.slug = slug
    self.title = title
    self.options = options
    self.console = console
    self.seed = options.seed ?? seed ?? UInt64(number)
    self.run = run
    self.gnuplot = gnuplot
    server = options.servePort.map { port in
      LessonServer(port: port) { [run] in
        FileManager.default.fileExists(atPath: run.staging.path) ? run.staging : run.destination
      }
    }
    printHeader()
    if let server {
      do {
        try server.start(title: Self.heading(number: number, title: title))
        console.write("  serving at \(server.url) (only this machine can open it)\n")
      } catch {
        Console.writeError("\(error)\n")
        Foundation.exit(1)
      }
    }
  }

  /// `--serve`: the page the lesson is shown on while it runs (nil without the flag).
  let server: LessonServer?
  /// The viewer's settings (`addControl`), applied on the training thread at the next step.
  private var controlHandlers: [String: (String) -> Void] = [:]
  private var liveVersion = 0
  private var lastLive = Date.distantPast

  /// Under `--serve`, lets the viewer change a setting while the lesson trains (the playground's learning rates and
  /// loss). `apply` runs on the training thread between two steps; each change is logged in the notes with its step.
  public func addControl(_ name: String, _ control: LessonServer.Control, apply: @escaping (String) -> Void) {
    guard let server else { return }
    withState { _ in controlHandlers[name] = apply }
    server.addControl(name, control)
  }

  /// Sends a cell to the `--serve` page.
  private func publish(_ cell: Cell) {
    guard let server else { return }
    var payload: [String: Any]
    switch cell {
    case .section(let title): payload = ["kind": "section", "text": title]
    case .narrative(let text): payload = ["kind": "narrative", "html": MarkdownParser().html(from: MarkdownText.escapingFormulas(text))]
    case .value(let value): payload = ["kind": "value", "text": "\(value.label): \(value.display)"]
    case .claim(let claim):
      payload = ["kind": "claim", "text": claim.name, "passed": claim.passed, "detail": claim.detail ?? ""]
    case .figure(_, let title, let caption, let image, _, _):
      guard let image else { return }
      payload = ["kind": "image", "file": image, "text": caption ?? title]
    case .image(let file, let caption): payload = ["kind": "image", "file": file, "text": caption ?? ""]
    }
    server.publish("cell", payload)
  }

  /// `--out`, or `output/<executable name>`.
  static func folderPath(_ options: CommonOptions, number: Int, slug: String) -> String {
    options.outputFolder ?? "output/" + executableName(number: number, slug: slug)
  }

  private static func prepareOrExit(_ options: CommonOptions, number: Int, slug: String) -> RunFolder {
    do {
      return try prepareOutputFolder(options, number: number, slug: slug)
    } catch {
      exit(with: error)
    }
  }

  private static func identity(number: Int, slug: String, title: String) -> LessonIdentity {
    LessonIdentity(executable: executableName(number: number, slug: slug), title: heading(number: number, title: title))
  }

  private static func parseOrExit<Flags: ParsableArguments>(
    _ flags: Flags.Type, number: Int, slug: String, title: String
  ) -> (CommonOptions, Flags) {
    do {
      return try LessonCommand<Flags>.parseLesson(
        Array(CommandLine.arguments.dropFirst()), identity: identity(number: number, slug: slug, title: title))
    } catch {
      exit(with: error)
    }
  }

  private static func exit(with error: Error) -> Never {
    let setupError = error as? LessonSetupError
    let message = setupError?.description ?? "Error: \(error)"
    let code = setupError?.exitCode ?? 64
    if code == 0 {
      print(message)
    } else {
      Console.writeError(message + "\n")
    }
    fflush(nil)
    Foundation.exit(code)
  }

  /// Checks `--out`, cleans up after killed runs and creates this run's staging folder (see `RunFolder`).
  static func prepareOutputFolder(_ options: CommonOptions, number: Int, slug: String) throws -> RunFolder {
    // The engine reads GAN_THREADS once, here rather than at the first operation: a value it refuses ends the
    // process before a staging folder exists.
    _ = Kernels.cores
    return try RunFolder.prepare(
      folderPath(options, number: number, slug: slug), executable: executableName(number: number, slug: slug))
  }

  private func printHeader() {
    let rule = String(repeating: "=", count: min(console.textWidth, max(heading.count, 40)))
    var facts = ["seed \(seed)"]
    if options.quick { facts.append("quick") }
    if let steps = options.steps { facts.append("steps \(steps)") }
    if options.noRender { facts.append("no rendering") }
    if options.live { facts.append("live") }
    if options.strict { facts.append("strict") }
    facts.append("output: \(displayPath(run.destination))")
    let factLines = TextLayout.wrap(
      facts.joined(separator: " · "), width: console.textWidth, firstPrefix: "  ", restPrefix: "    ")
    console.write("\n" + console.bold(heading) + "\n" + rule + "\n" + console.dim(factLines.joined(separator: "\n")) + "\n")
  }

  // MARK: Budget

  /// The number of training steps: `--steps` if given, else `quick` under `--quick`, else `full`.
  /// The answer is recorded in metrics.json.
  public func steps(default full: Int, quick: Int) -> Int {
    let resolved = options.steps ?? (options.quick ? quick : full)
    withState { $0.resolvedSteps = resolved }
    return resolved
  }

  /// Picks a size by mode: `quick` under `--quick`, else `full` (for sample counts, grid sizes, ...).
  public func budget<T>(_ full: T, quick: T) -> T {
    options.quick ? quick : full
  }

  /// A random number generator seeded with this run's seed (plus `offset`, for independent streams).
  public func makeGenerator(offset: UInt64 = 0) -> SeededGenerator {
    SeededGenerator(seed: seed &+ offset)
  }

  // MARK: Cells

  /// Starts a section: a heading in the terminal and in the notes.
  public func section(_ title: String) {
    beginCell()
    let rule = String(repeating: "-", count: max(4, min(console.textWidth, 72) - title.count - 4))
    console.write("\n" + console.bold("-- \(title) \(rule)") + "\n")
    withState { $0.cells.append(.section(title)) }
    publish(.section(title))
  }

  /// Narrative text (Markdown), wrapped to the terminal width. Source line breaks inside a paragraph are
  /// ignored; blank lines separate paragraphs; lists, tables and code blocks are kept.
  public func narrate(_ markdown: String) {
    beginCell()
    let lines = TextLayout.wrapMarkdown(markdown, width: console.textWidth).map(console.styleInline)
    console.write("\n" + lines.joined(separator: "\n") + "\n")
    withState { $0.cells.append(.narrative(markdown)) }
    publish(.narrative(markdown))
  }

  /// Shows a labeled number, aligned with the other values (4 significant digits; integers exactly).
  public func show<V: PlotValue>(_ label: String, _ value: V, unit: String? = nil) {
    let number = value.plotValue
    record(ShownValue(label: label, number: number, text: NumberFormat.format(number), unit: unit))
  }

  /// Shows a labeled text value.
  public func show(_ label: String, _ text: String) {
    record(ShownValue(label: label, number: nil, text: text, unit: nil))
  }

  private func record(_ value: ShownValue) {
    beginCell()
    let labelWidth = min(44, console.textWidth / 2)
    let dots = max(2, labelWidth - value.label.count)
    let line = "  " + value.label + " " + String(repeating: ".", count: dots - 1) + " " + console.bold(value.display)
    console.write(spacing() + line + "\n")
    withState {
      $0.values.append(value)
      $0.cells.append(.value(value))
    }
    publish(.value(value))
  }

  /// Checks a claim about this run. `detail` should say what was measured against what.
  @discardableResult
  public func check(_ name: String, _ passed: Bool, detail: String? = nil) -> Bool {
    addClaim(Claim(name: name, passed: passed, detail: detail, measured: nil, threshold: nil))
  }

  /// Checks a claim by comparing a measured number with a threshold, e.g.
  /// `lesson.check("covers at least 7 of 8 modes", measured: modes, .atLeast(7))`. The detail shown and stored
  /// is "measured 8 (needs ≥ 7)".
  @discardableResult
  public func check<V: PlotValue>(_ name: String, measured: V, _ threshold: Threshold, unit: String? = nil) -> Bool {
    let value = measured.plotValue
    let unitText = unit.map { " \($0)" } ?? ""
    let detail = "measured \(NumberFormat.format(value))\(unitText) (needs \(threshold)\(unitText))"
    return addClaim(
      Claim(name: name, passed: threshold.holds(for: value), detail: detail, measured: value, threshold: threshold))
  }

  /// Labels every claim checked from now on with `subject` ("shipped checkpoint: ..."), in the terminal, the notes
  /// and the claims table, so that a claim about something this run did not train says so; nil stops labelling.
  public func labelClaims(_ subject: String?) {
    withState { $0.claimSubject = subject }
  }

  private func addClaim(_ unlabelled: Claim) -> Bool {
    var claim = unlabelled
    if let subject = withState({ $0.claimSubject }) { claim.name = subject + ": " + claim.name }
    beginCell()
    let mark = claim.passed ? console.green("PASS") : console.red("FAIL")
    var line = "  [\(mark)] \(claim.name)"
    if let detail = claim.detail { line += console.dim("  -- \(detail)") }
    console.write(spacing() + line + "\n")
    withState {
      $0.claims.append(claim)
      $0.cells.append(.claim(claim))
    }
    publish(.claim(claim))
    return claim.passed
  }

  /// Writes a figure (`NAME.gp`, `NAME.dat`), renders `NAME.png` with gnuplot (unless `--no-render` or gnuplot is
  /// missing, which is said once), shows it in the live window under `--live`, and puts it in the notes.
  /// A script gnuplot rejects is reported as an error (and makes the run exit non-zero at `finish()`).
  /// Returns the PNG's location when it was rendered.
  @discardableResult
  public func figure(_ figure: Figure, caption: String? = nil) -> URL? {
    beginCell()
    let title = figure.title ?? figure.panels.first?.title ?? figure.name
    let files: FigureFiles
    do {
      files = try figure.write(to: outputFolder)
    } catch {
      reportError("figure '\(figure.name)' could not be written: \(error)")
      return nil
    }
    addFiles([files.script, files.data])
    let rendered = render(files, what: "figure")
    live(figure)
    console.write(
      spacing() + "  figure  \(rendered ? files.image.lastPathComponent : "(not rendered)")  "
        + console.dim("\(files.script.lastPathComponent) + \(files.data.lastPathComponent)") + "\n")
    let cell = Cell.figure(
      name: figure.name, title: title, caption: caption, image: rendered ? files.image.lastPathComponent : nil,
      script: files.script.lastPathComponent, data: files.data.lastPathComponent)
    withState { $0.cells.append(cell) }
    publish(cell)
    return rendered ? files.image : nil
  }

  /// Writes an animation (`NAME.gp`, `NAME.dat`) and renders `NAME.gif` with gnuplot's `gif animate` terminal.
  @discardableResult
  public func animation(_ animation: Animation, caption: String? = nil) -> URL? {
    beginCell()
    let files: FigureFiles
    do {
      files = try animation.write(to: outputFolder)
    } catch {
      reportError("animation '\(animation.name)' could not be written: \(error)")
      return nil
    }
    addFiles([files.script, files.data])
    let rendered = render(files, what: "animation")
    console.write(
      "  animation  \(rendered ? files.image.lastPathComponent : "(not rendered)")  "
        + console.dim("\(animation.frames.count) frames; \(files.script.lastPathComponent)") + "\n")
    let cell = Cell.figure(
      name: animation.name, title: caption ?? animation.name, caption: caption,
      image: rendered ? files.image.lastPathComponent : nil, script: files.script.lastPathComponent,
      data: files.data.lastPathComponent)
    withState { $0.cells.append(cell) }
    publish(cell)
    return rendered ? files.image : nil
  }

  /// Writes a sample grid as `NAME.png` and puts it in the notes.
  @discardableResult
  public func image(_ name: String, grid: ImageGrid, caption: String? = nil) -> URL? {
    do {
      return image(name, png: try grid.pngData(), caption: caption)
    } catch {
      beginCell()
      reportError("image '\(name)' could not be encoded: \(error)")
      return nil
    }
  }

  /// Writes PNG bytes as `NAME.png` (the extension is added when missing) and puts the picture in the notes.
  @discardableResult
  public func image(_ name: String, png: Data, caption: String? = nil) -> URL? {
    beginCell()
    let fileName = name.hasSuffix(".png") ? name : name + ".png"
    let url = outputFolder.appendingPathComponent(fileName)
    do {
      try validateFileName(fileName)
      try AtomicFile.write(png, to: url)
    } catch {
      reportError("image '\(fileName)' could not be written: \(error)")
      return nil
    }
    addFiles([url])
    let size = (try? PNG.header(of: png)).map { "\($0.width)x\($0.height)" } ?? ""
    console.write(spacing() + "  image  \(fileName)  " + console.dim(size) + "\n")
    withState { $0.cells.append(.image(file: fileName, caption: caption)) }
    publish(.image(file: fileName, caption: caption))
    return url
  }

  /// A batch of images as a grid (`NAME.png`): `images` is an NCHW tensor with 1 or 3 channels; `scale` as in
  /// `ImageGrid` (by default the smallest that makes the grid at least 512 pixels wide).
  @discardableResult
  public func image(
    _ name: String, images: Tensor, range: ImageGrid.ValueRange = .minusOneToOne, columns: Int? = nil,
    scale: Int? = nil, caption: String? = nil
  ) -> URL? {
    do {
      return image(name, grid: try ImageGrid(images, range: range, columns: columns, scale: scale), caption: caption)
    } catch {
      beginCell()
      reportError("image '\(name)': \(error)")
      return nil
    }
  }

  /// Writes frames (sample grids over training) as an animated `NAME.gif`, encoded here (no gnuplot needed).
  @discardableResult
  public func animation(_ name: String, frames: [ImageGrid], delay: Double = 0.3, caption: String? = nil) -> URL? {
    beginCell()
    let fileName = name.hasSuffix(".gif") ? name : name + ".gif"
    let url = outputFolder.appendingPathComponent(fileName)
    do {
      try validateFileName(fileName)
      var movie = AnimatedGIF(delay: delay)
      for frame in frames { try movie.add(frame.image) }
      try AtomicFile.write(movie.encoded(), to: url)
    } catch {
      reportError("animation '\(fileName)' could not be written: \(error)")
      return nil
    }
    addFiles([url])
    console.write("  animation  \(fileName)  " + console.dim("\(frames.count) frames") + "\n")
    withState { $0.cells.append(.image(file: fileName, caption: caption)) }
    publish(.image(file: fileName, caption: caption))
    return url
  }

  /// Under `--live`, redraws the live gnuplot window with `figure` (nothing is written to disk). The first call
  /// opens the window; without a display it says once why not and the lesson continues headless.
  public func live(_ figure: Figure) {
    serveLive(figure)
    guard options.live else { return }
    let window: LiveWindow? = withState { state in
      if let window = state.liveWindow { return window }
      if state.toldAboutLive { return nil }
      state.toldAboutLive = true
      switch LiveWindow.open(title: executableName, gnuplot: gnuplot) {
      case .success(let window):
        state.liveWindow = window
        return window
      case .failure(let unavailable):
        console.write("  live: \(unavailable.reason); continuing without a window.\n")
        return nil
      }
    }
    do {
      try window?.show(figure)
    } catch {
      reportError("live figure '\(figure.name)': \(error)")
    }
  }

  /// Under `--serve`, draws the live figure as a PNG for the page (at most once a second: gnuplot takes a moment).
  private func serveLive(_ figure: Figure) {
    guard let server, let gnuplot, Date().timeIntervalSince(lastLive) >= 1 else { return }
    lastLive = Date()
    liveVersion += 1
    do {
      let files = try figure.renamed("live").write(to: server.liveFolder)
      try gnuplot.render(files)
      server.publish("live", ["file": files.image.lastPathComponent, "version": liveVersion,
                              "title": figure.title ?? figure.name])
    } catch {
      reportError("live figure '\(figure.name)' for --serve: \(error)")
    }
  }

  /// A progress report for a loop of `total` steps (a bar on a terminal, plain lines every 10% otherwise).
  public func progress(total: Int, label: String) -> Progress {
    beginCell()
    let blank = spacing()
    if !blank.isEmpty { console.write(blank) }
    let progress = Progress(total: total, label: label, console: console)
    if let server {
      progress.gate = { [weak self] step, total, label, values in
        for (name, value) in server.gate(step: step, total: total, label: label, values: values) {
          guard let self, let apply = self.withState({ _ in self.controlHandlers[name] }) else { continue }
          apply(value)
          self.narrate("*At step \(step) the viewer set \(name) to \(value).*")
        }
      }
    }
    withState { $0.activeProgress = progress }
    return progress
  }

  // MARK: Finishing

  /// What `finish` wrote and decided.
  public struct Summary: Sendable {
    public var claimsPassed: Int
    public var claimsFailed: Int
    public var errors: [String]
    /// Files written, relative to the output folder.
    public var files: [String]
    public var wallTime: Double
    /// 0, or 1 when an error happened or (with `--strict`) a claim failed.
    public var exitStatus: Int32
  }

  /// Prints the claims table and the files written, and writes `notes.md`, `lesson.ipynb` and `metrics.json`.
  /// Exits with status 1 when something could not be written or rendered, or under `--strict` when a claim
  /// failed. Pass `exitOnFailure: false` to get the decision back instead (tests).
  @discardableResult
  public func finish(exitOnFailure: Bool = true) -> Summary {
    beginCell()
    let wallTime = Date().timeIntervalSince(started)
    let liveWindow = withState { state -> LiveWindow? in
      state.finished = true
      defer { state.liveWindow = nil }
      return state.liveWindow
    }
    liveWindow?.close()

    // The notes, the notebook and metrics.json list only files that are there (a lesson's own code could have
    // removed one); they list themselves, so they are added before they are written.
    let reportFiles = ["notes.md", "lesson.ipynb", "metrics.json"]
    dropMissingFiles()
    addFiles(reportFiles.map { run.staging.appendingPathComponent($0) })
    let snapshot = withState { $0 }
    let report = Report(lesson: self, state: snapshot, wallTime: wallTime)
    for (file, contents) in [
      ("notes.md", { try report.markdown() }), ("lesson.ipynb", { try report.notebook() }),
      ("metrics.json", { try report.metrics() }),
    ] as [(String, () throws -> Data)] {
      do {
        try AtomicFile.write(contents(), to: run.staging.appendingPathComponent(file))
      } catch {
        reportError("\(file) could not be written: \(error)")
      }
    }
    dropMissingFiles()
    do {
      try run.swapIntoPlace()
      withState { $0.swapped = true }
    } catch {
      reportError("the run could not replace \(displayPath(run.destination)): \(error)")
    }
    let final = withState { $0 }
    printSummary(final, wallTime: wallTime)
    if let server {
      server.publish("finished", ["claims": final.claims.count])
      if options.serveKeep {
        console.write("  still serving at \(server.url) (--serve-keep); Ctrl-C to stop.\n")
        fflush(nil)
        while true { sleep(3600) }
      }
      server.closeStreams()
    }

    let failed = final.claims.filter { !$0.passed }.count
    let status: Int32 = !final.errors.isEmpty || (options.strict && failed > 0) ? 1 : 0
    let summary = Summary(
      claimsPassed: final.claims.count - failed, claimsFailed: failed, errors: final.errors, files: final.files,
      wallTime: wallTime, exitStatus: status)
    if exitOnFailure, status != 0 {
      fflush(nil)
      Foundation.exit(status)
    }
    return summary
  }

  private func printSummary(_ state: State, wallTime: Double) {
    var text = "\n" + console.bold("Claims") + "\n"
    if state.claims.isEmpty { text += "  (none)\n" }
    let nameWidth = min(max(state.claims.map(\.name.count).max() ?? 0, 10), max(console.textWidth - 40, 30))
    for claim in state.claims {
      let mark = claim.passed ? console.green("PASS") : console.red("FAIL")
      text += "  \(mark)  \(TextLayout.pad(claim.name, to: nameWidth))  \(claim.detail ?? "")\n"
    }
    let failed = state.claims.filter { !$0.passed }.count
    if !state.claims.isEmpty {
      text += "  \(state.claims.count - failed) of \(state.claims.count) claims hold"
      text += options.strict && failed > 0 ? " (--strict: exiting with status 1).\n" : ".\n"
    }
    if !state.errors.isEmpty {
      text += "\n" + console.red("Errors") + "\n" + state.errors.map { "  \($0)\n" }.joined()
    }
    text += "\n" + console.bold("Files") + " in \(displayPath(outputFolder))/\n"
    text += TextLayout.wrap(
      state.files.joined(separator: "  "), width: console.textWidth, firstPrefix: "  ", restPrefix: "  "
    ).joined(separator: "\n") + "\n"
    text += console.dim("  wall time \(NumberFormat.duration(wallTime))") + "\n"
    console.write(text)
  }

  // MARK: Helpers

  /// A blank line when the previous cell was narrative or a heading, so values and claims stand apart from text.
  private func spacing() -> String {
    withState { state -> String in
      switch state.cells.last {
      case .narrative?, .section?: return "\n"
      default: return ""
      }
    }
  }

  /// Ends a running progress report before the next cell prints.
  private func beginCell() {
    let progress = withState { state -> Progress? in
      defer { state.activeProgress = nil }
      return state.activeProgress
    }
    progress?.finish()
  }

  /// Renders with gnuplot unless told not to or it is missing; returns whether the picture exists now.
  private func render(_ files: FigureFiles, what: String) -> Bool {
    if options.noRender { return false }
    guard let gnuplot else {
      let tell = withState { state -> Bool in
        defer { state.toldAboutGnuplot = true }
        return !state.toldAboutGnuplot
      }
      if tell { console.write("  note: gnuplot is not installed. \(Gnuplot.installHint)\n") }
      return false
    }
    do {
      try gnuplot.render(files)
      addFiles([files.image])
      return true
    } catch {
      reportError("\(what) \(files.script.lastPathComponent): \(error)")
      return false
    }
  }

  /// Takes files that are no longer in the staging folder out of the file list and the notes, as an error: the
  /// list must name only files that are there.
  private func dropMissingFiles() {
    let folder = run.staging
    let missing = withState { state -> [String] in
      let missing = state.files.filter { !FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).path) }
      guard !missing.isEmpty else { return [] }
      state.files.removeAll { missing.contains($0) }
      state.cells = state.cells.map { cell in
        switch cell {
        case .figure(let name, let title, let caption, let image?, let script, let data) where missing.contains(image):
          return .figure(name: name, title: title, caption: caption, image: nil, script: script, data: data)
        case .image(let file, _) where missing.contains(file):
          return .narrative("*(`\(file)` was written but is missing from the output folder.)*")
        default:
          return cell
        }
      }
      return missing
    }
    for file in missing {
      reportError("\(file) was written during the run but is missing from the output folder; it is left out of the notes")
    }
  }

  private func reportError(_ message: String) {
    Console.writeError("error: \(message)\n")
    withState { $0.errors.append(message) }
  }

  func addFiles(_ urls: [URL]) {
    withState { state in
      for url in urls where !state.files.contains(url.lastPathComponent) {
        state.files.append(url.lastPathComponent)
      }
    }
  }

  private func validateFileName(_ fileName: String) throws {
    let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_."))
    guard !fileName.hasPrefix("."), fileName.unicodeScalars.allSatisfy({ allowed.contains($0) }) else {
      throw PlottingError.invalidName(fileName)
    }
  }

  private func displayPath(_ url: URL) -> String {
    let current = FileManager.default.currentDirectoryPath
    let path = url.path
    if path.hasPrefix(current + "/") { return String(path.dropFirst(current.count + 1)) }
    return path
  }

  @discardableResult
  private func withState<T>(_ body: (inout State) throws -> T) rethrows -> T {
    lock.lock()
    defer { lock.unlock() }
    return try body(&state)
  }
}
