import Foundation

/// A failure to read or write a tensor file (safetensors or a PyTorch checkpoint).
///
/// One error type for every format, so a caller catches one thing and shows
/// `description`, which names the file and, where known, the tensor or entry.
/// `kind` lets code and tests tell failures apart without parsing messages.
public struct SerializationError: Error, Sendable, Equatable, CustomStringConvertible, LocalizedError {
  /// What went wrong, independent of the wording of `message`.
  public enum Kind: String, Sendable, Equatable, CaseIterable {
    /// The file could not be read or written.
    case io
    /// The file ends before a structure it declares (header, zip record, pickle).
    case truncated
    /// A safetensors header length is absurd (over 100 MB).
    case headerTooLarge
    /// A header or record is malformed: bad JSON, wrong field types, bad UTF-8.
    case invalidHeader
    /// A dtype name or storage type this library does not know.
    case unknownDType
    /// A tensor's byte count does not match its shape and dtype.
    case shapeMismatch
    /// Data lies outside the buffer that should hold it (bad offsets or a cut file).
    case outOfBounds
    /// Two tensors claim the same bytes.
    case overlap
    /// Bytes in a data buffer that no tensor covers.
    case gap
    /// The same tensor name appears twice.
    case duplicateName
    /// A `TensorRecord` or tensor description is inconsistent.
    case invalidTensor
    /// Not a zip archive and not any known checkpoint format.
    case notZip
    /// A pre-1.6 (non-zip) `torch.save` file.
    case legacyFormat
    /// A zip feature this reader deliberately does not handle (compression, encryption, multi-disk).
    case unsupportedZip
    /// A zip entry the checkpoint needs is absent.
    case missingEntry
    /// A pickle stream is malformed (stack underflow, wrong operand types, bad memo index).
    case invalidPickle
    /// A pickle opcode outside the subset `torch.save` emits.
    case unsupportedOpcode
    /// No tensor dictionary could be found in a checkpoint.
    case noStateDict
    /// A safety limit (nesting depth, size) was exceeded.
    case limitExceeded
  }

  public var kind: Kind
  /// Human-readable explanation naming the tensor or entry involved.
  public var message: String
  /// Path of the file being read or written, when known.
  public var file: String?

  public init(_ kind: Kind, _ message: String, file: String? = nil) {
    self.kind = kind
    self.message = message
    self.file = file
  }

  public var description: String {
    guard let file else { return message }
    return "\(file): \(message)"
  }

  public var errorDescription: String? { description }

  /// Runs `body`, tagging any error it throws with `url`'s path; foreign errors
  /// (Foundation I/O) become `.io`.
  static func inFile<T>(_ url: URL, _ body: () throws -> T) throws -> T {
    do {
      return try body()
    } catch var error as SerializationError {
      if error.file == nil { error.file = url.path }
      throw error
    } catch {
      throw SerializationError(.io, "\(error.localizedDescription)", file: url.path)
    }
  }
}
