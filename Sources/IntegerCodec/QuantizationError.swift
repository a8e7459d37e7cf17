/// What went wrong while quantizing (a bad scheme, calibration data, a model the scheme does not
/// cover) or reading an integer model file.
public struct QuantizationError: Error, CustomStringConvertible, Sendable {
  public let message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}
