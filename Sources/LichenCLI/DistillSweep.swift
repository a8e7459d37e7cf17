import ArgumentParser
import Compression
import Distillation
import Foundation
import Torch

extension StudentInitialization: ExpressibleByArgument {}

/// `lichen distill-sweep`: students at several N (and same-budget controls
/// trained without distillation), all evaluated on one folder, in one table
/// (`DistillationSweep`). Every run lives in its own folder under --out;
/// finished runs are reused and interrupted ones resumed.
struct DistillSweep: GlobalOptionsCommand {
  static let configuration = CommandConfiguration(
    commandName: "distill-sweep",
    abstract: "Distil students at several N, train same-budget controls, evaluate all, write one table.")

  @OptionGroup var global: GlobalOptions
  @OptionGroup var training: TrainingOptions
  @Option(help: "Teachers (registry names or files), one per lambda; BD-rates need at least 4.") var teachers: String
  @Option(name: .customLong("N"), help: "Student widths, e.g. 16,32,64,96.") var widths: String
  @Option(help: "Evaluation folder (e.g. Kodak).") var evalData: String
  @Option(help: "Evaluate only the first K images.") var evalLimit: Int?
  @Option(help: "Student start: scratch or select.") var initialization: StudentInitialization = .scratch
  @Flag(help: "Skip the controls trained without distillation.") var skipControl = false

  func run() throws {
    let ns = try parseList(widths, "--N")
    guard !ns.isEmpty, !ns.contains(0) else { throw ValidationError("--N expects positive integers, got '\(widths)'") }
    let root = URL(fileURLWithPath: training.out)
    var sweep = DistillationSweep(
      teachers: teachers.split(separator: ",").map(String.init), widths: ns, steps: training.steps, seed: training.seed,
      fallbackLambda: training.lambda, evaluation: try ImageSet.load(directory: URL(fileURLWithPath: evalData)),
      evaluationName: evalData)
    sweep.initialization = initialization
    sweep.includesControls = !skipControl
    sweep.evaluationLimit = evalLimit
    let (trainingSet, validationSet) = try training.imageSets()
    let rows = try sweep.run(root: root, log: { print($0) }) { run in
      let trainer = try run.trainer(training.config(for: run.configuration), training: trainingSet,
                                    validation: validationSet)
      return try training.run(trainer, configuration: run.configuration, metadata: run.metadata, alwaysResume: true)
    }
    guard let rows else { throw ExitCode.interrupted }
    try PrettyJSON.write(rows, to: root.appendingPathComponent("sweep.json"))
    try Data(DistillationSweepRow.csv(rows).utf8).write(to: root.appendingPathComponent("sweep.csv"), options: .atomic)
    print(DistillationSweepRow.text(rows))
  }
}
