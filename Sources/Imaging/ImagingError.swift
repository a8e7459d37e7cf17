/// The single error type thrown by the Imaging module.
///
/// `description` names the source (a file path, or `<memory>` for in-memory
/// data) and the problem, for example
/// `"/data/kodim01.png: not a PNG file (bad signature)"`.
public struct ImagingError: Error, Sendable, Equatable, CustomStringConvertible {
  /// What went wrong, for callers that branch on the failure.
  public enum Kind: Sendable, Equatable {
    /// The file does not exist.
    case fileNotFound
    /// The file exists but could not be opened or read.
    case unreadableFile
    /// The data does not start with the PNG signature.
    case notPNG
    /// The data ends before the PNG stream does.
    case truncated
    /// libpng rejected the stream (bad CRC, bad zlib data, bad IHDR, ...).
    case corrupt
    /// Width or height is zero, or the image exceeds the size limits.
    case unsupportedSize
    /// Writing or renaming the output file failed.
    case writeFailed
    /// PNG encoding failed.
    case encodingFailed
    /// An argument is outside the accepted range (pixel count, bit depth,
    /// crop size, ...).
    case invalidArgument
    /// Two images that must have equal dimensions do not.
    case sizeMismatch
    /// The image is too small for the requested metric.
    case imageTooSmall
  }

  /// The category of the failure.
  public var kind: Kind
  /// File path, `<memory>`, or `nil` when no file or buffer is involved.
  public var source: String?
  /// Human-readable explanation of the problem.
  public var message: String

  public init(_ kind: Kind, source: String? = nil, message: String) {
    self.kind = kind
    self.source = source
    self.message = message
  }

  public var description: String {
    guard let source else { return message }
    return "\(source): \(message)"
  }
}

#if canImport(Foundation)
import Foundation

extension ImagingError: LocalizedError {
  public var errorDescription: String? { description }
}
#endif
