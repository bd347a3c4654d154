import Foundation

// MARK: - Figure

/// A chart: one or more panels drawn into one image, written as a gnuplot script plus its data.
///
/// A figure named `critic` becomes three files in the output folder:
/// - `critic.gp`: the gnuplot script, readable and editable, with relative paths only;
/// - `critic.dat`: every series' numbers, one data block per series (blocks are separated by two blank lines
///   and addressed in the script as `'critic.dat' index N`);
/// - `critic.png`: the picture, made by running `gnuplot critic.gp` in that folder.
///
/// The defaults are chosen for a classroom projector: 1280x800 pixels, a 20-point font and thick lines.
///
/// ```swift
/// var losses = Figure(name: "losses", title: "Training losses", xLabel: "step", yLabel: "loss")
/// losses.add(.line(x: steps, y: criticLoss, label: "critic"))
/// losses.add(.line(x: steps, y: generatorLoss, label: "generator"))
/// losses.panel.referenceLines = [.horizontal(2 * log(2), label: "2 ln 2")]
/// ```
public struct Figure: Sendable {
  /// The file stem: letters, digits, `-`, `_` and `.` (not first). `critic` gives `critic.gp`, `critic.dat`, `critic.png`.
  public var name: String
  /// The heading above the whole figure.
  public var title: String?
  /// Image width in pixels.
  public var width: Int
  /// Image height in pixels.
  public var height: Int
  /// Font size in points for tick labels, axis labels and legends; titles are drawn a few points larger.
  public var fontSize: Int
  /// The panels, drawn left to right, then top to bottom.
  public var panels: [Panel]
  /// Panels per row; `nil` puts up to three panels in one row and arranges more in a near-square grid.
  public var columns: Int?

  /// A figure made of several panels (gnuplot's `multiplot`).
  public init(
    name: String, title: String? = nil, width: Int = 1280, height: Int = 800, fontSize: Int = 20,
    columns: Int? = nil, panels: [Panel]
  ) {
    self.name = name
    self.title = title
    self.width = width
    self.height = height
    self.fontSize = fontSize
    self.columns = columns
    self.panels = panels
  }

  /// A figure with a single panel.
  public init(
    name: String, title: String? = nil, xLabel: String? = nil, yLabel: String? = nil,
    width: Int = 1280, height: Int = 800, fontSize: Int = 20, series: [Series] = []
  ) {
    self.init(
      name: name, title: title, width: width, height: height, fontSize: fontSize,
      panels: [Panel(xLabel: xLabel, yLabel: yLabel, series: series)])
  }

  /// The first panel: the whole figure when it has only one. Creates an empty panel if there is none.
  public var panel: Panel {
    get { panels.first ?? Panel() }
    set {
      if panels.isEmpty { panels = [newValue] } else { panels[0] = newValue }
    }
  }

  /// The same panels under another name and size: an animation's last frame kept as a picture of its own.
  public func renamed(_ name: String, width: Int? = nil, height: Int? = nil) -> Figure {
    var figure = self
    figure.name = name
    figure.width = width ?? self.width
    figure.height = height ?? self.height
    return figure
  }

  /// Adds a series to the last panel (creating a panel if there is none).
  public mutating func add(_ series: Series) {
    if panels.isEmpty { panels.append(Panel()) }
    panels[panels.count - 1].series.append(series)
  }

  /// Adds a reference line to the last panel (creating a panel if there is none).
  public mutating func add(_ line: ReferenceLine) {
    if panels.isEmpty { panels.append(Panel()) }
    panels[panels.count - 1].referenceLines.append(line)
  }

  /// The grid of panels as (rows, columns).
  var layout: (rows: Int, columns: Int) {
    let count = max(panels.count, 1)
    let columns = max(1, min(self.columns ?? (count <= 3 ? count : Int(Double(count).squareRoot().rounded(.up))), count))
    return ((count + columns - 1) / columns, columns)
  }
}

// MARK: - Panel

/// One set of axes with its series, reference lines and text labels.
public struct Panel: Sendable {
  /// The panel's heading (in a single-panel figure the figure's title is used when this is `nil`).
  public var title: String?
  /// The horizontal axis.
  public var xAxis: Axis
  /// The vertical axis.
  public var yAxis: Axis
  /// The data, drawn in order (later series on top).
  public var series: [Series]
  /// Dashed lines marking a special value, e.g. `D = 1/2` or `2 ln 2`.
  public var referenceLines: [ReferenceLine]
  /// Text placed at data coordinates.
  public var labels: [TextLabel]
  /// Where the legend goes.
  public var legend: Legend
  /// Draw one unit on x as long as one unit on y (for 2D point clouds and vector fields).
  public var equalAspect: Bool
  /// Light grid lines at the major tics.
  public var grid: Bool

  public init(
    title: String? = nil, xLabel: String? = nil, yLabel: String? = nil, series: [Series] = [],
    referenceLines: [ReferenceLine] = [], labels: [TextLabel] = [], legend: Legend = .topRight,
    equalAspect: Bool = false, grid: Bool = true
  ) {
    self.title = title
    self.xAxis = Axis(xLabel)
    self.yAxis = Axis(yLabel)
    self.series = series
    self.referenceLines = referenceLines
    self.labels = labels
    self.legend = legend
    self.equalAspect = equalAspect
    self.grid = grid
  }
}

/// An axis: its label, an optional fixed range and an optional logarithmic scale.
public struct Axis: Sendable {
  /// The text under (x) or beside (y) the axis.
  public var label: String?
  /// The smallest value shown; `nil` lets gnuplot choose from the data.
  public var minimum: Double?
  /// The largest value shown; `nil` lets gnuplot choose from the data.
  public var maximum: Double?
  /// Base-10 logarithmic scale (values must be positive).
  public var logScale: Bool
  /// Named ticks instead of numbers (e.g. one per bar: `[Tick(1, "nearest"), Tick(2, "bicubic")]`).
  public var ticks: [Tick]?
  /// The distance between numbered ticks (e.g. 1 for whole repetitions); `nil` lets gnuplot choose.
  public var tickStep: Double?
  /// Larger values first (down the page for y, as pictures count their rows).
  public var reversed = false

  public init(
    _ label: String? = nil, range: ClosedRange<Double>? = nil, logScale: Bool = false, ticks: [Tick]? = nil,
    tickStep: Double? = nil
  ) {
    self.label = label
    self.minimum = range?.lowerBound
    self.maximum = range?.upperBound
    self.logScale = logScale
    self.ticks = ticks
    self.tickStep = tickStep
  }

  /// Both ends at once; setting `nil` returns to automatic scaling.
  public var range: ClosedRange<Double>? {
    get {
      guard let minimum, let maximum, minimum <= maximum else { return nil }
      return minimum...maximum
    }
    set {
      minimum = newValue?.lowerBound
      maximum = newValue?.upperBound
    }
  }

  /// The whole powers of ten around `values` (their positive, finite ones), for a log-scale axis whose ends fall on
  /// labeled ticks: 10^floor(log10 min) ... 10^ceil(log10 max), widened by `below` and `above` more decades (room
  /// for a legend). Nil when no value is positive.
  public static func decades(covering values: [Double], below: Int = 0, above: Int = 0) -> ClosedRange<Double>? {
    let positive = values.filter { $0 > 0 && $0.isFinite }
    guard let low = positive.min(), let high = positive.max() else { return nil }
    return pow(10, log10(low).rounded(.down) - Double(below))...pow(10, log10(high).rounded(.up) + Double(above))
  }
}

/// A named tick on an axis: `label` written at `value`.
public struct Tick: Sendable, Equatable {
  public var value: Double
  public var label: String
  public init(_ value: Double, _ label: String) {
    self.value = value
    self.label = label
  }
}

/// Where a panel's legend (gnuplot's "key") is placed.
public enum Legend: Sendable {
  case topRight, topLeft, bottomRight, bottomLeft
  /// Outside the plot area, to the right.
  case outside
  /// Under the plot area, in a row.
  case below
  case hidden
}

/// A straight dashed line across a panel that marks a value worth remembering, with its meaning in the legend.
public struct ReferenceLine: Sendable {
  public enum Orientation: Sendable { case horizontal, vertical }
  public var orientation: Orientation
  /// The y value of a horizontal line, or the x value of a vertical one.
  public var value: Double
  public var label: String?
  public var color: Color

  /// A horizontal line at `y`, e.g. `.horizontal(0.5, label: "D = 1/2")`.
  public static func horizontal(_ y: Double, label: String? = nil, color: Color = .darkGrey) -> ReferenceLine {
    ReferenceLine(orientation: .horizontal, value: y, label: label, color: color)
  }

  /// A vertical line at `x`.
  public static func vertical(_ x: Double, label: String? = nil, color: Color = .darkGrey) -> ReferenceLine {
    ReferenceLine(orientation: .vertical, value: x, label: label, color: color)
  }
}

/// Text drawn at a point given in the panel's data coordinates.
public struct TextLabel: Sendable {
  public var text: String
  public var x: Double
  public var y: Double
  public init(_ text: String, x: Double, y: Double) {
    self.text = text
    self.x = x
    self.y = y
  }
}

// MARK: - Colors

/// A color written as `#RRGGBB`. The named colors are the Okabe-Ito set, distinguishable with color-blindness
/// and on a washed-out projector.
public struct Color: Sendable, Hashable, ExpressibleByStringLiteral, CustomStringConvertible {
  /// `#RRGGBB`.
  public let hex: String

  /// A color from `#RRGGBB` (the `#` is optional). Anything else is replaced by black when written, with the
  /// problem reported by `Figure.validate()`.
  public init(hex: String) {
    self.hex = hex.hasPrefix("#") ? hex : "#" + hex
  }

  public init(stringLiteral value: String) { self.init(hex: value) }

  public var description: String { hex }

  /// True when the text is `#` followed by six hexadecimal digits.
  var isValid: Bool {
    hex.count == 7 && hex.dropFirst().allSatisfy { $0.isHexDigit }
  }

  /// This color with an opacity in 0...1, written gnuplot's way: `#AARRGGBB` where AA is the transparency.
  func withOpacity(_ opacity: Double) -> String {
    let alpha = Int(((1 - min(max(opacity, 0), 1)) * 255).rounded())
    return "#" + String(format: "%02X", alpha) + hex.dropFirst()
  }

  public static let blue: Color = "#0072B2"
  public static let orange: Color = "#E69F00"
  public static let green: Color = "#009E73"
  public static let vermillion: Color = "#D55E00"
  public static let purple: Color = "#CC79A7"
  public static let skyBlue: Color = "#56B4E9"
  public static let black: Color = "#000000"
  public static let darkGrey: Color = "#444444"
  public static let gray: Color = "#999999"
  public static let white: Color = "#FFFFFF"

  /// The order series take colors in when they do not name one.
  public static let cycle: [Color] = [.blue, .vermillion, .green, .orange, .purple, .skyBlue, .black]
}

/// How a heatmap turns numbers into colors.
public enum Palette: Sendable {
  /// Dark purple to yellow, perceptually even (like matplotlib's viridis): for values with no special middle.
  case viridis
  /// Blue, white at `center`, red: for signed values such as a critic's output around 0 or D(x) around 1/2.
  /// The color range is made symmetric around the center.
  case diverging(center: Double)
  /// Black to white.
  case grays
}

// MARK: - Labeled image grids

extension Figure {
  /// An image grid saved as `file` (a PNG beside the script), redrawn with a label beside each row and under each
  /// column: which image is which is then in the picture, not only in its caption. Pass "" for a row or column
  /// without a label; fewer labels than rows or columns leave the rest unlabeled.
  ///
  /// The figure's size follows the grid's, with room for the labels (`labelWidth` pixels on the left).
  public static func labeled(
    _ grid: ImageGrid, file: String, name: String, title: String? = nil, rowLabels: [String] = [],
    columnLabels: [String] = [], labelWidth: Int = 260, fontSize: Int = 18
  ) -> Figure {
    let (width, height) = (grid.image.width, grid.image.height)
    var panel = Panel(series: [.picture(file: file, width: width, height: height)], legend: .hidden, grid: false)
    panel.title = title
    panel.equalAspect = true
    panel.xAxis.range = 0...Double(width)
    panel.yAxis.range = 0...Double(height)
    panel.yAxis.reversed = true
    panel.yAxis.ticks = rowLabels.prefix(grid.rows).enumerated().filter { !$0.element.isEmpty }.map {
      Tick(grid.center(row: $0.offset, column: 0).y, $0.element)
    }
    panel.xAxis.ticks = columnLabels.prefix(grid.columns).enumerated().filter { !$0.element.isEmpty }.map {
      Tick(grid.center(row: 0, column: $0.offset).x, $0.element)
    }
    // Equal aspect inside a canvas with margins for the labels, the title and the column labels.
    let canvasWidth = width + labelWidth + 40
    let canvasHeight = height + (title == nil ? 0 : 70) + (columnLabels.isEmpty ? 30 : 70)
    return Figure(
      name: name, title: nil, width: min(10_000, canvasWidth), height: min(10_000, canvasHeight), fontSize: fontSize,
      panels: [panel])
  }
}
