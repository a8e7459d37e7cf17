import Foundation
import Torch
import XCTest

@testable import Vision

final class BatchingTests: XCTestCase {
  func testAugmentationIsDeterministicAndShiftsPixels() throws {
    let dataset = try syntheticDataset(count: 1)
    let image = dataset.image(at: 0)
    let augmentation = Augmentation.standard
    var a = SeededGenerator(seed: 7), b = SeededGenerator(seed: 7)
    var outputs: [[UInt8]] = []
    for _ in 0..<20 {
      let x = augmentation.apply(image, channels: 3, height: 32, width: 32, using: &a).pixels
      XCTAssertEqual(x, augmentation.apply(image, channels: 3, height: 32, width: 32, using: &b).pixels)
      outputs.append(x)
    }
    XCTAssertGreaterThan(Set(outputs).count, 10, "crops and flips should vary")
    XCTAssertEqual(Augmentation.none.apply(image, channels: 3, height: 32, width: 32, using: &a).pixels, Array(image))
  }

  func testFlipOnlyMirrorsRows() throws {
    let pixels: [UInt8] = [1, 2, 3, 4, 5, 6]  // 1 channel, 2 rows of 3
    let flip = Augmentation(cropPadding: 0, horizontalFlip: true)
    var rng = SeededGenerator(seed: 1)
    var seen = Set<[UInt8]>()
    for _ in 0..<16 { seen.insert(flip.apply(pixels[...], channels: 1, height: 2, width: 3, using: &rng).pixels) }
    XCTAssertEqual(seen, [[1, 2, 3, 4, 5, 6], [3, 2, 1, 6, 5, 4]])
  }

  func testCropPadsWithZeros() throws {
    let pixels = [UInt8](repeating: 9, count: 16)  // 1x4x4
    let crop = Augmentation(cropPadding: 2, horizontalFlip: false)
    var rng = SeededGenerator(seed: 3)
    var zeroCounts = Set<Int>()
    for _ in 0..<50 {
      let out = crop.apply(pixels[...], channels: 1, height: 4, width: 4, using: &rng).pixels
      XCTAssertTrue(out.allSatisfy { $0 == 0 || $0 == 9 })
      zeroCounts.insert(out.filter { $0 == 0 }.count)
    }
    XCTAssertTrue(zeroCounts.contains(0) && zeroCounts.count > 2, "\(zeroCounts)")
  }

  func testCutoutSetsAClippedSquareToTheMean() throws {
    let dataset = try syntheticDataset(count: 16)
    let cutout = Augmentation(cropPadding: 0, horizontalFlip: false, cutout: 16)
    let plain = try BatchSampler(dataset: dataset, batchSize: 16, normalization: .cifar10, seed: 2)
    let cut = try BatchSampler(dataset: dataset, batchSize: 16, normalization: .cifar10, augmentation: cutout, seed: 2)
    let (a, b) = (plain.trainingBatch(step: 0), cut.trainingBatch(step: 0))
    XCTAssertEqual(a.indices, b.indices, "Cutout changes pixels, not the data order")
    XCTAssertEqual(b, cut.trainingBatch(step: 0))
    var areas = Set<Int>()
    for slot in 0..<16 {
      var zeroed = 0
      for c in 0..<3 {
        for p in 0..<1024 {
          let i = (slot * 3 + c) * 1024 + p
          if b.pixels[i] == 0 { zeroed += 1 } else { XCTAssertEqual(b.pixels[i], a.pixels[i]) }
        }
      }
      XCTAssertEqual(zeroed % 3, 0, "the same square in every channel")
      areas.insert(zeroed / 3)
    }
    // A square of side 16 at a uniform centre: 256 pixels when inside, 64 to 256 when clipped.
    XCTAssertTrue(areas.allSatisfy { (64...256).contains($0) }, "\(areas)")
    XCTAssertTrue(areas.contains(256) && areas.count > 2, "\(areas)")
    // The draws of a skipped image match the ones apply makes.
    var drawn = SeededGenerator(seed: 9), skipped = SeededGenerator(seed: 9)
    let crop = Augmentation(cropPadding: 4, horizontalFlip: true, cutout: 8)
    _ = crop.apply(dataset.image(at: 0), channels: 3, height: 32, width: 32, using: &drawn)
    crop.skip(using: &skipped)
    XCTAssertEqual(drawn.next(), skipped.next())
  }

  func testAugmentationsWrittenBeforeCutoutDecodeWithItOff() throws {
    let old = Data(#"{"cropPadding":4,"horizontalFlip":true}"#.utf8)
    XCTAssertEqual(try JSONDecoder().decode(Augmentation.self, from: old), .standard)
    let new = Augmentation(cropPadding: 4, horizontalFlip: true, cutout: 16)
    XCTAssertEqual(try JSONDecoder().decode(Augmentation.self, from: try JSONEncoder().encode(new)), new)
  }

  func testTrainingBatchesAreAFunctionOfSeedAndStep() throws {
    let dataset = try syntheticDataset(count: 20)
    let sampler = try BatchSampler(
      dataset: dataset, batchSize: 8, normalization: .cifar10, augmentation: .standard, seed: 5)
    XCTAssertEqual(sampler.stepsPerEpoch, 2)
    XCTAssertEqual(sampler.trainingBatch(step: 3), sampler.trainingBatch(step: 3))
    XCTAssertNotEqual(sampler.trainingBatch(step: 0).indices, sampler.trainingBatch(step: 2).indices)
    // One epoch visits distinct images.
    let epoch = sampler.trainingBatch(step: 0).indices + sampler.trainingBatch(step: 1).indices
    XCTAssertEqual(Set(epoch).count, 16)
    let other = try BatchSampler(dataset: dataset, batchSize: 8, normalization: .cifar10, augmentation: .standard, seed: 6)
    XCTAssertNotEqual(other.trainingBatch(step: 0).indices, sampler.trainingBatch(step: 0).indices)
    // The background producer yields exactly the same batches.
    let producer = BatchProducer(sampler: sampler, steps: 1..<5, capacity: 2)
    for step in 1..<5 { XCTAssertEqual(producer.next(), sampler.trainingBatch(step: step)) }
    XCTAssertNil(producer.next())
  }

  func testNormalizedTensorsMatchTheFormula() throws {
    let dataset = try syntheticDataset(count: 3)
    let sampler = try BatchSampler(dataset: dataset, batchSize: 2, normalization: .cifar10)
    XCTAssertEqual(sampler.evaluationBatchCount, 2)
    let last = sampler.evaluationBatch(1)
    XCTAssertEqual(last.indices, [2])
    let (images, labels) = try sampler.evaluationBatch(0).tensors()
    XCTAssertEqual(images.shape, [2, 3, 32, 32])
    XCTAssertEqual(images.dtype, .float32)
    XCTAssertEqual(labels.dtype, .int64)
    XCTAssertEqual(try labels.scalars(as: Int64.self), [0, 1])
    let values = try images.floats()
    let byte = Float(dataset.image(at: 1)[dataset.imageSize + 2 * 1024 + 5])
    XCTAssertEqual(values[3072 + 2 * 1024 + 5], (byte / 255 - 0.4465) / 0.2616, accuracy: 1e-5)
  }

  func testDatasetValidationAndPadding() throws {
    assertThrowsVisionError(.invalidArgument, containing: "label 3 is outside 0..<2") {
      try ClassificationDataset(pixels: [0, 0], labels: [0, 3], classNames: ["a", "b"], channels: 1, height: 1, width: 1)
    }
    assertThrowsVisionError(.invalidArgument, containing: "do not make") {
      try ClassificationDataset(pixels: [0], labels: [0, 1], classNames: ["a", "b"], channels: 1, height: 1, width: 1)
    }
    let one = try ClassificationDataset(pixels: [1, 2, 3, 4], labels: [1], classNames: ["a", "b"], channels: 1, height: 2, width: 2)
    XCTAssertEqual(try one.zeroPadded(to: 4).pixels, [0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 0])
    let measured = try Normalization.measured(on: one)
    XCTAssertEqual(measured.mean[0], 2.5 / 255, accuracy: 1e-6)
    assertThrowsVisionError(.invalidArgument, containing: "normalisation has 3 channels") {
      try BatchSampler(dataset: one, batchSize: 1, normalization: .cifar10)
    }
  }
}
