import LichenRandom
import XCTest

@testable import Imaging

final class RGBImageTests: XCTestCase {
  func testInterleavedRGB8RoundTripAndPlanarLayout() throws {
    let samples: [UInt8] = [
      1, 2, 3, 4, 5, 6, 7, 8, 9,
      10, 11, 12, 13, 14, 15, 16, 17, 18,
    ]
    let image = try RGBImage(width: 3, height: 2, interleavedRGB8: samples)
    XCTAssertEqual(image.bitDepth, 8)
    XCTAssertEqual(image.pixels.count, 18)
    // CHW: the red plane first, row-major.
    XCTAssertEqual(Array(image.pixels[0..<6]), [1, 4, 7, 10, 13, 16].map { Float($0) / 255 })
    XCTAssertEqual(Array(image.pixels[6..<12]), [2, 5, 8, 11, 14, 17].map { Float($0) / 255 })
    XCTAssertEqual(image[channel: 2, x: 1, y: 1], Float(15) / 255)
    XCTAssertEqual(image.interleavedRGB8(), samples)
  }

  func testInterleavedRGB16RoundTripIsExact() throws {
    var rng = SplitMix64(seed: 16)
    let samples: [UInt16] = [0, 1, 32_768, 65_535] + (0..<104).map { _ in UInt16.random(in: 0...65_535, using: &rng) }
    let image = try RGBImage(width: 6, height: 6, interleavedRGB16: samples)
    XCTAssertEqual(image.bitDepth, 16)
    XCTAssertEqual(image.interleavedRGB16(), samples)
    XCTAssertEqual(image[channel: 0, x: 0, y: 0], 0)
    XCTAssertEqual(image[channel: 1, x: 0, y: 0], Float(1) / 65_535)
    XCTAssertEqual(image[channel: 2, x: 0, y: 0], Float(32_768) / 65_535)
    XCTAssertEqual(image[channel: 0, x: 1, y: 0], 1)
  }

  func testSubscriptSetterWritesThePlanarSample() throws {
    var image = try RGBImage(width: 4, height: 3)
    image[channel: 1, x: 3, y: 2] = 0.5
    XCTAssertEqual(image.pixels[1 * 12 + 2 * 4 + 3], 0.5)
    XCTAssertEqual(image.pixels.filter { $0 != 0 }.count, 1)
  }

  func testQuantizationClampsAndRoundsToNearestEven() {
    XCTAssertEqual(RGBImage.quantize8(-0.2), 0)
    XCTAssertEqual(RGBImage.quantize8(.nan), 0)
    XCTAssertEqual(RGBImage.quantize8(1.7), 255)
    XCTAssertEqual(RGBImage.quantize8(.infinity), 255)
    XCTAssertEqual(RGBImage.quantize8(Float(10.4) / 255), 10)
    XCTAssertEqual(RGBImage.quantize8(Float(10.6) / 255), 11)
    XCTAssertEqual(RGBImage.quantize8(0.5), 128)  // 127.5 ties to even
    XCTAssertEqual(RGBImage.quantize16(1), 65_535)
    for level in 0...255 {
      XCTAssertEqual(RGBImage.quantize8(Float(level) / 255), level)
    }
  }

  func testInvalidConstructionThrows() {
    assertImagingError(.invalidArgument, mentioning: ["expected 12"]) {
      try RGBImage(width: 2, height: 2, pixels: [0, 0, 0])
    }
    assertImagingError(.unsupportedSize, mentioning: ["0x5"]) {
      try RGBImage(width: 0, height: 5)
    }
    assertImagingError(.unsupportedSize, mentioning: ["70000x1"]) {
      try RGBImage(width: 70_000, height: 1)
    }
    assertImagingError(.invalidArgument, mentioning: ["bit depth 32"]) {
      try RGBImage(width: 1, height: 1, bitDepth: 32)
    }
    assertImagingError(.invalidArgument) {
      try RGBImage(width: 2, height: 1, interleavedRGB8: [1, 2, 3])
    }
  }
}
