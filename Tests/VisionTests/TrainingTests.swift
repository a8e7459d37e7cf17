import Foundation
import Torch
import XCTest

@testable import Vision

final class TrainingTests: XCTestCase {
  /// 320 CIFAR-10 training images when our copy is present, synthetic ones a small network can learn otherwise.
  func smallTrainingSet() throws -> ClassificationDataset {
    let file = cifarDirectory.appendingPathComponent("data_batch_1.bin")
    guard FileManager.default.fileExists(atPath: file.path) else { return try classPatternDataset(count: 320) }
    let handle = try FileHandle(forReadingFrom: file)
    defer { try? handle.close() }
    let bytes = [UInt8](try handle.read(upToCount: 320 * CIFAR10.recordSize) ?? Data())
    return try CIFAR10.decode(bytes, source: file.path)
  }

  func tinyConfig(_ architecture: ClassifierArchitecture = .resnet18) -> ClassifierTrainingConfig {
    var config = ClassifierTrainingConfig(
      model: ClassifierConfiguration(
        architecture: architecture, width: 0.125, depths: architecture == .resnet18 ? [1, 1, 1, 1] : nil),
      normalization: .cifar10)
    config.batchSize = 16
    config.learningRate = 0.05
    config.seed = 11
    return config
  }

  func testTinyTrainingRunLowersTheLoss() throws {
    let data = try smallTrainingSet()
    var config = tinyConfig()
    config.epochs = 3
    config.optimizer = .adamw
    config.learningRate = 3e-3
    config.weightDecay = 0
    config.schedule = .constant
    config.augmentation = .none
    let trainer = try ClassifierTrainer(config: config, training: data, runDirectory: try temporaryDirectory(self))
    var reports: [ClassifierTrainingProgress] = []
    try trainer.run(progress: { reports.append($0) })
    XCTAssertEqual(trainer.step, 60)
    XCTAssertEqual(reports.count, 60)
    XCTAssertEqual(reports.last?.epoch, 3)
    let first = reports[0..<20].map(\.loss).reduce(0, +) / 20
    let last = reports[40..<60].map(\.loss).reduce(0, +) / 20
    XCTAssertLessThan(last, first - 0.2, "epoch-1 mean loss \(first), epoch-3 mean loss \(last)")
    XCTAssertGreaterThan(reports.last?.stepsPerSecond ?? 0, 0)
    let evaluation = try trainer.evaluate(on: data, batchSize: 64)
    XCTAssertEqual(evaluation.count, 320)
    XCTAssertEqual(evaluation.confusion.flatMap { $0 }.reduce(0, +), 320)
    XCTAssertGreaterThan(evaluation.accuracy, 0.15)
    let log = try String(contentsOf: trainer.logURL, encoding: .utf8)
    XCTAssertEqual(log.split(separator: "\n").count, 61)
  }

  func finalWeights(_ trainer: ClassifierTrainer) throws -> [String: [UInt8]] {
    var result: [String: [UInt8]] = [:]
    for (name, tensor) in trainer.model.stateDict() { result[name] = try tensor.bytes() }
    return result
  }

  /// 3 steps, a fresh trainer resumes from the checkpoint to 6: byte-equal to 6 straight steps.
  func assertResumeIsExact(_ config: ClassifierTrainingConfig, file: StaticString = #filePath, line: UInt = #line) throws {
    let data = try smallTrainingSet().prefix(48)
    let straight = try ClassifierTrainer(config: config, training: data, runDirectory: try temporaryDirectory(self))
    try straight.run()
    XCTAssertEqual(straight.step, 6, file: file, line: line)

    let directory = try temporaryDirectory(self)
    let first = try ClassifierTrainer(config: config, training: data, runDirectory: directory)
    try first.run(shouldStop: { first.step >= 3 })
    XCTAssertEqual(first.step, 3, file: file, line: line)
    // As if killed later: rows logged past the checkpoint and a half-written checkpoint are left behind.
    let log = directory.appendingPathComponent("log.csv")
    let handle = try FileHandle(forWritingTo: log)
    try handle.seekToEnd()
    try handle.write(contentsOf: Data("4,1,2.0,0.1,0.01\n5,1,2.0,0.1,0.01\n6,1,2".utf8))
    try handle.close()
    let stale = directory.appendingPathComponent(".checkpoint.safetensors.\(UUID().uuidString).tmp")
    try Data(repeating: 1, count: 100).write(to: stale)
    let second = try ClassifierTrainer(config: config, training: data, runDirectory: directory)
    XCTAssertTrue(try second.resumeIfPossible(), file: file, line: line)
    XCTAssertEqual(second.step, 3, file: file, line: line)
    XCTAssertEqual(second.cpuSeconds, first.cpuSeconds, "the CPU time so far comes back with the checkpoint", file: file, line: line)
    try second.run()
    // cpu.csv: the same steps as the uninterrupted run's, the CPU time never falling across the resume.
    let cpuRows = { (url: URL) throws -> [(step: Int, seconds: Double)] in
      try String(contentsOf: url, encoding: .utf8).split(separator: "\n").dropFirst().map {
        let fields = $0.split(separator: ",")
        return (Int(fields[0]) ?? -1, Double(fields[1]) ?? -1)
      }
    }
    let resumedCPU = try cpuRows(second.cpuLogURL), straightCPU = try cpuRows(straight.cpuLogURL)
    XCTAssertEqual(resumedCPU.map(\.step), straightCPU.map(\.step), file: file, line: line)
    XCTAssertEqual(resumedCPU.last?.step, 6, file: file, line: line)
    XCTAssertEqual(resumedCPU.map(\.seconds), resumedCPU.map(\.seconds).sorted(), file: file, line: line)
    XCTAssertGreaterThan(second.cpuSeconds, 0, file: file, line: line)
    XCTAssertEqual(second.step, 6, file: file, line: line)
    let a = try finalWeights(straight), b = try finalWeights(second)
    XCTAssertEqual(a.keys.sorted(), b.keys.sorted(), file: file, line: line)
    for (name, bytes) in a where b[name] != bytes { XCTFail("\(name) differs after resume", file: file, line: line) }
    XCTAssertFalse(FileManager.default.fileExists(atPath: stale.path), "stale temporary file removed", file: file, line: line)
    XCTAssertEqual(try Data(contentsOf: log), try Data(contentsOf: straight.logURL), "log.csv equals the uninterrupted run's",
                   file: file, line: line)
  }

  func testResumeIsExactWithNesterovSGD() throws {
    var config = tinyConfig()
    config.epochs = 2  // 48 images / 16 = 3 steps per epoch: the resume crosses an epoch boundary
    try assertResumeIsExact(config)
  }

  func testResumeIsExactWithAdamWAndDropout() throws {
    var config = tinyConfig(.vgg16)
    config.epochs = 2
    config.optimizer = .adamw
    config.learningRate = 1e-3
    config.labelSmoothing = 0.1
    config.schedule = .multistep
    config.milestones = [1]
    try assertResumeIsExact(config)
  }

  func testResumeRejectsADifferentConfiguration() throws {
    let data = try syntheticDataset(count: 32)
    var config = tinyConfig()
    config.maximumSteps = 1
    let directory = try temporaryDirectory(self)
    try ClassifierTrainer(config: config, training: data, runDirectory: directory).run()
    config.learningRate = 0.5
    let other = try ClassifierTrainer(config: config, training: data, runDirectory: directory)
    assertThrowsVisionError(.incompatibleModel, containing: "different configuration") { try other.resumeIfPossible() }
  }

  func testModelFileRoundTrip() throws {
    let data = try syntheticDataset(count: 32)
    var config = tinyConfig(.mobileNetV3Small)
    config.maximumSteps = 2
    let directory = try temporaryDirectory(self)
    let trainer = try ClassifierTrainer(config: config, training: data, runDirectory: directory)
    try trainer.run()
    let url = directory.appendingPathComponent("model.safetensors")
    try trainer.saveModel(to: url, classNames: data.classNames)
    let loaded = try ClassifierFile.load(from: url)
    XCTAssertEqual(loaded.configuration, config.model)
    XCTAssertEqual(loaded.classNames, data.classNames)
    XCTAssertEqual(loaded.normalization, .cifar10)
    XCTAssertEqual(loaded.metadata["architecture"], "mobilenetv3-small")
    XCTAssertEqual(loaded.metadata["steps"], "2")
    XCTAssertEqual(loaded.metadata[MetadataKey.precision], "float32")
    let expected = try trainer.evaluate(on: data)
    let actual = try ClassifierEvaluation.evaluate(loaded.model, on: data, normalization: loaded.normalization)
    XCTAssertEqual(actual, expected)
    XCTAssertEqual(actual.perClassAccuracy.count, 10)
    let notAModel = directory.appendingPathComponent("plain.safetensors")
    try SafeTensors.write([:], metadata: [:], to: notAModel)
    assertThrowsVisionError(.incompatibleModel, containing: "not a Lichen classifier") { try ClassifierFile.load(from: notAModel) }
  }
}

/// A weight average on a classifier (the trainer's, shared with codec training): the saved and
/// evaluated model is the average, the run keeps training the raw weights, and a resumed run
/// carries the average on exactly.
final class ClassifierWeightAveragingTests: XCTestCase {
  func config(steps: Int) -> ClassifierTrainingConfig {
    var config = ClassifierTrainingConfig(
      model: ClassifierConfiguration(architecture: .resnet18, width: 0.125, depths: [1, 1, 1, 1]), normalization: .cifar10)
    config.batchSize = 8
    config.maximumSteps = steps
    config.epochs = 10
    config.learningRate = 0.05
    config.seed = 3
    config.emaDecay = 0.5
    config.checkpointEvery = 2
    return config
  }

  func testAverageIsSavedAndResumesExactly() throws {
    let data = try syntheticDataset(count: 32)
    let dir = try temporaryDirectory(self)
    let straight = try ClassifierTrainer(config: config(steps: 4), training: data, runDirectory: dir.appendingPathComponent("a"))
    try straight.run()
    XCTAssertEqual(straight.averages.count, straight.averagedParameters.count)
    let url = dir.appendingPathComponent("model.safetensors")
    try straight.saveModel(to: url, classNames: data.classNames)
    let saved = try SafeTensors.read(from: url)
    XCTAssertEqual(saved.metadata[MetadataKey.emaDecay], "0.5")
    for (name, average) in straight.averages {
      XCTAssertEqual(try saved.tensors[name].map { try Tensor(record: $0).floats() }, try average.floats(), name)
    }
    let raw = try straight.averagedParameters.map { try $0.tensor.floats() }
    XCTAssertNotEqual(raw, try straight.averages.map { try $0.tensor.floats() }, "the raw weights keep training")

    let first = try ClassifierTrainer(config: config(steps: 4), training: data, runDirectory: dir.appendingPathComponent("b"))
    try first.run(shouldStop: { first.step >= 2 })
    XCTAssertEqual(first.step, 2)
    let resumed = try ClassifierTrainer(config: config(steps: 4), training: data, runDirectory: dir.appendingPathComponent("b"))
    XCTAssertTrue(try resumed.resumeIfPossible())
    try resumed.run()
    XCTAssertEqual(try straight.averages.map { try $0.tensor.floats() }, try resumed.averages.map { try $0.tensor.floats() })
    XCTAssertEqual(raw, try resumed.averagedParameters.map { try $0.tensor.floats() })
  }
}

/// The speed options of classifier training: bfloat16 autocast (the trainer's, shared with codec
/// training) changes the first step's loss by bfloat16 rounding only; channels-last batches change
/// the memory layout only (the same losses to float rounding). Both resume exactly, and only with
/// the options they were checkpointed with.
final class ClassifierSpeedOptionTests: XCTestCase {
  func config(bf16: Bool = false, channelsLast: Bool = false) -> ClassifierTrainingConfig {
    var config = ClassifierTrainingConfig(
      model: ClassifierConfiguration(architecture: .resnet18, width: 0.125, depths: [1, 1, 1, 1]), normalization: .cifar10)
    config.batchSize = 8
    config.maximumSteps = 4
    config.epochs = 10
    config.learningRate = 0.05
    config.seed = 2
    config.bfloat16Autocast = bf16 ? true : nil
    config.channelsLast = channelsLast ? true : nil
    return config
  }

  /// The per-step losses of a straight run of `config`.
  func losses(_ config: ClassifierTrainingConfig, data: ClassificationDataset, in dir: URL) throws -> [Double] {
    var losses: [Double] = []
    let trainer = try ClassifierTrainer(config: config, training: data, runDirectory: dir)
    try trainer.run(progress: { losses.append($0.loss) })
    return losses
  }

  /// A run stopped after 2 of 4 steps and resumed ends bit for bit where a straight run does, and its
  /// checkpoint refuses `other`.
  func assertResumesExactly(_ config: ClassifierTrainingConfig, refusing other: ClassifierTrainingConfig,
                            data: ClassificationDataset, in dir: URL) throws {
    let straight = try ClassifierTrainer(config: config, training: data, runDirectory: dir.appendingPathComponent("a"))
    try straight.run()
    let first = try ClassifierTrainer(config: config, training: data, runDirectory: dir.appendingPathComponent("b"))
    try first.run(shouldStop: { first.step >= 2 })
    let resumed = try ClassifierTrainer(config: config, training: data, runDirectory: dir.appendingPathComponent("b"))
    XCTAssertTrue(try resumed.resumeIfPossible())
    try resumed.run()
    for ((name, a), (_, b)) in zip(straight.model.stateDict(), resumed.model.stateDict()) {
      XCTAssertEqual(try a.bytes(), try b.bytes(), "\(name) differs after resume")
    }
    let mismatched = try ClassifierTrainer(config: other, training: data, runDirectory: dir.appendingPathComponent("b"))
    XCTAssertThrowsError(try mismatched.resumeIfPossible())
  }

  func testBFloat16StepsTrackFloat32AndResumeExactly() throws {
    let data = try syntheticDataset(count: 32)
    let dir = try temporaryDirectory(self)
    let float32 = try XCTUnwrap(losses(config(), data: data, in: dir.appendingPathComponent("f32")).first)
    let bfloat16 = try XCTUnwrap(losses(config(bf16: true), data: data, in: dir.appendingPathComponent("bf16")).first)
    XCTAssertEqual(bfloat16, float32, accuracy: 0.05 * float32)
    XCTAssertNotEqual(bfloat16, float32, "the forward pass ran in bfloat16")
    try assertResumesExactly(config(bf16: true), refusing: config(), data: data, in: dir.appendingPathComponent("resume"))
    // The saved model says it was trained under autocast.
    let trainer = try ClassifierTrainer(config: config(bf16: true), training: data, runDirectory: dir.appendingPathComponent("resume/a"))
    let url = dir.appendingPathComponent("bf16.safetensors")
    try trainer.saveModel(to: url, classNames: data.classNames)
    XCTAssertEqual(try ClassifierFile.load(from: url).metadata[MetadataKey.precision], "bfloat16-autocast")
  }

  /// The reference runs' combination on every architecture: two steps of bf16 autocast on
  /// channels-last batches train (finite losses near float32's first), Swin-T's layer norms included.
  func testEveryArchitectureTrainsWithBFloat16AndChannelsLast() throws {
    let data = try syntheticDataset(count: 16)
    let dir = try temporaryDirectory(self)
    for architecture in ClassifierArchitecture.allCases {
      var fast = config(bf16: true, channelsLast: true)
      fast.model = ClassifierConfiguration(
        architecture: architecture, width: 0.125, classCount: 10, inputChannels: 3,
        depths: architecture == .swinT ? [1, 1] : (architecture == .resnet18 ? [1, 1, 1, 1] : nil))
      fast.maximumSteps = 2
      if architecture == .swinT { fast.optimizer = .adamw; fast.learningRate = 1e-3 }
      var float32 = fast
      float32.bfloat16Autocast = nil
      float32.channelsLast = nil
      let name = architecture.rawValue
      let mixed = try losses(fast, data: data, in: dir.appendingPathComponent("\(name)-fast"))
      let reference = try losses(float32, data: data, in: dir.appendingPathComponent("\(name)-f32"))
      XCTAssertEqual(mixed.count, 2, name)
      XCTAssertTrue(mixed.allSatisfy(\.isFinite), name)
      XCTAssertEqual(mixed[0], reference[0], accuracy: 0.05 * reference[0], name)
    }
  }

  func testChannelsLastStepsMatchAndResumeExactly() throws {
    let data = try syntheticDataset(count: 32)
    let dir = try temporaryDirectory(self)
    let nchw = try losses(config(), data: data, in: dir.appendingPathComponent("nchw"))
    let nhwc = try losses(config(channelsLast: true), data: data, in: dir.appendingPathComponent("nhwc"))
    XCTAssertEqual(nchw.count, 4)
    // The first step's forward pass differs only by summation order; later steps drift as any two
    // float orders do under SGD (about 1% by the fourth step here).
    XCTAssertEqual(nchw[0], nhwc[0], accuracy: 1e-5 * nchw[0])
    for (a, b) in zip(nchw, nhwc) { XCTAssertEqual(a, b, accuracy: 0.03 * abs(a)) }
    try assertResumesExactly(config(channelsLast: true), refusing: config(), data: data,
                             in: dir.appendingPathComponent("resume"))
  }
}
