import Foundation

/// A number a series can hold: `Double`, `Float` or `Int`, so lessons pass their arrays as they are.
public protocol PlotValue: Sendable {
  var plotValue: Double { get }
}

extension Double: PlotValue { public var plotValue: Double { self } }
extension Float: PlotValue { public var plotValue: Double { Double(self) } }
extension Int: PlotValue { public var plotValue: Double { Double(self) } }

extension Array where Element: PlotValue {
  var doubles: [Double] { map(\.plotValue) }
}

// MARK: - Series

/// One thing drawn in a panel: a curve, a point cloud, a histogram, a density, a heatmap or a vector field.
///
/// Make one with the static constructors (`.line(x:y:label:)`, `.scatter(x:y:)`, `.histogram(_:bins:)`,
/// `.heatmap(x:y:values:)`, `.vectors(x:y:dx:dy:)`, ...). The numbers are checked when the figure is written:
/// columns of different lengths are an error that names the figure and the series.
public struct Series: Sendable {
  /// How the numbers are drawn.
  public enum Kind: Sendable {
    /// A polyline through (x, y).
    case lines
    /// A marker at each (x, y).
    case points
    /// Markers joined by lines.
    case linesPoints
    /// Bars: columns (center, height, width).
    case bars
    /// The area between the curve (x, y) and y = 0, shaded, with the curve on top.
    case filled
    /// Arrows from (x, y) to (x + dx, y + dy): columns (x, y, dx, dy).
    case vectors
    /// A colored grid of values f(x, y): columns (x, y, value), row by row, with optional contour lines.
    case heatmap
    /// A PNG file drawn at its own pixels (x right, y down from the top-left corner): columns (x, y) hold its two
    /// corners, so that the panel's extent covers it.
    case picture

    /// What each data column holds, for error messages and the data file's comments.
    var columnNames: [String] {
      switch self {
      case .lines, .points, .linesPoints, .filled: return ["x", "y"]
      case .bars: return ["center", "height", "width"]
      case .vectors: return ["x", "y", "dx", "dy"]
      case .heatmap: return ["x", "y", "value"]
      case .picture: return ["x", "y"]
      }
    }
  }

  public var kind: Kind
  /// The legend entry; `nil` leaves the series out of the legend.
  public var label: String?
  /// The numbers, column by column (all columns have the same length).
  public var columns: [[Double]]
  /// The color; `nil` takes the next color of `Color.cycle`.
  public var color: Color?
  /// Line width in pixels (lines, borders, arrows).
  public var lineWidth: Double = 3
  /// Dashed instead of solid.
  public var dashed: Bool = false
  /// Marker size (gnuplot's `pointsize`).
  public var pointSize: Double = 2
  /// Marker shape: gnuplot point type (7 is a filled circle, 5 a filled square, 9 a filled triangle).
  public var pointType: Int = 7
  /// 1 is opaque; smaller lets overlapping points, bars and areas show through.
  public var opacity: Double = 1
  /// Heatmap only: the grid's size, `(columns: x.count, rows: y.count)`.
  public var gridSize: (columns: Int, rows: Int)? = nil
  /// Heatmap only: the color scale.
  public var palette: Palette = .viridis
  /// Heatmap only: values mapped to the ends of the palette; `nil` uses the data's range.
  public var valueRange: ClosedRange<Double>? = nil
  /// Heatmap only: draw contour lines at these values (computed here by marching squares).
  public var contourLevels: [Double] = []
  /// Heatmap only: the contour lines' color.
  public var contourColor: Color = .black
  /// Vectors only: the arrow heads' length, as a share of the figure's width.
  public var arrowHead: Double = 0.012
  /// Picture only: the PNG's file name, relative to the folder the script is rendered in.
  public var pictureFile: String? = nil

  init(kind: Kind, label: String?, columns: [[Double]], color: Color?) {
    self.kind = kind
    self.label = label
    self.columns = columns
    self.color = color
  }

  // MARK: Curves and points

  /// A curve through the points (x[i], y[i]).
  public static func line<X: PlotValue, Y: PlotValue>(
    x: [X], y: [Y], label: String? = nil, color: Color? = nil, width: Double = 3, dashed: Bool = false
  ) -> Series {
    var series = Series(kind: .lines, label: label, columns: [x.doubles, y.doubles], color: color)
    series.lineWidth = width
    series.dashed = dashed
    return series
  }

  /// A curve through (i, y[i]) for i = 0, 1, 2, ... (a loss per step).
  public static func line<Y: PlotValue>(
    y: [Y], label: String? = nil, color: Color? = nil, width: Double = 3, dashed: Bool = false
  ) -> Series {
    line(x: Array(0..<y.count), y: y, label: label, color: color, width: width, dashed: dashed)
  }

  /// A marker at each (x[i], y[i]).
  public static func points<X: PlotValue, Y: PlotValue>(
    x: [X], y: [Y], label: String? = nil, color: Color? = nil, size: Double = 2, pointType: Int = 7
  ) -> Series {
    var series = Series(kind: .points, label: label, columns: [x.doubles, y.doubles], color: color)
    series.pointSize = size
    series.pointType = pointType
    return series
  }

  /// Markers joined by a line.
  public static func linesPoints<X: PlotValue, Y: PlotValue>(
    x: [X], y: [Y], label: String? = nil, color: Color? = nil, width: Double = 3, size: Double = 2,
    pointType: Int = 7
  ) -> Series {
    var series = Series(kind: .linesPoints, label: label, columns: [x.doubles, y.doubles], color: color)
    series.lineWidth = width
    series.pointSize = size
    series.pointType = pointType
    return series
  }

  /// A 2D point cloud: small, partly transparent dots, so dense regions look darker (samples from a GAN).
  public static func scatter<X: PlotValue, Y: PlotValue>(
    x: [X], y: [Y], label: String? = nil, color: Color? = nil, size: Double = 0.8, opacity: Double = 0.5
  ) -> Series {
    var series = points(x: x, y: y, label: label, color: color, size: size, pointType: 7)
    series.opacity = opacity
    return series
  }

  // MARK: Distributions

  /// A histogram of `values`: `bins` equal-width bars over `range` (the data's range when `nil`).
  /// With `normalized` the bar heights are a density (area 1), so it can be drawn over a density curve.
  /// Values outside the range are left out.
  public static func histogram<V: PlotValue>(
    _ values: [V], bins: Int = 40, range: ClosedRange<Double>? = nil, normalized: Bool = true,
    label: String? = nil, color: Color? = nil, opacity: Double = 0.5
  ) -> Series {
    let numbers = values.doubles.filter(\.isFinite)
    let bins = max(bins, 1)
    var low = range?.lowerBound ?? numbers.min() ?? 0
    var high = range?.upperBound ?? numbers.max() ?? 1
    if !(high > low) {
      low -= 0.5
      high += 0.5
    }
    let width = (high - low) / Double(bins)
    var counts = [Double](repeating: 0, count: bins)
    for value in numbers where value >= low && value <= high {
      counts[min(Int((value - low) / width), bins - 1)] += 1
    }
    if normalized, !numbers.isEmpty {
      let scale = 1 / (Double(numbers.count) * width)
      counts = counts.map { $0 * scale }
    }
    let centers = (0..<bins).map { low + (Double($0) + 0.5) * width }
    var series = Series(
      kind: .bars, label: label,
      columns: [centers, counts, [Double](repeating: width, count: bins)], color: color)
    series.opacity = opacity
    series.lineWidth = 1
    return series
  }

  /// Bars of the given heights centered at `x`, each `width` wide.
  public static func bars<X: PlotValue, Y: PlotValue>(
    x: [X], heights: [Y], width: Double, label: String? = nil, color: Color? = nil, opacity: Double = 0.7
  ) -> Series {
    var series = Series(
      kind: .bars, label: label,
      columns: [x.doubles, heights.doubles, [Double](repeating: width, count: x.count)], color: color)
    series.opacity = opacity
    series.lineWidth = 1
    return series
  }

  /// A density curve p(x) with the area under it shaded.
  public static func density<X: PlotValue, Y: PlotValue>(
    x: [X], y: [Y], label: String? = nil, color: Color? = nil, opacity: Double = 0.3
  ) -> Series {
    var series = Series(kind: .filled, label: label, columns: [x.doubles, y.doubles], color: color)
    series.opacity = opacity
    return series
  }

  // MARK: Functions over the plane

  /// A function over a grid, drawn as colors: `values[row * x.count + column]` is f(x[column], y[row]).
  /// `label` names the color scale (and the contour lines: "label = level").
  public static func heatmap<X: PlotValue, Y: PlotValue, V: PlotValue>(
    x: [X], y: [Y], values: [V], label: String? = nil, palette: Palette = .viridis,
    range: ClosedRange<Double>? = nil, contours: [Double] = [], contourColor: Color = .black
  ) -> Series {
    let xs = x.doubles
    let ys = y.doubles
    let zs = values.doubles
    var columnX: [Double] = []
    var columnY: [Double] = []
    columnX.reserveCapacity(zs.count)
    columnY.reserveCapacity(zs.count)
    for row in 0..<ys.count {
      for column in 0..<xs.count {
        columnX.append(xs[column])
        columnY.append(ys[row])
      }
    }
    var series = Series(kind: .heatmap, label: label, columns: [columnX, columnY, zs], color: nil)
    series.gridSize = (xs.count, ys.count)
    series.palette = palette
    series.valueRange = range
    series.contourLevels = contours
    series.contourColor = contourColor
    return series
  }

  /// The PNG `file` (beside the figure's script) drawn pixel for pixel, `width` x `height` pixels.
  public static func picture(file: String, width: Int, height: Int) -> Series {
    var series = Series(kind: .picture, label: nil, columns: [[0, Double(width)], [0, Double(height)]], color: nil)
    series.pictureFile = file
    return series
  }

  /// Arrows from (x, y) along (dx, dy): a gradient field. With `longest`, all arrows are scaled by one factor so
  /// that the longest is that long (in data units); their relative lengths are kept.
  public static func vectors<V: PlotValue>(
    x: [V], y: [V], dx: [V], dy: [V], label: String? = nil, color: Color? = nil, width: Double = 2,
    longest: Double? = nil
  ) -> Series {
    var u = dx.doubles
    var v = dy.doubles
    if let longest, longest > 0 {
      let maximum = zip(u, v).map { ($0 * $0 + $1 * $1).squareRoot() }.filter(\.isFinite).max() ?? 0
      if maximum > 0 {
        let factor = longest / maximum
        u = u.map { $0 * factor }
        v = v.map { $0 * factor }
      }
    }
    var series = Series(kind: .vectors, label: label, columns: [x.doubles, y.doubles, u, v], color: color)
    series.lineWidth = width
    return series
  }

  // MARK: Extent

  /// The smallest and largest finite x and y this series draws (for reference lines and shared animation axes).
  var extent: (x: ClosedRange<Double>, y: ClosedRange<Double>)? {
    guard columns.count >= 2 else { return nil }
    var xs = columns[0]
    var ys = columns[1]
    switch kind {
    case .bars:
      let halfWidths = columns.count > 2 ? columns[2].map { $0 / 2 } : []
      xs = zip(columns[0], halfWidths).map { $0 - $1 } + zip(columns[0], halfWidths).map { $0 + $1 }
      ys += [0]
    case .filled:
      ys += [0]
    case .vectors where columns.count >= 4:
      xs += zip(columns[0], columns[2]).map { $0 + $1 }
      ys += zip(columns[1], columns[3]).map { $0 + $1 }
    default:
      break
    }
    let finiteX = xs.filter(\.isFinite)
    let finiteY = ys.filter(\.isFinite)
    guard let x0 = finiteX.min(), let x1 = finiteX.max(), let y0 = finiteY.min(), let y1 = finiteY.max() else {
      return nil
    }
    return (x0...x1, y0...y1)
  }
}

// MARK: - Contours

/// Contour lines of a grid by marching squares: for each cell, the level crosses the edges whose two corners lie
/// on opposite sides, at the linearly interpolated point; each cell contributes 0, 1 or 2 segments.
///
/// `values[row * xs.count + column]` is the value at (xs[column], ys[row]). Returns line segments as pairs of points.
func contourSegments(
  xs: [Double], ys: [Double], values: [Double], level: Double
) -> [((Double, Double), (Double, Double))] {
  let columns = xs.count
  let rows = ys.count
  guard columns >= 2, rows >= 2, values.count == columns * rows else { return [] }
  var segments: [((Double, Double), (Double, Double))] = []
  func value(_ row: Int, _ column: Int) -> Double { values[row * columns + column] }
  for row in 0..<(rows - 1) {
    for column in 0..<(columns - 1) {
      // Corners counter-clockwise: (x0,y0) (x1,y0) (x1,y1) (x0,y1).
      let corners = [
        (xs[column], ys[row], value(row, column)),
        (xs[column + 1], ys[row], value(row, column + 1)),
        (xs[column + 1], ys[row + 1], value(row + 1, column + 1)),
        (xs[column], ys[row + 1], value(row + 1, column)),
      ]
      if corners.contains(where: { !$0.2.isFinite }) { continue }
      var crossings: [(Double, Double)] = []
      for edge in 0..<4 {
        let a = corners[edge]
        let b = corners[(edge + 1) % 4]
        let aAbove = a.2 >= level
        let bAbove = b.2 >= level
        if aAbove != bAbove {
          let t = (level - a.2) / (b.2 - a.2)
          crossings.append((a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1)))
        }
      }
      if crossings.count == 2 {
        segments.append((crossings[0], crossings[1]))
      } else if crossings.count == 4 {
        // A saddle: decide by the cell's mean which pairs belong together.
        let center = corners.map(\.2).reduce(0, +) / 4
        let firstAbove = corners[0].2 >= level
        if (center >= level) == firstAbove {
          segments.append((crossings[0], crossings[1]))
          segments.append((crossings[2], crossings[3]))
        } else {
          segments.append((crossings[3], crossings[0]))
          segments.append((crossings[1], crossings[2]))
        }
      }
    }
  }
  return segments
}
