import Foundation
import Torch
import XCTest

@testable import Compression
@testable import Training

/// A codec run from a command line's values: its configuration, a fine-tuning start and the saved model.
final class RDRunTests: XCTestCase {
  func config(steps: Int, milestones: [Int] = [], round: Bool = false) -> RDTrainingConfig {
    RDTrainingConfig(
      model: ModelConfiguration(architecture: .scaleHyperprior, n: 8, m: 12, gdnVariant: .standard), lambda: 0.02,
      batchSize: 2, cropSize: 64, steps: steps, learningRate: 1e-3, validateEvery: 100, checkpointEvery: 100, seed: 4,
      roundsDecoderInputs: round, emaDecay: nil, bfloat16Autocast: false, learningRateMilestones: milestones,
      milestoneGamma: 0.3)
  }

  func testConfigurationRecordsMilestonesAndSwitchesOnlyWhenAsked() {
    let plain = config(steps: 10)
    XCTAssertEqual(plain.n, 8)
    XCTAssertEqual(plain.m, 12)
    XCTAssertNil(plain.learningRateMilestones)
    XCTAssertNil(plain.milestoneGamma)
    XCTAssertNil(plain.roundsDecoderInputs)
    XCTAssertNil(plain.bfloat16Autocast)
    let annealed = config(steps: 10, milestones: [5], round: true)
    XCTAssertEqual(annealed.learningRateMilestones, [5])
    XCTAssertEqual(annealed.milestoneGamma, 0.3)
    XCTAssertEqual(annealed.roundsDecoderInputs, true)
  }

  func testFineTunedRunCountsTheStartingModelsStepsInTheSavedFile() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lichen-rdrun-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    let configuration = ModelConfiguration(architecture: .scaleHyperprior, n: 8, m: 12, gdnVariant: .standard)
    let set = try CodecTests.tinyTrainingSet()
    let first = try RDTrainer(config: config(steps: 2), model: try ScaleHyperprior(n: 8, m: 12), training: set,
                              validation: set, runDirectory: dir.appendingPathComponent("a"))
    try first.run(progress: { _ in })
    var lines: [String] = []
    let firstFile = try first.saveFinalModel(configuration: configuration, metadata: [:], log: { lines.append($0) })
    XCTAssertEqual(lines.last, "wrote \(firstFile.path)")
    let started = try ModelStore.load(firstFile.path)
    XCTAssertEqual(started.metadata[MetadataKey.steps], "2")
    XCTAssertEqual(started.metadata[MetadataKey.lambda], "0.02")

    let student = try ScaleHyperprior(n: 8, m: 12)
    let lineage = try ModelStore.startFineTuning(student, from: firstFile.path)
    XCTAssertEqual(lineage, [MetadataKey.initialModel: firstFile.path, MetadataKey.initialSteps: "2"])
    let second = try RDTrainer(config: config(steps: 3), model: student, training: set, validation: set,
                               runDirectory: dir.appendingPathComponent("b"))
    second.lineage = lineage
    try second.run(progress: { _ in })
    let saved = try ModelStore.load(try second.saveFinalModel(configuration: configuration, metadata: ["k": "v"],
                                                              log: { _ in }).path)
    XCTAssertEqual(saved.metadata[MetadataKey.steps], "5")
    XCTAssertEqual(saved.metadata[MetadataKey.runSteps], "3")
    XCTAssertEqual(saved.metadata[MetadataKey.initialModel], firstFile.path)
    XCTAssertEqual(saved.metadata["k"], "v")
  }

  func testTransferStartsAMeanScaleModelFromAScaleHyperpriorsSharedWeights() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lichen-transfer-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let source = try ScaleHyperprior(n: 8, m: 12, seed: 3)
    try source.update()
    let file = dir.appendingPathComponent("scale.safetensors")
    try ModelStore.save(source, config: ModelConfiguration(architecture: .scaleHyperprior, n: 8, m: 12, gdnVariant: .standard),
                        metadata: [MetadataKey.steps: "7"], to: file)
    let target = try MeanScaleHyperprior(n: 8, m: 12, seed: 9)
    let freshHyperSynthesis = try target.hyperSynthesis.namedParameters().map { try $0.tensor.floats() }
    XCTAssertThrowsError(try ModelStore.startFineTuning(try MeanScaleHyperprior(n: 8, m: 12), from: file.path))
    let start = try ModelStore.startTransfer(target, from: file.path)
    XCTAssertEqual(start.lineage, [MetadataKey.initialModel: file.path, MetadataKey.initialSteps: "7"])
    XCTAssertFalse(start.untransferred.isEmpty)
    XCTAssertTrue(start.untransferred.allSatisfy { $0.hasPrefix("h_s.") }, "\(start.untransferred)")
    let sourceWeights = Dictionary(uniqueKeysWithValues: source.namedParameters().map { ($0.name, $0.tensor) })
    for (name, tensor) in target.namedParameters() where !name.hasPrefix("h_s.") {
      XCTAssertEqual(try tensor.floats(), try XCTUnwrap(sourceWeights[name]).floats(), name)
    }
    XCTAssertEqual(try target.hyperSynthesis.namedParameters().map { try $0.tensor.floats() }, freshHyperSynthesis)
  }

  func testStartIsFreshFineTunedOrTransferredAndNamesTheFreshModules() throws {
    XCTAssertEqual(ModelStore.moduleSummary([]), "nothing")
    XCTAssertEqual(ModelStore.moduleSummary(["h_s.0.weight", "h_s.0.bias", "h_s.2.weight", "g_a.0.weight"]),
                   "h_s (3 tensors), g_a (1 tensor)")
    let fresh = try ModelStore.start(try ScaleHyperprior(n: 8, m: 12), from: nil, transfer: true)
    XCTAssertEqual(fresh.lineage, [:])
    XCTAssertNil(fresh.fresh)
  }

  /// The run of every codec training command: trains in its folder, saves the final model once, and saves
  /// nothing when stopped.
  func testTrainToFinalModelSavesTheModelOrStopsWithACheckpoint() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lichen-final-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    let configuration = ModelConfiguration(architecture: .scaleHyperprior, n: 8, m: 12, gdnVariant: .standard)
    let set = try CodecTests.tinyTrainingSet()
    func train(in folder: String, stop: StopSignal, saveLog: (String) -> Void) throws -> Bool {
      let trainer = try RDTrainer(config: config(steps: 2), model: try ScaleHyperprior(n: 8, m: 12), training: set,
                                  validation: set, runDirectory: dir.appendingPathComponent(folder))
      return try trainer.trainToFinalModel(
        configuration: configuration, metadata: ["k": "v"], marking: nil, resume: false, progress: { _ in },
        log: { _ in }, saveLog: saveLog, stopSignal: { stop })
    }
    var saved: [String] = []
    XCTAssertTrue(try train(in: "done", stop: StopSignal()) { saved.append($0) })
    let model = dir.appendingPathComponent("done/model.safetensors")
    XCTAssertEqual(saved.last, "wrote \(model.path)")
    XCTAssertEqual(try ModelStore.load(model.path).metadata["k"], "v")

    let stopped = StopSignal()
    stopped.deliver()
    XCTAssertFalse(try train(in: "stopped", stop: stopped) { XCTFail("saved: \($0)") })
    XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("stopped/model.safetensors").path))
  }
}
