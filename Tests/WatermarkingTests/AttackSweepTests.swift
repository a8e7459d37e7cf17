import Foundation
import Torch
import XCTest

@testable import Watermarking

/// The sweep behind `lichen watermark attack` / `evaluate` on a tiny model, and the evaluation file.
final class AttackSweepTests: XCTestCase {
  struct Fixture {
    let state: [String: TensorRecord]
    let key: WatermarkKey
    let bits: [Bool]
    let x: Tensor
    let y: Tensor

    /// A fresh marked copy; accuracy on the blobs; a few SGD steps as the attacker's fine-tuning;
    /// the loss on the blobs as the attacker's loss.
    func load() throws -> AttackSubject {
      let model = try Fixture.makeModel()
      try model.load(stateDict: state)
      let (x, y) = (self.x, self.y)
      return AttackSubject(
        model: model,
        evaluate: { try withNoGrad { try model(x).argmax(dim: 1).eq(y).to(.float32).mean().item() } },
        fineTune: { steps, frozen in
          let optimizer = SGD(model.trainableParameters, learningRate: 0.05)
          if let frozen { try Embedder.freeze(model, key: frozen, in: optimizer) }
          for _ in 0..<steps {
            try optimizer.zeroGrad()
            try Loss.crossEntropy(model(x), y).backward()
            try optimizer.step()
          }
        },
        attackerLoss: { _ in try Loss.crossEntropy(model(x), y) })
    }

    static func makeModel() throws -> Sequential {
      let g = try Generator(seed: 21)
      return Sequential([try Linear(8, 32, generator: g), Activation(.relu), try Linear(32, 4, generator: g)])
    }

    static func make() throws -> Fixture {
      let model = try makeModel()
      let centers = try Tensor.randn([4, 8], generator: Generator(seed: 99)) * 2
      let y = try Tensor.randint(0, 4, shape: [128], generator: Generator(seed: 98))
      let x = try centers.indexSelect(0, y) + Tensor.randn([128, 8], generator: Generator(seed: 97))
      let bits = Payload.bits(of: "sweep")
      let key = try KeyGenerator.generate(for: model, payloadBits: bits.count, code: .bch(m: 5, t: 2), seed: 8)
      try Embedder.substitute(bits, into: model, key: key)
      return Fixture(state: try model.stateDictRecords(), key: key, bits: bits, x: x, y: y)
    }
  }

  func testSweepRowsEvaluationFileAndComparison() throws {
    let f = try Fixture.make()
    let settings = AttackSweep.standardSettings(fineTuneSteps: [2, 5], keyFineTuneSteps: [0, 3], keyFineTuneLearningRate: 0.05)
    XCTAssertEqual(settings.count, 1 + 5 + 5 + 5 + 2 + 2 + 2 + 5 + 1 + 2 + 2)
    var seen = 0
    let rows = try AttackSweep.run(settings, load: f.load, key: f.key, expected: f.bits, seed: 1) { _ in seen += 1 }
    XCTAssertEqual(rows.count, settings.count)
    XCTAssertEqual(seen, rows.count)
    let clean = try XCTUnwrap(rows.first { $0.family == .none })
    XCTAssertEqual(clean.bitErrorRate, 0)
    XCTAssertTrue(clean.detected)
    XCTAssertEqual(rows.first { $0.family == .keyInterceptionFlip }?.bitErrorRate, 1)
    XCTAssertEqual(rows.first { $0.family == .quantization && $0.strength == 8 }?.bitErrorRate, 0)
    XCTAssertEqual(rows.filter { $0.family == .fineTuning }.count, 2)
    XCTAssertEqual(rows.filter { $0.family == .globalMagnitudePruning }.map(\.strength), [0.1, 0.3, 0.5, 0.7, 0.9])
    let zeroed = try XCTUnwrap(rows.first { $0.family == .keyInterceptionZero })
    let ones = try f.key.code.encode(f.bits).filter { $0 }.count
    XCTAssertEqual(zeroed.bitErrorRate, Double(ones) / Double(f.key.positions.count), accuracy: 1e-12,
                   "a zeroed weight reads as bit 0: exactly the 1 bits are wrong")
    let keyTuned = rows.filter { $0.family == .keyInterceptionFineTune }
    XCTAssertEqual(keyTuned.map(\.strength), [0, 3])
    XCTAssertEqual(keyTuned.first?.bitErrorRate, 0, "0 steps leave the mark")
    XCTAssertTrue(keyTuned.allSatisfy { $0.learningRate == 0.05 })
    XCTAssertEqual(rows.filter { $0.family == .keyInterceptionRandomizeFineTune }.count, 2)
    XCTAssertEqual(rows.first { $0.family == .keyInterceptionRandomizeFineTune && $0.strength == 0 }?.bitErrorRate,
                   rows.first { $0.family == .keyInterceptionRandomize }?.bitErrorRate,
                   "0 steps after randomizing is the randomize attack (same seed)")
    XCTAssertTrue(rows.filter { !$0.family.isKeyFineTuning }.allSatisfy { $0.learningRate == nil })
    XCTAssertTrue(rows.allSatisfy { $0.seconds >= 0 && $0.accuracy >= 0 && $0.accuracy <= 1 })
    // The sweep works on copies: the stored marked model is untouched.
    XCTAssertEqual(try Extractor.extract(fromStateDict: f.state, key: f.key, expected: f.bits).bitErrorRate, 0)

    let csv = AttackSweep.csv(rows)
    XCTAssertTrue(csv.hasPrefix("attack,strength,accuracy,ber,false_positive_probability,detected,family,payload_ber,seconds,learning_rate\n"))
    XCTAssertEqual(csv.split(separator: "\n").count, rows.count + 1)

    let timing = TimingSummary.measure(repetitions: 3) {}
    XCTAssertEqual(timing.repetitions, 3)
    XCTAssertLessThanOrEqual(timing.minimum, timing.median)
    let evaluation = WatermarkEvaluation(label: "WaterMAS", modelFile: "m.safetensors", watermark: nil, key: f.key,
                                         extraction: timing, extractionFromFile: timing, rows: rows)
    XCTAssertEqual(evaluation.code, "bch:31:t2")
    XCTAssertEqual(evaluation.codedBits, 40 + 2 * 10)
    XCTAssertEqual(evaluation.cleanAccuracy, clean.accuracy)
    XCTAssertEqual(evaluation.plottableFamilies, [.gaussianNoise, .magnitudePruning, .quantization, .fineTuning, .overwriting,
                                                  .globalMagnitudePruning, .keyInterceptionFineTune,
                                                  .keyInterceptionRandomizeFineTune])
    XCTAssertEqual(evaluation.curve(.keyInterceptionFineTune, .accuracy).map(\.x), [0, 3])
    XCTAssertEqual(evaluation.curve(.keyInterceptionRandomizeFineTune, .accuracy).map(\.x), [0, 3],
                   "randomize + 0 steps is not the clean model: no extra strength-0 point")
    let noise = evaluation.curve(.gaussianNoise, .bitErrorRate)
    XCTAssertEqual(noise.map(\.x), [0, 0.01, 0.05, 0.1, 0.5, 1.0], "the clean model is the strength-0 point")
    XCTAssertEqual(noise.first?.y, 0)
    XCTAssertEqual(evaluation.curve(.quantization, .accuracy).map(\.x), [2, 3, 4, 6, 8])

    let url = FileManager.default.temporaryDirectory.appendingPathComponent("eval-\(UUID().uuidString).json")
    defer { try? FileManager.default.removeItem(at: url) }
    try evaluation.write(to: url)
    XCTAssertEqual(try WatermarkEvaluation.read(from: url), evaluation)
    try Data("{}".utf8).write(to: url)
    XCTAssertThrowsError(try WatermarkEvaluation.read(from: url)) {
      XCTAssertTrue("\($0)".contains("is not a `lichen watermark evaluate` result"), "\($0)")
    }

    var baseline = evaluation
    baseline.label = "replicas, R=4"
    let curves = WatermarkEvaluation.curves([evaluation, baseline], family: .magnitudePruning, metric: .accuracy)
    XCTAssertEqual(curves.map(\.label), ["WaterMAS", "replicas, R=4"])
    let table = WatermarkEvaluation.csv([evaluation, baseline]).split(separator: "\n")
    XCTAssertEqual(table.count, 1 + 2 * rows.count)
    XCTAssertTrue(table[0].hasPrefix("method,attack,"))
    XCTAssertTrue(table.last?.hasPrefix("\"replicas, R=4\",key interception: randomize + fine-tune (steps),") ?? false,
                  "\(table.last ?? "")")
  }

  func testBadSettingsAndTasksThatCannotTrain() throws {
    let f = try Fixture.make()
    var subject = try f.load()
    subject.fineTune = nil
    XCTAssertThrowsError(try AttackSweep.apply(AttackSetting(.fineTuning, 10), to: subject, key: f.key, expected: f.bits, seed: 0)) {
      XCTAssertTrue("\($0)".contains("needs a task that can train"), "\($0)")
    }
    XCTAssertThrowsError(try AttackSweep.apply(AttackSetting(.fineTuning, 2.5), to: try f.load(), key: f.key, expected: f.bits, seed: 0))
    XCTAssertThrowsError(try AttackSweep.apply(AttackSetting(.quantization, 1), to: try f.load(), key: f.key, expected: f.bits, seed: 0))
    XCTAssertThrowsError(try AttackSweep.apply(AttackSetting(.globalMagnitudePruning, 1.5), to: try f.load(), key: f.key,
                                               expected: f.bits, seed: 0)) {
      XCTAssertTrue("\($0)".contains("outside 0...1"), "\($0)")
    }
    var mute = try f.load()
    mute.attackerLoss = nil
    XCTAssertThrowsError(try AttackSweep.apply(AttackSetting(.keyInterceptionFineTune, 2), to: mute, key: f.key,
                                               expected: f.bits, seed: 0)) {
      XCTAssertTrue("\($0)".contains("attacker's loss"), "\($0)")
    }
    XCTAssertThrowsError(try AttackSweep.apply(AttackSetting(.keyInterceptionFineTune, 2, learningRate: -1), to: try f.load(),
                                               key: f.key, expected: f.bits, seed: 0)) {
      XCTAssertTrue("\($0)".contains("learning rate"), "\($0)")
    }
    XCTAssertThrowsError(try AttackSweep.run([AttackSetting(.none, 0)], load: f.load, key: f.key, expected: [true], seed: 0)) {
      XCTAssertTrue("\($0)".contains("key carries"), "\($0)")
    }
  }

  func testAttackSpecs() throws {
    XCTAssertEqual(try AttackSetting(spec: "gaussian-noise:0.1"), AttackSetting(.gaussianNoise, 0.1))
    XCTAssertEqual(try AttackSetting(spec: " quantization:4"), AttackSetting(.quantization, 4))
    XCTAssertEqual(try AttackSetting(spec: "key-interception-flip"), AttackSetting(.keyInterceptionFlip, 1))
    XCTAssertEqual(try AttackSetting(spec: "global-magnitude-pruning:0.5").description, "global-magnitude-pruning:0.5")
    XCTAssertEqual(AttackSetting(.fineTuning, 100).description, "fine-tuning:100")
    XCTAssertEqual(AttackSetting(.keyInterceptionZero, 1).description, "key-interception-zero")
    for family in AttackFamily.allCases {
      let setting = AttackSetting(family, family.takesNoStrength ? 1 : 3)
      XCTAssertEqual(try AttackSetting(spec: setting.description), setting, "\(family)")
    }
    XCTAssertThrowsError(try AttackSetting(spec: "pruning:0.5")) { XCTAssertTrue("\($0)".contains("unknown attack"), "\($0)") }
    XCTAssertThrowsError(try AttackSetting(spec: "fine-tuning")) { XCTAssertTrue("\($0)".contains("needs a strength"), "\($0)") }
    XCTAssertThrowsError(try AttackSetting(spec: "quantization:four")) { XCTAssertTrue("\($0)".contains("not a number"), "\($0)") }
    XCTAssertThrowsError(try AttackSetting(spec: "quantization:4:5"))
  }
}

/// The attack table says what its task metric is: in every JSON row and in the CSV's value column;
/// rows written before they carried it read as classifier accuracy.
final class AttackMetricKindTests: XCTestCase {
  func row(_ metric: TaskMetric?, value: Double) -> AttackSweepRow {
    AttackSweepRow(attack: "none", family: .none, strength: 0, learningRate: nil, accuracy: value, bitErrorRate: 0,
                   payloadBitErrorRate: 0, falsePositiveProbability: 1e-9, detected: true, seconds: 1, metric: metric)
  }

  func testRowsCarryTheirMetricInJSONAndCSV() throws {
    let segmentation = [row(.meanIoU, value: 0.61)]
    XCTAssertTrue(AttackSweep.csv(segmentation).hasPrefix("attack,strength,mIoU,ber,"))
    XCTAssertTrue(AttackSweep.csv([row(.psnr, value: 31.2)]).hasPrefix("attack,strength,PSNR,ber,"))
    XCTAssertTrue(AttackSweep.csv([row(nil, value: 0.9), row(.accuracy, value: 0.8)]).hasPrefix("attack,strength,accuracy,ber,"))
    let mixed = AttackSweep.csv([row(.accuracy, value: 0.9), row(.psnr, value: 30)]).split(separator: "\n")
    XCTAssertTrue(mixed[0].hasPrefix("attack,strength,value,ber,"))
    XCTAssertTrue(mixed[0].hasSuffix(",metric"))
    XCTAssertTrue(mixed[1].hasSuffix(",accuracy"))
    XCTAssertTrue(mixed[2].hasSuffix(",PSNR"))

    let json = String(decoding: try JSONEncoder().encode(segmentation), as: UTF8.self)
    XCTAssertTrue(json.contains("\"metric\":\"mIoU\""), json)
    let earlier = """
      [{"attack":"none","family":"none","strength":0,"accuracy":0.9,"bitErrorRate":0,"payloadBitErrorRate":0,
        "falsePositiveProbability":1e-9,"detected":true,"seconds":1}]
      """
    let read = try JSONDecoder().decode([AttackSweepRow].self, from: Data(earlier.utf8))
    XCTAssertNil(read[0].metric)
    XCTAssertEqual(read[0].taskMetric, .accuracy)
  }
}
