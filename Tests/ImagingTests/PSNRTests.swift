import Foundation
import LichenRandom
import XCTest

@testable import Imaging

final class PSNRTests: XCTestCase {
  func testOffsetOfOneLevelGives48Point13dB() throws {
    var rng = SplitMix64(seed: 48)
    let samples = (0..<32 * 24 * 3).map { _ in UInt8.random(in: 0...254, using: &rng) }
    let image = try RGBImage(width: 32, height: 24, interleavedRGB8: samples)
    let brighter = try RGBImage(width: 32, height: 24, pixels: image.pixels.map { $0 + Float(1) / 255 })
    XCTAssertEqual(try ImageMetrics.meanSquaredError(image, brighter), 1)
    let psnr = try ImageMetrics.psnr(image, brighter)
    XCTAssertEqual(psnr, 10 * log10(255.0 * 255.0), accuracy: 1e-12)
    XCTAssertEqual(psnr, 48.1308, accuracy: 1e-4)
    XCTAssertEqual(try ImageMetrics.psnr(image, brighter, in: .float), 48.1308, accuracy: 1e-3)
  }

  func testKnownMSEFromMixedErrors() throws {
    // Errors of 0, 2 and 4 levels on the three channels: MSE = (0 + 4 + 16) / 3.
    let a = try RGBImage(width: 2, height: 2, interleavedRGB8: Array(repeating: 100, count: 12))
    let b = try RGBImage(width: 2, height: 2, interleavedRGB8: (0..<4).flatMap { _ in [100, 102, 96] as [UInt8] })
    XCTAssertEqual(try ImageMetrics.meanSquaredError(a, b), 20.0 / 3, accuracy: 1e-12)
    XCTAssertEqual(try ImageMetrics.psnr(a, b), 10 * log10(65_025 / (20.0 / 3)), accuracy: 1e-12)
  }

  func testIdenticalImagesGiveInfinity() throws {
    let (image, _) = try randomImage8(width: 9, height: 9, seed: 9)
    XCTAssertEqual(try ImageMetrics.psnr(image, image), .infinity)
    XCTAssertEqual(try ImageMetrics.psnr(image, image, in: .float), .infinity)
  }

  func testQuantizedDomainIgnoresSubLevelDifferences() throws {
    let (image, _) = try randomImage8(width: 8, height: 8, seed: 8)
    let nudged = try RGBImage(width: 8, height: 8, pixels: image.pixels.map { $0 + 0.001 })
    XCTAssertEqual(try ImageMetrics.psnr(image, nudged), .infinity)
    XCTAssertEqual(try ImageMetrics.psnr(image, nudged, in: .float), 60, accuracy: 1e-3)
  }

  func testFloatDomainDoesNotClampButQuantizedDoes() throws {
    let zero = try RGBImage(width: 2, height: 2)
    let negative = try RGBImage(width: 2, height: 2, repeating: -0.1)
    XCTAssertEqual(try ImageMetrics.psnr(zero, negative), .infinity)
    XCTAssertEqual(try ImageMetrics.psnr(zero, negative, in: .float), 20, accuracy: 1e-5)
  }

  func testSizeMismatchThrows() throws {
    let a = try RGBImage(width: 4, height: 4)
    let b = try RGBImage(width: 4, height: 5)
    assertImagingError(.sizeMismatch, mentioning: ["4x4", "4x5"]) { try ImageMetrics.psnr(a, b) }
  }
}
