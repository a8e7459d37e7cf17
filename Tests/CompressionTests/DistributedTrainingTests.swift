import Foundation
import Imaging
import Torch
import XCTest

@testable import Compression

/// Issue 8's equivalence: W ranks with batch B end with the weights of one
/// process with batch W x B (same crops, same noise, averaged gradients).
final class DistributedTrainingTests: XCTestCase {
  static func images() throws -> ImageSet {
    let g = try Generator(seed: 42)
    let images = try (0..<6).map { _ in
      try RGBImage(width: 96, height: 80, pixels: try Tensor.rand([3 * 96 * 80], generator: g).floats())
    }
    return ImageSet(images: images, names: (0..<6).map { "image\($0)" })
  }

  static func config(batch: Int) -> RDTrainingConfig {
    var config = RDTrainingConfig()
    config.n = 8
    config.m = 12
    config.batchSize = batch
    config.cropSize = 64
    config.steps = 4
    config.learningRate = 1e-3
    config.validateEvery = 2
    config.checkpointEvery = 100
    return config
  }

  static func weights(of trainer: RDTrainer) throws -> [String: [Float]] {
    var result: [String: [Float]] = [:]
    for (name, tensor) in trainer.model.stateDict() where tensor.dtype == .float32 { result[name] = try tensor.floats() }
    return result
  }

  func testTwoRanksOfBatchTwoTrainLikeOneProcessOfBatchFour() throws {
    try Torch.setThreads(1)
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("lichen-ddp-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: root) }
    let set = try Self.images()
    let (training, validation) = set.split(validationEvery: 3)

    let single = try RDTrainer(
      config: Self.config(batch: 4), model: try ScaleHyperprior(n: 8, m: 12), training: training,
      validation: validation, runDirectory: root.appendingPathComponent("single"))
    var singleValidation: [Double] = []
    try single.run(progress: { p in if let v = p.validation { singleValidation.append(v.loss) } })
    let expected = try Self.weights(of: single)

    let distributed = Locked<[String: [Float]]>([:])
    let validationLosses = Locked<[Float]>([])
    try LocalRanks.run(worldSize: 2, timeout: 60) { dp in
      // Each rank starts from different weights: the broadcast must make them rank 0's.
      let model = try ScaleHyperprior(n: 8, m: 12, seed: dp.isPrimary ? 0 : 99)
      let trainer = try RDTrainer(
        config: Self.config(batch: 2), model: model, training: training, validation: validation,
        runDirectory: root.appendingPathComponent("ranks"), dataParallel: dp)
      var losses: [Float] = []
      try trainer.run(progress: { p in if let v = p.validation { losses.append(Float(v.loss)) } })
      if dp.isPrimary {
        let weights = try Self.weights(of: trainer)
        distributed.update { $0 = weights }
        validationLosses.update { $0 = losses }
      }
    }
    let got = distributed.value
    XCTAssertEqual(Set(got.keys), Set(expected.keys))
    for (name, values) in expected {
      guard let other = got[name] else { continue }
      // Adam moves a weight by at most ~lr (1e-3) per step: 4 steps, 4e-3. Float rounding of the
      // split sums may differ; a different batch, crop or noise would differ by that order.
      let worst = zip(values, other).map { Double(abs($0 - $1)) }.max() ?? 0
      XCTAssertLessThan(worst, 1e-5, "\(name): largest difference after 4 steps")
    }
    let distributedValidation = validationLosses.value
    XCTAssertEqual(distributedValidation.count, singleValidation.count)
    for (a, b) in zip(distributedValidation, singleValidation) { XCTAssertEqual(Double(a), b, accuracy: 1e-3 * abs(b)) }
    // Only rank 0 wrote the run folder; the log has one line per step.
    let log = try String(contentsOf: root.appendingPathComponent("ranks/log.csv"), encoding: .utf8)
    XCTAssertEqual(log.split(separator: "\n").count, 1 + 4)
  }

  func testShardedCropsAreTheGlobalBatchSplit() throws {
    let set = try Self.images()
    var rng = SplitMix64(seed: 5, stream: 1, step: 3)
    let global = try set.randomBatch(size: 6, crop: 64, using: &rng)
    var parts: [Tensor] = []
    for index in 0..<3 {
      var r = SplitMix64(seed: 5, stream: 1, step: 3)
      parts.append(try set.randomBatch(size: 2, crop: 64, using: &r, shard: DataShard(index: index, count: 3)))
    }
    XCTAssertEqual(try global.floats(), try Tensor.cat(parts).floats())
  }
}
