import Foundation
import Torch
import XCTest

@testable import Watermarking

/// `WatermarkEvaluation.measure`, the evaluation behind `watermark evaluate` and `evaluate-codec`.
final class WatermarkEvaluationMeasureTests: XCTestCase {
  struct FixtureTask: AttackTask {
    let fixture: AttackSweepTests.Fixture
    let url: URL
    let metadata: [String: String]
    var metric: TaskMetric { .accuracy }
    func load() throws -> AttackSubject { try fixture.load() }
  }

  func testMeasureTimesSweepsAndNamesTheEvaluation() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lichen-measure-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let fixture = try AttackSweepTests.Fixture.make()
    let url = dir.appendingPathComponent("marked.safetensors")
    try SafeTensors.write(fixture.state, to: url)
    let settings = [AttackSetting(.none, 0), AttackSetting(.gaussianNoise, 0.01)]
    var timings = 0
    var rows = 0
    let unnamed = FixtureTask(fixture: fixture, url: url, metadata: [MetadataKey.watermark: "watermas 1"])
    let evaluation = try WatermarkEvaluation.measure(
      unnamed, modelFile: "m", key: fixture.key, expected: fixture.bits, settings: settings, seed: 1, label: nil,
      timingRepetitions: 2, recordsMetric: true, timed: { fromModel, fromFile in
        timings += 1
        XCTAssertEqual(fromModel.repetitions, 2)
        XCTAssertEqual(fromFile.repetitions, 2)
      }, onRow: { _ in rows += 1 })
    XCTAssertEqual(timings, 1)
    XCTAssertEqual(rows, 2)
    XCTAssertEqual(evaluation.rows.count, 2)
    XCTAssertEqual(evaluation.label, "marked")
    XCTAssertEqual(evaluation.modelFile, "m")
    XCTAssertEqual(evaluation.watermark, "watermas 1")
    XCTAssertEqual(evaluation.metric, "accuracy")
    XCTAssertNil(evaluation.cost)

    let named = FixtureTask(fixture: fixture, url: url, metadata: [MetadataKey.watermarkMethod: "replicas"])
    let recorded = try WatermarkEvaluation.measure(
      named, modelFile: "m", key: fixture.key, expected: fixture.bits, settings: [AttackSetting(.none, 0)], seed: 1,
      label: nil, timingRepetitions: 1, recordsMetric: false, onRow: { _ in })
    XCTAssertEqual(recorded.label, "replicas")
    XCTAssertNil(recorded.metric)
    let given = try WatermarkEvaluation.measure(
      named, modelFile: "m", key: fixture.key, expected: fixture.bits, settings: [AttackSetting(.none, 0)], seed: 1,
      label: "mine", timingRepetitions: 1, recordsMetric: false, onRow: { _ in })
    XCTAssertEqual(given.label, "mine")
  }

  func testComparisonLineHasTheCleanMetricAndTheKeyInterceptionRows() throws {
    let fixture = try AttackSweepTests.Fixture.make()
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lichen-compare-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let url = dir.appendingPathComponent("marked.safetensors")
    try SafeTensors.write(fixture.state, to: url)
    let evaluation = try WatermarkEvaluation.measure(
      FixtureTask(fixture: fixture, url: url, metadata: [:]), modelFile: "m", key: fixture.key, expected: fixture.bits,
      settings: [AttackSetting(.none, 0), AttackSetting(.gaussianNoise, 0.01), AttackSetting(.keyInterceptionFlip, 0)],
      seed: 1, label: "w", timingRepetitions: 1, recordsMetric: true, onRow: { _ in })
    let line = evaluation.comparisonLine
    let clean = try XCTUnwrap(evaluation.cleanAccuracy)
    XCTAssertTrue(line.hasPrefix(String(format: "w: clean accuracy %.2f%%, extraction ", 100 * clean)), line)
    XCTAssertTrue(line.contains(" ms; key-interception-flip accuracy "), line)
    XCTAssertFalse(line.contains("gaussian"), line)
  }
}
