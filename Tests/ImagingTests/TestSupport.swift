import Foundation
import LichenRandom
import XCTest

@testable import Imaging

/// A scratch directory removed when the test finishes.
final class TemporaryDirectory {
  let path: String

  init() throws {
    let base = FileManager.default.temporaryDirectory.path
    path = "\(base)/ImagingTests-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  }

  deinit { try? FileManager.default.removeItem(atPath: path) }

  func file(_ name: String) -> String { "\(path)/\(name)" }

  func contents() throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: path).sorted()
  }
}

/// A minimal PNG writer independent of libpng (stored deflate blocks), so
/// the decoder is tested against files it did not produce itself.
enum TestPNG {
  static let colorGray: UInt8 = 0
  static let colorRGB: UInt8 = 2
  static let colorPalette: UInt8 = 3
  static let colorGrayAlpha: UInt8 = 4
  static let colorRGBA: UInt8 = 6

  /// Samples per pixel for a colour type.
  static func channels(_ colorType: UInt8) -> Int {
    switch colorType {
    case colorGray, colorPalette: return 1
    case colorGrayAlpha: return 2
    case colorRGB: return 3
    default: return 4
    }
  }

  /// Builds a PNG from unpacked samples (row-major, interleaved; one value
  /// per sample, < 2^bitDepth). With `interlaced`, Adam7 is used.
  static func make(
    width: Int, height: Int, colorType: UInt8, bitDepth: UInt8, samples: [Int],
    palette: [UInt8]? = nil, transparency: [UInt8]? = nil, interlaced: Bool = false
  ) -> [UInt8] {
    let channelCount = channels(colorType)
    precondition(samples.count == width * height * channelCount)
    var ihdr = bigEndian(UInt32(width)) + bigEndian(UInt32(height))
    ihdr += [bitDepth, colorType, 0, 0, interlaced ? 1 : 0]
    var png = PNGDecoder.signature
    png += chunk("IHDR", ihdr)
    if let palette { png += chunk("PLTE", palette) }
    if let transparency { png += chunk("tRNS", transparency) }

    var raw: [UInt8] = []
    let passes: [(x0: Int, y0: Int, dx: Int, dy: Int)] =
      interlaced
      ? [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
      : [(0, 0, 1, 1)]
    for pass in passes {
      let xs = Array(stride(from: pass.x0, to: width, by: pass.dx))
      let ys = Array(stride(from: pass.y0, to: height, by: pass.dy))
      guard !xs.isEmpty, !ys.isEmpty else { continue }
      for y in ys {
        var row: [Int] = []
        for x in xs {
          let start = (y * width + x) * channelCount
          row += samples[start..<start + channelCount]
        }
        raw.append(0)  // filter type None
        raw += pack(row, bitDepth: Int(bitDepth))
      }
    }
    png += chunk("IDAT", zlibStored(raw))
    png += chunk("IEND", [])
    return png
  }

  static func pack(_ row: [Int], bitDepth: Int) -> [UInt8] {
    switch bitDepth {
    case 16:
      return row.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    case 8:
      return row.map { UInt8($0) }
    default:
      var out: [UInt8] = []
      var current = 0
      var used = 0
      for v in row {
        current = (current << bitDepth) | v
        used += bitDepth
        if used == 8 {
          out.append(UInt8(current))
          current = 0
          used = 0
        }
      }
      if used > 0 { out.append(UInt8(current << (8 - used))) }
      return out
    }
  }

  static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
    let typeBytes = Array(type.utf8)
    return bigEndian(UInt32(data.count)) + typeBytes + data + bigEndian(crc32(typeBytes + data))
  }

  static func zlibStored(_ data: [UInt8]) -> [UInt8] {
    var out: [UInt8] = [0x78, 0x01]
    var offset = 0
    repeat {
      let count = min(65_535, data.count - offset)
      let final: UInt8 = offset + count == data.count ? 1 : 0
      out.append(final)
      out += [UInt8(count & 0xFF), UInt8(count >> 8), UInt8(~count & 0xFF), UInt8((~count >> 8) & 0xFF)]
      out += data[offset..<offset + count]
      offset += count
    } while offset < data.count
    var a: UInt32 = 1
    var b: UInt32 = 0
    for byte in data {
      a = (a + UInt32(byte)) % 65_521
      b = (b + a) % 65_521
    }
    return out + bigEndian((b << 16) | a)
  }

  static func bigEndian(_ value: UInt32) -> [UInt8] {
    [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
  }

  static func crc32(_ data: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in data {
      crc ^= UInt32(byte)
      for _ in 0..<8 {
        crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1
      }
    }
    return ~crc
  }
}

/// Asserts that `body` throws an ``ImagingError`` of `kind` whose
/// description contains every string in `mentions`.
func assertImagingError<T>(
  _ kind: ImagingError.Kind, mentioning mentions: [String] = [],
  file: StaticString = #filePath, line: UInt = #line,
  _ body: () throws -> T
) {
  do {
    _ = try body()
    XCTFail("expected ImagingError.\(kind), nothing was thrown", file: file, line: line)
  } catch let error as ImagingError {
    XCTAssertEqual(error.kind, kind, "\(error)", file: file, line: line)
    for text in mentions {
      XCTAssertTrue(
        error.description.contains(text), "'\(error)' does not mention '\(text)'", file: file, line: line)
    }
  } catch {
    XCTFail("expected ImagingError, got \(error)", file: file, line: line)
  }
}

/// A random 8-bit image.
func randomImage8(width: Int, height: Int, seed: UInt64) throws -> (RGBImage, [UInt8]) {
  var rng = SplitMix64(seed: seed)
  let samples = (0..<width * height * 3).map { _ in UInt8.random(in: 0...255, using: &rng) }
  return (try RGBImage(width: width, height: height, interleavedRGB8: samples), samples)
}
