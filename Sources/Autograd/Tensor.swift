/// A dense Float32 tensor, row-major (images are NCHW), that can take part in a differentiable computation.
///
/// A tensor made by an op while gradients are recorded remembers the op, its inputs and its backward rule
/// (`node`), so `gradients(of:wrt:)` and `backward()` can walk back through it. Leaves (parameters, data) have no node;
/// a leaf takes part only if `requiresGrad` is set.
public final class Tensor: @unchecked Sendable, CustomStringConvertible {
  /// The size of each dimension; `[]` for a scalar.
  public let shape: [Int]
  /// The values in row-major order. Mutating a tensor that a recorded graph still uses changes that graph.
  public var scalars: [Float]
  /// Whether gradients flow into this tensor. Set it on leaves (parameters); results of ops inherit it.
  public var requiresGrad: Bool
  /// The gradient accumulated by `backward()`, shaped like the tensor.
  public var grad: Tensor?
  /// The op that made this tensor, when it was recorded.
  var node: Node?

  /// A tensor with the given shape and values (`scalars.count` must equal the product of `shape`).
  public init(shape: [Int], scalars: [Float], requiresGrad: Bool = false) {
    precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in shape \(shape)")
    precondition(
      scalars.count == shape.reduce(1, *),
      "Tensor: \(scalars.count) values do not fill shape \(shape) (\(shape.reduce(1, *)) needed)")
    self.shape = shape
    self.scalars = scalars
    self.requiresGrad = requiresGrad
    self.node = nil
  }

  init(shape: [Int], scalars: [Float], node: Node) {
    self.shape = shape
    self.scalars = scalars
    self.requiresGrad = true
    self.node = node
  }

  /// Releases a graph without recursion: a chain of a million ops would otherwise overflow the stack, one nested
  /// deinit per op. Inputs that nothing else holds are dismantled here, one at a time.
  deinit {
    guard var pending = node.map({ [$0] }) else { return }
    node = nil
    while var current = pending.popLast() {
      guard isKnownUniquelyReferenced(&current) else { continue }
      var inputs = current.inputs
      current.inputs = []
      while var input = inputs.popLast() {
        if isKnownUniquelyReferenced(&input), let inner = input.node {
          input.node = nil
          pending.append(inner)
        }
      }
    }
  }

  /// A rank-0 tensor holding one value.
  public convenience init(_ value: Float, requiresGrad: Bool = false) {
    self.init(shape: [], scalars: [value], requiresGrad: requiresGrad)
  }

  /// A rank-1 tensor from an array.
  public convenience init(_ values: [Float], requiresGrad: Bool = false) {
    self.init(shape: [values.count], scalars: values, requiresGrad: requiresGrad)
  }

  /// A rank-2 tensor from rows of equal length.
  public convenience init(_ rows: [[Float]], requiresGrad: Bool = false) {
    let columns = rows.first?.count ?? 0
    precondition(rows.allSatisfy { $0.count == columns }, "Tensor: rows of different lengths")
    self.init(shape: [rows.count, columns], scalars: rows.flatMap { $0 }, requiresGrad: requiresGrad)
  }

  // MARK: Shape

  /// The number of dimensions.
  public var rank: Int { shape.count }
  /// The number of values.
  public var count: Int { scalars.count }
  /// The only value of a one-element tensor.
  public var scalar: Float {
    precondition(count == 1, "Tensor.scalar: the tensor has shape \(shape), not a single value")
    return scalars[0]
  }

  /// The value at a multi-dimensional index.
  public subscript(_ index: Int...) -> Float {
    precondition(index.count == rank, "Tensor subscript: \(index.count) indices for shape \(shape)")
    var flat = 0
    for (i, (value, size)) in zip(index, shape).enumerated() {
      precondition(value >= 0 && value < size, "Tensor subscript: index \(value) out of range for axis \(i) of \(shape)")
      flat = flat * size + value
    }
    return scalars[flat]
  }

  /// The op that made this tensor (`"leaf"` for a leaf).
  public var opName: String { node?.op ?? "leaf" }

  /// The ops recorded on the way to this tensor, each before the ops that use its result: the order the forward
  /// pass ran them in. The backward walk visits them in reverse, applying each one's rule (see RULES.md).
  public var recordedOps: [String] { topologicalOrder(from: self).compactMap { $0.node?.op } }

  /// The same values, cut off from the graph.
  public func detached() -> Tensor { Tensor(shape: shape, scalars: scalars) }

  // MARK: Creation

  public static func zeros(_ shape: [Int], requiresGrad: Bool = false) -> Tensor {
    Tensor(shape: shape, scalars: [Float](repeating: 0, count: shape.reduce(1, *)), requiresGrad: requiresGrad)
  }

  public static func ones(_ shape: [Int], requiresGrad: Bool = false) -> Tensor {
    full(shape, 1, requiresGrad: requiresGrad)
  }

  public static func full(_ shape: [Int], _ value: Float, requiresGrad: Bool = false) -> Tensor {
    Tensor(shape: shape, scalars: [Float](repeating: value, count: shape.reduce(1, *)), requiresGrad: requiresGrad)
  }

  /// `count` evenly spaced values from `start` to `end` inclusive.
  public static func linspace(_ start: Float, _ end: Float, count: Int) -> Tensor {
    let step = count > 1 ? (end - start) / Float(count - 1) : 0
    return Tensor(shape: [count], scalars: (0..<count).map { start + Float($0) * step })
  }

  /// Values drawn from N(mean, std²) by `generator`: the same seed gives the same values on every run.
  public static func randomNormal(
    _ shape: [Int], mean: Float = 0, std: Float = 1, using generator: inout SeededGenerator,
    requiresGrad: Bool = false
  ) -> Tensor {
    let n = shape.reduce(1, *)
    let values = [Float](unsafeUninitializedCapacity: n) { buffer, initialized in
      generator.fillNormal(buffer, mean: mean, std: std)
      initialized = n
    }
    return Tensor(shape: shape, scalars: values, requiresGrad: requiresGrad)
  }

  /// Values drawn uniformly from [low, high) by `generator`.
  public static func randomUniform(
    _ shape: [Int], low: Float = 0, high: Float = 1, using generator: inout SeededGenerator,
    requiresGrad: Bool = false
  ) -> Tensor {
    let n = shape.reduce(1, *)
    var values = [Float](repeating: 0, count: n)
    for i in 0..<n { values[i] = low + (high - low) * generator.nextUniform() }
    return Tensor(shape: shape, scalars: values, requiresGrad: requiresGrad)
  }

  // MARK: Description

  public var description: String {
    let values: String
    if count <= 12 {
      values = scalars.map { formatScalar($0) }.joined(separator: ", ")
    } else {
      values = (scalars.prefix(6).map { formatScalar($0) } + ["..."] + scalars.suffix(3).map { formatScalar($0) })
        .joined(separator: ", ")
    }
    let tag = node.map { ", op: \($0.op)" } ?? (requiresGrad ? ", requiresGrad" : "")
    return "Tensor(shape: \(shape), [\(values)]\(tag))"
  }
}

func formatScalar(_ x: Float) -> String {
  if x == x.rounded() && abs(x) < 1e6 { return String(Int(x)) }
  let magnitude = abs(x)
  if magnitude >= 1e-3 && magnitude < 1e5 {
    var s = String(format4(x))
    while s.hasSuffix("0") { s.removeLast() }
    return s
  }
  return "\(x)"
}

private func format4(_ x: Float) -> String {
  let scaled = (Double(x) * 10000).rounded() / 10000
  return "\(scaled)"
}
