/// A backward rule: given the gradient flowing into an op's output, the output itself and the op's inputs, return
/// one gradient per input (`nil` where none flows). Rules are written only in differentiable `Tensor` ops, so the
/// gradients they return can be differentiated again. A returned gradient may have the broadcast (output) shape:
/// it is summed back to its input's shape in one place, `gradients(of:wrt:)`.
public typealias BackwardRule = (_ grad: Tensor, _ output: Tensor, _ inputs: [Tensor]) -> [Tensor?]

/// A backward rule that is also told which inputs need a gradient, so expensive ops (products, convolutions) skip
/// the ones nobody asked for: the critic's weights when a gradient penalty differentiates with respect to its input.
public typealias SelectiveBackwardRule = (_ grad: Tensor, _ output: Tensor, _ inputs: [Tensor], _ needed: [Bool])
  -> [Tensor?]

/// The record of one op application.
final class Node {
  let op: String
  var inputs: [Tensor]
  let rule: SelectiveBackwardRule
  init(op: String, inputs: [Tensor], rule: @escaping SelectiveBackwardRule) {
    self.op = op
    self.inputs = inputs
    self.rule = rule
  }
}

/// Whether ops are being recorded for differentiation (on by default, per task).
public enum GradientMode {
  @TaskLocal public static var isEnabled = true
}

/// Runs `body` without recording ops: for inference, evaluation and optimizer updates.
public func withoutGradients<T>(_ body: () throws -> T) rethrows -> T {
  try GradientMode.$isEnabled.withValue(false) { try body() }
}

/// Runs `body` recording ops (inside a `withoutGradients` block, for example).
public func withGradients<T>(_ body: () throws -> T) rethrows -> T {
  try GradientMode.$isEnabled.withValue(true) { try body() }
}

extension Tensor {
  /// Makes the result of an op: recorded with its rule when gradients are on and an input takes part, plain otherwise.
  /// Every primitive goes through here, with its forward values already computed.
  static func record(
    _ op: String, _ inputs: [Tensor], shape: [Int], scalars: [Float], rule: @escaping BackwardRule
  ) -> Tensor {
    record(op, inputs, shape: shape, scalars: scalars, selectiveRule: { g, out, x, _ in rule(g, out, x) })
  }

  /// Makes the result of an op whose rule computes only the gradients marked as needed.
  static func record(
    _ op: String, _ inputs: [Tensor], shape: [Int], scalars: [Float], selectiveRule: @escaping SelectiveBackwardRule
  ) -> Tensor {
    if GradientMode.isEnabled && inputs.contains(where: { $0.requiresGrad }) {
      return Tensor(shape: shape, scalars: scalars, node: Node(op: op, inputs: inputs, rule: selectiveRule))
    }
    return Tensor(shape: shape, scalars: scalars)
  }
}

/// The tensors `root` depends on that take part in differentiation, inputs before the ops that use them.
/// Iterative, so a long chain of ops cannot overflow the stack.
func topologicalOrder(from root: Tensor) -> [Tensor] {
  var order: [Tensor] = []
  var visited = Set<ObjectIdentifier>()
  var stack: [(tensor: Tensor, expanded: Bool)] = [(root, false)]
  while let (tensor, expanded) = stack.popLast() {
    let id = ObjectIdentifier(tensor)
    if expanded {
      order.append(tensor)
      continue
    }
    if visited.contains(id) { continue }
    visited.insert(id)
    stack.append((tensor, true))
    if let node = tensor.node {
      for input in node.inputs where input.requiresGrad && !visited.contains(ObjectIdentifier(input)) {
        stack.append((input, false))
      }
    }
  }
  return order
}

/// The gradients of `output` with respect to each of `inputs`, by reverse-mode differentiation.
///
/// - Parameters:
///   - seed: the gradient flowing into `output` (ones by default, so a scalar loss gives its plain gradient).
///   - createGraph: record the backward computation too, so the returned gradients can be differentiated again
///     (gradient penalties, R1, Hessian-vector products).
/// - Returns: one gradient per input, shaped like it; zeros for an input `output` does not depend on.
public func gradients(of output: Tensor, wrt inputs: [Tensor], seed: Tensor? = nil, createGraph: Bool = false)
  -> [Tensor]
{
  let targets = Set(inputs.map(ObjectIdentifier.init))
  let found = propagate(from: output, seed: seed, createGraph: createGraph) { targets.contains(ObjectIdentifier($0)) }
  return inputs.map { found[ObjectIdentifier($0)] ?? Tensor.zeros($0.shape) }
}

/// Like `gradients(of:wrt:)`, but `nil` for an input that `output` does not depend on (an optimizer then leaves
/// that parameter and its state alone, as PyTorch does for a parameter whose `.grad` is None).
public func reachableGradients(of output: Tensor, wrt inputs: [Tensor], createGraph: Bool = false) -> [Tensor?] {
  let targets = Set(inputs.map(ObjectIdentifier.init))
  let found = propagate(from: output, seed: nil, createGraph: createGraph) { targets.contains(ObjectIdentifier($0)) }
  return inputs.map { found[ObjectIdentifier($0)] }
}

/// The gradient of `output` with respect to one input.
public func gradient(of output: Tensor, wrt input: Tensor, createGraph: Bool = false) -> Tensor {
  gradients(of: output, wrt: [input], createGraph: createGraph)[0]
}

extension Tensor {
  /// Accumulates d(self)/d(leaf) into `leaf.grad` for every leaf with `requiresGrad` that `self` depends on.
  /// `self` is usually a scalar loss; otherwise `seed` gives the gradient flowing into it.
  public func backward(seed: Tensor? = nil, createGraph: Bool = false) {
    var leaves: [ObjectIdentifier: Tensor] = [:]
    let found = propagate(from: self, seed: seed, createGraph: createGraph) { tensor in
      guard tensor.node == nil else { return false }
      leaves[ObjectIdentifier(tensor)] = tensor
      return true
    }
    GradientMode.$isEnabled.withValue(createGraph) {
      for (id, leaf) in leaves {
        guard let g = found[id] else { continue }
        leaf.grad = leaf.grad.map { $0 + g } ?? (createGraph ? g : g.detached())
      }
    }
  }

  /// Clears the accumulated gradient.
  public func zeroGradient() { grad = nil }
}

/// The engine's reverse sweep. `isTarget` marks the tensors whose gradients are wanted; only ops on a path from a
/// target to `root` run their rules.
private func propagate(
  from root: Tensor, seed: Tensor?, createGraph: Bool, isTarget: (Tensor) -> Bool
) -> [ObjectIdentifier: Tensor] {
  guard root.requiresGrad else { return [:] }
  let order = topologicalOrder(from: root)
  // Which tensors lead to a target (inputs come first in `order`).
  var leadsToTarget = Set<ObjectIdentifier>()
  var targetIDs = Set<ObjectIdentifier>()
  for tensor in order {
    let id = ObjectIdentifier(tensor)
    if isTarget(tensor) {
      targetIDs.insert(id)
      leadsToTarget.insert(id)
    } else if let node = tensor.node, node.inputs.contains(where: { leadsToTarget.contains(ObjectIdentifier($0)) }) {
      leadsToTarget.insert(id)
    }
  }
  if let seed {
    precondition(seed.shape == root.shape, "backward: seed shape \(seed.shape) does not match output \(root.shape)")
  }
  return GradientMode.$isEnabled.withValue(createGraph) {
    var grads: [ObjectIdentifier: Tensor] = [ObjectIdentifier(root): seed ?? Tensor.ones(root.shape)]
    for tensor in order.reversed() {
      let id = ObjectIdentifier(tensor)
      guard leadsToTarget.contains(id), let node = tensor.node, let g = grads[id] else { continue }
      if !targetIDs.contains(id) { grads[id] = nil }  // free what no one needs any more
      let needed = node.inputs.map { leadsToTarget.contains(ObjectIdentifier($0)) }
      let inputGrads = node.rule(g, tensor, node.inputs, needed)
      precondition(inputGrads.count == node.inputs.count, "\(node.op): backward rule returned the wrong count")
      for (input, inputGrad) in zip(node.inputs, inputGrads) {
        let inputID = ObjectIdentifier(input)
        guard var contribution = inputGrad, leadsToTarget.contains(inputID) else { continue }
        if contribution.shape != input.shape {
          // Broadcasting is undone here, and only here.
          contribution = contribution.summed(toShape: input.shape)
        }
        grads[inputID] = grads[inputID].map { $0 + contribution } ?? contribution
      }
    }
    return grads.filter { targetIDs.contains($0.key) }
  }
}
