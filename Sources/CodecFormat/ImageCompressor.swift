import Imaging

/// Anything that turns an image into `.lic` bytes and back (the float codec,
/// the integer engine's codec); evaluation and the CLI work through this.
public protocol ImageCompressor {
  func compress(_ image: RGBImage) throws -> [UInt8]
  func decompress(_ bytes: [UInt8]) throws -> RGBImage
}
