import Foundation
import Torch
import XCTest

@testable import Vision

/// Where our CamVid copy lives; tests that need it skip when it is absent.
let camvidDirectory = sharedDataDirectory.appendingPathComponent("camvid")

/// A tiny segmentation set: images whose red channel is 20 x the label of
/// the pixel, labels in `block` x `block` squares (class = (block row + block column + image) mod classes),
/// and void in the top-left square.
func syntheticSegmentation(count: Int, height: Int = 16, width: Int = 24, block: Int = 4, classes: Int = 3) throws
  -> SegmentationDataset
{
  var pixels: [UInt8] = [], labels: [UInt8] = []
  for i in 0..<count {
    var map = [UInt8](repeating: 0, count: height * width)
    for y in 0..<height {
      for x in 0..<width {
        let square = (y / block + x / block + i) % classes
        map[y * width + x] = y < block && x < block ? SegmentationDataset.ignoreLabel : UInt8(square)
      }
    }
    labels += map
    pixels += map.map { $0 == SegmentationDataset.ignoreLabel ? 250 : $0 * 20 }  // red encodes the label
    pixels += (0..<(height * width)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ i) }
    pixels += [UInt8](repeating: UInt8(i % 256), count: height * width)
  }
  return try SegmentationDataset(
    pixels: pixels, labels: labels, classNames: (0..<classes).map { "c\($0)" }, channels: 3, height: height, width: width)
}

final class SegmentationDataTests: XCTestCase {
  /// Writes raw CamVid-format files for `count` records (image bytes = f(record, y, x, channel)).
  func writeCamVid(_ directory: URL, split: String = "train", count: Int, label: (Int, Int) -> UInt8 = { i, p in UInt8((i + p) % 11) })
    throws
  {
    let plane = CamVid.height * CamVid.width
    var images = [UInt8](repeating: 0, count: count * plane * 3)
    for i in 0..<count {
      for p in 0..<plane {
        for c in 0..<3 { images[(i * plane + p) * 3 + c] = UInt8(truncatingIfNeeded: i * 3 + p * 5 + c * 100) }
      }
    }
    let labels = (0..<(count * plane)).map { label($0 / plane, $0 % plane) }
    try Data(images).write(to: directory.appendingPathComponent("\(split)_images.bin"))
    try Data(labels).write(to: directory.appendingPathComponent("\(split)_labels.bin"))
    try Data((0..<count).map { "frame\($0).png\n" }.joined().utf8).write(to: directory.appendingPathComponent("\(split)_files.txt"))
  }

  func testCamVidDecodesHWCIntoPlanes() throws {
    let dir = try temporaryDirectory(self)
    try writeCamVid(dir, count: 2, label: { i, p in p == 5 ? 255 : UInt8((i + p) % 11) })
    let data = try CamVid.load(directory: dir, split: .train)
    XCTAssertEqual(data.count, 2)
    XCTAssertEqual(data.classNames.count, 11)
    XCTAssertEqual(data.classNames[3], "Road")
    let plane = CamVid.height * CamVid.width
    // Record 1, pixel p = 200, channel 2 (blue): byte ((1 * plane + 200) * 3 + 2) of the file.
    XCTAssertEqual(data.image(at: 1)[data.imageSize + 2 * plane + 200], UInt8(truncatingIfNeeded: 3 + 200 * 5 + 200))
    XCTAssertEqual(data.labelMap(at: 1)[plane + 7], UInt8((1 + 7) % 11))
    XCTAssertEqual(data.labelMap(at: 0)[5], 255)
  }

  func testCamVidRejectsMissingTruncatedAndInconsistentFiles() throws {
    let dir = try temporaryDirectory(self)
    assertThrowsVisionError(.missingFile, containing: "val_images.bin") { try CamVid.load(directory: dir, split: .val) }
    assertThrowsVisionError(.missingFile, containing: "not found") {
      try CamVid.load(directory: dir.appendingPathComponent("absent"), split: .train)
    }
    try writeCamVid(dir, count: 2)
    let images = dir.appendingPathComponent("train_images.bin"), labels = dir.appendingPathComponent("train_labels.bin")
    let goodImages = try Data(contentsOf: images), goodLabels = try Data(contentsOf: labels)
    try goodImages.prefix(goodImages.count - 1).write(to: images)
    assertThrowsVisionError(.malformedData, containing: "train_images.bin") { try CamVid.load(directory: dir, split: .train) }
    try goodImages.write(to: images)
    try goodLabels.prefix(goodLabels.count - 10).write(to: labels)
    assertThrowsVisionError(.malformedData, containing: "train_labels.bin") { try CamVid.load(directory: dir, split: .train) }
    try goodLabels.prefix(goodLabels.count / 2).write(to: labels)
    assertThrowsVisionError(.malformedData, containing: "1 label maps for 2 images") {
      try CamVid.load(directory: dir, split: .train)
    }
    var bad = [UInt8](goodLabels)
    bad[CamVid.width * 3 + 4] = 11
    try Data(bad).write(to: labels)
    assertThrowsVisionError(.malformedData, containing: "label 11 in record 0 (y 3, x 4)") {
      try CamVid.load(directory: dir, split: .train)
    }
    try goodLabels.write(to: labels)
    try Data("a.png\n".utf8).write(to: dir.appendingPathComponent("train_files.txt"))
    assertThrowsVisionError(.malformedData, containing: "train_files.txt") { try CamVid.load(directory: dir, split: .train) }
  }

  func testRealCamVidWhenPresent() throws {
    guard FileManager.default.fileExists(atPath: camvidDirectory.appendingPathComponent("train_labels.bin").path) else {
      throw XCTSkip("CamVid not found at \(camvidDirectory.path)")
    }
    let counts = try CamVid.Split.allCases.map { try CamVid.load(directory: camvidDirectory, split: $0).count }
    XCTAssertEqual(counts, [367, 101, 233])
    // Pixel counts per class from the data's README (train split).
    let train = try CamVid.load(directory: camvidDirectory, split: .train)
    XCTAssertEqual(train.classPixelHistogram,
                   [760018, 1048600, 44457, 1427228, 202237, 438527, 52665, 50802, 264579, 28862, 13120])
  }

  func testSegmentationDatasetRejectsBadLabels() throws {
    assertThrowsVisionError(.malformedData, containing: "neither a class") {
      try SegmentationDataset(pixels: [UInt8](repeating: 0, count: 12), labels: [0, 1, 3, 0], classNames: ["a", "b", "c"],
                              channels: 3, height: 2, width: 2)
    }
    assertThrowsVisionError(.malformedData, containing: "do not make whole") {
      try SegmentationDataset(pixels: [UInt8](repeating: 0, count: 11), labels: [0, 1, 2, 0], classNames: ["a", "b", "c"],
                              channels: 3, height: 2, width: 2)
    }
  }

  func testAugmentationIsAPureFunctionOfSeedAndStep() throws {
    let data = try syntheticSegmentation(count: 8)
    let augmentation = try SegmentationAugmentation(cropHeight: 12, cropWidth: 20)
    let sampler = try SegmentationBatchSampler(
      dataset: data, batchSize: 4, normalization: .unit(channels: 3), augmentation: augmentation, seed: 9)
    let again = try SegmentationBatchSampler(
      dataset: data, batchSize: 4, normalization: .unit(channels: 3), augmentation: augmentation, seed: 9)
    XCTAssertEqual(sampler.trainingBatch(step: 5), again.trainingBatch(step: 5))
    XCTAssertNotEqual(sampler.trainingBatch(step: 5).pixels, sampler.trainingBatch(step: 6).pixels)
    let batch = sampler.trainingBatch(step: 3)
    XCTAssertEqual([batch.count, batch.height, batch.width], [4, 12, 20])
    let (images, labels) = try batch.tensors()
    XCTAssertEqual(images.shape, [4, 3, 12, 20])
    XCTAssertEqual(labels.shape, [4, 12, 20])
    // The producer hands out the sampler's batches.
    let producer = BatchProducer(sampler: sampler, steps: 2..<4)
    XCTAssertEqual(producer.next(), sampler.trainingBatch(step: 2))
    XCTAssertEqual(producer.next(), sampler.trainingBatch(step: 3))
    XCTAssertNil(producer.next())
  }

  func testAugmentedLabelsStayAlignedWithPixels() throws {
    let data = try syntheticSegmentation(count: 6, height: 32, width: 48, block: 8)
    let plane = data.height * data.width
    for (minimum, maximum) in [(1.0, 1.0), (2.0, 2.0), (0.5, 2.0)] {
      let augmentation = try SegmentationAugmentation(minimumScale: minimum, maximumScale: maximum)
      let sampler = try SegmentationBatchSampler(
        dataset: data, batchSize: 6, normalization: .unit(channels: 3), augmentation: augmentation, seed: 2)
      var interior = 0
      for step in 0..<4 {
        let batch = sampler.trainingBatch(step: step)
        let (h, w) = (batch.height, batch.width)
        for slot in 0..<batch.count {
          let labels = batch.labels[(slot * plane)..<((slot + 1) * plane)].map { $0 }
          for y in 2..<(h - 2) {
            for x in 2..<(w - 2) {
              let label = labels[y * w + x]
              // Inside a square (5x5 neighbourhood of one class) bilinear only averages equal pixels,
              // so the red channel must be exactly 20 x the label there.
              guard label != 255,
                (-2...2).allSatisfy({ dy in (-2...2).allSatisfy { dx in labels[(y + dy) * w + x + dx] == label } })
              else { continue }
              interior += 1
              let red = batch.pixels[slot * 3 * plane + y * w + x] * 255
              XCTAssertEqual(red, Float(label) * 20, accuracy: 0.01, "scale \(minimum)-\(maximum) step \(step) (\(y), \(x))")
            }
          }
        }
      }
      XCTAssertGreaterThan(interior, 50, "scale \(minimum)-\(maximum)")
    }
  }

  func testPaddingIsVoid() throws {
    // Scale 0.5: the 8x12 image sits in a 16x24 crop; the rest is padding, void, pixel 0.
    let data = try syntheticSegmentation(count: 1)
    let plane = data.height * data.width
    let half = try SegmentationBatchSampler(
      dataset: data, batchSize: 1, normalization: .unit(channels: 3),
      augmentation: try SegmentationAugmentation(minimumScale: 0.5, maximumScale: 0.5, horizontalFlip: false))
    let batch = half.trainingBatch(step: 0)
    let voidCount = batch.labels.filter { $0 == 255 }.count
    XCTAssertGreaterThanOrEqual(voidCount, plane - 8 * 12)
    XCTAssertEqual(batch.pixels[plane - 1], 0)
    XCTAssertEqual(batch.labels[plane - 1], 255)
  }

  func testFlipMirrorsPixelsAndLabelsTogether() throws {
    let data = try syntheticSegmentation(count: 1)
    let flip = try SegmentationAugmentation(minimumScale: 1, maximumScale: 1, horizontalFlip: true)
    let sampler = try SegmentationBatchSampler(
      dataset: data, batchSize: 1, normalization: .unit(channels: 3), augmentation: flip, seed: 0)
    let original = data.labelMap(at: 0).map(Int64.init)
    var sawFlip = false, sawPlain = false
    for step in 0..<16 {
      let batch = sampler.trainingBatch(step: step)
      let mirrored = (0..<data.height).flatMap { y in (0..<data.width).map { x in original[y * data.width + data.width - 1 - x] } }
      if batch.labels == mirrored { sawFlip = true } else if batch.labels == original { sawPlain = true } else { XCTFail("step \(step)") }
    }
    XCTAssertTrue(sawFlip && sawPlain)
  }
}
