import Foundation
import Torch
import XCTest

@testable import Vision

/// Data-parallel classifier training: shards of the global batch, and two
/// ranks of batch 8 training like one process of batch 16 (Swin has only
/// LayerNorm, so per-rank batch statistics play no part).
final class DistributedClassifierTests: XCTestCase {
  func testShardsSplitTheGlobalBatchExactly() throws {
    let data = try syntheticDataset(count: 40)
    let global = try BatchSampler(dataset: data, batchSize: 12, normalization: .cifar10, augmentation: .standard, seed: 3)
    let shards = try (0..<3).map {
      try BatchSampler(
        dataset: data, batchSize: 4, normalization: .cifar10, augmentation: .standard, seed: 3,
        shard: DataShard(index: $0, count: 3))
    }
    XCTAssertEqual(shards[0].stepsPerEpoch, global.stepsPerEpoch)
    for step in [0, 1, 4] {
      let whole = global.trainingBatch(step: step)
      let parts = shards.map { $0.trainingBatch(step: step) }
      XCTAssertEqual(parts.flatMap(\.pixels), whole.pixels, "step \(step)")
      XCTAssertEqual(parts.flatMap(\.labels), whole.labels)
      XCTAssertEqual(Set(parts[0].indices).intersection(parts[1].indices), [])
    }
    XCTAssertThrowsError(
      try BatchSampler(dataset: data, batchSize: 16, normalization: .cifar10, shard: DataShard(index: 0, count: 3)))
  }

  func config() -> ClassifierTrainingConfig {
    var config = ClassifierTrainingConfig(
      model: ClassifierConfiguration(architecture: .swinT, width: 0.125, depths: [1, 1]), normalization: .cifar10)
    config.batchSize = 16
    config.maximumSteps = 3
    config.learningRate = 0.05
    config.seed = 5
    return config
  }

  func testTwoRanksTrainLikeOneProcessWithTheGlobalBatch() throws {
    try Torch.setThreads(1)
    let data = try syntheticDataset(count: 64)
    let directory = try temporaryDirectory(self)
    let single = try ClassifierTrainer(config: config(), training: data, runDirectory: directory.appendingPathComponent("single"))
    try single.run()
    var expected: [String: [Float]] = [:]
    for (name, t) in single.model.stateDict() where t.dtype == .float32 { expected[name] = try t.floats() }

    let result = Locked<[String: [Float]]>([:])
    var perRank = config()
    perRank.batchSize = 8
    let perRankConfig = perRank
    let singleStepsPerEpoch = single.stepsPerEpoch
    try LocalRanks.run(worldSize: 2, timeout: 60) { dp in
      let trainer = try ClassifierTrainer(
        config: perRankConfig, training: data, runDirectory: directory.appendingPathComponent("ranks"), dataParallel: dp)
      XCTAssertEqual(trainer.stepsPerEpoch, singleStepsPerEpoch)
      try trainer.run()
      guard dp.isPrimary else { return }
      var values: [String: [Float]] = [:]
      for (name, t) in trainer.model.stateDict() where t.dtype == .float32 { values[name] = try t.floats() }
      result.update { $0 = values }
    }
    let got = result.value
    XCTAssertEqual(Set(got.keys), Set(expected.keys))
    var worst = 0.0
    for (name, values) in expected {
      for (a, b) in zip(values, got[name] ?? []) { worst = max(worst, Double(abs(a - b)) / max(1e-3, Double(abs(a)))) }
    }
    XCTAssertLessThan(worst, 1e-4)
    XCTAssertTrue(FileManager.default.fileExists(atPath: directory.appendingPathComponent("ranks/checkpoint.safetensors").path))
  }
}

/// Data-parallel segmentation training: shards of the global batch (with the augmentation one
/// process would draw), and two ranks that keep identical weights (DeepLabV3's batch norm keeps
/// per-rank statistics, so the weights match one process only up to those).
final class DistributedSegmentationTests: XCTestCase {
  func testShardsSplitTheGlobalBatchExactly() throws {
    let data = try syntheticSegmentation(count: 20, height: 32, width: 48, block: 8)
    let augmentation = try SegmentationAugmentation(minimumScale: 0.75, maximumScale: 1.5, cropHeight: 24, cropWidth: 32)
    let global = try SegmentationBatchSampler(dataset: data, batchSize: 6, normalization: .unit(channels: 3),
                                              augmentation: augmentation, seed: 3)
    let shards = try (0..<3).map {
      try SegmentationBatchSampler(dataset: data, batchSize: 2, normalization: .unit(channels: 3),
                                   augmentation: augmentation, seed: 3, shard: DataShard(index: $0, count: 3))
    }
    XCTAssertEqual(shards[0].stepsPerEpoch, global.stepsPerEpoch)
    for step in [0, 1, 4] {
      let whole = global.trainingBatch(step: step)
      let parts = shards.map { $0.trainingBatch(step: step) }
      XCTAssertEqual(parts.flatMap(\.pixels), whole.pixels, "step \(step)")
      XCTAssertEqual(parts.flatMap(\.labels), whole.labels)
      XCTAssertEqual(parts.flatMap(\.indices), whole.indices)
    }
    XCTAssertThrowsError(try SegmentationBatchSampler(dataset: data, batchSize: 8, normalization: .unit(channels: 3),
                                                      shard: DataShard(index: 0, count: 3)))
  }

  func testTwoRanksKeepIdenticalWeights() throws {
    try Torch.setThreads(1)
    let data = try syntheticSegmentation(count: 16, height: 32, width: 48, block: 8)
    var config = SegmentationTrainingConfig(
      model: SegmentationConfiguration(backboneDepths: [1, 1, 1, 1], width: 0.125, classCount: 3, outputStride: 8,
                                       atrousRates: [1, 2, 3], headChannels: 8),
      normalization: .unit(channels: 3), augmentation: try SegmentationAugmentation(minimumScale: 0.75, maximumScale: 1.5))
    config.batchSize = 2
    config.maximumSteps = 3
    config.seed = 6
    let runConfig = config
    let directory = try temporaryDirectory(self)
    let weights = Locked<[[String: [Float]]]>([])
    try LocalRanks.run(worldSize: 2, timeout: 60) { dp in
      let trainer = try SegmentationTrainer(config: runConfig, training: data,
                                            runDirectory: directory.appendingPathComponent("ranks"), dataParallel: dp)
      XCTAssertEqual(trainer.sampler.globalBatchSize, 4)
      try trainer.run()
      var values: [String: [Float]] = [:]
      for (name, t) in trainer.model.namedParameters() { values[name] = try t.floats() }
      weights.update { $0.append(values) }
    }
    let ranks = weights.value
    XCTAssertEqual(ranks.count, 2)
    XCTAssertEqual(ranks[0], ranks[1], "averaged gradients keep the ranks' weights identical")
    var initial: [String: [Float]] = [:]
    for (name, t) in try runConfig.model.makeModel(seed: runConfig.seed).namedParameters() { initial[name] = try t.floats() }
    XCTAssertNotEqual(ranks[0], initial, "the ranks trained")
    XCTAssertTrue(FileManager.default.fileExists(atPath: directory.appendingPathComponent("ranks/checkpoint.safetensors").path))
  }
}
