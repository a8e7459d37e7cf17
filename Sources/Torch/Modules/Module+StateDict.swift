import CTorch
import Foundation

/// How strictly `load(stateDict:)` matches names.
public enum StateDictMatching: Sendable {
  /// Every model entry must be present and no extra entry allowed.
  case strict
  /// Missing and unexpected names are returned, not thrown.
  case lenient
}

/// What a lenient load left out.
public struct StateDictLoadReport: Sendable, Equatable {
  public var missing: [String]
  public var unexpected: [String]
}

extension Module {
  /// Copies values into this module's parameters and buffers by name.
  ///
  /// Shapes must match exactly; values are converted to each destination's
  /// dtype. Buffers whose size legitimately varies (e.g. CDF tables) can be
  /// resized by the owning module before the call.
  @discardableResult
  public func load(
    stateDict entries: [String: TensorRecord], matching: StateDictMatching = .strict
  ) throws -> StateDictLoadReport {
    let own = stateDict()
    let ownNames = Set(own.map(\.name))
    let missing = own.map(\.name).filter { entries[$0] == nil }
    let unexpected = entries.keys.filter { !ownNames.contains($0) }.sorted()
    if matching == .strict, !missing.isEmpty || !unexpected.isEmpty {
      var parts: [String] = []
      if !missing.isEmpty { parts.append("missing: \(missing.prefix(10).joined(separator: ", "))") }
      if !unexpected.isEmpty { parts.append("unexpected: \(unexpected.prefix(10).joined(separator: ", "))") }
      throw TorchError(.value, "state dict does not match the model (\(parts.joined(separator: "; ")))")
    }
    let resizable = namedResizableBuffers()
    try withNoGrad {
      for (name, destination) in own {
        guard let record = entries[name] else { continue }
        if resizable.contains(name), record.shape != destination.shape { try destination.resize_(record.shape) }
        guard record.shape == destination.shape else {
          throw TorchError(.value, "state dict entry \(name) has shape \(record.shape), model expects \(destination.shape)")
        }
        let source = try Tensor(record: record)
        try destination.copy_(source.dtype == destination.dtype ? source : source.to(destination.dtype))
      }
    }
    return StateDictLoadReport(missing: missing, unexpected: unexpected)
  }

  /// The state dict as raw records (for safetensors).
  public func stateDictRecords() throws -> [String: TensorRecord] {
    var result: [String: TensorRecord] = [:]
    for (name, tensor) in stateDict() { result[name] = try tensor.record() }
    return result
  }
}

extension Tensor {
  /// A tensor holding a copy of a raw record's data.
  public convenience init(record: TensorRecord) throws {
    Runtime.bootstrap()
    let dims = record.shape.map(Int64.init)
    let handle = record.bytes.withUnsafeBytes { raw in
      lt_from_data(raw.baseAddress, raw.count, dims, Int64(dims.count), record.dtype.rawValue)
    }
    guard let handle else { throw Runtime.takeError() }
    self.init(handle: handle)
  }

  /// A raw record holding a copy of this tensor's data.
  public func record() throws -> TensorRecord {
    try TensorRecord(dtype: dtype, shape: shape, bytes: bytes())
  }
}
