import XCTest

@testable import Imaging

final class PaddingTests: XCTestCase {
  func testReplicatePaddingOfOddSizeAndCropBack() throws {
    let (image, _) = try randomImage8(width: 67, height: 45, seed: 67)
    let (padded, padding) = try image.padded(toMultipleOf: 64)
    XCTAssertEqual(padding, Padding(right: 61, bottom: 19))
    XCTAssertEqual(padded.width, 128)
    XCTAssertEqual(padded.height, 64)
    XCTAssertEqual(padded.bitDepth, image.bitDepth)
    for c in 0..<3 {
      // Original region untouched.
      XCTAssertEqual(padded[channel: c, x: 66, y: 44], image[channel: c, x: 66, y: 44])
      XCTAssertEqual(padded[channel: c, x: 0, y: 0], image[channel: c, x: 0, y: 0])
      // Right: last column repeated; bottom: last row repeated; corner: last pixel.
      XCTAssertEqual(padded[channel: c, x: 127, y: 10], image[channel: c, x: 66, y: 10])
      XCTAssertEqual(padded[channel: c, x: 30, y: 63], image[channel: c, x: 30, y: 44])
      XCTAssertEqual(padded[channel: c, x: 100, y: 50], image[channel: c, x: 66, y: 44])
    }
    let cropped = try padded.cropped(width: image.width, height: image.height)
    XCTAssertEqual(cropped, image)
  }

  func testZeroPaddingFillsWithZeros() throws {
    let image = try RGBImage(width: 67, height: 45, repeating: 0.75)
    let (padded, padding) = try image.padded(toMultipleOf: 64, mode: .zero)
    XCTAssertEqual(padding, Padding(right: 61, bottom: 19))
    let plane = padded.planeCount
    var nonZero = 0
    for c in 0..<3 {
      for y in 0..<padded.height {
        for x in 0..<padded.width where padded.pixels[c * plane + y * padded.width + x] != 0 {
          XCTAssertTrue(x < 67 && y < 45, "non-zero padding at \(x),\(y)")
          nonZero += 1
        }
      }
    }
    XCTAssertEqual(nonZero, 3 * 67 * 45)
    XCTAssertEqual(try padded.cropped(width: 67, height: 45), image)
  }

  func testAlreadyAlignedImageIsUnchanged() throws {
    let (image, _) = try randomImage8(width: 128, height: 64, seed: 1)
    let (padded, padding) = try image.padded()
    XCTAssertEqual(padding, .none)
    XCTAssertEqual(padded, image)
    XCTAssertEqual(try image.cropped(width: 128, height: 64), image)
  }

  func testOtherMultiplesAndExplicitPadding() throws {
    let (image, _) = try randomImage8(width: 5, height: 3, seed: 2)
    let (padded, padding) = try image.padded(toMultipleOf: 4)
    XCTAssertEqual(padding, Padding(right: 3, bottom: 1))
    XCTAssertEqual(padded, try image.padded(by: Padding(right: 3, bottom: 1)))
    XCTAssertEqual(try image.padded(toMultipleOf: 1).image, image)
  }

  func testInvalidCropAndPaddingThrow() throws {
    let image = try RGBImage(width: 10, height: 8)
    assertImagingError(.invalidArgument, mentioning: ["10x8", "11x8"]) { try image.cropped(width: 11, height: 8) }
    assertImagingError(.invalidArgument) { try image.cropped(width: 0, height: 8) }
    assertImagingError(.invalidArgument) { try image.padded(by: Padding(right: -1, bottom: 0)) }
    let wide = try RGBImage(width: 65_535, height: 1)
    assertImagingError(.unsupportedSize) { try wide.padded(toMultipleOf: 64) }
  }
}
