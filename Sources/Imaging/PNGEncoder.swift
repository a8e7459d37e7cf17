import CLibPNG

/// Sample precision of an encoded PNG.
public enum PNGBitDepth: Int, Sendable, Equatable {
  case eight = 8
  case sixteen = 16
}

/// Writes RGB PNG files through libpng.
///
/// Samples are clamped to `[0, 1]` and rounded to the nearest level (ties to
/// even): `round(v * 255)` for 8-bit, `round(v * 65535)` for 16-bit. Only
/// IHDR, IDAT and IEND are written (no gamma or colour-profile chunks).
public enum PNGEncoder {
  /// Encodes `image` as an RGB PNG.
  ///
  /// - Parameters:
  ///   - bitDepth: `.eight` (default) or `.sixteen` bits per sample.
  ///   - compressionLevel: zlib level, `0...9` (default 6).
  public static func encode(
    _ image: RGBImage, bitDepth: PNGBitDepth = .eight, compressionLevel: Int = 6
  ) throws(ImagingError) -> [UInt8] {
    guard (0...9).contains(compressionLevel) else {
      throw ImagingError(.invalidArgument, message: "compression level \(compressionLevel) is not in 0...9")
    }
    var context = lichen_png_context()
    defer { lichen_png_free_output(&context) }
    let width = UInt32(image.width)
    let height = UInt32(image.height)
    let level = Int32(compressionLevel)
    let status: Int32
    switch bitDepth {
    case .eight:
      let samples = image.interleavedRGB8()
      status = samples.withUnsafeBufferPointer { buffer in
        lichen_png_encode_rgb(&context, buffer.baseAddress, width, height, 8, level)
      }
    case .sixteen:
      let samples = image.interleavedRGB16()
      status = samples.withUnsafeBytes { buffer in
        lichen_png_encode_rgb(
          &context, buffer.baseAddress?.assumingMemoryBound(to: UInt8.self), width, height, 16, level)
      }
    }
    guard Int(status) == LICHEN_PNG_OK, let output = context.output else {
      let detail = cString(&context.message)
      throw ImagingError(
        .encodingFailed, message: "PNG encoding failed: \(detail.isEmpty ? "libpng error" : detail)")
    }
    return Array(UnsafeBufferPointer(start: output, count: context.output_size))
  }

  /// Encodes `image` and writes it to `path` atomically: the PNG is written
  /// to a temporary file in the destination directory and renamed over
  /// `path` only once complete, so `path` never holds a partial file and an
  /// existing file is left intact on failure.
  public static func write(
    _ image: RGBImage, toFile path: String, bitDepth: PNGBitDepth = .eight, compressionLevel: Int = 6
  ) throws(ImagingError) {
    let bytes: [UInt8]
    do {
      bytes = try encode(image, bitDepth: bitDepth, compressionLevel: compressionLevel)
    } catch {
      throw ImagingError(error.kind, source: path, message: error.message)
    }
    try FileIO.writeAtomically(bytes, to: path)
  }
}
