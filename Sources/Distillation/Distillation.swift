/// Distillation: derives a lean student codec from a teacher by ONE width
/// hyperparameter, the channel count N (the LIC paper's first contribution;
/// REFERENCE.md section 1). The student has the teacher's architecture and
/// latent size M; training adds feature terms to the RD loss
/// (`DistillationObjective`), optionally starting from the teacher's most
/// important channels (`ChannelSelection`). Training itself is Compression's
/// `RDTrainer`: this module only supplies the objective and the start point.
public enum DistillationModule {}

/// What is wrong with a teacher/student pairing, in words a user can act on.
public struct DistillationError: Error, CustomStringConvertible, Equatable, Sendable {
  public var message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}
