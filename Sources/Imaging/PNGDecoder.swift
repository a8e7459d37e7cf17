import CLibPNG

#if canImport(Foundation)
  import Foundation
#endif

/// The colour type stored in a PNG file's IHDR chunk.
public enum PNGColorType: Sendable, Equatable {
  case gray
  case grayAlpha
  case rgb
  case rgba
  case palette

  init?(libpngValue: Int32) {
    switch libpngValue {
    case PNG_COLOR_TYPE_GRAY: self = .gray
    case PNG_COLOR_TYPE_GRAY_ALPHA: self = .grayAlpha
    case PNG_COLOR_TYPE_RGB: self = .rgb
    case PNG_COLOR_TYPE_RGB_ALPHA: self = .rgba
    case PNG_COLOR_TYPE_PALETTE: self = .palette
    default: return nil
    }
  }
}

/// A decoded PNG and what was lost or noticed on the way.
public struct PNGReadResult: Sendable, Equatable {
  /// The RGB image; gray sources are replicated into R, G and B.
  public var image: RGBImage
  /// Non-fatal notes, e.g. that an alpha channel or tRNS transparency was
  /// dropped, or warnings libpng raised (prefixed `libpng:`).
  public var warnings: [String]
  /// The colour type stored in the file.
  public var sourceColorType: PNGColorType
  /// Bits per sample (per palette index for palette images) stored in the
  /// file: 1, 2, 4, 8 or 16.
  public var sourceBitDepth: Int
}

/// Reads PNG files through libpng.
///
/// Accepts every PNG colour type at every legal bit depth, interlaced or
/// not. The output is always RGB: gray is replicated, palette entries are
/// looked up, alpha (an alpha channel or a tRNS chunk) is discarded without
/// compositing and reported in ``PNGReadResult/warnings``. Samples are
/// scaled exactly: `v / 255` for 8-bit (sub-8-bit gray is first expanded to
/// 8 bits the PNG way), `v / 65535` for 16-bit. Colour-space chunks (gAMA,
/// cHRM, sRGB, iCCP) are ignored: stored values are used as they are, as
/// PIL and torchvision do.
///
/// Images wider or taller than ``ImageLimits/maxDimension`` or with more than
/// ``ImageLimits/maxPixelCount`` pixels are refused before any pixel memory is
/// allocated.
public enum PNGDecoder {
  /// The 8-byte PNG signature.
  static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

  /// Reads and decodes the PNG file at `path`.
  public static func read(fromFile path: String) throws(ImagingError) -> PNGReadResult {
    let bytes = try FileIO.readAll(path: path)
    return try decode(bytes, source: path)
  }

  /// Decodes PNG bytes. `source` names the data in error messages.
  public static func decode(_ bytes: [UInt8], source: String = "<memory>") throws(ImagingError) -> PNGReadResult {
    let result = bytes.withUnsafeBytes { buffer in
      Result { () throws(ImagingError) -> PNGReadResult in try decode(buffer, source: source) }
    }
    return try result.get()
  }

  #if canImport(Foundation)
    /// Decodes PNG bytes. `source` names the data in error messages.
    public static func decode(_ data: Data, source: String = "<memory>") throws(ImagingError) -> PNGReadResult {
      let result = data.withUnsafeBytes { buffer in
        Result { () throws(ImagingError) -> PNGReadResult in try decode(buffer, source: source) }
      }
      return try result.get()
    }
  #endif

  // MARK: - Implementation

  static func decode(_ bytes: UnsafeRawBufferPointer, source: String) throws(ImagingError) -> PNGReadResult {
    try checkSignatureAndIHDR(bytes, source: source)
    guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
      throw ImagingError(.truncated, source: source, message: "empty input")
    }
    var context = lichen_png_context()
    context.input = base
    context.input_size = bytes.count

    var header = lichen_png_header()
    let headerStatus = lichen_png_read_header(&context, &header)
    try check(headerStatus, context: &context, source: source)
    let width = Int(header.width)
    let height = Int(header.height)
    try checkSize(width: width, height: height, source: source)

    guard let colorType = PNGColorType(libpngValue: header.color_type) else {
      throw ImagingError(.corrupt, source: source, message: "unknown PNG colour type \(header.color_type)")
    }
    let sixteenBit = header.bit_depth == 16
    let bytesPerSample = sixteenBit ? 2 : 1
    let byteCount = width * height * RGBImage.channelCount * bytesPerSample
    let plane = width * height

    let pixels: [Float]
    if sixteenBit {
      var samples = [UInt16](repeating: 0, count: byteCount / 2)
      let status = samples.withUnsafeMutableBytes { out in
        lichen_png_decode_rgb(&context, out.baseAddress?.assumingMemoryBound(to: UInt8.self), out.count, &header)
      }
      try check(status, context: &context, source: source)
      pixels = RGBImage.planarize(samples, plane: plane, scale: 65_535)
    } else {
      var samples = [UInt8](repeating: 0, count: byteCount)
      let status = samples.withUnsafeMutableBytes { out in
        lichen_png_decode_rgb(&context, out.baseAddress?.assumingMemoryBound(to: UInt8.self), out.count, &header)
      }
      try check(status, context: &context, source: source)
      pixels = RGBImage.planarize(samples, plane: plane, scale: 255)
    }

    var warnings: [String] = []
    switch colorType {
    case .rgba, .grayAlpha:
      warnings.append("alpha channel dropped (source colour type \(colorType))")
    default:
      if header.has_trns != 0 {
        warnings.append("tRNS transparency dropped")
      }
    }
    warnings += libpngWarnings(&context)

    let image = try RGBImage(width: width, height: height, pixels: pixels, bitDepth: sixteenBit ? 16 : 8)
    return PNGReadResult(
      image: image, warnings: warnings, sourceColorType: colorType, sourceBitDepth: Int(header.bit_depth))
  }

  /// Rejects non-PNG data and, when the IHDR is readable, empty or absurd
  /// sizes, with messages clearer than libpng's.
  private static func checkSignatureAndIHDR(_ bytes: UnsafeRawBufferPointer, source: String) throws(ImagingError) {
    let prefixLength = min(bytes.count, signature.count)
    guard bytes.prefix(prefixLength).elementsEqual(signature.prefix(prefixLength)) else {
      throw ImagingError(.notPNG, source: source, message: "not a PNG file (bad signature)")
    }
    guard bytes.count > signature.count else {
      throw ImagingError(
        .truncated, source: source,
        message: "truncated PNG: \(bytes.count) bytes, not even a header")
    }
    // IHDR must be the first chunk: length(4) "IHDR"(4) width(4) height(4).
    guard bytes.count >= 24, bytes[12..<16].elementsEqual("IHDR".utf8) else { return }
    let width = bigEndianUInt32(bytes, at: 16)
    let height = bigEndianUInt32(bytes, at: 20)
    try checkSize(width: Int(width), height: Int(height), source: source)
  }

  private static func checkSize(width: Int, height: Int, source: String) throws(ImagingError) {
    guard width > 0, height > 0 else {
      throw ImagingError(.unsupportedSize, source: source, message: "PNG has zero size (\(width)x\(height))")
    }
    guard width <= ImageLimits.maxDimension, height <= ImageLimits.maxDimension,
      width * height <= ImageLimits.maxPixelCount
    else {
      throw ImagingError(
        .unsupportedSize, source: source,
        message: "PNG size \(width)x\(height) is too large (each side <= \(ImageLimits.maxDimension), at most \(ImageLimits.maxPixelCount) pixels)")
    }
  }

  private static func bigEndianUInt32(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt32 {
    (0..<4).reduce(UInt32(0)) { ($0 << 8) | UInt32(bytes[offset + $1]) }
  }

  private static func check(_ status: Int32, context: inout lichen_png_context, source: String) throws(ImagingError) {
    let status = Int(status)
    guard status != LICHEN_PNG_OK else { return }
    let detail = cString(&context.message)
    let warnings = libpngWarnings(&context)
    let suffix = warnings.isEmpty ? "" : " (\(warnings.joined(separator: "; ")))"
    switch status {
    case LICHEN_PNG_TRUNCATED:
      throw ImagingError(.truncated, source: source, message: "truncated PNG: data ends early\(suffix)")
    case LICHEN_PNG_NO_MEMORY:
      throw ImagingError(.corrupt, source: source, message: "out of memory while decoding PNG")
    default:
      throw ImagingError(.corrupt, source: source, message: "corrupt PNG: \(detail)\(suffix)")
    }
  }

  private static func libpngWarnings(_ context: inout lichen_png_context) -> [String] {
    let text = cString(&context.warnings)
    return text.split(separator: "\n").map { "libpng: \($0)" }
  }
}

/// Reads a NUL-terminated C `char[N]` array imported as a tuple.
func cString<T>(_ tuple: inout T) -> String {
  withUnsafeBytes(of: &tuple) { raw in
    String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
  }
}
