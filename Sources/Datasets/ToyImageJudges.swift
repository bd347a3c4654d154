import Autograd

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
}
