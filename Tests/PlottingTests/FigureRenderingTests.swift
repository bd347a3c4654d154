import Foundation
import XCTest

@testable import Plotting

/// Every kind of figure the lessons use is written, rendered by the real gnuplot without an error or a warning,
/// and checked: a valid PNG (pngcheck), the requested size (IHDR), and the series' colors actually drawn.
final class FigureRenderingTests: XCTestCase {
  // MARK: Figures of every kind

  static let grid = stride(from: -3.0, through: 3.0, by: 0.1).map { $0 }

  static func lossFigure() -> Figure {
    let steps = Array(1...200)
    let critic = steps.map { 0.7 + 0.5 * exp(-Double($0) / 40) }
    let generator = steps.map { Float(2.5 * exp(-Double($0) / 60) + 0.1) }
    var figure = Figure(name: "losses", title: "Losses (log y)", xLabel: "step", yLabel: "loss_D and loss_G")
    figure.add(.line(x: steps, y: critic, label: "critic loss_D"))
    figure.add(.line(x: steps, y: generator, label: "generator", dashed: true))
    figure.add(.horizontal(2 * log(2.0), label: "2 ln 2"))
    figure.panel.yAxis.logScale = true
    figure.panel.xAxis.logScale = true
    return figure
  }

  static func pointsFigure() -> Figure {
    let x = Array(0..<12)
    var figure = Figure(name: "points", title: "Points and lines with points", xLabel: "x", yLabel: "y")
    figure.add(.points(x: x, y: x.map { Double($0 * $0) / 10 }, label: "points", color: .green))
    figure.add(.linesPoints(x: x, y: x.map { Double($0) }, label: "lines+points", color: .purple))
    figure.panel.legend = .topLeft
    figure.panel.labels = [TextLabel("a note", x: 2, y: 10)]
    figure.panel.xAxis.tickStep = 1
    return figure
  }

  static func namedTicksFigure() -> Figure {
    var figure = Figure(name: "bars", title: "Bars with named ticks", yLabel: "score")
    figure.add(.bars(x: [1, 2, 3], heights: [0.5, 0.8, 0.3], width: 0.6, label: "score"))
    figure.panel.xAxis = Axis("method", range: 0.4...3.6, ticks: [Tick(1, "nearest"), Tick(2, "bicubic"), Tick(3, "a \"GAN\"")])
    return figure
  }

  static func distributionFigure() -> Figure {
    var generator = SplitMix(seed: 1)
    let samples = (0..<2000).map { _ in generator.normal() * 0.8 + 1 }
    let density = grid.map { exp(-($0 - 1) * ($0 - 1) / (2 * 0.64)) / (0.8 * (2 * Double.pi).squareRoot()) }
    let critic = grid.map { 1 / (1 + exp(-2 * $0)) }
    var figure = Figure(name: "distributions", title: "Histogram, density, critic", xLabel: "x", yLabel: "density")
    figure.add(.histogram(samples, bins: 30, label: "generated (histogram)", color: .orange))
    figure.add(.density(x: grid, y: density, label: "real p(x)", color: .blue))
    figure.add(.line(x: grid, y: critic, label: "D(x)", color: .vermillion))
    figure.add(.horizontal(0.5, label: "D = 1/2"))
    figure.add(.vertical(1, label: "mean", color: .green))
    return figure
  }

  static func scatterFigure() -> Figure {
    var generator = SplitMix(seed: 2)
    var x: [Double] = []
    var y: [Double] = []
    for index in 0..<800 {
      let angle = Double(index % 8) * Double.pi / 4
      x.append(2 * cos(angle) + 0.1 * generator.normal())
      y.append(2 * sin(angle) + 0.1 * generator.normal())
    }
    var figure = Figure(name: "ring", title: "Ring of 8 Gaussians", xLabel: "x_1", yLabel: "x_2")
    figure.add(.scatter(x: x, y: y, label: "real", color: .blue))
    figure.add(.scatter(x: x.map { $0 * 0.2 + 1 }, y: y.map { $0 * 0.2 }, label: "generated", color: .vermillion))
    figure.panel.equalAspect = true
    figure.panel.legend = .outside
    return figure
  }

  static func surfaceFigure() -> Figure {
    let xs = stride(from: -2.0, through: 2.0, by: 0.1).map { $0 }
    let ys = stride(from: -1.5, through: 1.5, by: 0.1).map { $0 }
    var values: [Double] = []
    for y in ys { for x in xs { values.append(1 / (1 + exp(-(x * x + y * y - 1) * 3))) } }
    var arrowX: [Double] = []
    var arrowY: [Double] = []
    var dx: [Double] = []
    var dy: [Double] = []
    for y in stride(from: -1.5, through: 1.5, by: 0.5) {
      for x in stride(from: -2.0, through: 2.0, by: 0.5) {
        arrowX.append(x)
        arrowY.append(y)
        dx.append(2 * x)
        dy.append(2 * y)
      }
    }
    var figure = Figure(name: "critic-surface", title: "A critic over the plane", xLabel: "x", yLabel: "y")
    figure.add(.heatmap(x: xs, y: ys, values: values, label: "D(x)", palette: .diverging(center: 0.5), contours: [0.5]))
    figure.add(.vectors(x: arrowX, y: arrowY, dx: dx, dy: dy, label: "∇D", color: .black, longest: 0.45))
    figure.panel.equalAspect = true
    figure.panel.legend = .below
    return figure
  }

  static func panelsFigure() -> Figure {
    let x = grid
    let panels = (1...4).map { index -> Panel in
      var panel = Panel(title: "panel \(index)", xLabel: "x", yLabel: "y")
      panel.series = [.line(x: x, y: x.map { sin(Double(index) * $0) }, label: "sin(\(index)x)")]
      panel.referenceLines = [.horizontal(0, label: nil)]
      panel.yAxis.range = -1.2...1.2
      return panel
    }
    return Figure(name: "panels", title: "Four panels", panels: panels)
  }

  static func viridisFigure() -> Figure {
    let xs = (0..<30).map(Double.init)
    let ys = (0..<20).map(Double.init)
    let values = ys.flatMap { y in xs.map { x in x * y } }
    var figure = Figure(name: "heat", title: "Heatmap, viridis", width: 900, height: 600)
    figure.add(.heatmap(x: xs, y: ys, values: values, label: "x·y", contours: [100, 300]))
    return figure
  }

  static let allFigures: [Figure] = [
    lossFigure(), pointsFigure(), distributionFigure(), scatterFigure(), surfaceFigure(), panelsFigure(),
    viridisFigure(), namedTicksFigure(),
    Figure(name: "empty", title: "An empty panel still renders", width: 640, height: 400),
  ]

  func testEveryFigureKindRendersWithoutWarningsAtTheRequestedSize() throws {
    let gnuplot = try requireGnuplot()
    // PLOTTING_TEST_KEEP=/some/folder keeps the pictures for a look.
    let keep = ProcessInfo.processInfo.environment["PLOTTING_TEST_KEEP"]
    let folder = try keep.map { URL(fileURLWithPath: $0) } ?? makeTemporaryFolder(self)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    for figure in Self.allFigures {
      let files = try figure.write(to: folder)
      XCTAssertNoThrow(try gnuplot.render(files), "figure \(figure.name)")
      let png = try Data(contentsOf: files.image)
      let header = try PNG.header(of: png)
      XCTAssertEqual(header.width, figure.width, figure.name)
      XCTAssertEqual(header.height, figure.height, figure.name)
      try assertPNGCheckPasses(files.image)
      // Nothing half-written is left behind.
      let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix(".") }
      XCTAssertEqual(leftovers, [], figure.name)
    }
  }

  /// Named ticks and a tick step reach the script as gnuplot `tics` commands.
  func testTicksAreWrittenIntoTheScript() throws {
    let folder = try makeTemporaryFolder(self)
    let named = try String(contentsOf: Self.namedTicksFigure().write(to: folder).script, encoding: .utf8)
    XCTAssertTrue(named.contains("set xtics (\"nearest\" 1, \"bicubic\" 2, "), named)
    let stepped = try String(contentsOf: Self.pointsFigure().write(to: folder).script, encoding: .utf8)
    XCTAssertTrue(stepped.contains("set xtics 1\n"), stepped)
  }

  /// The series are really drawn: pixels in each series' color exist in the picture.
  func testSeriesColorsAppearInTheRenderedImage() throws {
    let gnuplot = try requireGnuplot()
    let folder = try makeTemporaryFolder(self)
    let cases: [(Figure, [Color])] = [
      (Self.lossFigure(), [.blue, .vermillion, .darkGrey]),
      (Self.pointsFigure(), [.green, .purple]),
      (Self.scatterFigure(), [.blue]),
      (Self.surfaceFigure(), ["#B2182B", "#2166AC", .black]),
    ]
    for (figure, colors) in cases {
      let files = try figure.write(to: folder)
      try gnuplot.render(files)
      let image = try PNG.decode(Data(contentsOf: files.image))
      XCTAssertEqual(image.format, .rgb)
      for color in colors {
        let count = countPixels(image, near: color, tolerance: 40)
        XCTAssertGreaterThan(count, 50, "\(figure.name): color \(color) should be drawn, found \(count) pixels")
      }
    }
  }

  /// A labeled image grid: the grid's own pixels appear in the rendered figure at one screen pixel each (so the
  /// picture is not resampled), the labels are in the script at the rows' centers, and gnuplot draws them.
  func testLabeledGridShowsTheGridPixelForPixelWithItsLabels() throws {
    let gnuplot = try requireGnuplot()
    let folder = try makeTemporaryFolder(self)
    // Two rows of three 4x4 images: the first row white, the second black, on the grid's gray margin.
    let pixels = [Float](repeating: 1, count: 3 * 16) + [Float](repeating: -1, count: 3 * 16)
    let grid = try ImageGrid(images: pixels, count: 6, channels: 1, height: 4, width: 4, columns: 3, scale: 10)
    try grid.pngData().write(to: folder.appendingPathComponent("pair-grid.png"))
    let figure = Figure.labeled(
      grid, file: "pair-grid.png", name: "pair", title: "Inputs and outputs", rowLabels: ["input a", "G(a)"],
      columnLabels: ["1", "", "3"])
    let files = try figure.write(to: folder)
    let script = try String(contentsOf: files.script, encoding: .utf8)
    XCTAssertTrue(script.contains("set ytics (\"input a\" 40, \"G(a)\" 100)"), script)
    XCTAssertTrue(script.contains("set xtics (\"1\" 40, \"3\" 160)"), script)
    XCTAssertTrue(script.contains("'pair-grid.png' binary filetype=png flipy with rgbimage") || script.contains(
      "\"pair-grid.png\" binary filetype=png flipy with rgbimage"), script)
    try gnuplot.render(files)
    let image = try PNG.decode(Data(contentsOf: files.image))
    XCTAssertEqual(image.width, figure.width)
    // The white row's 3 images of 40x40 pixels, and as many black ones, are drawn (labels add a few black pixels).
    let white = countPixels(image, near: "#FFFFFF", tolerance: 10), black = countPixels(image, near: "#000000", tolerance: 10)
    XCTAssertGreaterThan(black, 3 * 1600)
    XCTAssertGreaterThan(countPixels(image, near: "#808080", tolerance: 10), 2000, "the grid's margin")
    XCTAssertGreaterThan(white, 3 * 1600)
    // The white row is above the black one (rows are not flipped).
    let (firstWhite, firstBlack) = (firstRow(image, near: "#FFFFFF", minimumRun: 30), firstRow(image, near: "#000000", minimumRun: 30))
    XCTAssertLessThan(try XCTUnwrap(firstWhite), try XCTUnwrap(firstBlack))
  }

  /// The first row of `image` with `minimumRun` consecutive pixels near `color`.
  func firstRow(_ image: RasterImage, near color: Color, minimumRun: Int) -> Int? {
    let hex = color.hex.dropFirst()
    let target = stride(from: 0, to: 6, by: 2).map { Int(hex.dropFirst($0).prefix(2), radix: 16)! }
    precondition(image.format == .rgb, "gnuplot's pngcairo writes RGB")
    for y in 0..<image.height {
      var run = 0
      for x in 0..<image.width {
        let base = (y * image.width + x) * 3
        let value = (0..<3).map { Int(image.pixels[base + $0]) }
        run = zip(value, target).allSatisfy { abs($0 - $1) <= 10 } ? run + 1 : 0
        if run >= minimumRun { return y }
      }
    }
    return nil
  }

  func testScriptReRendersByHandInItsFolder() throws {
    _ = try requireGnuplot()
    let folder = try makeTemporaryFolder(self)
    let files = try Self.distributionFigure().write(to: folder)
    let script = try String(contentsOf: files.script, encoding: .utf8)
    XCTAssertTrue(script.contains("'distributions.dat' index") || script.contains("\"distributions.dat\" index"))
    XCTAssertFalse(script.contains(folder.path), "the script must use relative paths only")
    // Plain `gnuplot NAME.gp` in the folder, as a reader would run it.
    let result = try XCTUnwrap(try runProgram("gnuplot", ["distributions.gp"], in: folder))
    XCTAssertEqual(result.status, 0, result.output)
    XCTAssertEqual(result.output, "")
    XCTAssertEqual(try PNG.header(of: Data(contentsOf: files.image)).width, 1280)
  }

  func testDataFileHasOneIndexedBlockPerSeries() throws {
    let folder = try makeTemporaryFolder(self)
    let files = try Self.distributionFigure().write(to: folder)
    let data = try String(contentsOf: files.data, encoding: .utf8)
    let script = try String(contentsOf: files.script, encoding: .utf8)
    // histogram, density (fill + line share one block), critic, two reference lines = 5 blocks.
    XCTAssertEqual(data.components(separatedBy: "\n\n\n").count, 5)
    for index in 0..<5 { XCTAssertTrue(script.contains("index \(index) "), "index \(index) is used") }
    XCTAssertTrue(data.contains("# index 0: generated (histogram)"))
  }

  // MARK: Errors

  func testGnuplotErrorsAndWarningsAreThrownWithItsMessage() throws {
    let gnuplot = try requireGnuplot()
    let folder = try makeTemporaryFolder(self)
    let image = folder.appendingPathComponent("broken.png")
    let cases = [
      ("set terminal pngcairo\nset output outfile\nplot sin(x) with nonsense\n", "nonsense"),
      ("set terminal pngcairo\nset output outfile\nplot 'missing.dat' using 1:2\n", "missing.dat"),
      // A warning only (gnuplot exits 0): still an error for us.
      ("set terminal pngcairo\nset output outfile\nset xrange [1:1]\nplot x\n", "warning"),
    ]
    for (text, expected) in cases {
      let script = folder.appendingPathComponent("broken.gp")
      try AtomicFile.write(text, to: script)
      XCTAssertThrowsError(try gnuplot.render(FigureFiles(script: script, data: script, image: image))) { error in
        let message = "\(error)"
        XCTAssertTrue(message.contains("broken.gp"), message)
        XCTAssertTrue(message.lowercased().contains(expected), "expected '\(expected)' in: \(message)")
      }
      XCTAssertFalse(FileManager.default.fileExists(atPath: image.path))
    }
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix(".") }
    XCTAssertEqual(leftovers, [])
  }

  func testInvalidDataIsAnErrorNamingTheFigureAndSeries() throws {
    let folder = try makeTemporaryFolder(self)
    var figure = Figure(name: "bad")
    figure.add(.line(x: [1, 2, 3], y: [1.0, 2.0], label: "short"))
    XCTAssertThrowsError(try figure.write(to: folder)) { error in
      XCTAssertTrue("\(error)".contains("figure 'bad'"), "\(error)")
      XCTAssertTrue("\(error)".contains("'short'"), "\(error)")
    }
    var heat = Figure(name: "heat")
    heat.add(.heatmap(x: [0, 1, 2], y: [0, 1], values: [1.0, 2.0, 3.0]))
    XCTAssertThrowsError(try heat.write(to: folder)) { error in
      XCTAssertTrue("\(error)".contains("needs 6 values, got 3"), "\(error)")
    }
    XCTAssertThrowsError(try Figure(name: "../escape").write(to: folder)) { error in
      XCTAssertTrue("\(error)".contains("invalid name"), "\(error)")
    }
    var logAxis = Figure(name: "log")
    logAxis.panel.yAxis = Axis("y", range: 0...1, logScale: true)
    XCTAssertThrowsError(try logAxis.write(to: folder))
  }

  // MARK: Animations

  func testAnimationRendersOneGIFWithAFramePerFigure() throws {
    let gnuplot = try requireGnuplot()
    let keep = ProcessInfo.processInfo.environment["PLOTTING_TEST_KEEP"]
    let folder = try keep.map { URL(fileURLWithPath: $0) } ?? makeTemporaryFolder(self)
    var animation = Animation(name: "moving", delay: 0.1, width: 480, height: 300)
    for frame in 0..<5 {
      let shift = Double(frame) * 0.5
      animation.frames.append(
        Figure(name: "ignored", title: "step \(frame)", series: [
          .density(x: Self.grid, y: Self.grid.map { exp(-($0 - shift) * ($0 - shift)) }, label: "p_g"),
          .line(x: Self.grid, y: Self.grid.map { 1 / (1 + exp(-$0 + shift)) }, label: "D(x)"),
        ]))
    }
    let files = try animation.write(to: folder)
    XCTAssertEqual(files.image.lastPathComponent, "moving.gif")
    try gnuplot.render(files)
    let gif = try decodeGIF(Data(contentsOf: files.image))
    XCTAssertEqual(gif.width, 480)
    XCTAssertEqual(gif.height, 300)
    XCTAssertEqual(gif.frames.count, 5)
    XCTAssertEqual(gif.delays, [10, 10, 10, 10, 10])
    XCTAssertEqual(gif.loopCount, 0)
    XCTAssertNotEqual(gif.frames[0], gif.frames[4], "the frames differ")
    // Shared axes: every frame got the same fixed x range.
    let script = try String(contentsOf: files.script, encoding: .utf8)
    let ranges = script.split(separator: "\n").filter { $0.hasPrefix("set xrange") }
    XCTAssertEqual(ranges.count, 5)
    XCTAssertEqual(Set(ranges).count, 1, "\(ranges)")
  }

  // MARK: Live window

  func testLiveWindowWithoutDisplayFallsBackWithAReason() throws {
    let gnuplot = try requireGnuplot()
    switch LiveWindow.open(gnuplot: gnuplot, environment: ["PATH": "/usr/bin:/bin"]) {
    case .success: XCTFail("no DISPLAY: a window must not open")
    case .failure(let unavailable): XCTAssertTrue(unavailable.reason.contains("DISPLAY"), unavailable.reason)
    }
    switch LiveWindow.open(gnuplot: nil, environment: ["DISPLAY": ":0"]) {
    case .success: XCTFail("no gnuplot: a window must not open")
    case .failure(let unavailable): XCTAssertTrue(unavailable.reason.contains("not installed"), unavailable.reason)
    }
    // With a display but a gnuplot built without interactive terminals (gnuplot-nox), it says which to install.
    let terminals = try gnuplot.availableTerminals()
    XCTAssertTrue(terminals.contains("pngcairo"), "\(terminals)")
    if !terminals.contains(where: LiveWindow.interactiveTerminals.contains) {
      switch LiveWindow.open(gnuplot: gnuplot, environment: ["DISPLAY": ":0", "PATH": "/usr/bin:/bin"]) {
      case .success: XCTFail("no interactive terminal: a window must not open")
      case .failure(let unavailable): XCTAssertTrue(unavailable.reason.contains("gnuplot-qt"), unavailable.reason)
      }
    }
  }

  /// The live window's protocol, checked without a display: the same stream of commands goes to a gnuplot
  /// whose terminal writes a file, and gnuplot must take every frame without a complaint.
  func testLiveStreamOfSeveralFramesIsAcceptedByGnuplot() throws {
    let gnuplot = try requireGnuplot()
    let folder = try makeTemporaryFolder(self)
    let errors = Pipe()
    let result = LiveWindow.launch(
      gnuplot: gnuplot, environment: ProcessInfo.processInfo.environment, terminal: "dumb",
      setup: "set terminal dumb size 100,30\nset output 'frames.txt'\n", errors: errors, folder: folder)
    let window = try result.get()
    for step in 0..<3 {
      var figure = Self.distributionFigure()
      figure.title = "frame \(step)"
      try window.show(figure)
    }
    window.close()
    let complaints = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    XCTAssertEqual(complaints, "")
    XCTAssertEqual(window.exitStatus, 0)
    let frames = try String(contentsOf: folder.appendingPathComponent("frames.txt"), encoding: .utf8)
    for step in 0..<3 { XCTAssertTrue(frames.contains("frame \(step)"), "frame \(step) was drawn") }
  }

  func testInlineCommandsCarryTheirDataForStreaming() throws {
    let commands = try Self.distributionFigure().inlineCommands()
    XCTAssertTrue(commands.contains("$data_0 << EOD"))
    XCTAssertTrue(commands.contains("$data_0 using 1:2:3 with boxes"))
    XCTAssertFalse(commands.contains(".dat"))
    // gnuplot accepts the stream (rendered here to a PNG instead of a window).
    let gnuplot = try requireGnuplot()
    let folder = try makeTemporaryFolder(self)
    let script = "set terminal pngcairo size 640,400\nset output outfile\n" + commands
    try AtomicFile.write(script, to: folder.appendingPathComponent("stream.gp"))
    try gnuplot.render(
      FigureFiles(
        script: folder.appendingPathComponent("stream.gp"), data: folder.appendingPathComponent("stream.gp"),
        image: folder.appendingPathComponent("stream.png")))
    XCTAssertEqual(try PNG.header(of: Data(contentsOf: folder.appendingPathComponent("stream.png"))).width, 640)
  }

  // MARK: Pieces

  func testContoursOfACircleLieOnTheCircle() {
    let xs = stride(from: -2.0, through: 2.0, by: 0.05).map { $0 }
    let values = xs.flatMap { y in xs.map { x in x * x + y * y } }
    let segments = contourSegments(xs: xs, ys: xs, values: values, level: 1)
    XCTAssertGreaterThan(segments.count, 100)
    for (start, end) in segments {
      for point in [start, end] {
        XCTAssertEqual((point.0 * point.0 + point.1 * point.1).squareRoot(), 1, accuracy: 0.01)
      }
    }
  }

  func testHistogramIsADensity() {
    let series = Series.histogram([0.0, 0.1, 0.2, 0.9, 1.0], bins: 4, range: 0...1)
    let heights = series.columns[1]
    // counts [3, 0, 0, 2] / (5 values * 0.25 wide)
    for (height, expected) in zip(heights, [2.4, 0, 0, 1.6]) { XCTAssertEqual(height, expected, accuracy: 1e-12) }
    XCTAssertEqual(zip(heights, series.columns[2]).map { $0 * $1 }.reduce(0, +), 1, accuracy: 1e-12)
  }

  func testTextIsQuotedLiterally() {
    XCTAssertEqual(quoted("loss_D"), #""loss\\_D""#)
    XCTAssertEqual(quoted(#"say "hi""#), #""say \"hi\"""#)
    XCTAssertEqual(quoted("2 ln 2"), "\"2 ln 2\"")
    XCTAssertEqual(format(3), "3")
    XCTAssertEqual(format(0.5), "0.5")
    XCTAssertEqual(format(.nan), "NaN")
  }

  // MARK: Helpers

  private func countPixels(_ image: RasterImage, near color: Color, tolerance: Int) -> Int {
    let hex = Array(color.hex.dropFirst())
    let target = stride(from: 0, to: 6, by: 2).map { Int(String(hex[$0..<($0 + 2)]), radix: 16)! }
    var count = 0
    let pixels = image.pixels
    for index in stride(from: 0, to: pixels.count, by: 3) {
      if abs(Int(pixels[index]) - target[0]) <= tolerance, abs(Int(pixels[index + 1]) - target[1]) <= tolerance,
        abs(Int(pixels[index + 2]) - target[2]) <= tolerance
      {
        count += 1
      }
    }
    return count
  }
}

/// A tiny deterministic generator for test data (Plotting does not depend on the engine's RNG).
struct SplitMix {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
  mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }
  mutating func normal() -> Double {
    let u = max(uniform(), 1e-12)
    return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * uniform())
  }
}
