import Compression
import Foundation
import Torch

/// How a student starts: random weights, or the teacher's N strongest channels (`ChannelSelection`).
public enum StudentInitialization: String, Codable, CaseIterable, Sendable {
  case scratch, select
}

/// Students at several widths N distilled from teachers at several lambdas, each beside a
/// same-budget control trained from the same start on the plain RD loss, all evaluated on one
/// image set with real bitstreams, in one table (`DistillationSweepRow`). Every run keeps its own
/// folder under the sweep's root: finished runs are reused, unfinished ones continue, and a run
/// trained for fewer steps than asked is continued and evaluated again.
public struct DistillationSweep {
  /// Teachers (registry names or files), one per lambda; BD-rates need at least 4.
  public var teachers: [String]
  public var widths: [Int]
  public var initialization: StudentInitialization = .scratch
  public var includesControls = true
  /// Training steps every student and control reaches.
  public var steps: Int
  public var seed: UInt64
  /// The lambda of a teacher that records none (neither in its file nor in the registry).
  public var fallbackLambda: Double
  public var evaluation: ImageSet
  /// What the evaluation set is called in the reports (its folder).
  public var evaluationName: String
  /// Evaluate only the first K images.
  public var evaluationLimit: Int?

  public init(teachers: [String], widths: [Int], steps: Int, seed: UInt64, fallbackLambda: Double, evaluation: ImageSet,
              evaluationName: String) {
    self.teachers = teachers
    self.widths = widths
    self.steps = steps
    self.seed = seed
    self.fallbackLambda = fallbackLambda
    self.evaluation = evaluation
    self.evaluationName = evaluationName
  }

  /// One training run of the sweep, for the caller to train (`train` in `run`).
  public struct Run {
    public var folder: URL
    public var student: ScaleHyperprior
    /// The distillation objective; nil for a control (plain RD loss).
    public var objective: (any TrainingObjective)?
    public var configuration: ModelConfiguration
    public var lambda: Double
    public var teacher: String
    /// "distilled" or "control".
    public var variant: String

    /// What the run's model file records beside its weights: its teacher and variant.
    public var metadata: [String: String] { [MetadataKey.teacher: teacher, MetadataKey.variant: variant] }

    /// The run's trainer: `config` (the sweep's shared settings) at the run's lambda, its student and objective,
    /// in its folder.
    /// - Throws: the trainer's errors (settings out of range, data too small for the crop).
    public func trainer(_ config: RDTrainingConfig, training: ImageSet, validation: ImageSet) throws -> RDTrainer {
      var config = config
      config.lambda = lambda
      return try RDTrainer(config: config, model: student, training: training, validation: validation,
                           runDirectory: folder, objective: objective)
    }
  }

  /// Trains what is missing and evaluates everything.
  /// - Parameters:
  ///   - root: the sweep's folder.
  ///   - log: progress lines.
  ///   - train: trains one run into its folder (model.safetensors); false when interrupted.
  /// - Returns: the table's rows (BD-rates against the teachers filled in), nil when a run was interrupted.
  public func run(root: URL, log: (String) -> Void, train: (Run) throws -> Bool) throws -> [DistillationSweepRow]? {
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    var rows: [String: DistillationSweepRow] = [:]
    for teacherName in teachers {
      let teacher = try ModelStore.load(teacherName)
      guard let teacherModel = teacher.model as? ScaleHyperprior else {
        throw DistillationError("\(teacherName) is not a bmshj2018-hyperprior teacher")
      }
      let lambda = teacher.metadata[MetadataKey.lambda].flatMap(Double.init)
        ?? ModelRegistry.entry(named: teacherName)?.lambda ?? fallbackLambda
      let tag = URL(fileURLWithPath: teacherName).deletingPathExtension().lastPathComponent
      log("== teacher \(teacherName) (N=\(teacherModel.n), lambda \(lambda))")
      try record("teacher", teacher, lambda: lambda, into: &rows,
                 report: evaluate(teacher, named: tag, into: root.appendingPathComponent("teacher-\(tag)")))
      for n in widths {
        for variant in includesControls ? ["distilled", "control"] : ["distilled"] {
          let folder = root.appendingPathComponent("\(tag)-N\(n)-\(variant)")
          let modelURL = folder.appendingPathComponent("model.safetensors")
          // A finished run trained for fewer steps than asked is continued from its
          // checkpoint (and re-evaluated): a sweep can be lengthened without starting over.
          let trainedSteps = (try? SafeTensors.readMetadata(from: modelURL))?[MetadataKey.steps].flatMap(Int.init)
          if trainedSteps.map({ $0 < steps }) ?? true {
            if trainedSteps != nil { try? FileManager.default.removeItem(at: folder.appendingPathComponent("eval.json")) }
            let student = try StudentFactory.student(for: teacher, n: n, seed: seed)
            // The control starts from the same weights as the student (scratch or the
            // teacher's selected channels): the distillation loss is the only difference.
            let selection = initialization == .select ? try ChannelSelection.initialize(student, from: teacherModel) : nil
            let objective: (any TrainingObjective)? = variant == "distilled"
              ? try DistillationObjective(teacher: teacherModel, studentN: n, weights: .standard, lambda: lambda,
                                          zChannels: selection?.zChannels)
              : nil
            let configuration = ModelConfiguration(architecture: .scaleHyperprior, n: n, m: student.m,
                                                   gdnVariant: student.gdnVariant)
            log("== \(variant) N=\(n) lambda \(lambda) -> \(folder.path)")
            guard try train(Run(folder: folder, student: student, objective: objective, configuration: configuration,
                                lambda: lambda, teacher: teacherName, variant: variant))
            else { return nil }
          }
          let loaded = try ModelStore.load(file: modelURL)
          try record(variant, loaded, lambda: lambda, into: &rows,
                     report: evaluate(loaded, named: folder.lastPathComponent, into: folder))
        }
      }
    }
    return DistillationSweepRow.comparedWithTeacher(Array(rows.values))
  }

  /// Evaluates once per run folder (eval.json is the cache). The report's model is named after
  /// the folder (teachers: their own name) so that `lichen rd-plot runs/sweep/*/eval.json` groups
  /// each variant into one curve.
  func evaluate(_ loaded: LoadedModel, named name: String, into folder: URL) throws -> EvaluationReport {
    let url = folder.appendingPathComponent("eval.json")
    if let data = try? Data(contentsOf: url), var report = try? JSONDecoder().decode(EvaluationReport.self, from: data) {
      if report.model != name {
        report.model = name
        try PrettyJSON.write(report, to: url)
      }
      return report
    }
    let count = min(evaluationLimit ?? evaluation.images.count, evaluation.images.count)
    let results = try (0..<count).map {
      try Evaluator.evaluate(loaded, image: evaluation.images[$0], name: evaluation.names[$0])
    }
    let report = EvaluationReport.summarize(model: name, dataset: evaluationName, threads: Torch.threads, images: results)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    try PrettyJSON.write(report, to: url)
    return report
  }

  func record(_ variant: String, _ loaded: LoadedModel, lambda: Double, into rows: inout [String: DistillationSweepRow],
              report: EvaluationReport) throws {
    let key = "\(variant)-\(loaded.configuration.n)"
    let complexity = try Complexity.analyze(loaded.model, width: 768, height: 512)
    let pixels = Double(complexity.pixels)
    var row = rows[key] ?? DistillationSweepRow(
      variant: variant, n: loaded.configuration.n, parameters: loaded.model.transformParameterCount,
      macsPerPixel: [
        "encoder": Double(complexity.encoderMACs) / pixels, "decoder": Double(complexity.decoderMACs) / pixels,
        "g_a": Double(complexity.macs(of: "g_a")) / pixels, "h_a": Double(complexity.macs(of: "h_a")) / pixels,
        "h_s": Double(complexity.macs(of: "h_s")) / pixels, "g_s": Double(complexity.macs(of: "g_s")) / pixels,
      ], points: [:], encodeSeconds: 0, decodeSeconds: 0)
    row.points[String(lambda)] = DistillationSweepRow.Point(lambda: lambda, bpp: report.mean.bpp, psnr: report.mean.psnr,
                                                            msSSIM: report.mean.msSSIM)
    row.encodeSeconds = report.mean.encodeSeconds
    row.decodeSeconds = report.mean.decodeSeconds
    rows[key] = row
  }
}
