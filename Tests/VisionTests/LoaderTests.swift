import Foundation
import XCTest

@testable import Vision

final class LoaderTests: XCTestCase {
  func testCIFARRoundTripAndLayout() throws {
    let dir = try temporaryDirectory(self)
    let dataset = try syntheticDataset(count: 5)
    try Data(try CIFAR10.encode(dataset)).write(to: dir.appendingPathComponent("data_batch_1.bin"))
    try Data(try CIFAR10.encode(try dataset.prefix(2))).write(to: dir.appendingPathComponent("data_batch_2.bin"))
    let train = try CIFAR10.load(directory: dir, split: .train)
    XCTAssertEqual(train.count, 7)
    XCTAssertEqual(train.labels, [0, 1, 2, 3, 4, 0, 1])
    XCTAssertEqual(Array(train.image(at: 3)), Array(dataset.image(at: 3)))
    XCTAssertEqual(train.classNames[9], "truck")
    assertThrowsVisionError(.missingFile, containing: "test_batch.bin") { try CIFAR10.load(directory: dir, split: .test) }
  }

  func testCIFARBadFiles() throws {
    let dir = try temporaryDirectory(self)
    assertThrowsVisionError(.missingFile, containing: "directory not found") {
      try CIFAR10.load(directory: dir.appendingPathComponent("nope"), split: .train)
    }
    let bad = dir.appendingPathComponent("test_batch.bin")
    try Data(count: 3073 * 2 + 5).write(to: bad)
    assertThrowsVisionError(.malformedData, containing: "not a positive multiple of the 3073-byte") {
      try CIFAR10.load(directory: dir, split: .test)
    }
    var record = [UInt8](repeating: 0, count: 3073 * 2)
    record[3073] = 10
    try Data(record).write(to: bad)
    assertThrowsVisionError(.malformedData, containing: "record 1 has label 10") {
      try CIFAR10.load(file: bad)
    }
  }

  func testRealCIFARIfPresent() throws {
    let file = cifarDirectory.appendingPathComponent("test_batch.bin")
    guard FileManager.default.fileExists(atPath: file.path) else {
      throw XCTSkip("CIFAR-10 not found at \(cifarDirectory.path)")
    }
    let test = try CIFAR10.load(directory: cifarDirectory, split: .test)
    XCTAssertEqual(test.count, 10_000)
    XCTAssertEqual(test.classHistogram, [Int](repeating: 1000, count: 10))
    // Our copy's record order differs from the official file's, so only the
    // first label (3, cat, in both) and whole-file statistics are checked.
    XCTAssertEqual(test.labels.first, 3)
    let mean = test.pixels.reduce(0) { $0 + Int($1) } / test.pixels.count
    XCTAssertTrue((100...140).contains(mean), "mean pixel \(mean)")
  }

  func testIDXParsing() throws {
    let images: [UInt8] = [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3] + Array(1...12)
    let labels: [UInt8] = [0, 0, 8, 1, 0, 0, 0, 2, 7, 9]
    let dataset = try FashionMNIST.make(
      images: try IDX.decode(images, expectedRank: 3), labels: try IDX.decode(labels, expectedRank: 1))
    XCTAssertEqual(dataset.count, 2)
    XCTAssertEqual([dataset.channels, dataset.height, dataset.width], [1, 2, 3])
    XCTAssertEqual(Array(dataset.image(at: 1)), Array(7...12))
    XCTAssertEqual(dataset.labels, [7, 9])
    assertThrowsVisionError(.malformedData, containing: "expected 0x00000803") { try IDX.decode(labels, expectedRank: 3) }
    assertThrowsVisionError(.malformedData, containing: "bad IDX magic") {
      try IDX.decode([0, 0, 9, 1, 0, 0, 0, 1, 0], expectedRank: 1)
    }
    assertThrowsVisionError(.malformedData, containing: "need 12 data bytes, file has 11") {
      try IDX.decode(Array(images.dropLast()), expectedRank: 3)
    }
    let badLabels: [UInt8] = [0, 0, 8, 1, 0, 0, 0, 2, 7, 12]
    assertThrowsVisionError(.malformedData, containing: "label 12") {
      try FashionMNIST.make(images: try IDX.decode(images), labels: try IDX.decode(badLabels))
    }
  }

  func testFashionMNISTFromGzipFiles() throws {
    let dir = try temporaryDirectory(self)
    assertThrowsVisionError(.missingFile, containing: "t10k-images-idx3-ubyte.gz") {
      try FashionMNIST.load(directory: dir, split: .test)
    }
    // Plain (uncompressed) files are accepted too.
    let images: [UInt8] = [0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 200]
    try Data(images).write(to: dir.appendingPathComponent("t10k-images-idx3-ubyte"))
    try Data([0, 0, 8, 1, 0, 0, 0, 1, 4]).write(to: dir.appendingPathComponent("t10k-labels-idx1-ubyte"))
    let tiny = try FashionMNIST.load(directory: dir, split: .test)
    XCTAssertEqual(tiny.labels, [4])
    XCTAssertEqual(tiny.pixels, [200])
  }

  func testRealFashionMNISTIfInstalled() throws {
    let file = FashionMNIST.defaultDirectory.appendingPathComponent("t10k-images-idx3-ubyte.gz")
    guard FileManager.default.fileExists(atPath: file.path) else {
      throw XCTSkip("Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)")
    }
    let test = try FashionMNIST.load(split: .test)
    XCTAssertEqual(test.count, 10_000)
    XCTAssertEqual([test.channels, test.height, test.width], [1, 28, 28])
    XCTAssertEqual(test.classHistogram, [Int](repeating: 1000, count: 10))
    XCTAssertEqual(test.labels.prefix(3), [9, 2, 1])
    let padded = try test.prefix(2).zeroPadded(to: 32)
    XCTAssertEqual([padded.height, padded.width], [32, 32])
    XCTAssertEqual(padded.image(at: 0)[2 * 32 + 2 + 14 * 32 + 14], test.image(at: 0)[14 * 28 + 14])
    XCTAssertEqual(padded.image(at: 0).prefix(64).max(), 0)
  }
}
