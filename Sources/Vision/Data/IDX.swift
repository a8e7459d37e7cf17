import Foundation

/// The IDX format of MNIST-style files: two zero bytes, a type byte (0x08 for
/// unsigned bytes), a dimension count, big-endian UInt32 sizes, then the data.
public enum IDX {
  /// A decoded IDX array of unsigned bytes.
  public struct Array: Sendable, Equatable {
    public var dimensions: [Int]
    public var values: [UInt8]
  }

  /// Decodes an unsigned-byte IDX array, checking the magic number (when
  /// `expectedRank` is given, 0x00000800 + rank) and that the data size
  /// matches the dimensions exactly.
  public static func decode(_ bytes: [UInt8], expectedRank: Int? = nil, source: String = "<memory>") throws -> Array {
    func fail(_ message: String) -> VisionError { VisionError(.malformedData, source: source, message) }
    guard bytes.count >= 4 else { throw fail("too short for an IDX header (\(bytes.count) bytes)") }
    let magic = UInt32(bytes[0]) << 24 | UInt32(bytes[1]) << 16 | UInt32(bytes[2]) << 8 | UInt32(bytes[3])
    guard bytes[0] == 0, bytes[1] == 0, bytes[2] == 0x08 else {
      throw fail(String(format: "bad IDX magic 0x%08x (expected 0x000008NN: unsigned bytes)", magic))
    }
    let rank = Int(bytes[3])
    if let expectedRank, rank != expectedRank {
      throw fail(String(format: "IDX magic 0x%08x has %d dimensions, expected 0x%08x", magic, rank, 0x800 + expectedRank))
    }
    let headerSize = 4 + 4 * rank
    guard rank > 0, bytes.count >= headerSize else { throw fail("truncated IDX header for \(rank) dimensions") }
    var dimensions: [Int] = []
    for d in 0..<rank {
      let o = 4 + 4 * d
      dimensions.append(Int(bytes[o]) << 24 | Int(bytes[o + 1]) << 16 | Int(bytes[o + 2]) << 8 | Int(bytes[o + 3]))
    }
    let (expected, overflow) = dimensions.reduce((1, false)) { acc, d in
      let (product, o) = acc.0.multipliedReportingOverflow(by: d)
      return (product, acc.1 || o)
    }
    guard !overflow, bytes.count - headerSize == expected else {
      throw fail("IDX dimensions \(dimensions) need \(expected) data bytes, file has \(bytes.count - headerSize)")
    }
    return Array(dimensions: dimensions, values: Swift.Array(bytes[headerSize...]))
  }
}
