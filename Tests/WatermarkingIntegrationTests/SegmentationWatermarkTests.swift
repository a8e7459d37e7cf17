import Foundation
import Torch
import Vision
import Watermarking
import XCTest

/// WaterMAS inside the segmentation trainer (what `lichen segment embed` does), and the attack
/// sweep's task closures on a DeepLabV3.
final class SegmentationWatermarkTests: XCTestCase {
  func testEmbeddingWhileTrainingDeepLabKeepsTheMarkBitExact() throws {
    var rng = SplitMix64(seed: 4)
    let count = 8, height = 32, width = 32
    let pixels = (0..<(count * 3 * height * width)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    let labels = (0..<(count * height * width)).map { i in i % 97 == 0 ? 255 : UInt8(i / width % 3) }
    let data = try SegmentationDataset(pixels: pixels, labels: labels, classNames: ["a", "b", "c"], channels: 3,
                                       height: height, width: width)
    var config = SegmentationTrainingConfig(
      model: SegmentationConfiguration(backboneDepths: [1, 1, 1, 1], width: 0.125, classCount: 3, atrousRates: [1, 2, 3],
                                       headChannels: 8),
      normalization: .unit(channels: 3), augmentation: try SegmentationAugmentation())
    config.batchSize = 4
    config.maximumSteps = 3
    config.epochs = 2
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wm-seg-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    let trainer = try SegmentationTrainer(config: config, training: data, runDirectory: dir)
    let bits = Payload.bits(of: "owner: me")
    let key = try KeyGenerator.generate(for: trainer.model, payloadBits: bits.count, seed: 5)
    XCTAssertTrue(key.positions.contains { $0.layer.hasPrefix("classifier.") })
    try Embedder.substitute(bits, into: trainer.model, key: key)
    let params = Dictionary(trainer.model.namedParameters().map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
    let before = try key.positions.map { try XCTUnwrap(params[$0.layer]).floats()[$0.index].bitPattern }
    try Embedder.freeze(trainer.model, key: key, in: trainer.parameterOptimizer)
    let mas = try WaterMAS(model: trainer.model, key: key, rho: 0.05, lambda: 1)
    var passes = 0
    trainer.backward = { loss in
      passes += 1
      return try mas.backward(loss).loss
    }
    try trainer.run()
    XCTAssertEqual(passes, 3)
    let after = try key.positions.map { try XCTUnwrap(params[$0.layer]).floats()[$0.index].bitPattern }
    XCTAssertEqual(after, before)
    let result = try Extractor.extract(from: trainer.model, key: key, expected: bits)
    XCTAssertEqual(result.bitErrorRate, 0)
    XCTAssertEqual(result.detected, true)
    // A weight attack through the sweep, with mIoU as the task metric.
    let subject = AttackSubject(
      model: trainer.model,
      evaluate: { try SegmentationEvaluation.evaluate(trainer.model, on: data, normalization: .unit(channels: 3)).meanIoU },
      fineTune: nil)
    let rows = try AttackSweep.run([AttackSetting(.none, 0), AttackSetting(.keyInterceptionFlip, 1)], load: { subject },
                                   key: key, expected: bits, seed: 1)
    XCTAssertEqual(rows.map(\.bitErrorRate), [0, 1])
    XCTAssertTrue((0...1).contains(rows[0].accuracy))
  }
}
