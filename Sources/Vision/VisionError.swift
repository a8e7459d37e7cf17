/// The error every throwing Vision API raises for bad input: a kind, the file
/// (or other source) it concerns, and a message that says what was expected.
public struct VisionError: Error, Sendable, Equatable, CustomStringConvertible {
  public enum Kind: Sendable, Equatable {
    /// A file or directory is missing or unreadable.
    case missingFile
    /// A data file's size or header is not what its format requires.
    case malformedData
    /// A gzip/DEFLATE stream could not be decoded.
    case corruptCompression
    /// An argument is out of range (batch size, width, class count...).
    case invalidArgument
    /// A model file or checkpoint does not match what it claims or what is asked.
    case incompatibleModel
  }

  public var kind: Kind
  public var source: String?
  public var message: String

  public init(_ kind: Kind, source: String? = nil, _ message: String) {
    self.kind = kind
    self.source = source
    self.message = message
  }

  public var description: String { source.map { "\($0): \(message)" } ?? message }
}
