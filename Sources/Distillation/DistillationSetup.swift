import Compression
import Foundation
import Torch

/// What `lichen distill` trains: a student's start (its own file's weights, the teacher's selected channels or
/// scratch), the objective against the teacher and the configuration and metadata the student is saved with.
public struct DistillationSetup {
  public let teacher: ScaleHyperprior
  public let objective: DistillationObjective
  public let configuration: ModelConfiguration
  /// The run's lineage when the student starts from `initFrom` (`RDTrainer.lineage`); empty otherwise.
  public let lineage: [String: String]
  /// The teacher's link and the distillation recorded in the student's file.
  public let metadata: [String: String]

  /// Initializes `student` and builds the objective.
  /// - Parameters:
  ///   - student: a student of the teacher (`StudentFactory.student`); its weights are overwritten when it starts
  ///     from `initFrom` or from the teacher's channels.
  ///   - initialization: scratch keeps `student`'s weights, select copies the teacher's most important channels;
  ///     ignored when `initFrom` is given.
  ///   - initFrom: a registry name or file of an earlier student (same N and M) to fine-tune.
  /// - Throws: `DistillationError` for a teacher that is not a hyperprior, the loaders' errors for `initFrom`.
  public init(teacher loaded: LoadedModel, student: ScaleHyperprior, initialization: StudentInitialization,
              initFrom: String?, weights: DistillationObjective.Weights, lambda: Double) throws {
    guard let teacher = loaded.model as? ScaleHyperprior else { throw DistillationError("unreachable") }
    var selection: ChannelSelection?
    if let initFrom {
      lineage = try ModelStore.startFineTuning(student, from: initFrom)
    } else {
      lineage = [:]
      if initialization == .select { selection = try ChannelSelection.initialize(student, from: teacher) }
    }
    self.teacher = teacher
    objective = try DistillationObjective(teacher: teacher, studentN: student.n, weights: weights, lambda: lambda,
                                          zChannels: selection?.zChannels)
    configuration = ModelConfiguration(architecture: .scaleHyperprior, n: student.n, m: student.m,
                                       gdnVariant: student.gdnVariant)
    metadata = TeacherLink.metadata(for: loaded).merging([
      MetadataKey.distillation: "\(weights.description) init=\(initFrom ?? initialization.rawValue)",
    ]) { a, _ in a }
  }
}
