import Foundation
import Plotting

extension Lesson {
  /// An image grid whose rows (and columns) say what they show: the grid itself is written as `NAME-grid.png`, and
  /// gnuplot redraws it as `NAME.png` with a label beside each row and under each column (`NAME.gp` re-renders it
  /// by hand). Without gnuplot the unlabeled grid goes into the notes instead, so a run never lacks the picture.
  @discardableResult
  public func image(
    _ name: String, grid: ImageGrid, rowLabels: [String], columnLabels: [String] = [], title: String? = nil,
    caption: String? = nil
  ) -> URL? {
    let gridFile = name + "-grid.png"
    let png: Data
    do {
      png = try grid.pngData()
    } catch {
      fail("image '\(name)' could not be encoded: \(error)")
    }
    let url = outputFolder.appendingPathComponent(gridFile)
    do {
      try AtomicFile.write(png, to: url)
    } catch {
      fail("could not write \(gridFile): \(error)")
    }
    addFiles([url])
    let labeled = Figure.labeled(
      grid, file: gridFile, name: name, title: title, rowLabels: rowLabels, columnLabels: columnLabels)
    if let rendered = figure(labeled, caption: caption) { return rendered }
    return image(gridFile, png: png, caption: caption)
  }
}
