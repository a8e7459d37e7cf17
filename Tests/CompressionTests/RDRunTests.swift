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
    XCTAssertEqual(started.metadata[MetadataKey.precision], "float32")

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

  /// A simplified-GDN model transferred from a standard-GDN one: convolutions carry over as they are, every
  /// GDN as the square roots of its parameters; its pool is never below the standard one's square root, equal
  /// where one term dominates; a GDN of another width, direction or variant is refused.
  func testTransferIntoSimplifiedGDNsTakesSquareRoots() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lichen-simplified-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let source = try ScaleHyperprior(n: 8, m: 12, seed: 3)
    let g = try Generator(seed: 4)
    try withNoGrad {
      for case let gdn as GDN in source.analysis.layers + source.synthesis.layers {
        try gdn.gamma.copy_(gdn.gammaReparam.initial(Tensor.rand([8, 8], generator: g) * 0.2))
        try gdn.beta.copy_(gdn.betaReparam.initial(Tensor.rand([8], generator: g) + 0.5))
      }
    }
    try source.update()
    let file = dir.appendingPathComponent("standard.safetensors")
    try ModelStore.save(source, config: ModelConfiguration(architecture: .scaleHyperprior, n: 8, m: 12, gdnVariant: .standard),
                        metadata: [:], to: file)
    let target = try ScaleHyperprior(n: 8, m: 12, gdnVariant: .simplified, seed: 9)
    let start = try ModelStore.start(target, from: file.path, transfer: true)
    XCTAssertEqual(start.fresh, "nothing")
    let sourceGDNs = (source.analysis.layers + source.synthesis.layers).compactMap { $0 as? GDN }
    let targetGDNs = (target.analysis.layers + target.synthesis.layers).compactMap { $0 as? GDN }
    XCTAssertEqual(targetGDNs.count, 6)
    for (standard, simplified) in zip(sourceGDNs, targetGDNs) {
      let (b, gamma) = try standard.effectiveParameters()
      let (b2, gamma2) = try simplified.effectiveParameters()
      for (got, want) in zip(try b2.floats() + gamma2.floats(), try b.sqrt().floats() + gamma.sqrt().floats()) {
        XCTAssertEqual(Double(got), Double(want), accuracy: 1e-3)
      }
      // One channel active and large: the simplified pool equals the standard pool's square root.
      var one = [Float](repeating: 0, count: 8)
      one[2] = 1e5
      let x = try Tensor(one, shape: [1, 8, 1, 1])
      let want = Double(try standard(x).floats()[2]), got = Double(try simplified(x).floats()[2])
      XCTAssertEqual(got, want, accuracy: 1e-3 * abs(want))
    }
    let sourceConvolutions = Dictionary(uniqueKeysWithValues: source.namedParameters().map { ($0.name, $0.tensor) })
    for (name, tensor) in target.namedParameters() where name.hasSuffix(".weight") && !name.contains("gamma") {
      XCTAssertEqual(try tensor.floats(), try XCTUnwrap(sourceConvolutions[name]).floats(), name)
    }
    XCTAssertThrowsError(try GDN(channels: 8, variant: .simplified).approximate(try GDN(channels: 6)))
    XCTAssertThrowsError(try GDN(channels: 8, variant: .simplified).approximate(try GDN(channels: 8, inverse: true)))
    XCTAssertThrowsError(try GDN(channels: 8).approximate(try GDN(channels: 8)))
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
