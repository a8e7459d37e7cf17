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
  ///   - selectFrom: with select, the model whose channels are selected instead of the teacher's: a wider
  ///     student of the same teacher is a smaller step down (e.g. N=32 from the N=64 student).
  /// - Throws: `DistillationError` for a teacher that is not a hyperprior, for `selectFrom` without select
  ///   or narrower than the student, or with the hyper-latent term (its z channels are not the teacher's);
  ///   the loaders' errors for `initFrom`.
  public init(teacher loaded: LoadedModel, student: ScaleHyperprior, initialization: StudentInitialization,
              initFrom: String?, selectFrom: LoadedModel? = nil, weights: DistillationObjective.Weights,
              lambda: Double) throws {
    guard let teacher = loaded.model as? ScaleHyperprior else { throw DistillationError("unreachable") }
    var source = teacher
    if let selectFrom {
      guard initialization == .select, initFrom == nil else {
        throw DistillationError("selecting channels from \(selectFrom.source) needs --initialization select without --init-from")
      }
      guard let model = selectFrom.model as? ScaleHyperprior, model.m == student.m, model.n >= student.n else {
        throw DistillationError("\(selectFrom.source) is not a scale hyperprior with M=\(student.m) and N >= \(student.n)")
      }
      guard weights.hyperLatent == 0 else {
        throw DistillationError("the hyper-latent term needs the teacher's own channels; it cannot be used with channels selected from \(selectFrom.source)")
      }
      source = model
    }
    var selection: ChannelSelection?
    if let initFrom {
      lineage = try ModelStore.startFineTuning(student, from: initFrom)
    } else {
      lineage = [:]
      if initialization == .select { selection = try ChannelSelection.initialize(student, from: source) }
    }
    self.teacher = teacher
    objective = try DistillationObjective(teacher: teacher, studentN: student.n, weights: weights, lambda: lambda,
                                          zChannels: selectFrom == nil ? selection?.zChannels : nil)
    configuration = ModelConfiguration(architecture: .scaleHyperprior, n: student.n, m: student.m,
                                       gdnVariant: student.gdnVariant)
    metadata = TeacherLink.metadata(for: loaded).merging([
      MetadataKey.distillation: "\(weights.description) init=\(initFrom ?? initialization.rawValue)"
        + (selectFrom.map { " select-from=\($0.source)" } ?? ""),
    ]) { a, _ in a }
  }
}
