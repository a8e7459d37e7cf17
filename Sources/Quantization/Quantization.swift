/// Quantization of Lichen codec models: mixed-precision schemes, activation
/// calibration on real images, fake-quantized fine-tuning, and conversion of
/// a float ScaleHyperprior into an `IntegerHyperprior` (the integer engine),
/// saved as a first-class model file and used by `lichen compress --engine
/// integer`. Float arithmetic is used here only to *build* integer models;
/// coding with them runs entirely in `IntegerEngine`.
public enum Quantization {}

/// What went wrong while quantizing: a bad scheme, calibration data, a model
/// the scheme does not cover.
public struct QuantizationError: Error, CustomStringConvertible, Sendable {
  public let message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}
