import Foundation
import Torch
import XCTest

@testable import Vision

final class VisionRunTests: XCTestCase {
  func options(_ optimizer: ClassifierOptimizer, lr: Double? = nil, decay: Double? = nil) -> ClassifierTrainingConfig {
    ClassifierTrainingConfig(
      model: ClassifierConfiguration(architecture: .resnet18, width: 0.125, depths: [1, 1, 1, 1]),
      normalization: .cifar10, epochs: 1, maximumSteps: 2, batchSize: 4, optimizer: optimizer, learningRate: lr,
      momentum: 0.9, nesterov: true, weightDecay: decay, schedule: .constant, stepSizeEpochs: 30, milestones: [],
      gamma: 0.1, labelSmoothing: 0, clipNorm: 0, emaDecay: nil, bfloat16Autocast: false, augmentation: .none, seed: 3,
      checkpointEvery: 100)
  }

  func testConfigurationsTakeTheOptimizersUsualRatesUnlessGiven() {
    XCTAssertEqual(options(.sgd).learningRate, 0.1)
    XCTAssertEqual(options(.sgd).weightDecay, 5e-4)
    XCTAssertEqual(options(.adamw).learningRate, 1e-3)
    XCTAssertEqual(options(.adamw).weightDecay, 0.05)
    XCTAssertEqual(options(.adamw, lr: 0.2, decay: 0).learningRate, 0.2)
    XCTAssertEqual(options(.adamw, lr: 0.2, decay: 0).weightDecay, 0)
    XCTAssertNil(options(.sgd).bfloat16Autocast)
    XCTAssertNil(options(.sgd).channelsLast)
    XCTAssertNil(options(.sgd).warmupEpochs)
    let segmentation = SegmentationTrainingConfig(
      model: SegmentationConfiguration(), augmentation: .none, epochs: 2, maximumSteps: nil, batchSize: 2,
      optimizer: .adamw, learningRate: nil, momentum: 0.9, weightDecay: nil, schedule: .poly, clipNorm: 0, emaDecay: 0.9,
      bfloat16Autocast: true, channelsLast: true, seed: 1, checkpointEvery: 10)
    XCTAssertEqual(segmentation.learningRate, 1e-3)
    XCTAssertEqual(segmentation.weightDecay, 0.01)
    XCTAssertEqual(segmentation.normalization, CamVid.normalization)
    XCTAssertEqual(segmentation.bfloat16Autocast, true)
    XCTAssertEqual(segmentation.channelsLast, true)
  }

  func testWarmUpRampsTheFirstEpochsAndIsChecked() throws {
    var config = options(.sgd, lr: 0.2)
    config.epochs = 4
    config.schedule = .cosine
    config.warmupEpochs = 2
    let schedule = config.learningRateSchedule(stepsPerEpoch: 10, totalSteps: 40)
    // 20 warm-up steps: step 0 runs at 1/20 of the cosine rate, step 19 at all of it.
    XCTAssertEqual(schedule.learningRate(at: 0), 0.2 / 20 * CosineSchedule(base: 1, period: 40).learningRate(at: 0),
                   accuracy: 1e-12)
    XCTAssertEqual(schedule.learningRate(at: 19), 0.2 * CosineSchedule(base: 1, period: 40).learningRate(at: 19),
                   accuracy: 1e-12)
    XCTAssertEqual(schedule.learningRate(at: 30), 0.2 * CosineSchedule(base: 1, period: 40).learningRate(at: 30),
                   accuracy: 1e-12)
    XCTAssertNoThrow(try config.validate())
    config.warmupEpochs = 4
    XCTAssertThrowsError(try config.validate())
    config.warmupEpochs = -1
    XCTAssertThrowsError(try config.validate())
    // The command line's value: 0 is no warm-up, a negative one reaches validation instead of vanishing.
    let negative = ClassifierTrainingConfig(
      model: config.model, normalization: .cifar10, epochs: 4, maximumSteps: nil, batchSize: 4, optimizer: .sgd,
      learningRate: nil, momentum: 0.9, nesterov: true, weightDecay: nil, schedule: .cosine, stepSizeEpochs: 30,
      milestones: [], gamma: 0.1, warmupEpochs: -2, labelSmoothing: 0, clipNorm: 0, emaDecay: nil,
      bfloat16Autocast: false, augmentation: .none, seed: 1, checkpointEvery: 10)
    XCTAssertEqual(negative.warmupEpochs, -2)
    XCTAssertThrowsError(try negative.validate())
  }

  func testClassifierRunTrainsSavesAndEvaluatesOnTheTestSplit() throws {
    let data = try temporaryDirectory(self)
    try Data(try CIFAR10.encode(try syntheticDataset(count: 12))).write(to: data.appendingPathComponent("data_batch_1.bin"))
    try Data(try CIFAR10.encode(try syntheticDataset(count: 6))).write(to: data.appendingPathComponent("test_batch.bin"))
    let out = try temporaryDirectory(self).appendingPathComponent("run")
    var lines: [String] = []
    let run = try ClassifierRun.open(
      dataset: .cifar10, directory: data, limit: 8, runDirectory: out, resume: false, dataParallel: nil,
      log: { lines.append($0) }) { training in
      XCTAssertEqual(training.count, 8)
      return self.options(.sgd)
    }
    XCTAssertFalse(run.resumed)
    let evaluation = try run.train(evaluationLimit: 5, metadata: ["note": "x"], progress: { _ in },
                                   log: { lines.append($0) }, shouldStop: { false })
    XCTAssertEqual(evaluation?.count, 5)
    XCTAssertTrue(lines.first?.hasPrefix("training resnet18 width 0.125 on 8 cifar10 images") == true, "\(lines)")
    let file = try ClassifierFile.load(from: out.appendingPathComponent("model.safetensors"))
    XCTAssertEqual(file.metadata[MetadataKey.seed], "3")
    XCTAssertEqual(file.metadata["note"], "x")
    XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("eval.json").path))
    XCTAssertThrowsError(try ClassifierRun.open(
      dataset: .cifar10, directory: data, limit: 8, runDirectory: out, resume: false, dataParallel: nil,
      log: { _ in }) { _ in self.options(.sgd) })
  }
}
