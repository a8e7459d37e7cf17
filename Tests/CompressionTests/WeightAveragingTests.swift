import Foundation
import Torch
import XCTest

@testable import Compression

/// `emaDecay`: the average follows its recurrence, is what validation sees
/// (with the raw weights put back), and survives an interrupted run exactly.
final class WeightAveragingTests: XCTestCase {
  func makeTrainer(steps: Int, decay: Double?, directory: URL) throws -> RDTrainer {
    let set = try CodecTests.tinyTrainingSet()
    var config = CodecTests.tinyTrainingConfig(steps: steps)
    config.learningRate = 1e-2
    config.validateEvery = 2
    config.checkpointEvery = 2
    config.emaDecay = decay
    return try RDTrainer(config: config, model: try ScaleHyperprior(n: 8, m: 12), training: set, validation: set,
                         runDirectory: directory)
  }

  func weights(_ trainer: RDTrainer) throws -> [[Float]] {
    try trainer.averagedParameters.map { try $0.tensor.detach().floats() }
  }

  func testAverageFollowsItsRecurrenceAndValidationUsesIt() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lichen-ema-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    let trainer = try makeTrainer(steps: 3, decay: 0.5, directory: dir)
    var expected: [[Float]] = []
    var step = 0
    try trainer.run(progress: { _ in
      step += 1
      let current = try! self.weights(trainer)
      expected = expected.isEmpty ? current : zip(expected, current).map { zip($0, $1).map { 0.5 * $0 + 0.5 * $1 } }
    })
    XCTAssertEqual(step, 3)
    let averages = try trainer.averages.map { try $0.tensor.floats() }
    for (a, e) in zip(averages, expected) {
      for (x, y) in zip(a, e) { XCTAssertEqual(x, y, accuracy: 1e-6) }
    }
    let raw = try weights(trainer)
    XCTAssertNotEqual(raw, averages, "the model keeps training its raw weights")
    let averagedValidation = try trainer.validate()
    XCTAssertEqual(try weights(trainer), raw, "validation puts the raw weights back")
    let inside = try trainer.withAveragedWeights { try self.weights(trainer) }
    XCTAssertEqual(inside, averages)
    XCTAssertEqual(averagedValidation.loss, try trainer.withAveragedWeights { try trainer.validateCurrentWeights().loss })
    XCTAssertNotEqual(averagedValidation.loss, try trainer.validateCurrentWeights().loss)
  }

  func testInterruptedRunResumesTheAverageExactly() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lichen-ema-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    let straight = try makeTrainer(steps: 4, decay: 0.9, directory: dir.appendingPathComponent("a"))
    try straight.run(progress: { _ in })
    let first = try makeTrainer(steps: 2, decay: 0.9, directory: dir.appendingPathComponent("b"))
    try first.run(progress: { _ in })
    let resumed = try makeTrainer(steps: 4, decay: 0.9, directory: dir.appendingPathComponent("b"))
    XCTAssertTrue(try resumed.resumeIfPossible())
    XCTAssertEqual(resumed.averages.count, resumed.averagedParameters.count)
    try resumed.run(progress: { _ in })
    XCTAssertEqual(try straight.averages.map { try $0.tensor.floats() }, try resumed.averages.map { try $0.tensor.floats() })
    // A checkpoint without averages cannot silently continue as an averaged run.
    let plain = try makeTrainer(steps: 2, decay: nil, directory: dir.appendingPathComponent("c"))
    try plain.run(progress: { _ in })
    XCTAssertThrowsError(try makeTrainer(steps: 4, decay: 0.9, directory: dir.appendingPathComponent("c")).resumeIfPossible())
  }
}
