import LichenRandom
import XCTest

@testable import LichenSerialization
@testable import Torch

final class TensorRecordTests: XCTestCase {
  func testInitValidatesByteCount() throws {
    XCTAssertNoThrow(try TensorRecord(dtype: .int16, shape: [2, 3], bytes: [UInt8](repeating: 0, count: 12)))
    assertThrows(.invalidTensor) { try TensorRecord(dtype: .int16, shape: [2, 3], bytes: [UInt8](repeating: 0, count: 11)) }
    assertThrows(.invalidTensor) { try TensorRecord(dtype: .float32, shape: [-1], bytes: []) }
    assertThrows(.invalidTensor) { try TensorRecord(dtype: .float64, shape: [Int.max, 2], bytes: []) }
    assertThrows(.invalidTensor) { try TensorRecord(float32: [1, 2, 3], shape: [2, 2]) }
  }

  func testScalarAndEmptyShapes() throws {
    let scalar = try TensorRecord(float32: [4.25], shape: [])
    XCTAssertEqual(scalar.elementCount, 1)
    XCTAssertEqual(try scalar.floats(), [4.25])
    let empty = try TensorRecord(dtype: .float32, shape: [0, 3], bytes: [])
    XCTAssertEqual(empty.elementCount, 0)
    XCTAssertEqual(try empty.floats(), [])
    // A zero dimension makes the tensor empty even when the others are huge.
    XCTAssertNoThrow(try TensorRecord(dtype: .float32, shape: [Int.max, 0, Int.max], bytes: []))
  }

  func testFloat32RoundTripIsExact() throws {
    let values: [Float] = [0, -0.0, 1, -1.5, .pi, .greatestFiniteMagnitude, .leastNonzeroMagnitude, .infinity]
    let record = try TensorRecord(float32: values, shape: [2, 4])
    XCTAssertEqual(record.bytes.count, 32)
    XCTAssertEqual(Array(record.bytes[8..<12]), [0x00, 0x00, 0x80, 0x3F])  // 1.0f little-endian
    XCTAssertEqual(try record.floats().map(\.bitPattern), values.map(\.bitPattern))
    XCTAssertEqual(try record.doubles(), values.map(Double.init))
  }

  func testFloat16Storage() throws {
    let record = try TensorRecord(float16From: [1, -2, 0.1, 65504, 1e6, 1e-8], shape: [6])
    XCTAssertEqual(record.dtype, .float16)
    XCTAssertEqual(Array(record.bytes[0..<4]), [0x00, 0x3C, 0x00, 0xC0])
    let back = try record.floats()
    XCTAssertEqual(back[0], 1)
    XCTAssertEqual(back[1], -2)
    XCTAssertEqual(back[2], 0.0999755859375)  // Nearest half to 0.1.
    XCTAssertEqual(back[3], 65504)
    XCTAssertEqual(back[4], .infinity)
    XCTAssertEqual(back[5], 0)
  }

  func testHalfConversionEdgeCases() {
    XCTAssertEqual(HalfPrecision.halfBits(from: 65520), 0x7C00)  // A tie; the even neighbour is infinity.
    XCTAssertEqual(HalfPrecision.halfBits(from: 65519.99), 0x7BFF)
    XCTAssertEqual(HalfPrecision.halfBits(from: 0x1p-24), 0x0001)  // Smallest subnormal.
    XCTAssertEqual(HalfPrecision.halfBits(from: 0x1p-25), 0x0000)  // Tie to even (zero).
    XCTAssertEqual(HalfPrecision.halfBits(from: 0x1.8p-25), 0x0001)
    XCTAssertEqual(HalfPrecision.halfBits(from: 0x1.8p-24), 0x0002)  // Tie to even (2).
    XCTAssertEqual(HalfPrecision.halfBits(from: 0x1.ffcp-15), 0x0400)  // Rounds up into normals.
    XCTAssertEqual(HalfPrecision.halfBits(from: -0.0), 0x8000)
    XCTAssertEqual(HalfPrecision.halfBits(from: 1 + 0x1p-11), 0x3C00)  // Tie to even (down).
    XCTAssertEqual(HalfPrecision.halfBits(from: 1 + 0x1.8p-10), 0x3C02)  // Tie to even (up).
    XCTAssertTrue(HalfPrecision.float(fromHalfBits: HalfPrecision.halfBits(from: .nan)).isNaN)
    XCTAssertEqual(HalfPrecision.float(fromHalfBits: 0x0001), 0x1p-24)
    XCTAssertEqual(HalfPrecision.float(fromHalfBits: 0xFC00), -.infinity)
    XCTAssertEqual(HalfPrecision.float(fromBFloat16Bits: 0x3F80), 1)
    XCTAssertEqual(HalfPrecision.float(fromBFloat16Bits: 0xC0A0), -5)
  }

  #if !(os(macOS) && arch(x86_64))
    /// Checks the hand-written conversions against Swift's own `Float16`.
    func testHalfConversionMatchesSwiftFloat16() {
      for bits in 0...UInt16.max {
        let expected = Float(Float16(bitPattern: bits))
        let actual = HalfPrecision.float(fromHalfBits: bits)
        if expected.isNaN {
          XCTAssertTrue(actual.isNaN, "half 0x\(String(bits, radix: 16))")
        } else if expected.bitPattern != actual.bitPattern {
          XCTFail("half 0x\(String(bits, radix: 16)): \(actual) != \(expected)")
        }
      }
      var generator = SplitMix64(seed: 7)
      var mismatches = 0
      for index in 0..<200_000 {
        // Random bit patterns cover every exponent; every 4th value sits near half's range.
        let value = index % 4 == 0
          ? Float.random(in: -70000...70000, using: &generator) * Float(index % 8 == 0 ? 1e-6 : 1)
          : Float(bitPattern: UInt32(truncatingIfNeeded: generator.next()))
        guard !value.isNaN else { continue }
        if HalfPrecision.halfBits(from: value) != Float16(value).bitPattern { mismatches += 1 }
      }
      XCTAssertEqual(mismatches, 0)
    }
  #endif

  func testOtherDtypeConversions() throws {
    let bfloat = try TensorRecord(dtype: .bfloat16, shape: [2], bytes: [0x80, 0x3F, 0x20, 0xC0])
    XCTAssertEqual(try bfloat.floats(), [1, -2.5])
    let double = try TensorRecord(dtype: .float64, shape: [1], bytes: (0..<8).map { UInt8(truncatingIfNeeded: (0.1).bitPattern >> (8 * $0)) })
    XCTAssertEqual(try double.doubles(), [0.1])
    XCTAssertEqual(try double.floats(), [Float(0.1)])
    let int16 = try TensorRecord(dtype: .int16, shape: [2], bytes: [0xFF, 0xFF, 0x00, 0x80])
    XCTAssertEqual(try int16.integers(), [-1, -32768])
    let int8 = try TensorRecord(dtype: .int8, shape: [2], bytes: [0x80, 0x7F])
    XCTAssertEqual(try int8.integers(), [-128, 127])
    let bools = try TensorRecord(dtype: .bool, shape: [2], bytes: [1, 0])
    XCTAssertEqual(try bools.integers(), [1, 0])
    assertThrows(.invalidTensor) { try bools.floats() }
    assertThrows(.invalidTensor) { try double.integers() }
    var broken = bfloat
    broken.shape = [3]  // Public properties can break the invariant; readers re-check.
    assertThrows(.invalidTensor) { try broken.floats() }
  }
}
