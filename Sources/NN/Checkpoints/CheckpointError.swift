import Foundation

/// A checkpoint that cannot be read or does not fit: names the file, the tensor (when one is at fault) and the problem.
public struct CheckpointError: Error, Equatable, CustomStringConvertible, LocalizedError {
  public enum Problem: Equatable, Sendable {
    /// The file could not be opened, read or written (the system's message).
    case io(String)
    /// The file ends before the header or a tensor's data does.
    case truncated(String)
    /// The header is not the JSON safetensors expects (what is wrong with it).
    case malformedHeader(String)
    /// The tensor is stored in a type other than little-endian F32.
    case wrongDType(String)
    /// The model has the tensor; the file does not.
    case missingTensor
    /// The file has the tensor; the model does not.
    case unexpectedTensor
    /// The file's tensor has another shape than the model's.
    case shapeMismatch(expected: [Int], found: [Int])
    /// Optimizer state that does not belong to this optimizer or model.
    case incompatibleState(String)
    /// The tensor holds NaN or infinite values (how many of each, out of how many): a file may, a model may not.
    case nonFinite(nan: Int, infinite: Int, of: Int)
  }

  /// The file (or other origin) being read or written.
  public let source: String
  /// The tensor at fault, if the problem concerns one.
  public let tensor: String?
  public let problem: Problem

  public init(source: String, tensor: String? = nil, problem: Problem) {
    self.source = source
    self.tensor = tensor
    self.problem = problem
  }

  public var description: String {
    let subject = tensor.map { "\(source): tensor '\($0)'" } ?? source
    switch problem {
    case .io(let message): return "\(subject): \(message)"
    case .truncated(let detail): return "\(subject): the file is truncated (\(detail))"
    case .malformedHeader(let detail): return "\(subject): malformed safetensors header (\(detail))"
    case .wrongDType(let dtype): return "\(subject): dtype \(dtype) is not supported (only F32, and I64 read as floats, can be loaded)"
    case .missingTensor: return "\(subject): missing from the file (the model has it)"
    case .unexpectedTensor: return "\(subject): in the file but not in the model"
    case .shapeMismatch(let expected, let found):
      return "\(subject): shape \(found) in the file, but the model expects \(expected)"
    case .incompatibleState(let detail): return "\(subject): \(detail)"
    case .nonFinite(let nan, let infinite, let count):
      return "\(subject): \(nan + infinite) of its \(count) values are not finite (\(nan) NaN, \(infinite) infinite)"
    }
  }

  public var errorDescription: String? { description }
}

extension CheckpointError {
  /// Throws `.nonFinite` for `tensor` if any of `values` is NaN or infinite. Model and optimizer loading call this
  /// for every tensor before changing anything: one NaN weight would turn every output and gradient into NaN.
  static func checkFinite(_ values: [Float], source: String, tensor: String) throws {
    var nan = 0, infinite = 0
    for value in values where !value.isFinite {
      if value.isNaN { nan += 1 } else { infinite += 1 }
    }
    if nan + infinite > 0 {
      throw CheckpointError(source: source, tensor: tensor, problem: .nonFinite(nan: nan, infinite: infinite, of: values.count))
    }
  }
}
