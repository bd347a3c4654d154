import Autograd

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// The two image domains of the CycleGAN lesson: the same shapes, drawn two ways.
///
/// Domain A (`plain`) fills each shape with white; domain B (`striped`) fills it with stripes, like horses and
/// zebras. A translation A → B should add stripes but keep the shape where it was, so every image comes with the
/// mask of its shape, and `intersectionOverUnion` measures how well an output kept the content.
public enum ToyImageDomain: String, Sendable, CaseIterable {
  case plain
  case striped
}

/// The kinds of shape drawn.
public enum ToyShapeKind: String, Sendable, CaseIterable {
  case square
  case disc
  case triangle
}

/// The directions the stripes of domain B may run in.
public enum ToyStripeDirections: String, CaseIterable, Sendable {
  /// Vertical stripes only; also horizontal ones; also both diagonals.
  case one, two, four

  /// The stripes' normals, in degrees.
  public var angles: [Float] {
    switch self {
    case .one: [0]
    case .two: [0, 90]
    case .four: [0, 45, 90, 135]
    }
  }

  /// The stripes in words, for narration.
  public var words: String {
    switch self {
    case .one: "vertical stripes"
    case .two: "vertical or horizontal stripes"
    case .four: "stripes at 0°, 45°, 90° or 135°"
    }
  }
}

/// One shape: its kind, position and size in pixels, and how its stripes run when it is drawn striped.
public struct ToyShape: Sendable, Equatable {
  public var kind: ToyShapeKind
  /// The center, in pixels from the top-left corner (x to the right, y down).
  public var centerX: Float
  public var centerY: Float
  /// The side of the square, the diameter of the disc, the base and height of the triangle, in pixels.
  public var size: Float
  /// The stripes' direction: the angle of their normal, in degrees (0 = vertical stripes).
  public var stripeAngle: Float
  /// Shifts the stripe pattern along its normal, in pixels.
  public var stripePhase: Float

  public init(
    kind: ToyShapeKind, centerX: Float, centerY: Float, size: Float, stripeAngle: Float = 0, stripePhase: Float = 0
  ) {
    self.kind = kind
    self.centerX = centerX
    self.centerY = centerY
    self.size = size
    self.stripeAngle = stripeAngle
    self.stripePhase = stripePhase
  }

  /// Whether the point (x, y) lies inside the shape.
  public func contains(x: Float, y: Float) -> Bool {
    let half = size / 2
    switch kind {
    case .square:
      return abs(x - centerX) <= half && abs(y - centerY) <= half
    case .disc:
      let dx = x - centerX, dy = y - centerY
      return dx * dx + dy * dy <= half * half
    case .triangle:
      // Apex up at (cx, cy - h), base from (cx - h, cy + h) to (cx + h, cy + h): inside when below both slanted
      // edges and above the base. Each slanted edge rises 2 pixels per pixel across.
      guard y <= centerY + half else { return false }
      let depth = y - (centerY - half)  // 0 at the apex, size at the base
      return depth >= 0 && abs(x - centerX) <= depth / 2
    }
  }
}

/// Images of the two domains with their masks.
public struct ToyImageBatch: Sendable {
  /// `[N, channels, size, size]`, background -1, values in [-1, 1].
  public let images: Tensor
  /// `[N, 1, size, size]`: 1 inside the shape, 0 outside.
  public let masks: Tensor
  /// What was drawn in each image.
  public let shapes: [ToyShape]
}

/// Generates the two toy image domains from a seed: one random shape per image (square, disc or triangle, at a
/// random position and size, always fully inside the frame), drawn plain or striped.
///
///     let domains = ToyShapeImages(imageSize: 32)
///     let a = domains.sample(.plain, count: 64, using: &rng)      // a.images [64, 1, 32, 32], a.masks [64, 1, 32, 32]
///     let b = domains.render(a.shapes, as: .striped)               // the same shapes, striped: the ideal translation
public struct ToyShapeImages: Sendable {
  /// Width and height in pixels.
  public let imageSize: Int
  /// 1 (gray) or 3 (the gray value in every channel, for three-channel architectures).
  public let channels: Int
  /// The width of one light and one dark stripe together, in pixels.
  public let stripePeriod: Float
  /// Shape sizes, as fractions of the image size.
  public let sizeRange: ClosedRange<Float>
  /// The directions stripes may run in (each shape draws one of them).
  public let stripeDirections: ToyStripeDirections

  /// The background value.
  public static let background: Float = -1
  /// The fill of a plain shape and the light stripes.
  public static let light: Float = 1
  /// The dark stripes: darker than light, clearly lighter than the background.
  public static let dark: Float = -0.2
  /// Pixels above this (averaged over channels) count as shape in `foregroundMask`: halfway from the background
  /// to the dark stripes.
  public static let foregroundThreshold: Float = (background + dark) / 2

  public init(
    imageSize: Int = 32, channels: Int = 1, stripePeriod: Float = 4, sizeRange: ClosedRange<Float> = 0.35...0.7,
    stripeDirections: ToyStripeDirections = .four
  ) {
    precondition(imageSize >= 8, "ToyShapeImages: imageSize \(imageSize) is too small (at least 8)")
    precondition(channels == 1 || channels == 3, "ToyShapeImages: channels must be 1 or 3, got \(channels)")
    precondition(stripePeriod >= 2, "ToyShapeImages: stripePeriod must be at least 2 pixels, got \(stripePeriod)")
    precondition(
      sizeRange.lowerBound > 0 && sizeRange.upperBound <= 1,
      "ToyShapeImages: sizeRange \(sizeRange) must lie in (0, 1]")
    self.imageSize = imageSize
    self.channels = channels
    self.stripePeriod = stripePeriod
    self.sizeRange = sizeRange
    self.stripeDirections = stripeDirections
  }

  /// `count` random shapes (kind, size, position, stripe direction and phase).
  public func randomShapes(count: Int, using generator: inout SeededGenerator) -> [ToyShape] {
    let side = Float(imageSize)
    let kinds = ToyShapeKind.allCases
    return (0..<count).map { _ in
      let kind = kinds[generator.nextInt(below: kinds.count)]
      let fraction = sizeRange.lowerBound + (sizeRange.upperBound - sizeRange.lowerBound) * generator.nextUniform()
      let size = (fraction * side).rounded()
      let half = size / 2
      let centerX = half + (side - size) * generator.nextUniform()
      let centerY = half + (side - size) * generator.nextUniform()
      let angles = stripeDirections.angles
      let angle = angles[generator.nextInt(below: angles.count)]
      let phase = stripePeriod * generator.nextUniform()
      return ToyShape(kind: kind, centerX: centerX, centerY: centerY, size: size, stripeAngle: angle, stripePhase: phase)
    }
  }

  /// `count` random images of `domain`.
  public func sample(_ domain: ToyImageDomain, count: Int, using generator: inout SeededGenerator) -> ToyImageBatch {
    render(randomShapes(count: count, using: &generator), as: domain)
  }

  /// Draws `shapes`, one per image, in `domain`. Pixel (x, y) is sampled at its center (x + 0.5, y + 0.5).
  public func render(_ shapes: [ToyShape], as domain: ToyImageDomain) -> ToyImageBatch {
    let n = shapes.count, pixels = imageSize * imageSize
    var images = [Float](repeating: Self.background, count: n * channels * pixels)
    var masks = [Float](repeating: 0, count: n * pixels)
    for (index, shape) in shapes.enumerated() {
      let radians = Double(shape.stripeAngle) * Double.pi / 180
      let normalX = Float(cos(radians)), normalY = Float(sin(radians))
      for y in 0..<imageSize {
        for x in 0..<imageSize {
          let px = Float(x) + 0.5, py = Float(y) + 0.5
          guard shape.contains(x: px, y: py) else { continue }
          let pixel = y * imageSize + x
          masks[index * pixels + pixel] = 1
          var value = Self.light
          if domain == .striped {
            // Position along the stripes' normal, in periods: the first half of each period is light.
            let along = (px * normalX + py * normalY + shape.stripePhase) / stripePeriod
            value = along - along.rounded(.down) < 0.5 ? Self.light : Self.dark
          }
          for channel in 0..<channels { images[(index * channels + channel) * pixels + pixel] = value }
        }
      }
    }
    return ToyImageBatch(
      images: Tensor(shape: [n, channels, imageSize, imageSize], scalars: images),
      masks: Tensor(shape: [n, 1, imageSize, imageSize], scalars: masks),
      shapes: shapes)
  }

  // MARK: Content checks

  /// The shape mask an image shows: 1 where the channel mean is above `threshold` (the background is -1), else 0.
  /// Images `[N, C, H, W]` give masks `[N, 1, H, W]`.
  public static func foregroundMask(of images: Tensor, threshold: Float = foregroundThreshold) -> Tensor {
    precondition(images.rank == 4, "foregroundMask: images must be [N, C, H, W], got \(images.shape)")
    let n = images.shape[0], c = images.shape[1], pixels = images.shape[2] * images.shape[3]
    var mask = [Float](repeating: 0, count: n * pixels)
    images.scalars.withUnsafeBufferPointer { values in
      for i in 0..<n {
        for p in 0..<pixels {
          var total: Float = 0
          for channel in 0..<c { total += values[(i * c + channel) * pixels + p] }
          if total / Float(c) > threshold { mask[i * pixels + p] = 1 }
        }
      }
    }
    return Tensor(shape: [n, 1, images.shape[2], images.shape[3]], scalars: mask)
  }

  /// Per image, |A ∩ B| / |A ∪ B| of two masks `[N, 1, H, W]` (values above 0.5 count as inside); 1 when both are
  /// empty.
  public static func intersectionOverUnion(_ a: Tensor, _ b: Tensor) -> [Float] {
    precondition(a.shape == b.shape && a.rank >= 1, "intersectionOverUnion: masks of shapes \(a.shape) and \(b.shape)")
    let n = a.shape[0], per = n == 0 ? 0 : a.count / n
    let aValues = a.scalars, bValues = b.scalars
    return (0..<n).map { i in
      var intersection = 0, union = 0
      for p in (i * per)..<((i + 1) * per) {
        let inA = aValues[p] > 0.5, inB = bValues[p] > 0.5
        if inA && inB { intersection += 1 }
        if inA || inB { union += 1 }
      }
      return union == 0 ? 1 : Float(intersection) / Float(union)
    }
  }

  /// Per image, the standard deviation of the channel-mean values inside its mask: 0 for a plain fill, about 0.6
  /// for stripes. It tells the domains apart without a classifier (0 for an empty mask).
  public static func interiorContrast(of images: Tensor, masks: Tensor) -> [Float] {
    precondition(
      images.rank == 4 && masks.rank == 4 && masks.shape[0] == images.shape[0] && masks.shape[1] == 1
        && Array(masks.shape[2...]) == Array(images.shape[2...]),
      "interiorContrast: images \(images.shape) and masks \(masks.shape) do not match")
    let n = images.shape[0], c = images.shape[1], pixels = images.shape[2] * images.shape[3]
    let values = images.scalars, maskValues = masks.scalars
    return (0..<n).map { i in
      var sum: Double = 0, sumOfSquares: Double = 0, inside = 0
      for p in 0..<pixels where maskValues[i * pixels + p] > 0.5 {
        var total: Float = 0
        for channel in 0..<c { total += values[(i * c + channel) * pixels + p] }
        let value = Double(total / Float(c))
        sum += value
        sumOfSquares += value * value
        inside += 1
      }
      guard inside > 0 else { return 0 }
      let mean = sum / Double(inside)
      return Float(max(0, sumOfSquares / Double(inside) - mean * mean).squareRoot())
    }
  }
}
