import Autograd

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// A closed curve in the plane, with points scattered slightly off it: the 2D point domains of the CycleGAN lesson
/// (a ring and the outline of a square). Unlike a `ToyDistribution` the data have no modes, only a shape, so a
/// translation is judged by how far its points land from the target curve (`distance(to:)`).
public protocol ToyCurve: Sendable {
  /// The standard deviation of the Gaussian noise added to each coordinate of a point on the curve.
  var noise: Float { get }
  /// A point on the curve at `position`, a fraction of the way round it, in [0, 1).
  func point(at position: Float) -> (x: Float, y: Float)
  /// The distance from (x, y) to the nearest point of the curve.
  func distance(x: Float, y: Float) -> Float
}

extension ToyCurve {
  /// `count` points `[count, 2]`: uniformly spread along the curve, then moved by N(0, noise²) in each coordinate.
  public func sample(count: Int, using generator: inout SeededGenerator) -> Tensor {
    var values = [Float](repeating: 0, count: 2 * count)
    for i in 0..<count {
      let (x, y) = point(at: generator.nextUniform())
      values[2 * i] = x + noise * generator.nextNormal()
      values[2 * i + 1] = y + noise * generator.nextNormal()
    }
    return Tensor(shape: [count, 2], scalars: values)
  }

  /// `count` points `[count, 2]` evenly spaced along the curve, without noise (for drawing the curve and for
  /// arrows that start at regular places).
  public func evenlySpaced(count: Int) -> Tensor {
    var values = [Float](repeating: 0, count: 2 * count)
    for i in 0..<count {
      let (x, y) = point(at: Float(i) / Float(count))
      values[2 * i] = x
      values[2 * i + 1] = y
    }
    return Tensor(shape: [count, 2], scalars: values)
  }

  /// The distance of each point of `points` `[N, 2]` to the curve.
  public func distance(to points: Tensor) -> [Float] {
    precondition(points.rank == 2 && points.shape[1] == 2, "ToyCurve.distance: points must be [N, 2], got \(points.shape)")
    let values = points.scalars
    return (0..<points.shape[0]).map { distance(x: values[2 * $0], y: values[2 * $0 + 1]) }
  }
}

/// A circle of `radius` around the origin.
public struct CircleCurve: ToyCurve {
  public let radius: Float
  public let noise: Float

  public init(radius: Float = 1, noise: Float = 0.02) {
    precondition(radius > 0 && noise >= 0, "CircleCurve: radius \(radius) must be positive and noise \(noise) not negative")
    self.radius = radius
    self.noise = noise
  }

  public func point(at position: Float) -> (x: Float, y: Float) {
    let angle = 2 * Float.pi * position
    return (radius * cos(angle), radius * sin(angle))
  }

  public func distance(x: Float, y: Float) -> Float { abs((x * x + y * y).squareRoot() - radius) }
}

/// The outline of an axis-aligned square centered on the origin, with sides `2 * halfSide` long. Positions run
/// counter-clockwise from the middle of the right side, as angles do on the circle.
public struct SquareCurve: ToyCurve {
  public let halfSide: Float
  public let noise: Float

  public init(halfSide: Float = 1, noise: Float = 0.02) {
    precondition(halfSide > 0 && noise >= 0,
                 "SquareCurve: halfSide \(halfSide) must be positive and noise \(noise) not negative")
    self.halfSide = halfSide
    self.noise = noise
  }

  public func point(at position: Float) -> (x: Float, y: Float) {
    // Walk 8 half-sides from (h, 0): up the right side, left along the top, down the left, right along the bottom.
    let h = halfSide
    let walked = (position - position.rounded(.down)) * 8 * h
    switch walked {
    case ..<h: return (h, walked)
    case ..<(3 * h): return (h - (walked - h), h)
    case ..<(5 * h): return (-h, h - (walked - 3 * h))
    case ..<(7 * h): return (-h + (walked - 5 * h), -h)
    default: return (h, -h + (walked - 7 * h))
    }
  }

  public func distance(x: Float, y: Float) -> Float {
    let ax = abs(x), ay = abs(y), h = halfSide
    if ax <= h && ay <= h { return h - max(ax, ay) }
    let dx = max(ax - h, 0), dy = max(ay - h, 0)
    return (dx * dx + dy * dy).squareRoot()
  }
}
