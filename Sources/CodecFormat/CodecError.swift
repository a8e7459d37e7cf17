/// The one public error of the codec: what went wrong, in words a user can act on.
public enum CodecError: Error, Equatable, CustomStringConvertible, Sendable {
  /// compress/decompress before `update()` built the CDF tables.
  case notUpdated
  /// A model file or state dict that does not fit the architecture.
  case invalidModel(String)
  /// A `.lic` file that is truncated, corrupt, from another model, or absurd.
  case invalidBitstream(String)
  /// An input image or tensor the codec cannot take.
  case invalidInput(String)

  public var description: String {
    switch self {
    case .notUpdated: return "the entropy model has no CDF tables: run update() first"
    case .invalidModel(let m): return "invalid model: \(m)"
    case .invalidBitstream(let m): return "invalid bitstream: \(m)"
    case .invalidInput(let m): return "invalid input: \(m)"
    }
  }
}
