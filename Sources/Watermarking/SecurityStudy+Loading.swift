import Foundation
import Torch

extension SecurityStudy {
  /// What a study's runs folder holds, as read by `load(runsDirectory:)`.
  public struct Folder: Sendable {
    public var runs: [Run]
    /// Control test accuracy by seed (each seed's float32 control, see `load`).
    public var controls: [UInt64: Double]
    /// Marked folders left out because a measurement is missing (name and what is missing).
    public var incomplete: [(name: String, missing: String)]
    /// Whole-model attack rows on the unmarked controls (their `robustness.json`, read under a marked run's
    /// key), by seed.
    public var controlRobustness: [UInt64: [AttackSweepRow]] = [:]
    /// Marked runs trained in another precision than the control they are compared with (a run's cost
    /// then compares precisions too): one line each.
    public var precisionMismatches: [String] = []
  }

  /// Reads every finished run under `runsDirectory`: a folder with `model.safetensors` and `eval.json`
  /// is an unmarked control when its model carries no watermark, else a marked run that also needs
  /// `key.json`, `attack.json` (`watermark attack --json`) and `secrecy.json` (`watermark secrecy --json`),
  /// and may hold `robustness.json` (`watermark attack --json` with whole-model attacks).
  /// The seed is the model's training seed (metadata), else the key's. Unfinished folders are skipped. A marked
  /// model trained in another precision than float32 (its `precision` metadata, e.g. bfloat16 autocast) is a
  /// setting of its own: "precision=..." is added to its setting, so seeds of different precisions never pool.
  /// Files without the metadata (older ones) are taken as they come and never reported as mismatched.
  /// A folder may hold controls of several precisions for one seed: each marked run is compared with
  /// the control of its own seed and precision where there is one, else with the seed's float32 control
  /// (reported as a mismatch when both precisions are known); `controls` and the robustness table's
  /// control column use each seed's float32 control (else the one without metadata, else any).
  public static func load(runsDirectory: URL) throws -> Folder {
    let manager = FileManager.default
    guard let names = try? manager.contentsOfDirectory(atPath: runsDirectory.path) else {
      throw WatermarkError("\(runsDirectory.path): not a readable folder")
    }
    var controlsBySeed: [UInt64: [Control]] = [:]
    // Each marked run with its key, model file and precision metadata (nil: a file older than it).
    var marked: [(name: String, run: Run, key: WatermarkKey, model: URL, precision: String?)] = []
    var incomplete: [(name: String, missing: String)] = []
    for name in names.sorted() {
      let folder = runsDirectory.appendingPathComponent(name)
      let modelURL = folder.appendingPathComponent("model.safetensors")
      let evalURL = folder.appendingPathComponent("eval.json")
      guard manager.fileExists(atPath: modelURL.path), manager.fileExists(atPath: evalURL.path) else { continue }
      let metadata = try SafeTensors.readMetadata(from: modelURL)
      let accuracy = try decode(TestAccuracy.self, from: evalURL).accuracy
      let trainingSeed = metadata[MetadataKey.seed].flatMap { UInt64($0) }
      guard let description = metadata[MetadataKey.watermark] else {
        guard let seed = trainingSeed else { throw WatermarkError("\(modelURL.path): no training seed in its metadata") }
        controlsBySeed[seed, default: []].append(Control(
          accuracy: accuracy, model: modelURL, precision: metadata[MetadataKey.precision],
          robustness: try robustnessRows(in: folder)))
        continue
      }
      let files = ["key.json", "attack.json", "secrecy.json"].map { folder.appendingPathComponent($0) }
      if let missing = files.first(where: { !manager.fileExists(atPath: $0.path) }) {
        incomplete.append((name, missing.lastPathComponent))
        continue
      }
      let key = try WatermarkKey.read(from: files[0])
      let magnitudes = key.mapping.positionScales == nil ? "layer" : "half-normal"
      let precision = metadata[MetadataKey.precision]
      marked.append((name, Run(
        setting: description + (magnitudes == "layer" ? "" : " magnitudes=\(magnitudes)")
          + (precision.map { $0 == "float32" ? "" : " precision=\($0)" } ?? ""),
        method: metadata[MetadataKey.watermarkMethod] ?? "unknown", alpha: key.mapping.alpha, magnitudes: magnitudes,
        seed: trainingSeed ?? key.seed, accuracy: accuracy, controlAccuracy: nil,
        attacks: try decode([AttackSweepRow].self, from: files[1]),
        secrecy: try decode([KeySecrecy.Row].self, from: files[2]), robustness: try robustnessRows(in: folder)),
        key, modelURL, precision))
    }
    let preferred = controlsBySeed.compactMapValues { Control.preferred(among: $0) }
    var controlEntries: [URL: [String: TensorRecord]] = [:]
    var mismatches: [String] = []
    let runs = try marked.map { entry -> Run in
      var run = entry.run
      let sameSeed = controlsBySeed[run.seed] ?? []
      guard let control = sameSeed.first(where: { $0.precision == entry.precision }) ?? preferred[run.seed] else { return run }
      if let mine = entry.precision, let theirs = control.precision, mine != theirs {
        mismatches.append("\(entry.name) trained in \(mine), its control (seed \(run.seed)) in \(theirs): its cost compares the precisions too")
      }
      run.controlAccuracy = control.accuracy
      // MPAI-NNW's false positives: the control, read under this run's key, against the payload
      // the marked model carries.
      let payload = try Extractor.extract(fromStateDict: SafeTensors.read(from: entry.model).tensors, key: entry.key).payload
      if controlEntries[control.model] == nil { controlEntries[control.model] = try SafeTensors.read(from: control.model).tensors }
      let check = try Extractor.extract(fromStateDict: controlEntries[control.model] ?? [:], key: entry.key, expected: payload)
      run.controlFalsePositiveProbability = check.falsePositiveProbability
      run.controlDetected = check.detected
      return run
    }
    return Folder(runs: runs, controls: preferred.mapValues(\.accuracy), incomplete: incomplete,
                  controlRobustness: preferred.compactMapValues(\.robustness), precisionMismatches: mismatches)
  }

  /// An unmarked control as read from its folder.
  private struct Control {
    var accuracy: Double
    var model: URL
    /// Its `precision` metadata; nil for files older than it.
    var precision: String?
    var robustness: [AttackSweepRow]?

    /// The control a seed's tables use: float32, else one without precision metadata, else the first
    /// (folders are read in name order).
    static func preferred(among controls: [Control]) -> Control? {
      controls.first { $0.precision == "float32" } ?? controls.first { $0.precision == nil } ?? controls.first
    }
  }

  /// A run folder's optional `robustness.json` (nil when it has none).
  private static func robustnessRows(in folder: URL) throws -> [AttackSweepRow]? {
    let url = folder.appendingPathComponent("robustness.json")
    guard FileManager.default.fileExists(atPath: url.path) else { return nil }
    return try decode([AttackSweepRow].self, from: url)
  }

  private struct TestAccuracy: Decodable { var accuracy: Double }

  private static func decode<T: Decodable>(_ type: T.Type, from url: URL) throws -> T {
    let data: Data
    do { data = try Data(contentsOf: url) } catch { throw WatermarkError("\(url.path): cannot be read") }
    do { return try JSONDecoder().decode(type, from: data) } catch {
      throw WatermarkError("\(url.path): not the expected JSON (\(error.localizedDescription))")
    }
  }
}
