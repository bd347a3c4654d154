import Foundation

/// An interactive gnuplot window that figures are streamed to while a model trains (for a classroom projector).
///
/// One `gnuplot` process stays open; each `show(_:)` sends the figure's data as inline blocks and its plot
/// commands through the process's standard input, and the window redraws. Opening fails, with a reason to tell
/// the user, when there is no display or when this gnuplot has no interactive terminal (`gnuplot-nox` has none).
///
/// ```swift
/// switch LiveWindow.open(title: "lesson 02") {
/// case .success(let window): window.show(figure)
/// case .failure(let reason): print("live: \(reason); continuing without a window")
/// }
/// ```
public final class LiveWindow: @unchecked Sendable {
  /// Why a live window could not be opened.
  public struct Unavailable: Error, CustomStringConvertible, Sendable {
    public let reason: String
    public var description: String { reason }
  }

  /// The interactive terminals tried, best first.
  public static let interactiveTerminals = ["wxt", "qt", "x11"]

  /// The gnuplot terminal the window uses.
  public let terminal: String
  private let process: Process
  private let input: FileHandle
  private let lock = NSLock()
  private var broken = false

  private init(terminal: String, process: Process, input: FileHandle) {
    self.terminal = terminal
    self.process = process
    self.input = input
  }

  /// Opens a window, or says why not (no gnuplot, no display, no interactive terminal).
  public static func open(
    title: String = "gnuplot", width: Int = 1280, height: Int = 800, fontSize: Int = 16,
    gnuplot: Gnuplot? = Gnuplot.locate(),
    environment: [String: String] = ProcessInfo.processInfo.environment
  ) -> Result<LiveWindow, Unavailable> {
    guard let gnuplot else {
      return .failure(Unavailable(reason: "gnuplot is not installed"))
    }
    let display = environment["DISPLAY"] ?? environment["WAYLAND_DISPLAY"] ?? ""
    guard !display.isEmpty else {
      return .failure(Unavailable(reason: "no display (DISPLAY is not set)"))
    }
    let terminals: [String]
    do {
      terminals = try gnuplot.availableTerminals()
    } catch {
      return .failure(Unavailable(reason: "cannot ask gnuplot for its terminals: \(error)"))
    }
    guard let terminal = interactiveTerminals.first(where: terminals.contains) else {
      return .failure(
        Unavailable(
          reason: "this gnuplot has no interactive terminal (wxt, qt or x11); install `gnuplot-qt` or `gnuplot-x11`"))
    }
    return launch(
      gnuplot: gnuplot, environment: environment, terminal: terminal,
      setup: "set terminal \(terminal) 0 noraise size \(width),\(height) enhanced font \"Sans,\(fontSize)\" "
        + "title \(quotedPlain(title))\n")
  }

  /// Starts gnuplot reading commands from a pipe, and sends `setup` (the terminal) first. Tests use it with a
  /// file terminal to check the streamed commands without a display.
  static func launch(
    gnuplot: Gnuplot, environment: [String: String], terminal: String, setup: String, errors: Pipe? = nil,
    folder: URL? = nil
  ) -> Result<LiveWindow, Unavailable> {
    // Writing to a window the user closed must be an error we handle, not a signal that ends the lesson.
    signal(SIGPIPE, SIG_IGN)
    let process = Process()
    process.executableURL = gnuplot.executable
    process.environment = environment
    if let folder { process.currentDirectoryURL = folder }
    let pipe = Pipe()
    process.standardInput = pipe
    process.standardOutput = FileHandle.nullDevice
    process.standardError = errors ?? FileHandle.nullDevice
    do {
      try process.run()
    } catch {
      return .failure(Unavailable(reason: "cannot start gnuplot: \(error.localizedDescription)"))
    }
    let window = LiveWindow(terminal: terminal, process: process, input: pipe.fileHandleForWriting)
    window.send(setup)
    return .success(window)
  }

  /// The gnuplot process's exit status once `close()` has returned.
  var exitStatus: Int32 { process.terminationStatus }

  /// Redraws the window with `figure` (its size is the window's). Throws if the figure's data is invalid.
  public func show(_ figure: Figure) throws {
    let commands = try figure.inlineCommands()
    send(commands)
  }

  /// Closes the window and ends the gnuplot process.
  public func close() {
    lock.lock()
    defer { lock.unlock() }
    guard !broken else { return }
    broken = true
    try? input.write(contentsOf: Data("exit\n".utf8))
    try? input.close()
    process.waitUntilExit()
  }

  deinit {
    close()
  }

  private func send(_ text: String) {
    lock.lock()
    defer { lock.unlock() }
    guard !broken, process.isRunning else {
      broken = true
      return
    }
    do {
      try input.write(contentsOf: Data(text.utf8))
    } catch {
      // The window was closed by the user: stop sending, the lesson goes on.
      broken = true
    }
  }
}
