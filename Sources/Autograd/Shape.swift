/// A shape that does not fit an op, with the op's name and the shapes involved.
public struct ShapeError: Error, CustomStringConvertible, Equatable {
  public let op: String
  public let message: String
  public var description: String { "\(op): \(message)" }

  public init(op: String, _ message: String) {
    self.op = op
    self.message = message
  }
}

/// Stops the program with a shape error's message (ops cannot throw without making every formula `try`).
func shapeFailure(_ error: ShapeError, file: StaticString = #file, line: UInt = #line) -> Never {
  fatalError("shape error in \(error)", file: file, line: line)
}

public enum Shape {
  /// The NumPy broadcast of two shapes: aligned at the right, each dimension equal or 1.
  public static func broadcast(_ a: [Int], _ b: [Int], op: String) throws(ShapeError) -> [Int] {
    if a == b { return a }
    let rank = max(a.count, b.count)
    var result = [Int](repeating: 1, count: rank)
    for i in 0..<rank {
      let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
      let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
      if da == db || db == 1 {
        result[i] = da
      } else if da == 1 {
        result[i] = db
      } else {
        throw ShapeError(op: op, "shapes \(a) and \(b) cannot be broadcast together (axis \(i): \(da) vs \(db))")
      }
    }
    return result
  }

  /// Whether `shape` can be broadcast to `target`.
  public static func canBroadcast(_ shape: [Int], to target: [Int]) -> Bool {
    guard shape.count <= target.count else { return false }
    let offset = target.count - shape.count
    for (i, d) in shape.enumerated() where d != 1 && d != target[i + offset] { return false }
    return true
  }

  /// An axis index that may be negative (counted from the end), checked against `rank`.
  static func normalize(axis: Int, rank: Int, op: String) -> Int {
    let a = axis < 0 ? axis + rank : axis
    if a < 0 || a >= rank { shapeFailure(ShapeError(op: op, "axis \(axis) is out of range for rank \(rank)")) }
    return a
  }

  /// Row-major strides.
  static func strides(_ shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    var s = 1
    for i in stride(from: shape.count - 1, through: 0, by: -1) {
      strides[i] = s
      s *= shape[i]
    }
    return strides
  }
}
