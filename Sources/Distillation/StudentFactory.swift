import Compression

/// Builds a student for a teacher, checking the pairing.
public enum StudentFactory {
  /// A ScaleHyperprior with the teacher's M (and GDN variant) and `n` channels.
  public static func student(for teacher: LoadedModel, n: Int, m: Int? = nil, seed: UInt64 = 0) throws
    -> ScaleHyperprior
  {
    guard let t = teacher.model as? ScaleHyperprior else {
      throw DistillationError(
        "the teacher is a \(teacher.configuration.architecture.rawValue); distillation needs a bmshj2018-hyperprior teacher")
    }
    guard n > 0 else { throw DistillationError("--N must be positive, got \(n)") }
    guard n <= t.n else { throw DistillationError("student N=\(n) is larger than the teacher's N=\(t.n)") }
    if let m, m != t.m {
      throw DistillationError("student M=\(m) differs from the teacher's M=\(t.m); the latent size must match")
    }
    return try ScaleHyperprior(n: n, m: t.m, gdnVariant: t.gdnVariant, seed: seed)
  }
}
