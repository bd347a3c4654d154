import Autograd

/// The factors that make one cartoon face, each in [0, 1].
///
/// They are grouped the way the StyleGAN paper describes what its coarse, middle and fine styles control on faces:
/// pose and face shape; hair style and facial features; colours and lighting. Because every image is rendered from
/// known factors, a lesson can measure which factors a generator's style levels move, instead of judging by eye.
public struct FaceFactors: Sendable, Equatable {
  /// Head turned left (0) to right (1): the face slides sideways and its features slide further (a cheap yaw).
  public var yaw: Float
  /// Narrow (0) to wide (1) face.
  public var faceWidth: Float
  /// Hair ending above the ears (0) to hair down to the chin (1).
  public var hairLength: Float
  /// Small (0) to large (1) eyes.
  public var eyeSize: Float
  /// Frown (0) to smile (1).
  public var smile: Float
  /// Light (0) to dark (1) skin.
  public var skinTone: Float
  /// Black (0) through brown and auburn to blond (1) hair.
  public var hairColor: Float
  /// Light from the left (0) to the right (1).
  public var light: Float

  public init(
    yaw: Float, faceWidth: Float, hairLength: Float, eyeSize: Float, smile: Float, skinTone: Float,
    hairColor: Float, light: Float
  ) {
    (self.yaw, self.faceWidth, self.hairLength, self.eyeSize) = (yaw, faceWidth, hairLength, eyeSize)
    (self.smile, self.skinTone, self.hairColor, self.light) = (smile, skinTone, hairColor, light)
  }

  /// Every factor drawn uniformly from [0, 1], independently.
  public init(using generator: inout SeededGenerator) {
    let u = (0..<8).map { _ in generator.nextUniform() }
    self.init(
      yaw: u[0], faceWidth: u[1], hairLength: u[2], eyeSize: u[3], smile: u[4], skinTone: u[5], hairColor: u[6],
      light: u[7])
  }

  /// The factors in the order of `names`.
  public var values: [Float] { [yaw, faceWidth, hairLength, eyeSize, smile, skinTone, hairColor, light] }

  /// The factors' names, in the order of `values`.
  public static let names = [
    "yaw", "face width", "hair length", "eye size", "smile", "skin tone", "hair color", "light",
  ]

  /// Which StyleGAN level each factor belongs to, in the order of `names`.
  public static let levels: [FaceFactorLevel] = [
    .coarse, .coarse, .middle, .middle, .middle, .fine, .fine, .fine,
  ]

  /// The positions in `values` of one level's factors.
  public static func indices(of level: FaceFactorLevel) -> [Int] {
    levels.indices.filter { levels[$0] == level }
  }
}

/// The three groups of face factors: pose and shape, hair style and features, colors and light.
public enum FaceFactorLevel: String, Sendable, CaseIterable {
  case coarse
  case middle
  case fine

  /// What the level's factors are, in words.
  public var factors: String {
    switch self {
    case .coarse: return "pose and face shape"
    case .middle: return "hair style and features"
    case .fine: return "colors and lighting"
    }
  }
}

/// Cartoon faces drawn from `FaceFactors`: a zero-download RGB image domain with known factors of variation.
///
/// The drawing is a head-and-shoulders cartoon: an oval face on a plain background, hair around it, two eyes, a nose
/// and a mouth, shaded by a light from one side. Edges are anti-aliased by averaging a 3×3 grid of samples per pixel,
/// so that small changes of a factor change the image smoothly (a generator and a regressor can both follow them).
public enum CartoonFaces {
  /// Images from random factors: `images` [count, 3, size, size] in [−1, 1] and `factors` [count, 8] in [0, 1].
  public static func sample(
    count: Int, size: Int = 32, using generator: inout SeededGenerator
  ) -> (images: Tensor, factors: Tensor) {
    let factors = (0..<count).map { _ in FaceFactors(using: &generator) }
    return (render(factors, size: size), Tensor(shape: [count, 8], scalars: factors.flatMap(\.values)))
  }

  /// The faces, [factors.count, 3, size, size], RGB in [−1, 1].
  public static func render(_ factors: [FaceFactors], size: Int = 32) -> Tensor {
    precondition(size >= 8, "CartoonFaces: size \(size) is below 8 pixels")
    let plane = size * size
    var scalars = [Float](repeating: 0, count: factors.count * 3 * plane)
    scalars.withUnsafeMutableBufferPointer { out in
      for (n, face) in factors.enumerated() {
        let drawing = Drawing(face, size: size)
        for y in 0..<size {
          for x in 0..<size {
            var sum = (r: Float(0), g: Float(0), b: Float(0))
            for sy in 0..<3 {
              for sx in 0..<3 {
                // Sample points in units of a 32-pixel image, so a face looks the same at any size.
                let scale = 32 / Float(size)
                let c = drawing.color(
                  x: (Float(x) + (Float(sx) + 0.5) / 3) * scale, y: (Float(y) + (Float(sy) + 0.5) / 3) * scale)
                sum = (sum.r + c.r, sum.g + c.g, sum.b + c.b)
              }
            }
            let base = n * 3 * plane + y * size + x
            out[base] = sum.r / 9 * 2 - 1
            out[base + plane] = sum.g / 9 * 2 - 1
            out[base + 2 * plane] = sum.b / 9 * 2 - 1
          }
        }
      }
    }
    return Tensor(shape: [factors.count, 3, size, size], scalars: scalars)
  }
}

/// One face's geometry and colors, in the coordinates of a 32×32 image (x right, y down).
private struct Drawing {
  typealias RGB = (r: Float, g: Float, b: Float)
  static let background: RGB = (0.62, 0.72, 0.80)
  static let eyeColor: RGB = (0.10, 0.08, 0.10)
  static let mouthColor: RGB = (0.55, 0.12, 0.14)

  let cx: Float, cy: Float, rx: Float, ry: Float
  let featureX: Float, eyeDX: Float, eyeY: Float, eyeRadius: Float
  let mouthY: Float, mouthHalfWidth: Float, smile: Float
  let hairBottom: Float, fringe: Float
  let skin: RGB, hair: RGB, lightSlope: Float

  init(_ f: FaceFactors, size: Int) {
    let turn = f.yaw * 2 - 1
    rx = 8 + 3.5 * f.faceWidth
    ry = 11
    cx = 16 + 3 * turn
    cy = 17
    // Turning the head moves the features further than the outline, and brings the far eye closer to the near one.
    featureX = cx + 0.45 * rx * turn
    eyeDX = 0.40 * rx * (1 - 0.25 * abs(turn))
    eyeY = cy - 0.08 * ry
    eyeRadius = 0.9 + 1.4 * f.eyeSize
    mouthY = cy + 0.48 * ry
    mouthHalfWidth = 0.34 * rx
    smile = f.smile * 2 - 1
    fringe = cy - 0.55 * ry
    hairBottom = cy - 0.25 * ry + f.hairLength * 1.35 * ry
    skin = Drawing.mix((0.97, 0.82, 0.70), (0.42, 0.26, 0.16), f.skinTone)
    hair = Drawing.hairPalette(f.hairColor)
    lightSlope = 0.4 * (f.light * 2 - 1)
  }

  static func mix(_ a: RGB, _ b: RGB, _ t: Float) -> RGB {
    (a.r + (b.r - a.r) * t, a.g + (b.g - a.g) * t, a.b + (b.b - a.b) * t)
  }

  /// Black → dark brown → auburn → blond, piecewise linear, so that one number orders the colors.
  static func hairPalette(_ t: Float) -> RGB {
    let stops: [RGB] = [(0.08, 0.07, 0.07), (0.35, 0.20, 0.10), (0.65, 0.30, 0.12), (0.95, 0.82, 0.48)]
    let position = min(max(t, 0), 1) * Float(stops.count - 1)
    let i = min(Int(position), stops.count - 2)
    return mix(stops[i], stops[i + 1], position - Float(i))
  }

  /// Brightens toward the light's side of the head and darkens away from it.
  func lit(_ c: RGB, x: Float) -> RGB {
    let shade = 1 + lightSlope * (x - cx) / rx
    return (min(c.r * shade, 1), min(c.g * shade, 1), min(c.b * shade, 1))
  }

  func color(x: Float, y: Float) -> RGB {
    let u = (x - cx) / rx, v = (y - cy) / ry
    let inFace = u * u + v * v <= 1
    let hu = (x - cx) / (rx + 1.8), hv = (y - cy + 1.2) / (ry + 2)
    let inHairCap = hu * hu + hv * hv <= 1 && y <= hairBottom
    let inHairSides = abs(x - cx) <= rx + 1.8 && y >= cy - 2 && y <= hairBottom
    if inFace && y > fringe {
      return lit(faceColor(x: x, y: y), x: x)
    }
    if inHairCap || inHairSides {
      return lit(hair, x: x)
    }
    return Drawing.background
  }

  /// The face's skin with its eyes, nose and mouth.
  func faceColor(x: Float, y: Float) -> RGB {
    for side: Float in [-1, 1] {
      let ex = x - (featureX + side * eyeDX), ey = y - eyeY
      if ex * ex + ey * ey <= eyeRadius * eyeRadius { return Drawing.eyeColor }
    }
    // The nose: a small darker patch between the eyes and the mouth, on the side away from the light.
    let nx = x - (featureX + 0.6), ny = y - (cy + 0.2 * ry)
    if nx * nx / 0.8 + ny * ny / 2.2 <= 1 { return (skin.r * 0.78, skin.g * 0.74, skin.b * 0.72) }
    // The mouth: a curved line whose corners rise with a smile and fall with a frown.
    let t = (x - featureX) / mouthHalfWidth
    if abs(t) <= 1 {
      let line = mouthY - 1.8 * smile * (t * t - 0.5)
      if abs(y - line) <= 0.75 { return Drawing.mouthColor }
    }
    return skin
  }
}
