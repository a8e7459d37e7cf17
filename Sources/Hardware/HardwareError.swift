/// What went wrong while planning hardware: a bad board file, a resolution
/// the model cannot take, a design that does not fit. Messages say what and
/// by how much.
public struct HardwareError: Error, CustomStringConvertible, Sendable {
  public let message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}
