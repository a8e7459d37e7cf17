import Foundation
import Torch

extension ModelRegistry {
  /// One line per bundled model, float then integer: name, lambda, what it is, file size, training steps,
  /// recorded Kodak RD, its teacher (students; flagged when it is not the bundled teacher) and the engine
  /// `--engine auto` runs it on.
  public static var listing: [String] {
    (entries + integerEntries).map { entry in
      guard let url = try? entry.url() else { return "\(entry.name)  lambda \(entry.lambda)  (not in this build)" }
      let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
      let meta = (try? SafeTensors.readMetadata(from: url)) ?? [:]
      let rd = meta[MetadataKey.kodak].map { "  Kodak \($0)" } ?? ""
      let teacher = TeacherLink(metadata: meta).map { link in
        "  teacher \(link.description)" + (link.mismatchWithBundledTeacher() == nil ? "" : " [not the bundled teacher: re-distil]")
      } ?? ""
      return String(format: "%@%@  lambda %.4f  %@  %.1f MB  steps %@%@%@  %@", entry.name,
                    entry.name == defaultName ? " (default)" : "", entry.lambda, entry.summary, Double(size) / 1e6,
                    meta[MetadataKey.steps] ?? "?", rd, teacher, engineDescription(of: entry))
    }
  }

  /// What `--engine auto` runs for this name.
  public static func engineDescription(of entry: Entry) -> String {
    if entry.isInteger { return "[integer engine]" }
    if let integer = integerVersion(of: entry.name) { return "[integer engine: \(integer.name); --engine float for this]" }
    return "[float engine]"
  }
}
