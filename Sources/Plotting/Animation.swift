import Foundation

/// A sequence of figures played as one animated GIF, drawn by gnuplot's `gif animate` terminal.
///
/// `NAME.gp` holds one plot per frame, `NAME.dat` one data block per series per frame, and `gnuplot NAME.gp`
/// makes `NAME.gif`. By default every panel keeps the same axes in all frames (the union of the frames' data), so
/// the picture moves and the axes stay still.
///
/// ```swift
/// var animation = Animation(name: "training", delay: 0.2)
/// for snapshot in snapshots {
///   animation.frames.append(Figure(name: "frame", title: "step \(snapshot.step)", series: [
///     .density(x: grid, y: snapshot.real, label: "data"),
///     .line(x: grid, y: snapshot.critic, label: "D(x)")]))
/// }
/// let files = try animation.write(to: folder)
/// try gnuplot.render(files)
/// ```
public struct Animation: Sendable {
  /// The file stem: `NAME.gp`, `NAME.dat`, `NAME.gif`.
  public var name: String
  /// The frames; each frame's own `name` is ignored, its size is taken from the animation.
  public var frames: [Figure]
  /// Seconds each frame is shown (GIF stores hundredths of a second).
  public var delay: Double
  /// Frame width in pixels.
  public var width: Int
  /// Frame height in pixels.
  public var height: Int
  /// Font size in points.
  public var fontSize: Int
  /// Give each panel the same x and y ranges in every frame (axes that are not set explicitly).
  public var sharedAxes: Bool

  public init(
    name: String, frames: [Figure] = [], delay: Double = 0.2, width: Int = 960, height: Int = 600,
    fontSize: Int = 14, sharedAxes: Bool = true
  ) {
    self.name = name
    self.frames = frames
    self.delay = delay
    self.width = width
    self.height = height
    self.fontSize = fontSize
    self.sharedAxes = sharedAxes
  }

  /// Writes `NAME.gp` and `NAME.dat` into `folder` (atomically); render with `Gnuplot.render(_:)` to get `NAME.gif`.
  @discardableResult
  public func write(to folder: URL) throws -> FigureFiles {
    try PlottingError.validate(name: name)
    guard !frames.isEmpty else { throw PlottingError.invalidData("animation '\(name)' has no frames") }
    let files = FigureFiles(
      script: folder.appendingPathComponent("\(name).gp"), data: folder.appendingPathComponent("\(name).dat"),
      image: folder.appendingPathComponent("\(name).gif"))
    let (script, data) = try gnuplotScript(dataFile: "\(name).dat")
    try AtomicFile.write(data, to: files.data)
    try AtomicFile.write(script, to: files.script)
    return files
  }

  func gnuplotScript(dataFile: String) throws -> (script: String, data: String) {
    let centiseconds = max(1, Int((delay * 100).rounded()))
    var script = """
      # Animation \(name): \(frames.count) frames, \(centiseconds * 10) ms each.
      # Re-render with:  gnuplot \(name).gp   (run in this folder; it reads \(dataFile), writes \(name).gif)
      set terminal gif animate delay \(centiseconds) loop 0 size \(width),\(height) font "DejaVu Sans,\(fontSize)"
      # The course's renderer passes a temporary output name, then renames the finished animation into place.
      if (!exists("outfile")) outfile = "\(name).gif"
      set output outfile

      """
    var writer = ScriptWriter(figureName: name, dataSource: .file(dataFile))
    for (index, frame) in sharedFrames().enumerated() {
      script += "\n# ---- Frame \(index + 1) ----\n"
      script += try writer.plotCommands(for: frame)
    }
    script += "\nset output\n"
    return (script, writer.data)
  }

  /// The frames resized to the animation, with shared axis ranges filled in when `sharedAxes` is on.
  func sharedFrames() -> [Figure] {
    var frames = self.frames.map { frame -> Figure in
      var frame = frame
      frame.name = name
      frame.width = width
      frame.height = height
      frame.fontSize = fontSize
      return frame
    }
    guard sharedAxes else { return frames }
    let panelCount = frames.map(\.panels.count).max() ?? 0
    for panelIndex in 0..<panelCount {
      let extents = frames.compactMap { $0.panels.indices.contains(panelIndex) ? $0.panels[panelIndex] : nil }
        .flatMap { $0.series.compactMap(\.extent) }
      guard let xLow = extents.map(\.x.lowerBound).min(), let xHigh = extents.map(\.x.upperBound).max(),
        let yLow = extents.map(\.y.lowerBound).min(), let yHigh = extents.map(\.y.upperBound).max()
      else { continue }
      let (x, y) = (padded(xLow, xHigh), padded(yLow, yHigh))
      for frameIndex in frames.indices where frames[frameIndex].panels.indices.contains(panelIndex) {
        var panel = frames[frameIndex].panels[panelIndex]
        if panel.xAxis.minimum == nil, !panel.xAxis.logScale { panel.xAxis.minimum = x.lowerBound }
        if panel.xAxis.maximum == nil, !panel.xAxis.logScale { panel.xAxis.maximum = x.upperBound }
        if panel.yAxis.minimum == nil, !panel.yAxis.logScale { panel.yAxis.minimum = y.lowerBound }
        if panel.yAxis.maximum == nil, !panel.yAxis.logScale { panel.yAxis.maximum = y.upperBound }
        frames[frameIndex].panels[panelIndex] = panel
      }
    }
    return frames
  }

  /// A range widened by 5% on each side (or by 0.5 when it is a single value), so nothing touches the border.
  private func padded(_ low: Double, _ high: Double) -> ClosedRange<Double> {
    let margin = high > low ? (high - low) * 0.05 : 0.5
    return (low - margin)...(high + margin)
  }
}
