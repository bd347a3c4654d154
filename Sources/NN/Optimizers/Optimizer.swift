/// Updates one model's parameters from their accumulated gradients (`.grad`, filled by `loss.backward()`).
///
/// A GAN has one optimizer per network, each with its own learning rate (two time-scale updates are just two
/// learning rates). Per-parameter state is kept by parameter path, so it survives a checkpoint: `Checkpoint.save(_:to:)`
/// writes it and `Checkpoint.load(into:from:)` restores it, and training then continues exactly as if uninterrupted.
///
/// The update rules are PyTorch's (`torch.optim`), formula for formula. A parameter whose `grad` is nil is skipped,
/// and its state does not advance.
public protocol Optimizer: AnyObject {
  /// The model whose parameters this optimizer updates.
  var model: Module { get }
  var learningRate: Float { get set }
  /// One update of every parameter that has a gradient.
  func step()
  /// The per-parameter state as named tensors plus metadata (what a checkpoint stores).
  func stateContents() -> SafeTensors.Contents
  /// Restores state saved by `stateContents()`; checks everything first and leaves the state unchanged on error.
  func loadStateContents(_ contents: SafeTensors.Contents, source: String) throws
  /// The parameters this optimizer updates: the model's, as they were when first asked for (like `torch.optim`,
  /// which takes `model.parameters()` once). Walking a model by reflection costs about a third of a small MLP's
  /// training step, so it is done once, not on every update.
  var parameters: [Tensor] { get }
  /// Walks the model again: call after replacing a parameter tensor of the model (assigning a new `Tensor` to a
  /// layer's property; changing its `scalars` in place needs nothing).
  func refreshParameters()
}

extension Optimizer {
  /// Clears the gradients of the parameters this optimizer updates (without walking the model again).
  public func zeroGradients() {
    for parameter in parameters { parameter.grad = nil }
  }
}

// MARK: - Per-parameter state

/// One state array (a moment estimate, a momentum buffer) shaped like its parameter. A class, so that an update can
/// hold several slots' storage at once without overlapping accesses.
final class Slot {
  var values: [Float]
  init(count: Int) { values = [Float](repeating: 0, count: count) }
}

/// The state of one parameter: how many updates it has had, and its slots in a fixed order.
final class ParameterState {
  var step = 0
  var slots: [Slot]
  init(slotCount: Int, count: Int) { slots = (0..<slotCount).map { _ in Slot(count: count) } }
}

/// The per-parameter state of an optimizer, by parameter path, and its safetensors form:
/// tensor `<path>.<slot name>` (shaped like the parameter) for every slot, metadata `<path>.step` for the step count,
/// and `optimizer` = the optimizer's kind. Slots start at zero, which reproduces PyTorch's lazily created buffers
/// (a momentum buffer created as a copy of the first gradient equals momentum · 0 + gradient).
struct OptimizerStates {
  let kind: String
  let slotNames: [String]
  var byPath: [String: ParameterState] = [:]

  /// The model's parameters by path, walked once (see `Optimizer.parameters`).
  private var walked: [(path: String, tensor: Tensor)]?

  init(kind: String, slotNames: [String]) {
    self.kind = kind
    self.slotNames = slotNames
  }

  /// The parameters of `model`, walked on first use and remembered.
  mutating func parameters(of model: Module) -> [(path: String, tensor: Tensor)] {
    if let walked { return walked }
    let found = model.namedParameters()
    walked = found
    return found
  }

  /// Forgets the remembered parameters, so the next use walks the model again.
  mutating func forgetParameters() { walked = nil }

  /// The state for `path`, created (zeros, step 0) on first use.
  mutating func state(for path: String, count: Int) -> ParameterState {
    if let existing = byPath[path] { return existing }
    let created = ParameterState(slotCount: slotNames.count, count: count)
    byPath[path] = created
    return created
  }

  func contents(shapes: [String: [Int]], hyperparameters: [String: String]) -> SafeTensors.Contents {
    var tensors: [String: Tensor] = [:]
    var metadata = hyperparameters
    metadata["optimizer"] = kind
    for (path, state) in byPath {
      guard let shape = shapes[path] else { continue }
      for (name, slot) in zip(slotNames, state.slots) {
        tensors["\(path).\(name)"] = Tensor(shape: shape, scalars: slot.values)
      }
      metadata["\(path).step"] = String(state.step)
    }
    return SafeTensors.Contents(tensors: tensors, metadata: metadata)
  }

  /// Checks `contents` against this optimizer's kind and the model's parameter shapes, then replaces the state.
  mutating func load(_ contents: SafeTensors.Contents, shapes: [String: [Int]], source: String) throws {
    func fail(_ tensor: String?, _ problem: CheckpointError.Problem) -> CheckpointError {
      CheckpointError(source: source, tensor: tensor, problem: problem)
    }
    guard contents.metadata["optimizer"] == kind else {
      throw fail(nil, .incompatibleState(
        "holds state of optimizer '\(contents.metadata["optimizer"] ?? "none")', not \(kind)"))
    }
    let stepKeys = contents.metadata.keys.filter { $0.hasSuffix(".step") }
    var loaded: [String: ParameterState] = [:]
    for key in stepKeys.sorted() {
      let path = String(key.dropLast(".step".count))
      guard let shape = shapes[path] else { throw fail(path, .unexpectedTensor) }
      guard let step = Int(contents.metadata[key]!), step >= 0 else {
        throw fail(path, .incompatibleState("step count '\(contents.metadata[key]!)' is not a whole number"))
      }
      let state = ParameterState(slotCount: 0, count: 0)
      state.step = step
      for name in slotNames {
        let tensorName = "\(path).\(name)"
        guard let tensor = contents.tensors[tensorName] else { throw fail(tensorName, .missingTensor) }
        guard tensor.shape == shape else {
          throw fail(tensorName, .shapeMismatch(expected: shape, found: tensor.shape))
        }
        try CheckpointError.checkFinite(tensor.scalars, source: source, tensor: tensorName)
        let slot = Slot(count: 0)
        slot.values = tensor.scalars
        state.slots.append(slot)
      }
      loaded[path] = state
    }
    let expected = Set(loaded.keys.flatMap { path in slotNames.map { "\(path).\($0)" } })
    if let extra = contents.tensors.keys.sorted().first(where: { !expected.contains($0) }) {
      throw fail(extra, .unexpectedTensor)
    }
    byPath = loaded
  }
}

extension Module {
  /// Parameter shapes by path (to check optimizer state against).
  var parameterShapes: [String: [Int]] {
    Dictionary(uniqueKeysWithValues: namedParameters().map { ($0.path, $0.tensor.shape) })
  }
}

/// The parameters that have gradients, each with its state, for one update; checks that each gradient fits.
func parametersToUpdate(
  _ model: Module, _ states: inout OptimizerStates, optimizer: String
) -> [(parameter: Tensor, gradient: Tensor, state: ParameterState)] {
  states.parameters(of: model).compactMap { path, parameter in
    guard let gradient = parameter.grad else { return nil }
    precondition(
      gradient.shape == parameter.shape,
      "\(optimizer): gradient of '\(path)' has shape \(gradient.shape), the parameter \(parameter.shape)")
    return (parameter, gradient, states.state(for: path, count: parameter.count))
  }
}

/// Runs `update(item, split)` for every item (parameter) on the engine's cores; the result does not depend on how the
/// work is cut, since each element's update is independent. A large item is updated on the calling thread and `split`
/// cuts its elements into one range per core (take the item's storage first, then split: two threads must not both
/// take the same array for writing). The small items are shared out whole, in runs of about equal total size, and
/// their `split` runs the whole range at once.
func forEachUpdate(
  sizes: [Int], _ update: (_ item: Int, _ split: (_ count: Int, _ body: (Range<Int>) -> Void) -> Void) -> Void
) {
  let threshold = Kernels.elementThreshold
  var small: [Int] = []
  for (item, size) in sizes.enumerated() {
    if size >= threshold {
      update(item) { count, body in Kernels.forEachElementRange(count, body) }
    } else if size > 0 {
      small.append(item)
    }
  }
  let total = small.reduce(0) { $0 + sizes[$1] }
  let chunks = total >= threshold ? Kernels.cores : 1
  Kernels.parallel(chunks: chunks) { chunk in
    // An item belongs to the chunk whose share of the total holds the item's first element.
    let (low, high) = (total * chunk / chunks, total * (chunk + 1) / chunks)
    var start = 0
    for item in small {
      if start >= low && start < high { update(item) { count, body in body(0..<count) } }
      start += sizes[item]
      if start >= high { break }
    }
  }
}
