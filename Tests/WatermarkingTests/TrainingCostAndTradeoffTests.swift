import Foundation
import Torch
import XCTest

@testable import Watermarking

/// Counting each method's passes per step, and the payload trade-off report.
final class TrainingCostAndTradeoffTests: XCTestCase {
  func setUp(seed: UInt64 = 1) throws -> (Sequential, Tensor, Tensor) {
    let g = try Generator(seed: seed)
    let model = Sequential([try Linear(8, 32, generator: g), Activation(.relu), try Linear(32, 4, generator: g)])
    let x = try Tensor.randn([64, 8], generator: Generator(seed: 97))
    let y = try Tensor.randint(0, 4, shape: [64], generator: Generator(seed: 98))
    return (model, x, y)
  }

  /// Runs `steps` steps of `backward` through a meter and returns its cost.
  func measure(steps: Int, _ make: (Sequential, WatermarkKey) throws -> (_ loss: () throws -> Tensor) throws -> Double)
    throws -> TrainingCost
  {
    let (model, x, y) = try setUp()
    let key = try KeyGenerator.generate(for: model, payloadBits: 16, seed: 2)
    let meter = TrainingCostMeter()
    let step = meter.instrument(try make(model, key))
    for _ in 0..<steps {
      try model.zeroGrad()
      _ = try step { try Loss.crossEntropy(model(x), y) }
    }
    return meter.cost
  }

  func testPassesPerStepAreCountedForEachMethod() throws {
    let plain = try measure(steps: 3) { _, _ in TrainingCostMeter.plainBackward }
    XCTAssertEqual(plain.steps, 3)
    XCTAssertEqual(plain.forwardPassesPerStep, 1)
    XCTAssertEqual(plain.backwardPassesPerStep, 1)
    XCTAssertEqual(plain.extraPassesPerStep, 0)
    XCTAssertEqual(plain.stepIntervals, 2)
    XCTAssertNotNil(plain.secondsPerStep)

    let mas = try measure(steps: 3) { model, key in
      let w = try WaterMAS(model: model, key: key, rho: 0.05, lambda: 1)
      return { try w.backward($0).loss }
    }
    XCTAssertEqual(mas.backwardPassesPerStep, 2, "WaterMAS: one extra pass at the perturbed mark")
    XCTAssertEqual(mas.forwardPassesPerStep, 2)

    let replicas = try measure(steps: 2) { model, key in
      let r = try LossLandscapeReplicas(model: model, key: key, replicas: 3)
      return { try r.backward($0).loss }
    }
    XCTAssertEqual(replicas.backwardPassesPerStep, 4, "replicas: 1 + R passes")

    // A loss computed but never differentiated is a forward pass only.
    let lookOnly = try measure(steps: 2) { _, _ in
      { loss in
        _ = try loss().item()
        return try TrainingCostMeter.plainBackward(loss)
      }
    }
    XCTAssertEqual(lookOnly.forwardPasses, 4)
    XCTAssertEqual(lookOnly.backwardPasses, 2)
  }

  func testCountingDoesNotChangeTheGradient() throws {
    func gradients(counted: Bool) throws -> [[Float]] {
      let (model, x, y) = try setUp()
      let key = try KeyGenerator.generate(for: model, payloadBits: 16, seed: 2)
      let mas = try WaterMAS(model: model, key: key, rho: 0.05, lambda: 1)
      let backward: (_ loss: () throws -> Tensor) throws -> Double = { try mas.backward($0).loss }
      let step = counted ? TrainingCostMeter().instrument(backward) : backward
      _ = try step { try Loss.crossEntropy(model(x), y) }
      return try model.namedParameters().map { try XCTUnwrap($0.tensor.grad).floats() }
    }
    XCTAssertEqual(try gradients(counted: true), try gradients(counted: false))
  }

  func testCostFileAddsUpAndReadsBack() throws {
    let a = TrainingCost(steps: 10, forwardPasses: 20, backwardPasses: 20, passSeconds: 1, stepIntervalSeconds: 1.8,
                         stepIntervals: 9)
    let b = TrainingCost(steps: 5, forwardPasses: 10, backwardPasses: 10, passSeconds: 0.5, stepIntervalSeconds: 0.8,
                         stepIntervals: 4)
    let sum = a.adding(b)
    XCTAssertEqual(sum.steps, 15)
    XCTAssertEqual(sum.backwardPassesPerStep, 2)
    XCTAssertEqual(sum.secondsPerStep ?? 0, 2.6 / 13, accuracy: 1e-12)
    XCTAssertNil(TrainingCost().secondsPerStep)
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cost-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let url = dir.appendingPathComponent(TrainingCost.fileName)
    XCTAssertNil(try TrainingCost.readIfPresent(from: url))
    try sum.write(to: url)
    XCTAssertEqual(try TrainingCost.readIfPresent(from: url), sum)
    let json = try String(contentsOf: url, encoding: .utf8)
    XCTAssertTrue(json.contains("\"extraPassesPerStep\" : 1"), json)
    try Data("{}".utf8).write(to: url)
    XCTAssertThrowsError(try TrainingCost.readIfPresent(from: url)) { XCTAssertTrue("\($0)".contains("not a training cost file")) }
  }

  func row(_ family: AttackFamily, _ strength: Double, accuracy: Double, ber: Double) -> AttackSweepRow {
    AttackSweepRow(attack: family.title, family: family, strength: strength, learningRate: nil, accuracy: accuracy,
                   bitErrorRate: ber, payloadBitErrorRate: ber, falsePositiveProbability: 0, detected: ber < 0.2,
                   seconds: 0)
  }

  func entry(_ method: String, _ bits: Int, accuracy: Double, ber: Double, passes: Int) -> PayloadTradeoff.Entry {
    PayloadTradeoff.Entry(
      method: method, payloadBits: bits, codedBits: bits,
      rows: [row(.none, 0, accuracy: accuracy, ber: 0), row(.gaussianNoise, 0.1, accuracy: accuracy - 0.01, ber: ber)],
      cost: TrainingCost(steps: 10, forwardPasses: 10 * passes, backwardPasses: 10 * passes, passSeconds: Double(passes),
                         stepIntervalSeconds: 0.2 * Double(passes), stepIntervals: 2),
      extraction: TimingSummary(median: 0.001, minimum: 0.001, repetitions: 1))
  }

  func testTradeoffReportRecordsResumesPlotsAndWrites() throws {
    let attacks = [AttackSetting(.gaussianNoise, 0.1)]
    var report = PayloadTradeoff(settings: ["model": "resnet18", "epochs": "2"], attacks: attacks)
    XCTAssertEqual(report.attacks, ["gaussian-noise:0.1"])
    report.reference = .init(accuracy: 0.8, cost: TrainingCost(steps: 10, forwardPasses: 10, backwardPasses: 10,
                                                               passSeconds: 1, stepIntervalSeconds: 0.2, stepIntervals: 2))
    report.record(entry("watermas", 256, accuracy: 0.79, ber: 0.0, passes: 2))
    report.record(entry("watermas", 64, accuracy: 0.8, ber: 0.0, passes: 2))
    report.record(entry("substitution", 64, accuracy: 0.81, ber: 0.1, passes: 1))
    report.record(entry("watermas", 256, accuracy: 0.78, ber: 0.05, passes: 2))  // a rerun replaces
    XCTAssertEqual(report.entries.map { "\($0.method)-\($0.payloadBits)" }, ["watermas-64", "watermas-256", "substitution-64"])
    let w256 = try XCTUnwrap(report.entry(method: "watermas", payloadBits: 256))
    XCTAssertEqual(w256.accuracy, 0.78)
    XCTAssertEqual(report.accuracyDrop(w256) ?? 0, 0.02, accuracy: 1e-12)
    XCTAssertEqual(report.slowdown(w256) ?? 0, 2, accuracy: 1e-12)
    XCTAssertEqual(w256.row(attacks[0])?.bitErrorRate, 0.05)

    let accuracy = report.curves(.accuracy)
    XCTAssertEqual(accuracy.map(\.label), ["watermas", "substitution", PayloadTradeoff.referenceLabel])
    XCTAssertEqual(accuracy[0].points.map(\.x), [6, 8], "x is log2 of the payload")
    XCTAssertEqual(accuracy[2].points.map(\.y), [0.8, 0.8], "the reference is flat over the payloads measured")
    XCTAssertEqual(report.curves(.bitErrorRate(attacks[0]))[0].points.map(\.y), [0, 0.05])
    XCTAssertEqual(report.curves(.accuracyDrop).map(\.label), ["watermas", "substitution"])
    XCTAssertEqual(report.curves(.backwardPassesPerStep).last?.points.first?.y, 1)

    let csv = report.csv().split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    XCTAssertEqual(csv.count, 1 + 1 + 3)
    XCTAssertTrue(csv[0].hasSuffix("ber@gaussian-noise:0.1,accuracy@gaussian-noise:0.1"), csv[0])
    let columns = csv[0].split(separator: ",", omittingEmptySubsequences: false).count
    for line in csv { XCTAssertEqual(line.split(separator: ",", omittingEmptySubsequences: false).count, columns, line) }
    XCTAssertTrue(csv[1].hasPrefix("unmarked,0,0,0.8,"), csv[1])

    XCTAssertNoThrow(try report.checkResumable(settings: ["model": "resnet18", "epochs": "2"]))
    XCTAssertThrowsError(try report.checkResumable(settings: ["model": "vgg16", "epochs": "2"])) {
      XCTAssertTrue("\($0)".contains("model: resnet18 -> vgg16"), "\($0)")
    }
    XCTAssertThrowsError(try report.checkResumable(settings: ["model": "resnet18"])) {
      XCTAssertTrue("\($0)".contains("epochs: 2 -> -"), "\($0)")
    }

    let url = FileManager.default.temporaryDirectory.appendingPathComponent("tradeoff-\(UUID().uuidString).json")
    defer { try? FileManager.default.removeItem(at: url) }
    try report.write(to: url)
    XCTAssertEqual(try PayloadTradeoff.read(from: url), report)
    try Data("[]".utf8).write(to: url)
    XCTAssertThrowsError(try PayloadTradeoff.read(from: url)) { XCTAssertTrue("\($0)".contains("is not a `lichen watermark tradeoff` report")) }
  }

  func testRandomPayloadsAreSeededAndBalanced() throws {
    let a = try PayloadTradeoff.randomPayload(bits: 4096, seed: 7)
    XCTAssertEqual(a, try PayloadTradeoff.randomPayload(bits: 4096, seed: 7))
    XCTAssertNotEqual(a, try PayloadTradeoff.randomPayload(bits: 4096, seed: 8))
    XCTAssertEqual(Double(a.filter { $0 }.count) / 4096, 0.5, accuracy: 0.05)
    XCTAssertNotEqual(Array(a.prefix(64)), try PayloadTradeoff.randomPayload(bits: 64, seed: 7),
                      "each size draws its own payload")
    XCTAssertThrowsError(try PayloadTradeoff.randomPayload(bits: 0, seed: 1))
  }
}
