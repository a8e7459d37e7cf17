import CZlib
import Foundation
import XCTest

@testable import Vision

final class GzipTests: XCTestCase {
  func decode(_ base64: String) throws -> [UInt8] {
    guard let data = Data(base64Encoded: base64) else { throw VisionError(.malformedData, "bad base64 fixture") }
    return try Gzip.decompress([UInt8](data))
  }

  func testDynamicHuffmanStream() throws {
    let expected = (0..<3000).map { UInt8(($0 * $0 / 7) % 251) }
    XCTAssertEqual(try decode(GzipFixtures.squares), expected)
  }

  func testFixedHuffmanStream() throws {
    XCTAssertEqual(try decode(GzipFixtures.hello), Array("hello, hello, hello world\n".utf8))
  }

  func testSkewedHuffmanCodes() throws {
    // zlib checks the trailer's CRC-32 and length inside decompress.
    let bytes = try decode(GzipFixtures.skewed)
    XCTAssertEqual(bytes.count, 6764)
    XCTAssertEqual(Set(bytes).count, 18)
  }

  func testConcatenatedMembersAndStoredBlocks() throws {
    guard let data = Data(base64Encoded: GzipFixtures.hello) else { return XCTFail("fixture") }
    let member = [UInt8](data)
    // A stored-block member written by hand: header, BFINAL=1 BTYPE=00, LEN, NLEN, data, CRC, size.
    let payload = Array("stored!".utf8)
    var stored: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3, 0x01]
    stored += [UInt8(payload.count), 0, ~UInt8(payload.count), 0xFF] + payload
    let crc = UInt32(payload.withUnsafeBufferPointer { crc32(0, $0.baseAddress, uInt($0.count)) })
    stored += [UInt8(crc & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 24), UInt8(payload.count), 0, 0, 0]
    XCTAssertEqual(try Gzip.decompress(member + stored), Array("hello, hello, hello world\n".utf8) + payload)
  }

  func testCorruptStreamsAreRejected() throws {
    guard let data = Data(base64Encoded: GzipFixtures.squares) else { return XCTFail("fixture") }
    let good = [UInt8](data)
    var badCRC = good
    badCRC[badCRC.count - 6] ^= 0xFF
    assertThrowsVisionError(.corruptCompression, containing: "incorrect data check") { try Gzip.decompress(badCRC) }
    assertThrowsVisionError(.corruptCompression, containing: "not gzip") { try Gzip.decompress(Array("plain text, not gzip".utf8)) }
    assertThrowsVisionError(.corruptCompression, containing: "truncated") { try Gzip.decompress(Array(good.prefix(good.count / 2))) }
    var badSize = good
    badSize[badSize.count - 4] ^= 1
    assertThrowsVisionError(.corruptCompression, containing: "incorrect length check") { try Gzip.decompress(badSize) }
  }
}
