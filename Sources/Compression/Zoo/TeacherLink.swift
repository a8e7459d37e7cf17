import Foundation
import Torch

/// The teacher a distilled student was trained from, as recorded in the
/// student's metadata: its name, the hash of its weights and its training
/// steps. A student belongs to the bundled teacher of that name only while
/// the hashes agree; when the teachers are retrained, the link shows which
/// students need distilling again.
public struct TeacherLink: Sendable, Equatable {
  /// Metadata keys of a student model file.
  public static let nameKey = MetadataKey.teacher
  public static let weightsHashKey = MetadataKey.teacherWeightsHash
  public static let stepsKey = MetadataKey.teacherSteps

  public var name: String
  public var weightsHash: UInt64?
  public var steps: Int?

  /// The link a model's metadata records; nil for a model that is not a student.
  public init?(metadata: [String: String]) {
    guard let name = metadata[Self.nameKey], !name.isEmpty else { return nil }
    self.name = name
    weightsHash = metadata[Self.weightsHashKey].flatMap { UInt64($0, radix: 16) }
    steps = metadata[Self.stepsKey].flatMap { Int($0) }
  }

  /// The metadata a student distilled from `teacher` records.
  public static func metadata(for teacher: LoadedModel) -> [String: String] {
    var metadata = [nameKey: teacher.source, weightsHashKey: String(format: "%016llx", teacher.weightsHash)]
    if let steps = teacher.metadata[MetadataKey.steps] { metadata[stepsKey] = steps }
    return metadata
  }

  /// "hyperprior-q4 (30921 steps)".
  public var description: String { name + (steps.map { " (\($0) steps)" } ?? "") }

  /// Nil when the teacher is the bundled model of that name (same weights
  /// hash) or is not a bundled model; otherwise a one-line warning.
  public func mismatchWithBundledTeacher() -> String? {
    guard let entry = ModelRegistry.entry(named: name), !entry.isInteger, (try? entry.url()) != nil else { return nil }
    guard let recorded = weightsHash else {
      return "distilled from an earlier \(name) (no teacher hash recorded); the bundled \(name) may be a retrained one"
    }
    guard let bundled = Self.bundledWeightsHash(name) else { return nil }
    guard recorded != bundled else { return nil }
    return String(format: "distilled from another %@ (weights %016llx), not the bundled one (%016llx)", name, recorded, bundled)
  }

  /// Weights hashes of bundled teachers, each computed once (loading a teacher
  /// hashes every tensor; `lichen models` asks once per student).
  private static let bundledHashes = Locked<[String: UInt64]>([:])

  static func bundledWeightsHash(_ name: String) -> UInt64? {
    if let known = bundledHashes.value[name] { return known }
    guard let hash = try? ModelStore.load(name).weightsHash else { return nil }
    bundledHashes.update { $0[name] = hash }
    return hash
  }

  /// The warning for a bundled student (registry name), prefixed with its name; nil when it belongs to its teacher.
  public static func warning(forRegistryEntry name: String) -> String? {
    guard let url = try? ModelRegistry.entry(named: name)?.url(), let metadata = try? SafeTensors.readMetadata(from: url),
      let link = TeacherLink(metadata: metadata), let problem = link.mismatchWithBundledTeacher()
    else { return nil }
    return "\(name): \(problem)"
  }

  /// The warning for a loaded model, prefixed with its name; nil when it is not a student or belongs to its teacher.
  public static func warning(for model: LoadedModel) -> String? {
    guard let link = TeacherLink(metadata: model.metadata), let problem = link.mismatchWithBundledTeacher() else { return nil }
    return "\(model.source): \(problem)"
  }
}
