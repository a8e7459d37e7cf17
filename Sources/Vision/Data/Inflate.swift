import CZlib
import Foundation

/// gzip (RFC 1952) decompression through the system zlib: concatenated
/// members are joined, and zlib checks each member's CRC-32 and length.
public enum Gzip {
  /// The decompressed bytes of a gzip file.
  public static func decompress(_ bytes: [UInt8], source: String = "<memory>") throws -> [UInt8] {
    func fail(_ message: String) -> VisionError { VisionError(.corruptCompression, source: source, message) }
    guard bytes.count >= 18 else { throw fail("too short for gzip data (\(bytes.count) bytes)") }
    guard bytes[0] == 0x1F, bytes[1] == 0x8B else { throw fail("not gzip data (bad magic bytes)") }
    var output: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    var stream = z_stream()
    // 16 + MAX_WBITS: expect the gzip wrapper.
    guard inflateInit2_(&stream, 16 + MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
      throw fail("zlib could not start")
    }
    defer { inflateEnd(&stream) }
    var input = bytes
    try input.withUnsafeMutableBufferPointer { inputBuffer in
      stream.next_in = inputBuffer.baseAddress
      stream.avail_in = uInt(inputBuffer.count)
      while true {
        let status = chunk.withUnsafeMutableBufferPointer { out -> Int32 in
          stream.next_out = out.baseAddress
          stream.avail_out = uInt(out.count)
          return inflate(&stream, Z_NO_FLUSH)
        }
        output.append(contentsOf: chunk[0..<(chunk.count - Int(stream.avail_out))])
        switch status {
        case Z_OK:
          continue
        case Z_STREAM_END:
          // Another member may follow; trailing zero padding is tolerated, as gzip does.
          let rest = Int(stream.avail_in)
          let offset = inputBuffer.count - rest
          if rest == 0 || !inputBuffer[offset...].contains(where: { $0 != 0 }) { return }
          guard inflateReset(&stream) == Z_OK else { throw fail("zlib could not restart for the next member") }
        case Z_BUF_ERROR where stream.avail_in == 0:
          throw fail("truncated gzip data")
        default:
          let message = stream.msg.map { String(cString: $0) } ?? "error \(status)"
          throw fail("corrupt gzip data: \(message)")
        }
      }
    }
    return output
  }
}
