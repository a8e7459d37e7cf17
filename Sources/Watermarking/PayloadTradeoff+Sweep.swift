import Foundation
import Reporting

extension PayloadTradeoff {
  /// What one training run of the sweep left: its model file, test accuracy, measured cost and (marked runs) key.
  public struct TrainedRun {
    public var modelURL: URL
    public var accuracy: Double?
    public var cost: TrainingCost
    public var key: WatermarkKey?

    public init(modelURL: URL, accuracy: Double?, cost: TrainingCost, key: WatermarkKey?) {
      self.modelURL = modelURL
      self.accuracy = accuracy
      self.cost = cost
      self.key = key
    }
  }

  /// What a sweep runs: the marks, the attacks on each marked model and the settings a resumed sweep must match.
  public struct SweepPlan {
    public var settings: [String: String]
    public var methods: [WatermarkMethod]
    public var payloads: [Int]
    /// Seed of the random payloads (one per size, the same for every method).
    public var payloadSeed: UInt64
    public var attacks: [AttackSetting]
    public var attackSeed: UInt64
    /// Repetitions of the extraction timing (median reported).
    public var timingRepetitions: Int

    public init(settings: [String: String], methods: [WatermarkMethod], payloads: [Int], payloadSeed: UInt64,
                attacks: [AttackSetting], attackSeed: UInt64, timingRepetitions: Int) {
      self.settings = settings
      self.methods = methods
      self.payloads = payloads
      self.payloadSeed = payloadSeed
      self.attacks = attacks
      self.attackSeed = attackSeed
      self.timingRepetitions = timingRepetitions
    }
  }

  /// Runs or resumes the sweep in `root`: the unmarked reference, then for each method and payload size a marked
  /// run with the same budget and seed, attacked and its extraction timed. tradeoff.json, tradeoff.csv and the
  /// plots are rewritten after every run, so an interrupted sweep keeps what it measured.
  /// - Parameters:
  ///   - resume: continue the sweep `root` holds (its settings must match; sizes and methods may grow).
  ///   - train: trains run `name` in `root/name`, unmarked when the mark is nil; nil when interrupted.
  ///   - attackTask: the attack task of a marked model file.
  /// - Returns: the finished report, or nil when interrupted.
  public static func sweep(
    _ plan: SweepPlan, root: URL, resume: Bool, log: (String) -> Void, shouldStop: () -> Bool,
    train: (_ name: String, _ mark: (method: WatermarkMethod, payload: [Bool])?) throws -> TrainedRun?,
    attackTask: (URL) throws -> any AttackTask
  ) throws -> PayloadTradeoff? {
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    let reportURL = root.appendingPathComponent("tradeoff.json")
    var report: PayloadTradeoff
    if FileManager.default.fileExists(atPath: reportURL.path) {
      guard resume else {
        throw WatermarkError("\(root.path) already holds a trade-off sweep: pass --resume to continue it, or choose another --out")
      }
      report = try read(from: reportURL)
      try report.checkResumable(settings: plan.settings)
      log("resuming \(reportURL.path): reference \(report.reference == nil ? "to train" : "done"), \(report.entries.count) runs done")
    } else {
      report = PayloadTradeoff(settings: plan.settings, attacks: plan.attacks)
      try report.write(to: reportURL)  // from now on the folder is a sweep to resume
    }
    if report.reference == nil {
      guard let run = try train(referenceLabel, nil) else { return nil }
      guard let accuracy = run.accuracy else {
        throw WatermarkError("no test split to measure the reference's accuracy on; the trade-off needs one")
      }
      report.reference = Reference(accuracy: accuracy, cost: run.cost)
      try report.writeFiles(to: root)
    }
    for method in plan.methods {
      for bits in plan.payloads where report.entry(method: method.rawValue, payloadBits: bits) == nil {
        if shouldStop() { return nil }
        let payload = try randomPayload(bits: bits, seed: plan.payloadSeed)
        guard let run = try train("\(method.rawValue)-\(bits)", (method, payload)), let key = run.key else { return nil }
        let task = try attackTask(run.modelURL)
        log("attacking \(method.rawValue) with \(bits) payload bits (\(key.positions.count) marked weights)")
        let rows = try AttackSweep.run([AttackSetting(.none, 0)] + plan.attacks, load: task.load, key: key, expected: payload,
                                       seed: plan.attackSeed, onRow: { log($0.line) })
        let subject = try task.load()
        let extraction = try TimingSummary.measure(repetitions: plan.timingRepetitions) {
          _ = try Extractor.extract(from: subject.model, key: key, expected: payload)
        }
        report.record(Entry(method: method.rawValue, payloadBits: bits, codedBits: key.positions.count, rows: rows,
                            cost: run.cost, extraction: extraction))
        try report.writeFiles(to: root)
      }
    }
    return report
  }

  /// tradeoff.json, tradeoff.csv and the plots (accuracy, its drop, time and backward passes per step, and each
  /// attack's BER and accuracy against the payload size).
  public func writeFiles(to root: URL) throws {
    try write(to: root.appendingPathComponent("tradeoff.json"))
    try Data(csv().utf8).write(to: root.appendingPathComponent("tradeoff.csv"), options: .atomic)
    var plots: [(String, Metric)] = [
      ("tradeoff-accuracy", .accuracy), ("tradeoff-accuracy-drop", .accuracyDrop),
      ("tradeoff-seconds-per-step", .secondsPerStep), ("tradeoff-backward-passes", .backwardPassesPerStep),
    ]
    for spec in attacks {
      guard let setting = try? AttackSetting(spec: spec) else { continue }
      let file = String(spec.map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" ? $0 : "-" })
      plots.append(("tradeoff-ber-" + file, .bitErrorRate(setting)))
      plots.append(("tradeoff-accuracy-" + file, .attackedAccuracy(setting)))
    }
    for (file, metric) in plots {
      let series = curves(metric)
      guard !series.isEmpty else { continue }
      let plot = SVGPlot(title: metric.title, xLabel: "payload bits (log2)", yLabel: metric.title,
                         series: series.map { .init(name: $0.label, points: $0.points) })
      try plot.write(to: root.appendingPathComponent(file + ".svg"))
    }
  }

  /// One line for the reference and one per run: accuracy and its drop, clean and attacked BER, cost.
  public var summary: [String] {
    var lines: [String] = []
    if let r = reference { lines.append(String(format: "unmarked: accuracy %.2f%%; ", 100 * r.accuracy) + r.cost.summary) }
    for e in entries {
      var line = String(format: "%@ %5d bits: accuracy %.2f%% (drop %+.2f points), clean BER %.4f", e.method,
                        e.payloadBits, 100 * (e.accuracy ?? .nan), 100 * (accuracyDrop(e) ?? .nan), e.bitErrorRate ?? .nan)
      for row in e.rows where row.family != .none {
        line += String(format: "; %@ %g: BER %.3f", row.family.rawValue, row.strength, row.bitErrorRate)
      }
      line += String(format: "; %.2f backward passes/step, x%.2f time/step", e.cost.backwardPassesPerStep ?? .nan,
                     slowdown(e) ?? .nan)
      lines.append(line)
    }
    return lines
  }
}
