// A model is a tree of modules. Its parameters are found by reflection over stored properties, so a model never
// keeps a hand-written parameter list that could fall out of date, and every tensor gets a stable path name.

/// Non-trainable state of a module: running statistics, spectral-norm vectors, EMA copies.
///
/// The parameter walker skips buffers (optimizers never touch them), but `namedBuffers()` finds them and checkpoints
/// save them beside the parameters, under the path of the property that holds the buffer.
public final class Buffer {
  /// The current value. Layers update it in place or replace it with a tensor of the same shape.
  public var value: Tensor

  public init(_ value: Tensor) { self.value = value.detached() }
}

/// The base class of every layer and model.
///
/// **What counts.** `namedParameters()` walks the stored properties of `self` and of each module it finds, in
/// declaration order (superclass properties first), and matches exactly these property types:
/// - `Tensor`: a parameter; `Buffer`: a buffer; `Module` (any subclass): a submodule, walked in turn;
/// - arrays of them (`[Tensor]`, `[Buffer]`, `[Linear]`, `[any Layer]`, ...), named by index;
/// - string-keyed dictionaries of them (`[String: Tensor]`, ...), named by key, in sorted key order;
/// - optionals of any of the above (`nil` contributes nothing).
/// Anything else (numbers, flags, `[Float]`, generators, closures, nested arrays) is ignored. Computed and `lazy`
/// properties are not stored state and are not seen. A tensor or module reachable twice is reported once, under the
/// first path, so shared weights are updated once and a reference back to a parent cannot loop.
///
/// **Paths.** Property names, array indices and dictionary keys joined by dots: a model with
/// `var blocks: [Block]` whose blocks hold `var conv: Conv2D` has a parameter `blocks.2.conv.weight`. These paths
/// are the tensor names in checkpoints and the keys of optimizer state.
///
/// ```swift
/// final class Critic: Module, Layer {
///   let hidden: Linear
///   let output: Linear
///   init(using generator: inout SeededGenerator) {
///     hidden = Linear(inputSize: 2, outputSize: 64, using: &generator)
///     output = Linear(inputSize: 64, outputSize: 1, using: &generator)
///     super.init()
///   }
///   func callAsFunction(_ x: Tensor) -> Tensor { output(leakyReLU(hidden(x))) }
/// }
/// critic.namedParameters().map(\.path)  // ["hidden.weight", "hidden.bias", "output.weight", "output.bias"]
/// ```
open class Module {
  /// Training mode (the default) or evaluation mode. BatchNorm uses batch statistics and updates its running
  /// statistics only in training mode; Dropout drops only in training mode; spectral norm iterates only then.
  public internal(set) var isTraining = true

  public init() {}

  // MARK: Discovery

  /// Every parameter with its path, in a stable order.
  public func namedParameters() -> [(path: String, tensor: Tensor)] { walk().parameters }

  /// Every parameter, in the order of `namedParameters()`.
  public func parameters() -> [Tensor] { walk().parameters.map(\.tensor) }

  /// Every buffer (non-trainable state) with its path.
  public func namedBuffers() -> [(path: String, buffer: Buffer)] { walk().buffers }

  /// `self` (path `""`) and every submodule with its path, parents before children.
  public func namedModules() -> [(path: String, module: Module)] { walk().modules }

  /// The number of trainable values: the sum of the parameters' element counts.
  public var parameterCount: Int { parameters().reduce(0) { $0 + $1.count } }

  /// Parameters and buffers by path: the state a checkpoint saves.
  public func stateTensors() -> [String: Tensor] {
    let found = walk()
    var state: [String: Tensor] = [:]
    for (path, tensor) in found.parameters { state[path] = tensor }
    for (path, buffer) in found.buffers { state[path] = buffer.value }
    return state
  }

  // MARK: Modes and gradients

  /// Puts this module and every submodule into training mode.
  public func train() { setTraining(true) }

  /// Puts this module and every submodule into evaluation mode.
  public func eval() { setTraining(false) }

  public func setTraining(_ training: Bool) {
    for (_, module) in namedModules() { module.isTraining = training }
  }

  /// Clears the accumulated gradient of every parameter (call it before each `backward()`).
  public func zeroGradients() {
    for tensor in parameters() { tensor.grad = nil }
  }

  // MARK: Loading state

  /// Copies `state` (tensors by path) into the parameters and buffers, in place.
  ///
  /// Everything is checked before anything is written, so on error the module is unchanged: every parameter and
  /// buffer must be present, no other names may appear, every shape must match, and every value must be finite.
  /// - Parameter source: names the origin (a file path) in error messages.
  public func loadState(_ state: [String: Tensor], source: String = "state") throws {
    let targets = stateTensors()
    for name in targets.keys.sorted() {
      guard let incoming = state[name] else {
        throw CheckpointError(source: source, tensor: name, problem: .missingTensor)
      }
      if incoming.shape != targets[name]!.shape {
        throw CheckpointError(
          source: source, tensor: name, problem: .shapeMismatch(expected: targets[name]!.shape, found: incoming.shape))
      }
      try CheckpointError.checkFinite(incoming.scalars, source: source, tensor: name)
    }
    if let extra = state.keys.sorted().first(where: { targets[$0] == nil }) {
      throw CheckpointError(source: source, tensor: extra, problem: .unexpectedTensor)
    }
    for (name, target) in targets { target.scalars = state[name]!.scalars }
  }

  // MARK: The walk

  struct Found {
    var parameters: [(path: String, tensor: Tensor)] = []
    var buffers: [(path: String, buffer: Buffer)] = []
    var modules: [(path: String, module: Module)] = []
    var seen = Set<ObjectIdentifier>()
  }

  func walk() -> Found {
    var found = Found()
    found.seen.insert(ObjectIdentifier(self))
    found.modules.append(("", self))
    visitProperties(of: self, path: "", into: &found)
    return found
  }
}

/// Visits the stored properties of `module`, superclass properties first (the `Module` base adds none).
private func visitProperties(of module: Module, path: String, into found: inout Module.Found) {
  var mirrors: [Mirror] = []
  var mirror: Mirror? = Mirror(reflecting: module)
  while let current = mirror, current.subjectType != Module.self {
    mirrors.append(current)
    mirror = current.superclassMirror
  }
  for current in mirrors.reversed() {
    for child in current.children {
      guard let label = child.label else { continue }
      visit(child.value, path: join(path, label), into: &found)
    }
  }
}

/// Matches one value against the types that count (see `Module`). Optionals unwrap through the casts.
private func visit(_ value: Any, path: String, into found: inout Module.Found) {
  switch value {
  case let tensor as Tensor:
    if found.seen.insert(ObjectIdentifier(tensor)).inserted { found.parameters.append((path, tensor)) }
  case let buffer as Buffer:
    if found.seen.insert(ObjectIdentifier(buffer)).inserted { found.buffers.append((path, buffer)) }
  case let module as Module:
    if found.seen.insert(ObjectIdentifier(module)).inserted {
      found.modules.append((path, module))
      visitProperties(of: module, path: path, into: &found)
    }
  case let array as [Tensor]:
    for (i, element) in array.enumerated() { visit(element, path: join(path, String(i)), into: &found) }
  case let array as [Buffer]:
    for (i, element) in array.enumerated() { visit(element, path: join(path, String(i)), into: &found) }
  case let array as [Module]:
    for (i, element) in array.enumerated() { visit(element, path: join(path, String(i)), into: &found) }
  case let dictionary as [String: Tensor]:
    for key in dictionary.keys.sorted() { visit(dictionary[key]!, path: join(path, key), into: &found) }
  case let dictionary as [String: Buffer]:
    for key in dictionary.keys.sorted() { visit(dictionary[key]!, path: join(path, key), into: &found) }
  case let dictionary as [String: Module]:
    for key in dictionary.keys.sorted() { visit(dictionary[key]!, path: join(path, key), into: &found) }
  default:
    break
  }
}

private func join(_ prefix: String, _ name: String) -> String { prefix.isEmpty ? name : prefix + "." + name }

/// A module that maps one tensor to another: what `Sequential` chains and what wrappers such as `SpectralNorm` and
/// the GAN architectures compose.
public protocol Layer: Module {
  func callAsFunction(_ input: Tensor) -> Tensor
}
