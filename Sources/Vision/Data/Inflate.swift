import Foundation

/// A pure-Swift DEFLATE (RFC 1951) decoder with the gzip (RFC 1952) framing.
///
/// Why not zlib: Vision depends only on Torch and Imaging, and a system
/// library module would need its own target; decoding the few dataset files
/// we read is simple enough to own, and the gzip CRC-32 and length trailer
/// make every decode verifiable.
public enum Gzip {
  /// The decompressed bytes of a gzip file; concatenated members are joined.
  public static func decompress(_ bytes: [UInt8], source: String = "<memory>") throws -> [UInt8] {
    var output: [UInt8] = []
    var offset = 0
    repeat {
      offset = try decodeMember(bytes, at: offset, into: &output, source: source)
      // Trailing zero padding after the last member is tolerated (as gzip does).
    } while offset < bytes.count && bytes[offset...].contains(where: { $0 != 0 })
    return output
  }

  /// Decodes one gzip member starting at `start`; returns the offset after it.
  private static func decodeMember(
    _ bytes: [UInt8], at start: Int, into output: inout [UInt8], source: String
  ) throws -> Int {
    func fail(_ message: String) -> VisionError { VisionError(.corruptCompression, source: source, message) }
    guard bytes.count - start >= 18 else { throw fail("too short for a gzip member (\(bytes.count - start) bytes)") }
    guard bytes[start] == 0x1F, bytes[start + 1] == 0x8B else { throw fail("not gzip data (bad magic bytes)") }
    guard bytes[start + 2] == 8 else { throw fail("unsupported gzip compression method \(bytes[start + 2])") }
    let flags = bytes[start + 3]
    var offset = start + 10
    if flags & 0x04 != 0 {  // FEXTRA
      guard offset + 2 <= bytes.count else { throw fail("truncated gzip extra field") }
      offset += 2 + Int(bytes[offset]) | Int(bytes[offset + 1]) << 8
    }
    for flag: UInt8 in [0x08, 0x10] where flags & flag != 0 {  // FNAME, FCOMMENT: zero-terminated
      guard let end = bytes[min(offset, bytes.count)...].firstIndex(of: 0) else { throw fail("truncated gzip header") }
      offset = end + 1
    }
    if flags & 0x02 != 0 { offset += 2 }  // FHCRC
    guard offset < bytes.count else { throw fail("truncated gzip header") }
    let before = output.count
    var inflater = Inflater(bytes, offset: offset, source: source)
    try inflater.run(into: &output)
    let trailer = inflater.byteAlignedOffset
    guard trailer + 8 <= bytes.count else { throw fail("truncated gzip trailer") }
    let storedCRC = readLE32(bytes, trailer), storedSize = readLE32(bytes, trailer + 4)
    let produced = output.count - before
    guard UInt32(truncatingIfNeeded: produced) == storedSize else {
      throw fail("decompressed \(produced) bytes but the gzip trailer says \(storedSize) (mod 2^32)")
    }
    let crc = CRC32.checksum(output[before...])
    guard crc == storedCRC else {
      throw fail(String(format: "CRC-32 mismatch: computed %08x, trailer %08x", crc, storedCRC))
    }
    return trailer + 8
  }

  private static func readLE32(_ b: [UInt8], _ i: Int) -> UInt32 {
    UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
  }
}

/// CRC-32 (IEEE 802.3, reflected), as gzip's trailer uses.
enum CRC32 {
  static let table: [UInt32] = (0..<256).map { n in
    var c = UInt32(n)
    for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    return c
  }

  static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    table.withUnsafeBufferPointer { t in
      for b in bytes { crc = t[Int((crc ^ UInt32(b)) & 0xFF)] ^ (crc >> 8) }
    }
    return crc ^ 0xFFFF_FFFF
  }
}
