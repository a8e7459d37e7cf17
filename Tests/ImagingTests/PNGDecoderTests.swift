import Foundation
import LichenRandom
import XCTest

@testable import Imaging

final class PNGDecoderTests: XCTestCase {
  // MARK: Colour types and depths (files from the libpng-independent writer)

  func testRGB8FromIndependentWriter() throws {
    let samples = (0..<5 * 3 * 3).map { ($0 * 37) % 256 }
    let png = TestPNG.make(width: 5, height: 3, colorType: TestPNG.colorRGB, bitDepth: 8, samples: samples)
    let result = try PNGDecoder.decode(png)
    XCTAssertEqual(result.image.width, 5)
    XCTAssertEqual(result.image.height, 3)
    XCTAssertEqual(result.image.bitDepth, 8)
    XCTAssertEqual(result.sourceColorType, .rgb)
    XCTAssertEqual(result.sourceBitDepth, 8)
    XCTAssertEqual(result.warnings, [])
    XCTAssertEqual(result.image.interleavedRGB8(), samples.map { UInt8($0) })
  }

  func testRGB16IsScaledExactly() throws {
    let values = [0, 1, 2, 255, 256, 32_767, 32_768, 65_534, 65_535, 4_660, 43_981, 12_345]
    let png = TestPNG.make(width: 2, height: 2, colorType: TestPNG.colorRGB, bitDepth: 16, samples: values)
    let result = try PNGDecoder.decode(png)
    XCTAssertEqual(result.image.bitDepth, 16)
    XCTAssertEqual(result.sourceBitDepth, 16)
    let image = result.image
    for (i, v) in values.enumerated() {
      let pixel = i / 3
      let sample = image[channel: i % 3, x: pixel % 2, y: pixel / 2]
      XCTAssertEqual(sample, Float(v) / 65_535, "sample \(i)")
    }
    XCTAssertEqual(image.interleavedRGB16(), values.map { UInt16($0) })
  }

  func testGrayIsExpandedToRGB() throws {
    let gray = [0, 17, 128, 255, 3, 200]
    let png = TestPNG.make(width: 3, height: 2, colorType: TestPNG.colorGray, bitDepth: 8, samples: gray)
    let result = try PNGDecoder.decode(png)
    XCTAssertEqual(result.sourceColorType, .gray)
    XCTAssertEqual(result.warnings, [])
    XCTAssertEqual(result.image.interleavedRGB8(), gray.flatMap { [UInt8($0), UInt8($0), UInt8($0)] })
  }

  func testGray16IsExpandedToRGB() throws {
    let gray = [0, 1, 65_535, 40_000]
    let png = TestPNG.make(width: 2, height: 2, colorType: TestPNG.colorGray, bitDepth: 16, samples: gray)
    let image = try PNGDecoder.decode(png).image
    XCTAssertEqual(image.bitDepth, 16)
    XCTAssertEqual(image.interleavedRGB16(), gray.flatMap { Array(repeating: UInt16($0), count: 3) })
  }

  func testLowBitDepthGrayIsScaledToFullRange() throws {
    // 1-bit: 1 -> 255; 2-bit: 1 -> 85; 4-bit: 1 -> 17 (bit replication).
    for (depth, step) in [(1, 255), (2, 85), (4, 17)] {
      let maxValue = (1 << depth) - 1
      let gray = (0..<11).map { $0 % (maxValue + 1) }  // odd width: partial last byte
      let png = TestPNG.make(
        width: 11, height: 1, colorType: TestPNG.colorGray, bitDepth: UInt8(depth), samples: gray)
      let result = try PNGDecoder.decode(png)
      XCTAssertEqual(result.sourceBitDepth, depth)
      XCTAssertEqual(result.image.bitDepth, 8)
      XCTAssertEqual(
        result.image.interleavedRGB8(), gray.flatMap { Array(repeating: UInt8($0 * step), count: 3) },
        "bit depth \(depth)")
    }
  }

  func testGrayAlphaDropsAlphaWithoutCompositing() throws {
    let samples = [200, 0, 50, 255, 10, 128]  // (gray, alpha) pairs
    let png = TestPNG.make(width: 3, height: 1, colorType: TestPNG.colorGrayAlpha, bitDepth: 8, samples: samples)
    let result = try PNGDecoder.decode(png)
    XCTAssertEqual(result.sourceColorType, .grayAlpha)
    XCTAssertEqual(result.image.interleavedRGB8(), [200, 200, 200, 50, 50, 50, 10, 10, 10])
    XCTAssertEqual(result.warnings.count, 1)
    XCTAssertTrue(result.warnings[0].contains("alpha channel dropped"), result.warnings[0])
  }

  func testRGBADropsAlphaAndWarns() throws {
    let samples = [10, 20, 30, 0, 40, 50, 60, 255, 70, 80, 90, 1, 255, 0, 128, 77]
    let png = TestPNG.make(width: 2, height: 2, colorType: TestPNG.colorRGBA, bitDepth: 8, samples: samples)
    let result = try PNGDecoder.decode(png)
    XCTAssertEqual(result.sourceColorType, .rgba)
    XCTAssertEqual(result.image.interleavedRGB8(), [10, 20, 30, 40, 50, 60, 70, 80, 90, 255, 0, 128])
    XCTAssertEqual(result.warnings.count, 1)
    XCTAssertTrue(result.warnings[0].contains("alpha channel dropped"), result.warnings[0])
  }

  func testRGBA16DropsAlphaKeepsSixteenBits() throws {
    let samples = [1, 2, 3, 0, 65_535, 30_000, 12, 9]
    let png = TestPNG.make(width: 2, height: 1, colorType: TestPNG.colorRGBA, bitDepth: 16, samples: samples)
    let result = try PNGDecoder.decode(png)
    XCTAssertEqual(result.image.interleavedRGB16(), [1, 2, 3, 65_535, 30_000, 12])
    XCTAssertEqual(result.warnings.count, 1)
  }

  func testPaletteIsLookedUp() throws {
    let palette: [UInt8] = [255, 0, 0, 0, 255, 0, 0, 0, 255, 12, 34, 56]
    let indices = [0, 1, 2, 3, 3, 2, 1, 0, 1]
    for depth: UInt8 in [8, 4, 2] {
      let png = TestPNG.make(
        width: 3, height: 3, colorType: TestPNG.colorPalette, bitDepth: depth, samples: indices, palette: palette)
      let result = try PNGDecoder.decode(png)
      XCTAssertEqual(result.sourceColorType, .palette)
      XCTAssertEqual(result.sourceBitDepth, Int(depth))
      XCTAssertEqual(result.image.bitDepth, 8)
      XCTAssertEqual(result.warnings, [])
      XCTAssertEqual(
        result.image.interleavedRGB8(), indices.flatMap { Array(palette[3 * $0..<3 * $0 + 3]) }, "depth \(depth)")
    }
  }

  func testPaletteTransparencyIsDroppedWithWarning() throws {
    let palette: [UInt8] = [255, 0, 0, 0, 255, 0]
    let png = TestPNG.make(
      width: 2, height: 1, colorType: TestPNG.colorPalette, bitDepth: 8, samples: [0, 1],
      palette: palette, transparency: [0, 128])
    let result = try PNGDecoder.decode(png)
    XCTAssertEqual(result.image.interleavedRGB8(), [255, 0, 0, 0, 255, 0])
    XCTAssertEqual(result.warnings, ["tRNS transparency dropped"])
  }

  func testRGBTransparencyKeyIsDroppedWithWarning() throws {
    let png = TestPNG.make(
      width: 1, height: 1, colorType: TestPNG.colorRGB, bitDepth: 8, samples: [1, 2, 3],
      transparency: [0, 1, 0, 2, 0, 3])
    let result = try PNGDecoder.decode(png)
    XCTAssertEqual(result.image.interleavedRGB8(), [1, 2, 3])
    XCTAssertEqual(result.warnings, ["tRNS transparency dropped"])
  }

  func testInterlacedImageDecodesLikeProgressive() throws {
    var rng = SplitMix64(seed: 7)
    let samples = (0..<13 * 11 * 3).map { _ in Int.random(in: 0...255, using: &rng) }
    let plain = TestPNG.make(width: 13, height: 11, colorType: TestPNG.colorRGB, bitDepth: 8, samples: samples)
    let interlaced = TestPNG.make(
      width: 13, height: 11, colorType: TestPNG.colorRGB, bitDepth: 8, samples: samples, interlaced: true)
    XCTAssertNotEqual(plain, interlaced)
    let image = try PNGDecoder.decode(interlaced).image
    XCTAssertEqual(image, try PNGDecoder.decode(plain).image)
    XCTAssertEqual(image.interleavedRGB8(), samples.map { UInt8($0) })
  }

  func testColorSpaceChunksAreIgnored() throws {
    // gAMA 1.0 would change the values if libpng applied gamma correction.
    let plain = TestPNG.make(width: 2, height: 1, colorType: TestPNG.colorRGB, bitDepth: 16, samples: [0, 1_000, 20_000, 40_000, 60_000, 65_535])
    var withGamma = Array(plain.prefix(33))
    withGamma += TestPNG.chunk("gAMA", TestPNG.bigEndian(100_000))
    withGamma += plain.dropFirst(33)
    let result = try PNGDecoder.decode(withGamma)
    XCTAssertEqual(result.image.interleavedRGB16(), [0, 1_000, 20_000, 40_000, 60_000, 65_535])
    XCTAssertEqual(result.image, try PNGDecoder.decode(plain).image)
  }

  func testLibpngWarningsArePassedOn() throws {
    let plain = TestPNG.make(width: 1, height: 1, colorType: TestPNG.colorRGB, bitDepth: 8, samples: [9, 8, 7])
    var text = TestPNG.chunk("tEXt", Array("Comment\u{0}hi".utf8))
    text[text.count - 1] ^= 0xFF  // bad CRC on an ancillary chunk: a warning, not an error
    let png = Array(plain.prefix(33)) + text + plain.dropFirst(33)
    let result = try PNGDecoder.decode(png)
    XCTAssertEqual(result.image.interleavedRGB8(), [9, 8, 7])
    XCTAssertEqual(result.warnings.count, 1, "\(result.warnings)")
    XCTAssertTrue(result.warnings.first?.hasPrefix("libpng: ") ?? false, "\(result.warnings)")
    XCTAssertTrue(result.warnings.first?.contains("CRC") ?? false, "\(result.warnings)")
  }

  func testDecodesFromDataAndFile() throws {
    let (image, _) = try randomImage8(width: 9, height: 4, seed: 3)
    let png = try PNGEncoder.encode(image)
    XCTAssertEqual(try PNGDecoder.decode(Data(png)).image, image)
    let directory = try TemporaryDirectory()
    try Data(png).write(to: URL(fileURLWithPath: directory.file("a.png")))
    XCTAssertEqual(try PNGDecoder.read(fromFile: directory.file("a.png")).image, image)
  }

  // MARK: Errors

  func testNonPNGDataThrowsNotPNG() {
    assertImagingError(.notPNG, mentioning: ["<memory>", "not a PNG"]) {
      try PNGDecoder.decode(Array("hello, world, this is text".utf8))
    }
    assertImagingError(.notPNG, mentioning: ["jpeg-ish", "not a PNG"]) {
      try PNGDecoder.decode([0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10], source: "jpeg-ish")
    }
  }

  func testNonPNGFileThrowsNotPNGNamingTheFile() throws {
    let directory = try TemporaryDirectory()
    let path = directory.file("notes.png")
    try "plain text, not an image\n".write(toFile: path, atomically: false, encoding: .utf8)
    assertImagingError(.notPNG, mentioning: [path, "not a PNG"]) {
      try PNGDecoder.read(fromFile: path)
    }
  }

  func testMissingFileThrowsFileNotFound() throws {
    let directory = try TemporaryDirectory()
    let path = directory.file("missing.png")
    assertImagingError(.fileNotFound, mentioning: [path, "not found"]) {
      try PNGDecoder.read(fromFile: path)
    }
  }

  func testDirectoryThrowsUnreadable() throws {
    let directory = try TemporaryDirectory()
    assertImagingError(.unreadableFile, mentioning: [directory.path, "not a regular file"]) {
      try PNGDecoder.read(fromFile: directory.path)
    }
  }

  func testEmptyAndSignatureOnlyDataAreTruncated() {
    assertImagingError(.truncated, mentioning: ["truncated"]) { try PNGDecoder.decode([]) }
    assertImagingError(.truncated, mentioning: ["truncated"]) {
      try PNGDecoder.decode(Array(PNGDecoder.signature.prefix(5)))
    }
    assertImagingError(.truncated, mentioning: ["truncated"]) { try PNGDecoder.decode(PNGDecoder.signature) }
  }

  func testTruncatedFileThrowsTruncatedNamingTheFile() throws {
    let (image, _) = try randomImage8(width: 40, height: 30, seed: 11)
    let png = try PNGEncoder.encode(image, compressionLevel: 0)
    let directory = try TemporaryDirectory()
    // Cut inside IHDR, inside IDAT, and inside IEND.
    for length in [20, 12 + 25, png.count / 2, png.count - 1] {
      let path = directory.file("cut\(length).png")
      try Data(png.prefix(length)).write(to: URL(fileURLWithPath: path))
      assertImagingError(.truncated, mentioning: [path, "truncated"]) {
        try PNGDecoder.read(fromFile: path)
      }
    }
  }

  func testCorruptDataThrowsCorrupt() throws {
    let (image, _) = try randomImage8(width: 16, height: 16, seed: 5)
    let png = try PNGEncoder.encode(image)
    guard let idat = findChunk("IDAT", in: png) else { return XCTFail("no IDAT") }
    let idatLength = png[idat..<idat + 4].reduce(0) { $0 << 8 | Int($1) }
    // A damaged CRC of a critical chunk.
    var badCRC = png
    badCRC[idat + 8 + idatLength] ^= 0x01
    assertImagingError(.corrupt, mentioning: ["corrupt PNG", "CRC"]) { try PNGDecoder.decode(badCRC) }
    // Damaged compressed data (zlib notices before the CRC is checked).
    var badData = png
    badData[idat + 8 + 3] ^= 0x5A
    assertImagingError(.corrupt, mentioning: ["corrupt PNG", "IDAT"]) { try PNGDecoder.decode(badData) }
  }

  func testBadZlibStreamThrowsCorrupt() throws {
    var png = PNGDecoder.signature
    png += TestPNG.chunk("IHDR", TestPNG.bigEndian(4) + TestPNG.bigEndian(4) + [8, 2, 0, 0, 0])
    png += TestPNG.chunk("IDAT", [0x78, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
    png += TestPNG.chunk("IEND", [])
    assertImagingError(.corrupt, mentioning: ["corrupt PNG"]) { try PNGDecoder.decode(png) }
  }

  func testZeroSizeIsRefused() {
    let png = PNGDecoder.signature
      + TestPNG.chunk("IHDR", TestPNG.bigEndian(0) + TestPNG.bigEndian(7) + [8, 2, 0, 0, 0])
      + TestPNG.chunk("IEND", [])
    assertImagingError(.unsupportedSize, mentioning: ["zero size", "0x7"]) { try PNGDecoder.decode(png) }
  }

  func testAbsurdSizesAreRefusedBeforeDecoding() {
    // Only the header exists: a decoder that allocated first would need
    // gigabytes; the error must come from the size check.
    for (width, height) in [(70_000, 1), (1, 65_536), (60_000, 60_000)] {
      let png = PNGDecoder.signature
        + TestPNG.chunk(
          "IHDR", TestPNG.bigEndian(UInt32(width)) + TestPNG.bigEndian(UInt32(height)) + [8, 2, 0, 0, 0])
      assertImagingError(.unsupportedSize, mentioning: ["too large", "\(width)x\(height)"]) {
        try PNGDecoder.decode(png)
      }
    }
  }

  private func findChunk(_ type: String, in png: [UInt8]) -> Int? {
    var offset = 8
    while offset + 8 <= png.count {
      let length = png[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
      if Array(png[offset + 4..<offset + 8]) == Array(type.utf8) { return offset }
      offset += 12 + length
    }
    return nil
  }
}
