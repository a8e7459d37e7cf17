import ArgumentParser
import Compression
import Distillation
import Foundation
import Torch

/// `lichen distill`: a student with the teacher's architecture and M but N channels.
struct Distill: GlobalOptionsCommand {
  static let configuration = CommandConfiguration(
    abstract: "Distil a narrower student (N channels) from a frozen teacher codec.")

  @OptionGroup var global: GlobalOptions
  @OptionGroup var training: TrainingOptions
  @OptionGroup var distributed: DistributedOptions
  @OptionGroup var watermark: CodecWatermarkOptions
  @Option(help: "Teacher: registry name or model file (a bmshj2018-hyperprior).") var teacher: String
  @Option(name: .customLong("N"), help: "Student channels N (<= the teacher's).") var n: Int
  @Option(name: .customLong("M"), help: "Latent channels M (must equal the teacher's; default: the teacher's).") var m: Int?
  @Option(help: "Weight of the latent term MSE(y_s, y_t).") var latentWeight = DistillationObjective.Weights.standard.latent
  @Option(help: "Weight of the reconstruction term MSE(x̂_s, x̂_t).")
  var reconstructionWeight = DistillationObjective.Weights.standard.reconstruction
  @Option(help: "Weight of the student's own rate-distortion loss.")
  var rdWeight = DistillationObjective.Weights.standard.rateDistortion
  @Option(help: "Weight of the hyper-latent term MSE(z_s, z_t) (needs --initialization select or equal N).")
  var hyperLatentWeight = DistillationObjective.Weights.standard.hyperLatent
  @Option(help: "Student start: scratch (random) or select (the teacher's N most important channels).")
  var initialization: StudentInitialization = .scratch
  @Option(help: "Start from this student's weights instead (registry name or file, same N and M): fine-tune an earlier student from a retrained teacher.")
  var initFrom: String?
  @Option(help: "With --initialization select: take the channels from this model (registry name or file; same M, N >= the student's) instead of the teacher, e.g. N=32 from the N=64 student.")
  var selectFrom: String?

  func run() throws {
    let dataParallel = try distributed.connect()
    let loadedTeacher = try ModelStore.load(teacher)
    let student = try StudentFactory.student(for: loadedTeacher, n: n, m: m, seed: training.seed)
    if initFrom != nil, initialization != .scratch {
      throw ValidationError("--init-from and --initialization select exclude each other")
    }
    let weights = DistillationObjective.Weights(latent: latentWeight, reconstruction: reconstructionWeight,
                                                rateDistortion: rdWeight, hyperLatent: hyperLatentWeight)
    let setup = try DistillationSetup(teacher: loadedTeacher, student: student, initialization: initialization,
                                      initFrom: initFrom, selectFrom: try selectFrom.map(ModelStore.load),
                                      weights: weights, lambda: training.lambda)
    let (trainingSet, validationSet) = try training.imageSets()
    let trainer = try RDTrainer(config: training.config(for: setup.configuration), model: student, training: trainingSet,
                                validation: validationSet, runDirectory: URL(fileURLWithPath: training.out),
                                objective: setup.objective, dataParallel: dataParallel)
    if trainer.isPrimary { print("distilling N=\(n) M=\(student.m) from \(loadedTeacher.source) (N=\(setup.teacher.n)), "
      + "weights \(weights.description), init \(initFrom ?? initialization.rawValue)\(selectFrom.map { " from \($0)" } ?? ""), \(student.parameterCount) parameters") }
    trainer.lineage.merge(setup.lineage) { _, new in new }
    guard try training.run(trainer, configuration: setup.configuration, metadata: setup.metadata, marking: watermark.mark()) else {
      throw ExitCode.interrupted
    }
  }
}
