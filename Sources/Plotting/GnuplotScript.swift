import Foundation

// MARK: - Writing figures

/// The files a figure or animation was written to.
public struct FigureFiles: Sendable {
  /// `NAME.gp`.
  public var script: URL
  /// `NAME.dat`.
  public var data: URL
  /// `NAME.png` or `NAME.gif`: the picture `gnuplot NAME.gp` makes (it exists only after rendering).
  public var image: URL
}

extension Figure {
  /// Writes `NAME.gp` and `NAME.dat` into `folder` (atomically). Render them with `Gnuplot.render(_:)`.
  @discardableResult
  public func write(to folder: URL) throws -> FigureFiles {
    try PlottingError.validate(name: name)
    let files = FigureFiles(
      script: folder.appendingPathComponent("\(name).gp"), data: folder.appendingPathComponent("\(name).dat"),
      image: folder.appendingPathComponent("\(name).png"))
    let (script, data) = try gnuplotScript(dataFile: "\(name).dat")
    try AtomicFile.write(data, to: files.data)
    try AtomicFile.write(script, to: files.script)
    return files
  }

  /// The script and data text for a PNG written next to the script; data in `dataFile`.
  func gnuplotScript(dataFile: String) throws -> (script: String, data: String) {
    var writer = ScriptWriter(figureName: name, dataSource: .file(dataFile))
    var script = """
      # \(title ?? name)
      # Re-render with:  gnuplot \(name).gp   (run in this folder; it reads \(dataFile), writes \(name).png)

      """
    script += "set terminal pngcairo size \(width),\(height) enhanced font \"Sans,\(fontSize)\" linewidth 1.5\n"
    script += """
      # The course's renderer passes a temporary output name, then renames the finished picture into place.
      if (!exists("outfile")) outfile = "\(name).png"
      set output outfile


      """
    script += try writer.plotCommands(for: self)
    script += "\nset output\n"
    return (script, writer.data)
  }

  /// Commands that draw this figure with all data inline (`$data << EOD` blocks), for a live gnuplot window.
  func inlineCommands() throws -> String {
    var writer = ScriptWriter(figureName: name, dataSource: .inline)
    let commands = try writer.plotCommands(for: self)
    // Free the data blocks once drawn, so a long stream of frames does not accumulate them.
    let names = (0..<writer.blocks).map { "$data_\($0)" }.joined(separator: " ")
    return writer.data + commands + (names.isEmpty ? "" : "undefine \(names)\n")
  }

  /// Checks every series' numbers; throws `PlottingError.invalidData` naming the figure, panel and series.
  public func validate() throws {
    for (panelIndex, panel) in panels.enumerated() {
      for (seriesIndex, series) in panel.series.enumerated() {
        let which = "figure '\(name)', panel \(panelIndex + 1), series \(seriesIndex + 1)"
          + (series.label.map { " '\($0)'" } ?? "")
        if series.kind == .heatmap, let size = series.gridSize {
          let expected = size.columns * size.rows
          if series.columns[2].count != expected {
            throw PlottingError.invalidData(
              "\(which): heatmap over \(size.columns) x-values and \(size.rows) y-values needs "
                + "\(expected) values, got \(series.columns[2].count)")
          }
          if size.columns < 2 || size.rows < 2 {
            throw PlottingError.invalidData("\(which): a heatmap needs at least 2 x-values and 2 y-values")
          }
        }
        let counts = series.columns.map(\.count)
        if let first = counts.first, counts.contains(where: { $0 != first }) {
          let names = series.kind.columnNames
          let described = zip(names, counts).map { "\($0) has \($1)" }.joined(separator: ", ")
          throw PlottingError.invalidData("\(which): the columns must have the same length, but \(described) values")
        }
        if let color = series.color, !color.isValid {
          throw PlottingError.invalidData("\(which): color '\(color.hex)' is not #RRGGBB")
        }
      }
      for axis in [("x", panel.xAxis), ("y", panel.yAxis)] {
        if let low = axis.1.minimum, let high = axis.1.maximum, !(low < high) {
          throw PlottingError.invalidData(
            "figure '\(name)', panel \(panelIndex + 1): \(axis.0) range [\(low), \(high)] is empty")
        }
        if axis.1.logScale, let low = axis.1.minimum, low <= 0 {
          throw PlottingError.invalidData(
            "figure '\(name)', panel \(panelIndex + 1): log-scale \(axis.0) axis cannot start at \(low) (must be > 0)")
        }
      }
    }
    guard width >= 64, height >= 64, width <= 10_000, height <= 10_000 else {
      throw PlottingError.invalidData("figure '\(name)': size \(width)x\(height) pixels is out of range 64...10000")
    }
  }
}

// MARK: - Script writer

/// Turns panels into gnuplot commands and collects their numbers as data blocks.
struct ScriptWriter {
  enum DataSource {
    /// Blocks in one data file, addressed as `'FILE' index N`.
    case file(String)
    /// Named inline blocks `$data_N << EOD`, for streaming to a live gnuplot.
    case inline
  }

  let figureName: String
  let dataSource: DataSource
  /// The data text written so far (file contents, or inline block definitions).
  private(set) var data = ""
  private var blockCount = 0

  init(figureName: String, dataSource: DataSource, firstBlock: Int = 0) {
    self.figureName = figureName
    self.dataSource = dataSource
    self.blockCount = firstBlock
    if case .file = dataSource {
      data = "# Data for \(figureName).gp: one block per series, separated by two blank lines (gnuplot 'index N').\n"
    }
  }

  /// The number of data blocks written so far.
  var blocks: Int { blockCount }

  /// All commands that draw `figure` (multiplot when it has several panels).
  mutating func plotCommands(for figure: Figure) throws -> String {
    try figure.validate()
    var text = ""
    let multiplot = figure.panels.count > 1
    if multiplot {
      let (rows, columns) = figure.layout
      text += "set multiplot layout \(rows),\(columns)"
      if let title = figure.title { text += " title \(quoted(title)) font \",\(figure.fontSize + 6)\"" }
      text += "\n"
    }
    for (index, panel) in figure.panels.enumerated() {
      let title = multiplot ? panel.title : (figure.title ?? panel.title)
      text += "\n# Panel \(index + 1)\(panel.title.map { ": \($0)" } ?? "")\n"
      text += try panelCommands(panel, index: index, title: title, fontSize: figure.fontSize)
    }
    if multiplot { text += "unset multiplot\n" }
    return text
  }

  // MARK: Panels

  private mutating func panelCommands(_ panel: Panel, index: Int, title: String?, fontSize: Int) throws -> String {
    var lines: [String] = []
    // Start each panel from gnuplot's defaults, then apply the course's style (thick, large, light grid).
    lines.append("reset")
    lines.append("set border linewidth 2")
    lines.append("set tics scale 1.5")
    lines.append("set style fill solid 1.0 noborder")
    if panel.grid {
      lines.append("set style line 100 linecolor rgb \"#DDDDDD\" linewidth 1 dashtype solid")
      lines.append("set grid back linestyle 100")
    }
    if let title { lines.append("set title \(quoted(title)) font \",\(fontSize + 4)\"") }
    if let label = panel.xAxis.label { lines.append("set xlabel \(quoted(label))") }
    if let label = panel.yAxis.label { lines.append("set ylabel \(quoted(label))") }
    lines.append(rangeCommand("x", panel.xAxis))
    lines.append(rangeCommand("y", panel.yAxis))
    if panel.xAxis.logScale { lines.append("set logscale x 10") }
    if panel.yAxis.logScale { lines.append("set logscale y 10") }
    if let command = ticsCommand("x", panel.xAxis) { lines.append(command) }
    if let command = ticsCommand("y", panel.yAxis) { lines.append(command) }
    if panel.equalAspect { lines.append("set size ratio -1") }
    if panel.series.contains(where: { $0.kind == .picture }) {
      // A labeled picture: the labels are the ticks, without tick marks or a frame.
      lines += ["unset border", "set tics scale 0"]
      lines.append(panel.xAxis.ticks?.isEmpty ?? true ? "unset xtics" : "set xtics nomirror")
      lines.append(panel.yAxis.ticks?.isEmpty ?? true ? "unset ytics" : "set ytics nomirror")
    }
    lines.append(legendCommand(panel.legend))
    for (number, label) in panel.labels.enumerated() {
      lines.append(
        "set label \(number + 1) \(quoted(label.text)) at first \(format(label.x)), first \(format(label.y)) front")
    }

    var elements: [String] = []
    var colorIndex = 0
    func nextColor(_ explicit: Color?) -> Color {
      if let explicit { return explicit }
      defer { colorIndex += 1 }
      return Color.cycle[colorIndex % Color.cycle.count]
    }

    for series in panel.series {
      switch series.kind {
      case .heatmap:
        lines += heatmapSettings(series)
        elements += try heatmapElements(series)
      case .picture:
        // flipy: PNG rows run top to bottom, and the panel's y axis runs down from the top (see Figure.labeled).
        elements.append("\(quoted(series.pictureFile ?? "")) binary filetype=png flipy with rgbimage notitle")
      default:
        elements += plotElements(series, color: nextColor(series.color))
      }
    }
    var arrows: [String] = []
    elements += referenceLineElements(panel, arrows: &arrows)
    lines += arrows

    if elements.isEmpty {
      // Nothing to draw: an empty frame still renders (gnuplot refuses a plot with no elements).
      lines.append("set xrange [0:1]")
      lines.append("set yrange [0:1]")
      lines.append("plot NaN notitle")
    } else {
      lines.append("plot \\\n    " + elements.joined(separator: ", \\\n    "))
    }
    return lines.joined(separator: "\n") + "\n"
  }

  private func rangeCommand(_ axis: String, _ settings: Axis) -> String {
    let low = settings.minimum.map(format) ?? "*"
    let high = settings.maximum.map(format) ?? "*"
    return "set \(axis)range [\(settings.reversed ? high : low):\(settings.reversed ? low : high)]"
  }

  /// `set xtics ("a" 1, "b" 2)` for named ticks, `set xtics 1` for a step, nothing for gnuplot's choice.
  private func ticsCommand(_ axis: String, _ settings: Axis) -> String? {
    if let ticks = settings.ticks, !ticks.isEmpty {
      return "set \(axis)tics (" + ticks.map { "\(quoted($0.label)) \(format($0.value))" }.joined(separator: ", ") + ")"
    }
    if let step = settings.tickStep, step > 0 { return "set \(axis)tics \(format(step))" }
    return nil
  }

  private func legendCommand(_ legend: Legend) -> String {
    let common = "noautotitle spacing 1.3 samplen 2.5 box linewidth 1 linecolor rgb \"#AAAAAA\""
    switch legend {
    case .topRight: return "set key top right opaque \(common)"
    case .topLeft: return "set key top left opaque \(common)"
    case .bottomRight: return "set key bottom right opaque \(common)"
    case .bottomLeft: return "set key bottom left opaque \(common)"
    case .outside: return "set key outside right top \(common)"
    // gnuplot's automatic bottom margin is too small for a key below the x label: reserve room explicitly.
    case .below: return "set key below horizontal \(common)\nset bmargin 6.5"
    case .hidden: return "unset key"
    }
  }

  // MARK: Series

  private mutating func plotElements(_ series: Series, color: Color) -> [String] {
    let title = series.label.map { "title \(quoted($0))" } ?? "notitle"
    let dash = series.dashed ? " dashtype 2" : ""
    let width = format(series.lineWidth)
    let opaque = "linecolor rgb \"\(color.hex)\""
    let translucent = "linecolor rgb \"\(series.opacity < 1 ? color.withOpacity(series.opacity) : color.hex)\""
    let description = series.label ?? "unlabeled \(series.kind)"
    switch series.kind {
    case .lines:
      let source = addBlock(series.columns, comment: "\(description): x y")
      return ["\(source) using 1:2 with lines linewidth \(width)\(dash) \(opaque) \(title)"]
    case .points:
      let source = addBlock(series.columns, comment: "\(description): x y")
      return [
        "\(source) using 1:2 with points pointtype \(series.pointType) pointsize \(format(series.pointSize)) "
          + "\(translucent) \(title)"
      ]
    case .linesPoints:
      let source = addBlock(series.columns, comment: "\(description): x y")
      return [
        "\(source) using 1:2 with linespoints linewidth \(width)\(dash) pointtype \(series.pointType) "
          + "pointsize \(format(series.pointSize)) \(opaque) \(title)"
      ]
    case .bars:
      let source = addBlock(series.columns, comment: "\(description): center height width")
      let fill = series.opacity < 1 ? "transparent solid \(format(series.opacity))" : "solid 1.0"
      return [
        "\(source) using 1:2:3 with boxes fillstyle \(fill) border linecolor rgb \"\(color.hex)\" "
          + "linewidth \(width) \(opaque) \(title)"
      ]
    case .filled:
      let source = addBlock(series.columns, comment: "\(description): x density")
      return [
        "\(source) using 1:2 with filledcurves y1=0 fillstyle transparent solid \(format(series.opacity)) "
          + "\(opaque) notitle",
        "\(source) using 1:2 with lines linewidth \(width)\(dash) \(opaque) \(title)",
      ]
    case .vectors:
      let source = addBlock(series.columns, comment: "\(description): x y dx dy")
      return [
        "\(source) using 1:2:3:4 with vectors head filled size screen \(format(series.arrowHead)),25 "
          + "linewidth \(width) "
          + "\(opaque) \(title)"
      ]
    case .heatmap, .picture:
      return []
    }
  }

  private func heatmapSettings(_ series: Series) -> [String] {
    var lines: [String] = []
    let values = series.columns[2].filter(\.isFinite)
    switch series.palette {
    case .viridis:
      lines.append(
        "set palette defined (0 \"#440154\", 0.25 \"#3B528B\", 0.5 \"#21918C\", 0.75 \"#5EC962\", 1 \"#FDE725\")")
      if let range = series.valueRange { lines.append("set cbrange [\(format(range.lowerBound)):\(format(range.upperBound))]") }
    case .grays:
      lines.append("set palette defined (0 \"#000000\", 1 \"#FFFFFF\")")
      if let range = series.valueRange { lines.append("set cbrange [\(format(range.lowerBound)):\(format(range.upperBound))]") }
    case .diverging(let center):
      lines.append("set palette defined (0 \"#2166AC\", 0.25 \"#92C5DE\", 0.5 \"#F7F7F7\", 0.75 \"#F4A582\", 1 \"#B2182B\")")
      let spread: Double
      if let range = series.valueRange {
        spread = max(abs(range.lowerBound - center), abs(range.upperBound - center))
      } else {
        spread = values.map { abs($0 - center) }.max() ?? 1
      }
      let half = spread > 0 ? spread : 1
      lines.append("set cbrange [\(format(center - half)):\(format(center + half))]")
    }
    if let label = series.label { lines.append("set cblabel \(quoted(label))") }
    lines.append("set format cb \"%g\"")
    lines.append("set colorbox")
    return lines
  }

  private mutating func heatmapElements(_ series: Series) throws -> [String] {
    guard let size = series.gridSize else { return [] }
    let xs = Array(series.columns[0].prefix(size.columns))
    let ys = stride(from: 0, to: series.columns[1].count, by: size.columns).map { series.columns[1][$0] }
    let source = addGridBlock(series, columns: size.columns, comment: "\(series.label ?? "heatmap"): x y value")
    var elements = ["\(source) using 1:2:3 with image notitle"]
    for level in series.contourLevels {
      let segments = contourSegments(xs: xs, ys: ys, values: series.columns[2], level: level)
      var text = ""
      for (start, end) in segments {
        text += "\(format(start.0)) \(format(start.1))\n\(format(end.0)) \(format(end.1))\n\n"
      }
      if segments.isEmpty { text = "NaN NaN\n" }
      let contour = addRawBlock(text, comment: "contour of \(series.label ?? "heatmap") at \(format(level)): segments")
      let title = series.label.map { "title \(quoted("\($0) = \(format(level))"))" } ?? "notitle"
      elements.append(
        "\(contour) using 1:2 with lines linewidth 3 linecolor rgb \"\(series.contourColor.hex)\" \(title)")
    }
    return elements
  }

  /// Horizontal lines span the panel's x extent and vertical ones its y extent, so they widen the autoscaled
  /// range when needed and appear in the legend with their meaning.
  private mutating func referenceLineElements(_ panel: Panel, arrows: inout [String]) -> [String] {
    guard !panel.referenceLines.isEmpty else { return [] }
    let extents = panel.series.compactMap(\.extent)
    let xLow = panel.xAxis.minimum ?? extents.map(\.x.lowerBound).min() ?? 0
    let xHigh = panel.xAxis.maximum ?? extents.map(\.x.upperBound).max() ?? 1
    let yLow = panel.yAxis.minimum ?? extents.map(\.y.lowerBound).min() ?? 0
    let yHigh = panel.yAxis.maximum ?? extents.map(\.y.upperBound).max() ?? 1
    var elements: [String] = []
    for line in panel.referenceLines {
      let points: [[Double]]
      switch line.orientation {
      case .horizontal:
        points = [[xLow, xHigh], [line.value, line.value]]
      case .vertical:
        points = [[line.value, line.value], [yLow, max(yHigh, yLow)]]
      }
      // The data line widens the autoscaled range to include the value; the arrow spans the whole panel.
      let axis = line.orientation == .horizontal ? panel.yAxis : panel.xAxis
      if (axis.minimum.map { line.value >= $0 } ?? true) && (axis.maximum.map { line.value <= $0 } ?? true)
        && (!axis.logScale || line.value > 0)
      {
        let style = "nohead back dashtype 2 linewidth 3 linecolor rgb \"\(line.color.hex)\""
        switch line.orientation {
        case .horizontal:
          arrows.append("set arrow from graph 0, first \(format(line.value)) to graph 1, first \(format(line.value)) \(style)")
        case .vertical:
          arrows.append("set arrow from first \(format(line.value)), graph 0 to first \(format(line.value)), graph 1 \(style)")
        }
      }
      let source = addBlock(points, comment: "reference line \(line.label ?? format(line.value))")
      let title = line.label.map { "title \(quoted($0))" } ?? "notitle"
      elements.append(
        "\(source) using 1:2 with lines dashtype 2 linewidth 3 linecolor rgb \"\(line.color.hex)\" \(title)")
    }
    return elements
  }

  // MARK: Data blocks

  /// Adds a block with one row per index of `columns`; returns how the plot command refers to it.
  private mutating func addBlock(_ columns: [[Double]], comment: String) -> String {
    let rows = columns.first?.count ?? 0
    var text = ""
    text.reserveCapacity(rows * columns.count * 12)
    for row in 0..<rows {
      text += columns.map { format($0[row]) }.joined(separator: " ")
      text += "\n"
    }
    if rows == 0 { text = columns.map { _ in "NaN" }.joined(separator: " ") + "\n" }
    return addRawBlock(text, comment: comment)
  }

  /// A heatmap block: rows of the grid separated by single blank lines (gnuplot's scan lines).
  private mutating func addGridBlock(_ series: Series, columns: Int, comment: String) -> String {
    var text = ""
    let count = series.columns[0].count
    for index in 0..<count {
      text += "\(format(series.columns[0][index])) \(format(series.columns[1][index])) \(format(series.columns[2][index]))\n"
      if (index + 1) % columns == 0, index + 1 < count { text += "\n" }
    }
    return addRawBlock(text, comment: comment)
  }

  private mutating func addRawBlock(_ text: String, comment: String) -> String {
    let index = blockCount
    blockCount += 1
    let body = text.hasSuffix("\n\n") ? String(text.dropLast()) : text
    switch dataSource {
    case .file(let file):
      data += "\n# index \(index): \(comment.replacingOccurrences(of: "\n", with: " "))\n" + body + "\n"
      return "\(quoted(file)) index \(index)"
    case .inline:
      data += "$data_\(index) << EOD\n" + body + "EOD\n"
      return "$data_\(index)"
    }
  }
}

// MARK: - Text helpers

/// A gnuplot double-quoted string showing `text` literally: backslashes and quotes are escaped, and the enhanced-
/// text markup characters (`_ ^ @ & ~ { }`) are escaped so "loss_D" stays "loss_D". Use Unicode for math (σ, ², ½, ∇).
func quoted(_ text: String) -> String {
  var result = "\""
  for character in text {
    switch character {
    case "\\": result += "\\\\\\\\"
    case "\"": result += "\\\""
    case "\n": result += "\\n"
    case "_", "^", "@", "&", "~", "{", "}": result += "\\\\" + String(character)
    default: result.append(character)
    }
  }
  return result + "\""
}

/// A number as gnuplot reads it: shortest round-trip form, `NaN` for anything not finite.
func format(_ value: Double) -> String {
  guard value.isFinite else { return "NaN" }
  if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
  return "\(value)"
}
