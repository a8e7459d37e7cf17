import Foundation
import Torch
import XCTest

@testable import Vision

final class SegmentationModelTests: XCTestCase {
  func tinyModel(outputStride: Int = 8, classes: Int = 3) -> SegmentationConfiguration {
    SegmentationConfiguration(backboneDepths: [1, 1, 1, 1], width: 0.125, classCount: classes, outputStride: outputStride,
                              atrousRates: [1, 2, 3], headChannels: 8)
  }

  func testOutputShapeStrideAndTorchvisionNames() throws {
    let model = try tinyModel(classes: 11).makeModel(seed: 1)
    let x = try Tensor.rand([2, 3, 32, 48], generator: try Generator(seed: 2))
    XCTAssertEqual(try model(x).shape, [2, 11, 32, 48])
    XCTAssertEqual(try model.backbone(x).shape, [2, 64, 4, 6])  // output stride 8, 512 x 0.125 channels
    let sixteen = try tinyModel(outputStride: 16).makeModel(seed: 1)
    XCTAssertEqual(try sixteen.backbone(x).shape, [2, 64, 2, 3])
    let names = Set(model.stateDict().map(\.name))
    for name in [
      "backbone.conv1.weight", "backbone.bn1.running_var", "backbone.layer1.0.conv1.weight",
      "backbone.layer3.0.downsample.0.weight", "backbone.layer4.0.conv1.weight", "backbone.layer4.0.bn2.num_batches_tracked",
      "classifier.0.convs.0.0.weight", "classifier.0.convs.0.1.running_mean", "classifier.0.convs.1.0.weight",
      "classifier.0.convs.3.0.weight", "classifier.0.convs.4.1.weight", "classifier.0.convs.4.2.weight",
      "classifier.0.project.0.weight", "classifier.0.project.1.bias", "classifier.1.weight", "classifier.2.running_var",
      "classifier.4.weight", "classifier.4.bias",
    ] { XCTAssertTrue(names.contains(name), name) }
    XCTAssertFalse(names.contains { $0.hasPrefix("backbone.fc") })
    // torchvision's shapes where they do not depend on the width: a 7x7 stem, a 5-branch projection.
    let shapes = Dictionary(model.stateDict().map { ($0.name, $0.tensor.shape) }, uniquingKeysWith: { a, _ in a })
    XCTAssertEqual(shapes["backbone.conv1.weight"], [8, 3, 7, 7])
    XCTAssertEqual(shapes["classifier.0.project.0.weight"], [8, 40, 1, 1])
    XCTAssertEqual(shapes["classifier.4.weight"], [11, 8, 1, 1])
    // Dilation replaces the stride in layer3 and layer4 at output stride 8.
    let layer4 = try XCTUnwrap(model.backbone.layers[3][0] as? BasicBlock)
    XCTAssertEqual([layer4.conv1.stride, layer4.conv1.dilation, layer4.conv2.dilation], [1, 2, 4])
  }

  func testIgnoreIndexLossMatchesAHandComputation() throws {
    // One image, 3 classes, 1x3 pixels; the middle pixel is void.
    let logits = try Tensor([1, 0.5, -1, 2, 0, 0, 0, 1, 3] as [Float], shape: [1, 3, 1, 3])
    let labels = try Tensor([0, 255, 1] as [Int64], shape: [1, 1, 3])
    let columns: [[Double]] = [[1, 2, 0], [0.5, 0, 1], [-1, 0, 3]]  // logits of pixel 0, 1, 2
    func nll(_ v: [Double], _ c: Int) -> Double { log(v.map { exp($0) }.reduce(0, +)) - v[c] }
    let expected = (nll(columns[0], 0) + nll(columns[2], 1)) / 2
    XCTAssertEqual(try SegmentationTrainer.loss(logits, labels).item(), expected, accuracy: 1e-6)
  }

  func testConfusionMatrixScoresMatchAHandComputation() throws {
    var matrix = ConfusionMatrix(classCount: 3)
    // truth:     0 0 0 1 1 2 255 255
    // predicted: 0 0 1 1 2 2   0   1
    try matrix.add(truth: [0, 0, 0, 1, 1, 2, 255, 255], predicted: [0, 0, 1, 1, 2, 2, 0, 1])
    XCTAssertEqual(matrix.total, 6)
    XCTAssertEqual(matrix.pixelAccuracy ?? 0, 4.0 / 6, accuracy: 1e-12)
    // IoU 0: 2/(3+2-2) = 2/3; 1: 1/(2+2-1) = 1/3; 2: 1/(1+2-1) = 1/2.
    let iou = matrix.intersectionOverUnion.map { $0 ?? -1 }
    XCTAssertEqual(iou[0], 2.0 / 3, accuracy: 1e-12)
    XCTAssertEqual(iou[1], 1.0 / 3, accuracy: 1e-12)
    XCTAssertEqual(iou[2], 1.0 / 2, accuracy: 1e-12)
    XCTAssertEqual(matrix.meanIntersectionOverUnion ?? 0, (2.0 / 3 + 1.0 / 3 + 0.5) / 3, accuracy: 1e-12)
    // A class neither present nor predicted is left out of the mean.
    var absent = ConfusionMatrix(classCount: 3)
    try absent.add(truth: [0, 1], predicted: [0, 0])
    XCTAssertNil(absent.intersectionOverUnion[2])
    XCTAssertEqual(absent.meanIntersectionOverUnion ?? 0, (0.5 + 0) / 2, accuracy: 1e-12)
    XCTAssertThrowsError(try absent.add(truth: [0], predicted: [3]))
  }

  func tinyConfig() throws -> SegmentationTrainingConfig {
    var config = SegmentationTrainingConfig(
      model: tinyModel(), normalization: .unit(channels: 3),
      augmentation: try SegmentationAugmentation(minimumScale: 0.75, maximumScale: 1.5))
    config.batchSize = 4
    config.learningRate = 0.05
    config.seed = 4
    return config
  }

  func testTinyTrainingRunLowersTheLossAndEvaluates() throws {
    let data = try syntheticSegmentation(count: 8, height: 32, width: 48, block: 8)
    var config = try tinyConfig()
    config.optimizer = .adamw
    config.learningRate = 5e-3
    config.weightDecay = 0
    config.schedule = .constant
    config.augmentation = .none
    config.model.dropout = 0
    config.epochs = 15
    let trainer = try SegmentationTrainer(config: config, training: data, runDirectory: try temporaryDirectory(self))
    var reports: [SegmentationTrainingProgress] = []
    try trainer.run(progress: { reports.append($0) })
    XCTAssertEqual(reports.count, 30)
    let first = reports[0..<5].map(\.loss).reduce(0, +) / 5
    let last = reports[25..<30].map(\.loss).reduce(0, +) / 5
    XCTAssertLessThan(last, 0.8 * first, "first steps' loss \(first), last steps' \(last)")
    let evaluation = try trainer.evaluate(on: data, batchSize: 3)
    XCTAssertEqual(evaluation.images, 8)
    XCTAssertEqual(evaluation.pixels, 8 * (32 * 48 - 64))  // the void square is not scored
    XCTAssertEqual(evaluation.perClassIoU.count, 3)
    XCTAssertGreaterThan(evaluation.pixelAccuracy, 0.4)
    XCTAssertEqual(try String(contentsOf: trainer.logURL, encoding: .utf8).split(separator: "\n").count, 31)
  }

  func weights(_ trainer: SegmentationTrainer) throws -> [String: [UInt8]] {
    Dictionary(try trainer.model.stateDict().map { ($0.name, try $0.tensor.bytes()) }, uniquingKeysWith: { a, _ in a })
  }

  func testResumeIsExact() throws {
    let data = try syntheticSegmentation(count: 8)
    var config = try tinyConfig()
    config.epochs = 10
    config.maximumSteps = 4
    config.checkpointEvery = 2
    let straight = try SegmentationTrainer(config: config, training: data, runDirectory: try temporaryDirectory(self))
    try straight.run()
    let dir = try temporaryDirectory(self)
    let first = try SegmentationTrainer(config: config, training: data, runDirectory: dir)
    var count = 0
    try first.run(shouldStop: {
      count += 1
      return count > 2
    })
    XCTAssertEqual(first.step, 2)
    let second = try SegmentationTrainer(config: config, training: data, runDirectory: dir)
    XCTAssertTrue(try second.resumeIfPossible())
    XCTAssertEqual(second.step, 2)
    try second.run()
    XCTAssertEqual(second.step, 4)
    XCTAssertEqual(try weights(second), try weights(straight))
    var other = config
    other.learningRate = 0.01
    let mismatched = try SegmentationTrainer(config: other, training: data, runDirectory: dir)
    assertThrowsVisionError(.incompatibleModel, containing: "different configuration") { try mismatched.resumeIfPossible() }
  }

  func testModelFileRoundTrip() throws {
    let data = try syntheticSegmentation(count: 4)
    var config = try tinyConfig()
    config.maximumSteps = 1
    let dir = try temporaryDirectory(self)
    let trainer = try SegmentationTrainer(config: config, training: data, runDirectory: dir)
    try trainer.run()
    let url = dir.appendingPathComponent("model.safetensors")
    try trainer.saveModel(to: url, classNames: data.classNames, extraMetadata: ["dataset": "synthetic"])
    let file = try SegmentationFile.load(from: url)
    XCTAssertEqual(file.configuration, config.model)
    XCTAssertEqual(file.classNames, data.classNames)
    XCTAssertEqual(file.metadata["dataset"], "synthetic")
    XCTAssertTrue(SegmentationFile.isSegmentationModel(file.metadata))
    let a = try trainer.evaluate(on: data), b = try SegmentationEvaluation.evaluate(file.model, on: data, normalization: file.normalization)
    XCTAssertEqual(a, b)
    assertThrowsVisionError(.missingFile, containing: "not found") { try SegmentationFile.load(from: dir.appendingPathComponent("none")) }
    try SafeTensors.write(try trainer.model.stateDictRecords(), metadata: [:], to: url)
    assertThrowsVisionError(.incompatibleModel, containing: "not a Lichen segmentation file") { try SegmentationFile.load(from: url) }
  }
}
