import Foundation
import Torch
import XCTest

@testable import Watermarking

/// The security table: cost against the seed's control, the cheapest removal among the attacks that
/// removed the mark, the share of the key found without it, and the criteria applied to every seed.
final class SecurityStudyTests: XCTestCase {
  func row(_ family: AttackFamily, _ strength: Double = 1, accuracy: Double, detected: Bool) -> AttackSweepRow {
    AttackSweepRow(attack: family.title, family: family, strength: strength, learningRate: nil, accuracy: accuracy,
                   bitErrorRate: detected ? 0 : 0.5, payloadBitErrorRate: detected ? 0 : 0.5,
                   falsePositiveProbability: detected ? 1e-20 : 0.5, detected: detected, seconds: 1)
  }

  func secrecy(hits: Int, positions: Int = 80, candidates: Int = 800_000) -> [KeySecrecy.Row] {
    [KeySecrecy.Row(statistic: .relativeMagnitude, k: positions, hits: hits, positions: positions, candidates: candidates,
                    chance: Double(positions * positions) / Double(candidates), hitRate: Double(hits) / Double(positions)),
     KeySecrecy.Row(statistic: .robustOutlier, k: 10 * positions, hits: positions, positions: positions,
                    candidates: candidates, chance: 0, hitRate: 1)]
  }

  func run(seed: UInt64, alpha: Double, accuracy: Double, control: Double?, flip: Double, flipRemoves: Bool,
           zero: Double, hits: Int) -> SecurityStudy.Run {
    SecurityStudy.Run(
      setting: "WaterMAS alpha=\(alpha)", method: "watermas", alpha: alpha, magnitudes: "half-normal", seed: seed,
      accuracy: accuracy, controlAccuracy: control,
      attacks: [row(.none, accuracy: accuracy, detected: true),
                row(.keyInterceptionFlip, accuracy: flip, detected: !flipRemoves),
                row(.keyInterceptionZero, accuracy: zero, detected: false),
                row(.keyInterceptionFineTune, 100, accuracy: accuracy, detected: true)],
      secrecy: secrecy(hits: hits))
  }

  func testCellsPoolSeedsAndApplyTheCriteriaToEverySeed() throws {
    let runs = [
      // alpha 30: cheap to carry (0.5 points), removal costs >= 6 points, key hidden: secure in both seeds.
      run(seed: 1, alpha: 30, accuracy: 0.900, control: 0.905, flip: 0.80, flipRemoves: true, zero: 0.84, hits: 2),
      run(seed: 2, alpha: 30, accuracy: 0.902, control: 0.906, flip: 0.82, flipRemoves: true, zero: 0.83, hits: 1),
      // alpha 1: zeroing removes it for 0.1 points: not secure.
      run(seed: 1, alpha: 1, accuracy: 0.905, control: 0.905, flip: 0.904, flipRemoves: true, zero: 0.904, hits: 0),
      // alpha 10: secure in seed 1 only (seed 2 shows the key): the cell is not secure.
      run(seed: 1, alpha: 10, accuracy: 0.90, control: 0.905, flip: 0.80, flipRemoves: true, zero: 0.80, hits: 0),
      run(seed: 2, alpha: 10, accuracy: 0.90, control: 0.906, flip: 0.80, flipRemoves: true, zero: 0.80, hits: 40),
    ]
    let cells = SecurityStudy.cells(runs)
    XCTAssertEqual(cells.map(\.alpha), [1, 10, 30])
    let strong = try XCTUnwrap(cells.last)
    XCTAssertEqual(strong.seeds, [1, 2])
    XCTAssertEqual(try XCTUnwrap(strong.cost).mean, 0.45, accuracy: 1e-9)
    XCTAssertEqual(try XCTUnwrap(strong.cost).std, 0.1 / (2.0).squareRoot(), accuracy: 1e-9)
    // Cheapest removal per seed: seed 1 flip 10 points (zero 6), seed 2 zero 7.2 points (flip 8.2).
    XCTAssertEqual(try XCTUnwrap(strong.cheapestRemoval).mean, (6.0 + 7.2) / 2, accuracy: 1e-9)
    XCTAssertEqual(strong.removals["key-interception-flip"], 2)
    XCTAssertEqual(strong.removals["key-interception-fine-tune:100"], 0)
    XCTAssertEqual(try XCTUnwrap(strong.interceptionCost["key-interception-fine-tune:100"]).mean, 0, accuracy: 1e-12)
    XCTAssertEqual(strong.keyFound.mean, 1.5 / 80, accuracy: 1e-12)
    // Per ranking: only the statistics ranked at K = key size (the robust outlier row here is at 10x).
    XCTAssertEqual(Array(strong.keyFoundByStatistic.keys), ["relative-magnitude"])
    XCTAssertEqual(try XCTUnwrap(strong.keyFoundByStatistic["relative-magnitude"]).mean, 1.5 / 80, accuracy: 1e-12)
    let folder = SecurityStudy.Folder(runs: runs, controls: [:], incomplete: [])
    let markdown = SecurityStudy.Tables(folder, criteria: SecurityStudy.Criteria()).markdown
    XCTAssertTrue(markdown.contains("| key found by ranking |"), markdown)
    XCTAssertTrue(markdown.contains("relative-magnitude 2 %"), markdown)
    XCTAssertEqual(strong.keyFoundByChance, 80.0 / 800_000, accuracy: 1e-15)
    XCTAssertTrue(strong.secure)
    XCTAssertFalse(cells[0].secure)
    XCTAssertFalse(cells[1].secure)
    // Without a control the cost is unknown, and an unknown cost is never secure.
    let lone = SecurityStudy.cells([run(seed: 5, alpha: 30, accuracy: 0.9, control: nil, flip: 0.8, flipRemoves: true,
                                        zero: 0.8, hits: 0)])
    XCTAssertNil(lone[0].cost)
    XCTAssertFalse(lone[0].secure)
    // Stricter criteria turn the secure cell down.
    var strict = SecurityStudy.Criteria()
    strict.minimumRemovalCost = 7
    XCTAssertFalse(SecurityStudy.cells(Array(runs.prefix(2)), criteria: strict)[0].secure)
  }

  /// Whole-model attacks pooled per setting and attack: the cost against each seed's marked model, the
  /// BER and the detections; runs without robustness rows stay out of the table.
  func testRobustnessPoolsSeedsPerSettingAndAttack() throws {
    func marked(seed: UInt64, alpha: Double, accuracy: Double, robustness: [AttackSweepRow]?) -> SecurityStudy.Run {
      SecurityStudy.Run(setting: "WaterMAS alpha=\(alpha)", method: "watermas", alpha: alpha, magnitudes: "half-normal",
                        seed: seed, accuracy: accuracy, controlAccuracy: 0.9, attacks: [row(.none, accuracy: accuracy, detected: true)],
                        secrecy: secrecy(hits: 0), robustness: robustness)
    }
    let runs = [
      marked(seed: 1, alpha: 30, accuracy: 0.90, robustness: [
        row(.gaussianNoise, 0.1, accuracy: 0.89, detected: true), row(.gaussianNoise, 1, accuracy: 0.50, detected: false)]),
      marked(seed: 2, alpha: 30, accuracy: 0.92, robustness: [
        row(.gaussianNoise, 0.1, accuracy: 0.89, detected: true), row(.gaussianNoise, 1, accuracy: 0.40, detected: true)]),
      marked(seed: 1, alpha: 1, accuracy: 0.90, robustness: [row(.gaussianNoise, 0.1, accuracy: 0.90, detected: false)]),
      marked(seed: 1, alpha: 3, accuracy: 0.90, robustness: nil),
    ]
    let table = SecurityStudy.Robustness(runs)
    XCTAssertEqual(table.settings, ["WaterMAS alpha=1.0", "WaterMAS alpha=30.0"])
    XCTAssertEqual(table.attacks, ["gaussian-noise:0.1", "gaussian-noise:1"])
    let mild = try XCTUnwrap(table.entry("WaterMAS alpha=30.0", "gaussian-noise:0.1"))
    XCTAssertEqual(mild.seeds, 2)
    XCTAssertEqual(mild.detected, 2)
    XCTAssertEqual(mild.cost.mean, 2, accuracy: 1e-9)  // 1 and 3 points
    XCTAssertEqual(mild.cost.std, 2.0.squareRoot(), accuracy: 1e-9)
    let strong = try XCTUnwrap(table.entry("WaterMAS alpha=30.0", "gaussian-noise:1"))
    XCTAssertEqual(strong.detected, 1)
    XCTAssertEqual(strong.bitErrorRate.mean, 0.25, accuracy: 1e-12)
    XCTAssertNil(table.entry("WaterMAS alpha=1.0", "gaussian-noise:1"))
    XCTAssertTrue(table.markdown.contains("| gaussian-noise:1 | - | 46.00 ± 8.49 / 0.250 ± 0.354 / 1/2 |"), table.markdown)
    XCTAssertTrue(table.markdown.contains("| attack | WaterMAS alpha=1.0 | WaterMAS alpha=30.0 |"), table.markdown)
    let labelled = SecurityStudy.Robustness.labels(["substitution alpha=1.0 code=none magnitudes=half-normal",
                                                    "WaterMAS rho=0.05 alpha=30.0 code=none magnitudes=half-normal",
                                                    SecurityStudy.Robustness.controlSetting])
    XCTAssertEqual(labelled.labels, ["substitution alpha=1.0", "WaterMAS rho=0.05 alpha=30.0", SecurityStudy.Robustness.controlSetting])
    XCTAssertEqual(labelled.common, ["code=none", "magnitudes=half-normal"])
    XCTAssertEqual(table.csv.split(separator: "\n").count, 1 + 3)
    XCTAssertEqual(table.plots.map(\.name), ["robustness-gaussian-noise-cost.svg", "robustness-gaussian-noise-ber.svg"])
    XCTAssertTrue(SecurityStudy.Robustness(Array(runs.suffix(1))).entries.isEmpty)
    // The controls under the same attacks: one more column, costs against each control's own accuracy
    // (seed 2 has no control accuracy and stays out).
    let withControls = SecurityStudy.Robustness(
      runs, controls: [1: 0.91],
      controlRobustness: [1: [row(.gaussianNoise, 1, accuracy: 0.61, detected: false)],
                          2: [row(.gaussianNoise, 1, accuracy: 0.5, detected: false)]])
    XCTAssertEqual(withControls.settings.last, SecurityStudy.Robustness.controlSetting)
    let control = try XCTUnwrap(withControls.entry(SecurityStudy.Robustness.controlSetting, "gaussian-noise:1"))
    XCTAssertEqual(control.seeds, 1)
    XCTAssertEqual(control.cost.mean, 30, accuracy: 1e-9)
    XCTAssertEqual(control.detected, 0)
    XCTAssertNil(withControls.entry(SecurityStudy.Robustness.controlSetting, "gaussian-noise:0.1"))
  }

  func testSpreadIsMeanAndSampleStandardDeviation() {
    let s = SecurityStudy.Spread([1, 2, 3, 4])
    XCTAssertEqual(s.mean, 2.5)
    XCTAssertEqual(s.std, (5.0 / 3).squareRoot(), accuracy: 1e-12)
    XCTAssertEqual(SecurityStudy.Spread([7]).std, 0)
    XCTAssertTrue(SecurityStudy.Spread([]).mean.isNaN)
  }

  /// A runs folder as scripts/watermark-security.sh leaves it: a control, a finished marked run, an
  /// unfinished one; the marked run is paired with the control of its seed.
  func testLoadReadsControlsAndMarkedRuns() throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("security-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: root) }
    let control = Sequential([try Linear(16, 16, generator: try Generator(seed: 1))])
    let model = Sequential([try Linear(16, 16, generator: try Generator(seed: 1))])
    let key = try KeyGenerator.generate(for: model, payloadBits: 8, seed: 3, alpha: 3, spread: .halfNormal)
    let bits = [true, false, true, true, false, false, true, false]
    try Embedder.substitute(bits, into: model, key: key)
    func folder(_ name: String, metadata: [String: String], accuracy: Double, model: Sequential) throws -> URL {
      let url = root.appendingPathComponent(name)
      try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
      try SafeTensors.write(try model.stateDictRecords(), metadata: metadata, to: url.appendingPathComponent("model.safetensors"))
      try Data("{\"accuracy\": \(accuracy), \"loss\": 0.5}".utf8).write(to: url.appendingPathComponent("eval.json"))
      return url
    }
    _ = try folder("control-s3", metadata: [MetadataKey.seed: "3", MetadataKey.precision: "float32"], accuracy: 0.91, model: control)
    let marked = try folder("watermas-s3", metadata: [MetadataKey.seed: "3", MetadataKey.watermark: "WaterMAS rho=0.05",
                                                      MetadataKey.watermarkMethod: "watermas"], accuracy: 0.9, model: model)
    try key.write(to: marked.appendingPathComponent("key.json"))
    let encoder = JSONEncoder()
    try encoder.encode([row(.none, accuracy: 0.9, detected: true), row(.keyInterceptionZero, accuracy: 0.85, detected: false)])
      .write(to: marked.appendingPathComponent("attack.json"))
    try encoder.encode(secrecy(hits: 1, positions: 8, candidates: 256)).write(to: marked.appendingPathComponent("secrecy.json"))
    _ = try folder("substitution-s3", metadata: [MetadataKey.seed: "3", MetadataKey.watermark: "substitution"], accuracy: 0.9,
                   model: model)

    XCTAssertNil(try SecurityStudy.load(runsDirectory: root).runs.first?.robustness, "robustness.json is optional")
    try encoder.encode([row(.gaussianNoise, 0.3, accuracy: 0.8, detected: true)])
      .write(to: marked.appendingPathComponent("robustness.json"))

    try encoder.encode([row(.gaussianNoise, 0.3, accuracy: 0.7, detected: false)])
      .write(to: root.appendingPathComponent("control-s3/robustness.json"))

    let study = try SecurityStudy.load(runsDirectory: root)
    XCTAssertEqual(study.runs.first?.robustness?.map(\.family), [.gaussianNoise])
    XCTAssertEqual(study.controlRobustness[3]?.map(\.accuracy), [0.7])
    XCTAssertEqual(study.controls, [3: 0.91])
    XCTAssertEqual(study.incomplete.map(\.name), ["substitution-s3"])
    XCTAssertEqual(study.incomplete.map(\.missing), ["key.json"])
    let run = try XCTUnwrap(study.runs.first)
    XCTAssertEqual(study.runs.count, 1)
    XCTAssertEqual(run.setting, "WaterMAS rho=0.05 magnitudes=half-normal")
    XCTAssertEqual(run.alpha, 3)
    XCTAssertEqual(run.magnitudes, "half-normal")
    XCTAssertEqual(try XCTUnwrap(run.cost), 1, accuracy: 1e-9)
    XCTAssertEqual(try XCTUnwrap(run.cheapestRemoval).cost, 5, accuracy: 1e-9)
    XCTAssertEqual(run.keyFound, 1.0 / 8)
    // The control, read under the run's key against the payload the marked model carries: not detected.
    XCTAssertEqual(run.controlDetected, false)
    XCTAssertGreaterThan(try XCTUnwrap(run.controlFalsePositiveProbability), 1e-6)
    XCTAssertTrue(run.detected)
    let cell = try XCTUnwrap(SecurityStudy.cells(study.runs).first)
    XCTAssertEqual([cell.falseNegatives, cell.falsePositives, cell.controlsTested], [0, 0, 1])
    XCTAssertEqual(study.precisionMismatches, [], "no precision metadata: nothing to compare")

    // A marked model trained under bfloat16 autocast is a setting of its own, and its float32 control is named.
    let bf16 = try folder("watermas-bf16-s3", metadata: [MetadataKey.seed: "3", MetadataKey.watermark: "WaterMAS rho=0.05",
                                                         MetadataKey.watermarkMethod: "watermas",
                                                         MetadataKey.precision: "bfloat16-autocast"], accuracy: 0.9, model: model)
    for file in ["key.json", "attack.json", "secrecy.json"] {
      try FileManager.default.copyItem(at: marked.appendingPathComponent(file), to: bf16.appendingPathComponent(file))
    }
    let mixed = try SecurityStudy.load(runsDirectory: root)
    XCTAssertEqual(Set(mixed.runs.map(\.setting)),
                   ["WaterMAS rho=0.05 magnitudes=half-normal", "WaterMAS rho=0.05 magnitudes=half-normal precision=bfloat16-autocast"])
    XCTAssertEqual(SecurityStudy.cells(mixed.runs).count, 2, "precisions never pool")
    XCTAssertEqual(mixed.precisionMismatches.count, 1)
    XCTAssertTrue(mixed.precisionMismatches.first?.hasPrefix("watermas-bf16-s3 trained in bfloat16-autocast, its control (seed 3) in float32") ?? false,
                  "\(mixed.precisionMismatches)")
    // With a control of its own precision beside the float32 one, each marked run is compared with its
    // own; the tables' controls stay the float32 ones.
    let bf16Control = try folder("control-bf16-s3", metadata: [MetadataKey.seed: "3", MetadataKey.precision: "bfloat16-autocast"],
                                 accuracy: 0.88, model: control)
    let paired = try SecurityStudy.load(runsDirectory: root)
    XCTAssertEqual(paired.precisionMismatches, [])
    XCTAssertEqual(paired.controls, [3: 0.91])
    XCTAssertEqual(paired.controlRobustness[3]?.map(\.accuracy), [0.7])
    let controlAccuracies = Dictionary(uniqueKeysWithValues: paired.runs.map { ($0.setting, $0.controlAccuracy) })
    XCTAssertEqual(controlAccuracies["WaterMAS rho=0.05 magnitudes=half-normal precision=bfloat16-autocast"], 0.88)
    XCTAssertEqual(controlAccuracies["WaterMAS rho=0.05 magnitudes=half-normal"], 0.91,
                   "a run without precision metadata takes the seed's float32 control")
    try FileManager.default.removeItem(at: bf16)
    try FileManager.default.removeItem(at: bf16Control)

    // A control without its seed, or a broken JSON, is an error naming the file.
    try Data("{".utf8).write(to: marked.appendingPathComponent("attack.json"))
    XCTAssertThrowsError(try SecurityStudy.load(runsDirectory: root)) { error in
      XCTAssertTrue("\(error)".contains("attack.json: not the expected JSON"), "\(error)")
    }
    XCTAssertThrowsError(try SecurityStudy.load(runsDirectory: root.appendingPathComponent("missing"))) { error in
      XCTAssertTrue("\(error)".contains("not a readable folder"), "\(error)")
    }
  }
}
