import Foundation
import Torch
import Vision
import Watermarking
import XCTest

/// WaterMAS inside the classifier trainer (what `lichen watermark embed` does).
final class ClassifierWatermarkTests: XCTestCase {
  /// 64 random 32x32 images and a 4-step run of a tiny ResNet18 on them.
  private static func tinyRun(seed: UInt64) throws -> (ClassificationDataset, ClassifierTrainingConfig) {
    var rng = SplitMix64(seed: seed)
    let count = 64
    let pixels = (0..<(count * 3 * 32 * 32)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    let data = try ClassificationDataset(pixels: pixels, labels: (0..<count).map { $0 % 10 },
                                         classNames: (0..<10).map { "c\($0)" }, channels: 3, height: 32, width: 32)
    var config = ClassifierTrainingConfig(
      model: ClassifierConfiguration(architecture: .resnet18, width: 0.125, depths: [1, 1, 1, 1]),
      normalization: .cifar10)
    config.batchSize = 16
    config.maximumSteps = 4
    config.learningRate = 0.05
    return (data, config)
  }

  func testEmbeddingWhileTrainingAResNetKeepsTheMarkBitExact() throws {
    let (data, config) = try Self.tinyRun(seed: 3)
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wm-int-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    let trainer = try ClassifierTrainer(config: config, training: data, runDirectory: dir)
    let bits = Payload.bits(of: "owner: me")  // 72 bits: detectable at p < 1e-6
    let key = try KeyGenerator.generate(for: trainer.model, payloadBits: bits.count, seed: 5)
    try Embedder.substitute(bits, into: trainer.model, key: key)
    let params = Dictionary(trainer.model.namedParameters().map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
    let before = try key.positions.map { try params[$0.layer]!.floats()[$0.index].bitPattern }
    try Embedder.freeze(trainer.model, key: key, in: trainer.parameterOptimizer)
    let mas = try WaterMAS(model: trainer.model, key: key, rho: 0.05, lambda: 1)
    var sharpness: [Double] = []
    trainer.backward = { loss in
      let (value, s) = try mas.backward(loss)
      sharpness.append(s)
      return value
    }
    try trainer.run()
    XCTAssertEqual(sharpness.count, 4)
    let after = try key.positions.map { try params[$0.layer]!.floats()[$0.index].bitPattern }
    XCTAssertEqual(after, before)
    XCTAssertEqual(try Extractor.extract(from: trainer.model, key: key, expected: bits).detected, true)
  }

  /// `watermark.csv` holds one row per step of a WaterMAS run; a run resumed after a kill drops the rows past
  /// its checkpoint and logs those steps again, so the log equals an uninterrupted run's.
  func testWaterMASLogsEveryStepAndAResumedRunLogsTheStepsAfterItsCheckpointAgain() throws {
    let (data, config) = try Self.tinyRun(seed: 4)
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wm-log-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    let bits = Payload.bits(of: "owner")
    var settings = InsertionSettings()
    settings.keySeed = 5
    settings.rho = 0.5
    settings.sharpnessTarget = 0.01
    func insert(into trainer: ClassifierTrainer, resumed: Bool) throws -> WatermarkInsertion {
      let key = try WatermarkInsertion.key(for: bits, method: .watermas, settings: settings, training: trainer, resumed: resumed)
      return try WatermarkInsertion(method: .watermas, settings: settings, key: key, training: trainer, seed: 1)
    }
    let first = try ClassifierTrainer(config: config, training: data, runDirectory: dir)
    let firstInsertion = try insert(into: first, resumed: false)
    try first.run(shouldStop: { first.step >= 2 })
    let log = try XCTUnwrap(firstInsertion.stepLog)
    // A killed run may have logged a step past its checkpoint.
    try log.append(["3", "9", "9", "1"])
    let second = try ClassifierTrainer(config: config, training: data, runDirectory: dir)
    XCTAssertTrue(try second.resumeIfPossible())
    XCTAssertEqual(second.step, 2)
    let secondInsertion = try insert(into: second, resumed: true)
    try second.run()
    let rows = try String(contentsOf: log.url, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",") }
    XCTAssertEqual(rows.first?.joined(separator: ","), "step,loss,sharpness,sharpened")
    XCTAssertEqual(rows.dropFirst().map { String($0[0]) }, ["1", "2", "3", "4"])
    for row in rows.dropFirst() {
      XCTAssertEqual(row.count, 4)
      XCTAssertTrue(Double(row[1]).map { $0.isFinite && $0 > 0 } ?? false, "loss \(row[1])")
      XCTAssertNotNil(Double(row[2]))
      XCTAssertTrue(row[3] == "0" || row[3] == "1")
      XCTAssertNotEqual(row[1], "9", "the killed run's row is gone")
    }
    // The summary's count spans both processes' steps.
    let counts = try XCTUnwrap(try secondInsertion.sharpenedSteps())
    XCTAssertEqual(counts.steps, 4)
    XCTAssertEqual(counts.sharpened, rows.dropFirst().filter { $0[3] == "1" }.count)
    // Substitution has nothing to log per step.
    let plainDir = dir.appendingPathComponent("substitution")
    let plain = try ClassifierTrainer(config: config, training: data, runDirectory: plainDir)
    let key = try WatermarkInsertion.key(for: bits, method: .substitution, settings: settings, training: plain, resumed: false)
    let substitution = try WatermarkInsertion(method: .substitution, settings: settings, key: key, training: plain, seed: 1)
    XCTAssertNil(substitution.stepLog)
    XCTAssertNil(try substitution.sharpenedSteps())
  }
}
