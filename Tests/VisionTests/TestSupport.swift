import Foundation
import XCTest

@testable import Vision

/// A fresh temporary directory, removed when the test ends.
func temporaryDirectory(_ test: XCTestCase) throws -> URL {
  let url = FileManager.default.temporaryDirectory.appendingPathComponent("lichen-vision-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
  return url
}

/// The project's shared data, `../shared/data` from the repository root (see its README).
let sharedDataDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/data")

/// Where our CIFAR-10 copy lives; tests that need it skip when it is absent.
let cifarDirectory = sharedDataDirectory.appendingPathComponent("cifar10")

/// A deterministic synthetic dataset whose pixels depend on index and label.
func syntheticDataset(count: Int, channels: Int = 3, size: Int = 32, classes: Int = 10) throws -> ClassificationDataset {
  var pixels: [UInt8] = []
  pixels.reserveCapacity(count * channels * size * size)
  for i in 0..<count {
    for p in 0..<(channels * size * size) { pixels.append(UInt8(truncatingIfNeeded: i &* 31 &+ p &* 7 &+ (i % classes) &* 50)) }
  }
  return try ClassificationDataset(
    pixels: pixels, labels: (0..<count).map { $0 % classes }, classNames: (0..<classes).map { "c\($0)" },
    channels: channels, height: size, width: size)
}

/// A deterministic synthetic dataset a small network can learn quickly: each class is a stripe pattern of its own
/// period and orientation per channel, with a little per-image noise (what a training test needs when our
/// CIFAR-10 copy is absent; `syntheticDataset`'s pixels hide the label in an offset few steps cannot find).
func classPatternDataset(count: Int, size: Int = 32, classes: Int = 10) throws -> ClassificationDataset {
  var pixels: [UInt8] = []
  pixels.reserveCapacity(count * 3 * size * size)
  for i in 0..<count {
    let label = i % classes
    for c in 0..<3 { for y in 0..<size { for x in 0..<size {
      let phase = (c == 0 ? x : c == 1 ? y : x + y) * (label + 1)
      let stripe = (phase / 4) % 2 == 0 ? 200 : 40
      pixels.append(UInt8(stripe + (i &* 13 &+ (c * size + y) * size + x) % 16))
    } } }
  }
  return try ClassificationDataset(
    pixels: pixels, labels: (0..<count).map { $0 % classes }, classNames: (0..<classes).map { "c\($0)" },
    channels: 3, height: size, width: size)
}

/// Asserts that `body` throws a `VisionError` of `kind` whose message contains `fragment`.
func assertThrowsVisionError<T>(
  _ kind: VisionError.Kind, containing fragment: String, file: StaticString = #filePath, line: UInt = #line,
  _ body: () throws -> T
) {
  do {
    _ = try body()
    XCTFail("expected a \(kind) error", file: file, line: line)
  } catch let error as VisionError {
    XCTAssertEqual(error.kind, kind, "\(error)", file: file, line: line)
    XCTAssertTrue(error.description.contains(fragment), "'\(error)' lacks '\(fragment)'", file: file, line: line)
  } catch {
    XCTFail("unexpected error \(error)", file: file, line: line)
  }
}
