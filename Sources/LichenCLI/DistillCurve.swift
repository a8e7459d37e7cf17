import ArgumentParser
import Compression
import Distillation
import Foundation

extension LearningCurve.Axis: ExpressibleByArgument {}
/// `lichen distill-curve`: runs' validations as rate change against their teachers over steps or CPU hours (`LearningCurve`).
struct DistillCurve: GlobalOptionsCommand {
  static let configuration = CommandConfiguration(
    commandName: "distill-curve",
    abstract: "Learning curves: each run's validations as rate change against its teachers at equal PSNR.")

  @OptionGroup var global: GlobalOptions
  @Option(help: "Teachers (registry names or files), one per lambda, at least 4.") var teachers: String
  @Option(help: "The runs' training folder (every 20th image is the validation set, as in training).") var data: String
  @Option(help: "The runs' validation folder, when they trained with --val.") var val: String?
  @Option(name: .customLong("run"), help: "LABEL=RUN_FOLDER (its log.csv); repeat for each run.") var runs: [String]
  @Option(help: "Write the curves here (SVG).") var svg: String?
  @Option(help: "Write every point here (CSV).") var csv: String?
  @Option(help: "Plot title.") var title = "Learning curves against the teachers"
  @Option(help: "x axis: steps, or cpu-hours (from each run's cpu.csv).") var x: LearningCurve.Axis = .steps

  func run() throws {
    let sets = try ImageSet.trainingAndValidation(data: URL(fileURLWithPath: data), validation: val.map(URL.init(fileURLWithPath:)))
    let report = try LearningCurve.Report.measure(teachers: teachers.split(separator: ",").map(String.init),
                                                   validation: sets.validation, runs: runs.map(LearningCurve.Run.init))
    if let svg { try report.plot(title: title, axis: x).write(to: URL(fileURLWithPath: svg)) }
    if let csv { try Data(report.csv.utf8).write(to: URL(fileURLWithPath: csv), options: .atomic) }
    print(report.summary)
  }
}
