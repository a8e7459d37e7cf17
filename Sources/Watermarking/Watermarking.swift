/// Watermarking: substitutive white-box watermarks for any `Module`.
///
/// WaterMAS (De Sousa Trias et al., ICPR 2024, arXiv:2409.03902): payload
/// bits are written into secret-keyed weights, which then stay bit-for-bit
/// fixed (their gradients and weight decay are masked), while training
/// sharpens the loss along them so an attacker who moves them damages the
/// model. The module knows nothing of images or codecs: tasks hand it a
/// model and a loss closure. Formulation details the paper does not publish
/// are ours and marked as such (docs/watermarking.md).
public enum WatermarkingModule {}

/// Errors a user can act on: wrong key for the model, payload too long, ...
public struct WatermarkError: Error, CustomStringConvertible, Equatable, Sendable {
  public var message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}
