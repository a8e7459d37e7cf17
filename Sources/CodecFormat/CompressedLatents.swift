/// Entropy-coded latents of one image batch: one string per latent per
/// batch item, plus the spatial shape the decoder needs.
public struct CompressedLatents: Equatable, Sendable {
  /// strings[latent][batchItem]; latent order is the model's (y first, then z).
  public var strings: [[[UInt8]]]
  /// Spatial size of the smallest latent (z for the hyperprior, y for the factorized model).
  public var latentHeight: Int
  public var latentWidth: Int

  public init(strings: [[[UInt8]]], latentHeight: Int, latentWidth: Int) {
    self.strings = strings
    self.latentHeight = latentHeight
    self.latentWidth = latentWidth
  }
}
