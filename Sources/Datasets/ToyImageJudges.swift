import Autograd

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Fixed, untrained judges of the toy image domains for generated images, which are blurrier and noisier than the
/// rendered ones: the plain measurements in `ToyShapeImages` count every soft edge pixel as "contrast" and every dark
/// stripe a generator draws darker than `ToyShapeImages.dark` as a hole in the shape. These versions look at the
/// inside of a shape only, and close the gaps between stripes before comparing shapes.
extension ToyShapeImages {
  /// Binary morphology on masks `[N, 1, H, W]` (values above 0.5 are inside): a pixel stays inside when every pixel
  /// of the 3x3 square around it is inside (`erode`), or becomes inside when any is (`dilate`). Pixels beyond the
  /// border count as outside.
  public static func morphology(_ masks: Tensor, erode: Bool) -> Tensor {
    precondition(masks.rank == 4 && masks.shape[1] == 1, "ToyShapeImages.morphology: masks must be [N, 1, H, W], got \(masks.shape)")
    let n = masks.shape[0], height = masks.shape[2], width = masks.shape[3], pixels = height * width
    let values = masks.scalars
    var result = [Float](repeating: 0, count: values.count)
    for i in 0..<n {
      for y in 0..<height {
        for x in 0..<width {
          var all = true, any = false
          for dy in -1...1 {
            for dx in -1...1 {
              let yy = y + dy, xx = x + dx
              let inside = yy >= 0 && yy < height && xx >= 0 && xx < width && values[i * pixels + yy * width + xx] > 0.5
              all = all && inside
              any = any || inside
            }
          }
          result[i * pixels + y * width + x] = (erode ? all : any) ? 1 : 0
        }
      }
    }
    return Tensor(shape: masks.shape, scalars: result)
  }

  /// The shape an image shows, with the gaps between stripes filled: the foreground mask, dilated and then eroded
  /// (a morphological closing). On a rendered image, plain or striped, it is the shape's mask up to its corners.
  public static func shapeMask(of images: Tensor) -> Tensor {
    morphology(morphology(foregroundMask(of: images), erode: false), erode: true)
  }

  /// Per image, the interior contrast (see `interiorContrast(of:masks:)`) over the inside of the shape only: the
  /// closed shape mask eroded by one pixel, so that soft edges do not count. About 0.6 for stripes, near 0 for a
  /// plain fill.
  public static func innerContrast(of images: Tensor) -> [Float] {
    interiorContrast(of: images, masks: morphology(shapeMask(of: images), erode: true))
  }

  /// A shape whose inside (one pixel in from its edge) has fewer pixels than this cannot show a stripe pattern, so
  /// the stripe fit does not judge it.
  public static let fewestPixelsForStripes = 8

  /// Per image, how much of the brightness variation inside the shape is stripes of this domain's period: the
  /// share of the variance (R²) explained by the best of the four stripe directions, fitting a + b cos 2πt + c sin
  /// 2πt by least squares, where t is a pixel's position along the direction's normal in periods (the phase is
  /// free). Rendered stripes score 0.7-1 (a square wave's fundamental carries 81% of its variance), a plain fill 0
  /// (no variation to explain), and blotches or noise with the same contrast score low: contrast alone cannot tell
  /// stripes from smudges, this can. NaN for a shape too small to judge (see `fewestPixelsForStripes`).
  public func stripeFit(of images: Tensor) -> [Float] {
    let masks = Self.morphology(Self.shapeMask(of: images), erode: true)
    let n = images.shape[0], c = images.shape[1], height = images.shape[2], width = images.shape[3]
    let pixels = height * width, values = images.scalars, maskValues = masks.scalars
    let period = Double(stripePeriod)
    return (0..<n).map { i in
      var points: [(x: Double, y: Double, v: Double)] = []
      for p in 0..<pixels where maskValues[i * pixels + p] > 0.5 {
        var total: Float = 0
        for channel in 0..<c { total += values[(i * c + channel) * pixels + p] }
        points.append((Double(p % width) + 0.5, Double(p / width) + 0.5, Double(total / Float(c))))
      }
      guard points.count >= Self.fewestPixelsForStripes else { return .nan }
      let mean = points.map(\.v).reduce(0, +) / Double(points.count)
      let total = points.map { ($0.v - mean) * ($0.v - mean) }.reduce(0, +)
      // Below a contrast of 0.05 there is nothing to explain: a plain fill.
      guard total / Double(points.count) > 0.05 * 0.05 else { return 0 }
      var best = 0.0
      for degrees in [0.0, 45, 90, 135] {
        let (nx, ny) = (cos(degrees * .pi / 180), sin(degrees * .pi / 180))
        let rows = points.map { point -> [Double] in
          let t = 2 * Double.pi * (point.x * nx + point.y * ny) / period
          return [1, cos(t), sin(t)]
        }
        guard let coefficients = leastSquares(rows, points.map(\.v)) else { continue }
        let residual = zip(rows, points).map { row, point in
          let fitted = zip(row, coefficients).map { $0 * $1 }.reduce(0, +)
          return (point.v - fitted) * (point.v - fitted)
        }.reduce(0, +)
        best = Swift.max(best, 1 - residual / total)
      }
      return Float(best)
    }
  }
}

/// The least-squares solution of rows · x ≈ values (normal equations, Gaussian elimination with partial pivoting);
/// nil when the columns are (nearly) dependent.
private func leastSquares(_ rows: [[Double]], _ values: [Double]) -> [Double]? {
  let k = rows.first?.count ?? 0
  var a = [[Double]](repeating: [Double](repeating: 0, count: k + 1), count: k)
  for (row, value) in zip(rows, values) {
    for i in 0..<k {
      for j in 0..<k { a[i][j] += row[i] * row[j] }
      a[i][k] += row[i] * value
    }
  }
  for column in 0..<k {
    guard let pivot = (column..<k).max(by: { abs(a[$0][column]) < abs(a[$1][column]) }),
      abs(a[pivot][column]) > 1e-9 * Double(rows.count)
    else { return nil }
    a.swapAt(column, pivot)
    for row in 0..<k where row != column {
      let factor = a[row][column] / a[column][column]
      for j in column...k { a[row][j] -= factor * a[column][j] }
    }
  }
  return (0..<k).map { a[$0][k] / a[$0][$0] }
}

extension ToyShapeImages {
  /// The inner contrast above which a shape has texture inside (a plain fill has about 0, stripes about 0.6).
  public static let textureContrast: Float = 0.3
  /// The stripe fit above which texture counts as stripes (rendered stripes fit at 0.84-1).
  public static let stripeFitThreshold: Float = 0.7

  /// The share of images with texture inside the shape, stripes or not.
  public func shareTextured(_ images: Tensor) -> Double {
    let contrast = Self.innerContrast(of: images)
    return Double(contrast.filter { $0 > Self.textureContrast }.count) / Double(max(1, contrast.count))
  }

  /// The share of images judged striped: texture that fits a stripe wave, among the shapes large enough to judge.
  public func shareStriped(_ images: Tensor) -> Double {
    let judged = zip(Self.innerContrast(of: images), stripeFit(of: images)).filter { !$0.1.isNaN }
    let striped = judged.filter { $0.0 > Self.textureContrast && $0.1 > Self.stripeFitThreshold }
    return Double(striped.count) / Double(max(1, judged.count))
  }

  /// The share of images judged plain: no texture to speak of inside the shape.
  public func sharePlain(_ images: Tensor) -> Double {
    let contrast = Self.innerContrast(of: images)
    return Double(contrast.filter { $0 <= Self.textureContrast }.count) / Double(max(1, contrast.count))
  }

  /// The mean IoU of the shapes the images show (gaps between stripes closed) with the given true masks.
  public func meanShapeIoU(_ images: Tensor, masks: Tensor) -> Double {
    let ious = Self.intersectionOverUnion(Self.shapeMask(of: images), masks)
    return ious.isEmpty ? .nan : ious.map(Double.init).reduce(0, +) / Double(ious.count)
  }
}
