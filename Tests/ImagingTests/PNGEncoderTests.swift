import Foundation
import LichenRandom
import XCTest

@testable import Imaging

final class PNGEncoderTests: XCTestCase {
  func testRandom8BitImagesRoundTripExactly() throws {
    let directory = try TemporaryDirectory()
    for (index, (width, height)) in [(1, 1), (17, 9), (64, 48), (3, 200)].enumerated() {
      let (image, samples) = try randomImage8(width: width, height: height, seed: UInt64(index))
      let path = directory.file("r\(index).png")
      try PNGEncoder.write(image, toFile: path)
      let result = try PNGDecoder.read(fromFile: path)
      XCTAssertEqual(result.image, image, "\(width)x\(height)")
      XCTAssertEqual(result.image.interleavedRGB8(), samples)
      XCTAssertEqual(result.sourceColorType, .rgb)
      XCTAssertEqual(result.sourceBitDepth, 8)
      XCTAssertEqual(result.warnings, [])
    }
  }

  func testRandom16BitImagesRoundTripExactly() throws {
    var rng = SplitMix64(seed: 99)
    let samples = (0..<23 * 19 * 3).map { _ in UInt16.random(in: 0...65_535, using: &rng) }
    let image = try RGBImage(width: 23, height: 19, interleavedRGB16: samples)
    let png = try PNGEncoder.encode(image, bitDepth: .sixteen)
    XCTAssertEqual(png[24], 16, "IHDR bit depth")
    XCTAssertEqual(png[25], 2, "IHDR colour type RGB")
    let result = try PNGDecoder.decode(png)
    XCTAssertEqual(result.sourceBitDepth, 16)
    XCTAssertEqual(result.image.bitDepth, 16)
    XCTAssertEqual(result.image.interleavedRGB16(), samples)
    XCTAssertEqual(result.image, image)
  }

  func testEncodingClampsAndRoundsToNearest() throws {
    let values: [Float] = [-0.5, 0, Float(10.4) / 255, Float(10.6) / 255, 0.5, 1, 1.5, .nan, Float(254.49) / 255]
    let padded = values + Array(repeating: 0, count: 3 * 3 - values.count)
    let image = try RGBImage(width: 3, height: 1, pixels: padded)
    let decoded = try PNGDecoder.decode(try PNGEncoder.encode(image)).image
    let planar = decoded.pixels.map { Int(($0 * 255).rounded()) }
    XCTAssertEqual(planar, [0, 0, 10, 11, 128, 255, 255, 0, 254])
  }

  func testEncoderRejectsBadCompressionLevel() throws {
    let image = try RGBImage(width: 1, height: 1)
    assertImagingError(.invalidArgument, mentioning: ["compression level 12"]) {
      try PNGEncoder.encode(image, compressionLevel: 12)
    }
  }

  func testAtomicWriteLeavesOnlyTheDestination() throws {
    let directory = try TemporaryDirectory()
    let (image, _) = try randomImage8(width: 20, height: 10, seed: 1)
    let path = directory.file("out.png")
    try PNGEncoder.write(image, toFile: path)
    XCTAssertEqual(try directory.contents(), ["out.png"])

    // Overwriting replaces the content, again without leftovers.
    let (other, _) = try randomImage8(width: 7, height: 5, seed: 2)
    try PNGEncoder.write(other, toFile: path, bitDepth: .sixteen)
    XCTAssertEqual(try directory.contents(), ["out.png"])
    let reread = try PNGDecoder.read(fromFile: path).image
    XCTAssertEqual(reread.width, 7)
    XCTAssertEqual(reread.interleavedRGB8(), other.interleavedRGB8())
  }

  func testWriteIntoMissingDirectoryThrowsAndCreatesNothing() throws {
    let directory = try TemporaryDirectory()
    let path = directory.file("no/such/dir/out.png")
    let (image, _) = try randomImage8(width: 4, height: 4, seed: 4)
    assertImagingError(.writeFailed, mentioning: [path]) {
      try PNGEncoder.write(image, toFile: path)
    }
    XCTAssertEqual(try directory.contents(), [])
  }

  func testFailedRenameKeepsExistingDestinationAndRemovesTemporary() throws {
    let directory = try TemporaryDirectory()
    // The destination is a non-empty directory: rename(2) must fail.
    let path = directory.file("taken.png")
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    try "keep me".write(toFile: "\(path)/inside.txt", atomically: false, encoding: .utf8)
    let (image, _) = try randomImage8(width: 4, height: 4, seed: 5)
    assertImagingError(.writeFailed, mentioning: [path, "rename"]) {
      try PNGEncoder.write(image, toFile: path)
    }
    XCTAssertEqual(try directory.contents(), ["taken.png"])
    XCTAssertEqual(try String(contentsOfFile: "\(path)/inside.txt", encoding: .utf8), "keep me")
  }

  func testRelativePathWritesIntoCurrentDirectory() throws {
    let directory = try TemporaryDirectory()
    let previous = FileManager.default.currentDirectoryPath
    XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(directory.path))
    defer { _ = FileManager.default.changeCurrentDirectoryPath(previous) }
    let (image, _) = try randomImage8(width: 3, height: 3, seed: 6)
    try PNGEncoder.write(image, toFile: "relative.png")
    XCTAssertEqual(try directory.contents(), ["relative.png"])
    XCTAssertEqual(try PNGDecoder.read(fromFile: "relative.png").image, image)
  }
}
