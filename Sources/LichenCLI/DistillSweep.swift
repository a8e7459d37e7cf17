import ArgumentParser
import Compression
import Distillation
import Foundation
import Imaging
import Torch

/// `lichen distill-sweep`: students at several N (and same-budget controls
/// trained without distillation), all evaluated on one folder, in one table.
/// Every run lives in its own folder under --out; finished runs are reused
/// and interrupted ones resumed, so the sweep can be stopped and restarted.
struct DistillSweep: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "distill-sweep",
    abstract: "Distil students at several N, train same-budget controls, evaluate all, write one table.")

  @OptionGroup var global: GlobalOptions
  @OptionGroup var training: TrainingOptions
  @Option(help: "Teachers (registry names or files), one per lambda; BD-rates need at least 4.") var teachers: String
  @Option(name: .customLong("N"), help: "Student widths, e.g. 16,32,64,96.") var widths: String
  @Option(help: "Evaluation folder (e.g. Kodak).") var evalData: String
  @Option(help: "Evaluate only the first K images.") var evalLimit: Int?
  @Option(help: "Student start: scratch or select.") var initialization: Distill.Initialization = .scratch
  @Flag(help: "Skip the controls trained without distillation.") var skipControl = false

  struct Row: Codable {
    var variant: String
    var n: Int
    var parameters: Int
    var macsPerPixel: [String: Double]
    var points: [String: RDPointSummary]
    var bdRateVsTeacher: Double?
    var bdPSNRVsTeacher: Double?
    /// Why the BD numbers are missing (e.g. a curve whose PSNR does not rise with rate).
    var bdNote: String?
    var encodeSeconds: Double
    var decodeSeconds: Double
  }

  struct RDPointSummary: Codable {
    var lambda: Double
    var bpp: Double
    var psnr: Double
    var msSSIM: Double?
  }

  func run() throws {
    try global.apply()
    let ns = try widths.split(separator: ",").map { part -> Int in
      guard let n = Int(part.trimmingCharacters(in: .whitespaces)), n > 0 else {
        throw ValidationError("--N expects positive integers separated by commas, got '\(part)'")
      }
      return n
    }
    let teacherNames = teachers.split(separator: ",").map(String.init)
    let root = URL(fileURLWithPath: training.out)
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    let evalSet = try ImageSet.load(directory: URL(fileURLWithPath: evalData))
    let (trainingSet, validationSet) = try training.imageSets()
    var rows: [String: Row] = [:]

    /// Evaluates once per run folder (eval.json is the cache). The report's model is
    /// named `hyperprior-q3-N64-distilled` (teachers: their own name) so that
    /// `lichen rd-plot runs/sweep/*/eval.json` groups each variant into one curve.
    func evaluate(_ loaded: LoadedModel, named name: String, into folder: URL) throws -> EvaluationReport {
      let url = folder.appendingPathComponent("eval.json")
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
      if let data = try? Data(contentsOf: url), var report = try? JSONDecoder().decode(EvaluationReport.self, from: data) {
        if report.model != name {
          report.model = name
          try encoder.encode(report).write(to: url, options: .atomic)
        }
        return report
      }
      let count = min(evalLimit ?? evalSet.images.count, evalSet.images.count)
      let results = try (0..<count).map { try Evaluator.evaluate(loaded, image: evalSet.images[$0], name: evalSet.names[$0]) }
      let report = EvaluationReport.summarize(model: name, dataset: evalData, threads: Torch.threads, images: results)
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
      try encoder.encode(report).write(to: url, options: .atomic)
      return report
    }

    func record(_ variant: String, _ loaded: LoadedModel, lambda: Double, report: EvaluationReport) throws {
      let key = "\(variant)-\(loaded.configuration.n)"
      let complexity = try Complexity.analyze(loaded.model, width: 768, height: 512)
      let pixels = Double(complexity.pixels)
      var row = rows[key] ?? Row(
        variant: variant, n: loaded.configuration.n, parameters: loaded.model.transformParameterCount,
        macsPerPixel: [
          "encoder": Double(complexity.encoderMACs) / pixels, "decoder": Double(complexity.decoderMACs) / pixels,
          "g_a": Double(complexity.macs(of: "g_a")) / pixels, "h_a": Double(complexity.macs(of: "h_a")) / pixels,
          "h_s": Double(complexity.macs(of: "h_s")) / pixels, "g_s": Double(complexity.macs(of: "g_s")) / pixels,
        ], points: [:], encodeSeconds: 0, decodeSeconds: 0)
      row.points[String(lambda)] = RDPointSummary(lambda: lambda, bpp: report.mean.bpp, psnr: report.mean.psnr,
                                                   msSSIM: report.mean.msSSIM)
      row.encodeSeconds = report.mean.encodeSeconds
      row.decodeSeconds = report.mean.decodeSeconds
      rows[key] = row
    }

    for teacherName in teacherNames {
      let teacher = try ModelStore.load(teacherName)
      guard let teacherModel = teacher.model as? ScaleHyperprior else {
        throw DistillationError("\(teacherName) is not a bmshj2018-hyperprior teacher")
      }
      let lambda = teacher.metadata[MetadataKey.lambda].flatMap(Double.init)
        ?? ModelRegistry.entry(named: teacherName)?.lambda ?? training.lambda
      let tag = URL(fileURLWithPath: teacherName).deletingPathExtension().lastPathComponent
      print("== teacher \(teacherName) (N=\(teacherModel.n), lambda \(lambda))")
      try record("teacher", teacher, lambda: lambda, report: evaluate(teacher, named: tag, into: root.appendingPathComponent("teacher-\(tag)")))
      for n in ns {
        for variant in skipControl ? ["distilled"] : ["distilled", "control"] {
          let folder = root.appendingPathComponent("\(tag)-N\(n)-\(variant)")
          let modelURL = folder.appendingPathComponent("model.safetensors")
          // A finished run trained for fewer steps than --steps is continued from its
          // checkpoint (and re-evaluated): a sweep can be lengthened without starting over.
          let trainedSteps = (try? SafeTensors.readMetadata(from: modelURL))?[MetadataKey.steps].flatMap(Int.init)
          if trainedSteps.map({ $0 < training.steps }) ?? true {
            if trainedSteps != nil {
              try? FileManager.default.removeItem(at: folder.appendingPathComponent("eval.json"))
            }
            let student = try StudentFactory.student(for: teacher, n: n, seed: training.seed)
            // The control starts from the same weights as the student (scratch or the
            // teacher's selected channels): the distillation loss is the only difference.
            let selection = initialization == .select ? try ChannelSelection.initialize(student, from: teacherModel) : nil
            var objective: (any TrainingObjective)? = nil
            if variant == "distilled" {
              objective = try DistillationObjective(teacher: teacherModel, studentN: n, weights: .standard, lambda: lambda,
                                                    zChannels: selection?.zChannels)
            }
            var options = training
            options.lambda = lambda
            options.out = folder.path
            let configuration = ModelConfiguration(architecture: .scaleHyperprior, n: n, m: student.m,
                                                   gdnVariant: student.gdnVariant)
            let trainer = try RDTrainer(config: options.config(for: configuration), model: student,
                                        training: trainingSet, validation: validationSet, runDirectory: folder,
                                        objective: objective)
            print("== \(variant) N=\(n) lambda \(lambda) -> \(folder.path)")
            guard try options.run(trainer, configuration: configuration,
                                  metadata: [MetadataKey.teacher: teacherName, MetadataKey.variant: variant], alwaysResume: true)
            else { throw ExitCode.interrupted }
          }
          let loaded = try ModelStore.load(file: modelURL)
          try record(variant, loaded, lambda: lambda, report: evaluate(loaded, named: folder.lastPathComponent, into: folder))
        }
      }
    }
    try writeTable(rows: Array(rows.values), to: root)
  }

  func writeTable(rows unsorted: [Row], to root: URL) throws {
    var rows = unsorted.sorted { ($0.n, $0.variant) > ($1.n, $1.variant) }
    func curve(_ row: Row) -> [RDPoint] {
      row.points.values.sorted { $0.bpp < $1.bpp }.map { RDPoint(rate: $0.bpp, quality: $0.psnr) }
    }
    let teacherRows = rows.filter { $0.variant == "teacher" }
    for i in rows.indices {
      guard let teacher = teacherRows.first, rows[i].variant != "teacher", curve(teacher).count >= 4,
        curve(rows[i]).count >= 4
      else { continue }
      do {
        rows[i].bdRateVsTeacher = try Bjontegaard.deltaRate(of: curve(rows[i]), against: curve(teacher))
        rows[i].bdPSNRVsTeacher = try Bjontegaard.deltaQuality(of: curve(rows[i]), against: curve(teacher))
        rows[i].bdNote = nil
      } catch {
        rows[i].bdNote = "\(rows[i].variant) N=\(rows[i].n): no BD-rate vs the teacher: \(error)"
      }
    }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    try encoder.encode(rows).write(to: root.appendingPathComponent("sweep.json"), options: .atomic)
    var csv = "variant,N,parameters,encoder_macs_per_pixel,decoder_macs_per_pixel,g_a,h_a,h_s,g_s,lambda,bpp,psnr,ms_ssim,bd_rate_vs_teacher,bd_psnr_vs_teacher,encode_s,decode_s\n"
    func pad(_ s: String, _ width: Int) -> String { s.count >= width ? s : String(repeating: " ", count: width - s.count) + s }
    var text = ["variant", "N", "params", "encMAC/px", "decMAC/px", "lambda", "bpp", "PSNR", "MS-SSIM", "BD-rate"]
      .map { pad($0, 10) }.joined(separator: " ") + "\n"
    for row in rows {
      for point in row.points.values.sorted(by: { $0.lambda < $1.lambda }) {
        let bd = row.bdRateVsTeacher.map { String(format: "%.2f%%", $0) } ?? "-"
        csv += [row.variant, String(row.n), String(row.parameters), String(row.macsPerPixel["encoder"] ?? 0),
                String(row.macsPerPixel["decoder"] ?? 0), String(row.macsPerPixel["g_a"] ?? 0),
                String(row.macsPerPixel["h_a"] ?? 0), String(row.macsPerPixel["h_s"] ?? 0),
                String(row.macsPerPixel["g_s"] ?? 0), String(point.lambda), String(point.bpp), String(point.psnr),
                point.msSSIM.map { String($0) } ?? "", row.bdRateVsTeacher.map { String($0) } ?? "",
                row.bdPSNRVsTeacher.map { String($0) } ?? "", String(row.encodeSeconds), String(row.decodeSeconds)]
          .joined(separator: ",") + "\n"
        text += [row.variant, String(row.n), String(row.parameters),
                 String(format: "%.0f", row.macsPerPixel["encoder"] ?? 0), String(format: "%.0f", row.macsPerPixel["decoder"] ?? 0),
                 String(format: "%.4f", point.lambda), String(format: "%.4f", point.bpp), String(format: "%.2f", point.psnr),
                 point.msSSIM.map { String(format: "%.4f", $0) } ?? "-", bd].map { pad($0, 10) }.joined(separator: " ") + "\n"
      }
    }
    try Data(csv.utf8).write(to: root.appendingPathComponent("sweep.csv"), options: .atomic)
    for note in rows.compactMap(\.bdNote) { text += "note: \(note)\n" }
    print(text)
  }
}
