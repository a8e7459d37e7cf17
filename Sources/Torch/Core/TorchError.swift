import CTorch

/// The one public error of the Torch module: a kind and a message, which is
/// libtorch's own text when libtorch raised it.
public struct TorchError: Error, CustomStringConvertible, Equatable, Sendable {
  public enum Kind: Int32, Sendable {
    case libtorch = 1, index, value, type, notImplemented, outOfMemory, cxxException, unknown, invalidArgument
    /// Raised by Swift code in this module (shape checks, bad files, non-finite values).
    case lichen = 100
    /// A distributed job failed: a rank died, hung or could not be reached.
    case distributed = 101
  }
  public var kind: Kind
  public var message: String

  public init(_ kind: Kind = .lichen, _ message: String) {
    self.kind = kind
    self.message = message
  }

  public var description: String { message }
}

/// Where every shim call's error slot is emptied and turned into a Swift error.
enum Runtime {
  /// One-time set-up before the first tensor: thread count = number of
  /// cores, and freed tensor memory kept in the heap for reuse (page faults
  /// on fresh mmap'ed activations cost a third of an encode; measured in
  /// docs/benchmarks.md). `LICHEN_MALLOC=default` keeps glibc's policy.
  private static let configured: Bool = {
    if ProcessInfo.processInfo.environment["LICHEN_MALLOC"] != "default" { _ = lt_retain_freed_memory() }
    let cores = ProcessInfo.processInfo.activeProcessorCount
    return lt_set_num_threads(Int32(Swift.max(1, cores))) == 0
  }()

  /// Touches the one-time set-up (thread-safe lazy static).
  @inline(__always) static func bootstrap() { _ = configured }

  static func takeError() -> TorchError {
    let kind = TorchError.Kind(rawValue: lt_error_kind()) ?? .unknown
    guard let raw = lt_error_take() else {
      return TorchError(.unknown, "libtorch call failed without a message")
    }
    defer { free(raw) }
    return TorchError(kind, String(cString: raw))
  }

  static func check(_ status: Int32) throws {
    if status != 0 { throw takeError() }
  }

  static func tensor(_ handle: lt_tensor?) throws -> Tensor {
    guard let handle else { throw takeError() }
    return Tensor(handle: handle)
  }
}

import Foundation
