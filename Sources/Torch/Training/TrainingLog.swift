import Foundation

/// A run folder's `log.csv`: one header line, then one row per step whose
/// first column is the step number. Every trainer writes through it, so a
/// resumed run's log equals an uninterrupted run's byte for byte.
public struct TrainingLog: Sendable {
  public let url: URL
  /// The CSV header (column names, no newline).
  public let header: String

  public init(url: URL, header: String) {
    self.url = url
    self.header = header
  }

  /// Appends one row (fields joined by commas), writing the header first when the file is new.
  public func append(_ fields: [String]) throws {
    if !FileManager.default.fileExists(atPath: url.path) {
      try (header + "\n").write(to: url, atomically: true, encoding: .utf8)
    }
    let handle = try FileHandle(forWritingTo: url)
    defer { try? handle.close() }
    try handle.seekToEnd()
    try handle.write(contentsOf: Data((fields.joined(separator: ",") + "\n").utf8))
  }

  /// Drops the rows after `step` (those a killed run logged past its last
  /// checkpoint, which the resumed run logs again). Rewritten atomically; a
  /// missing log is left missing, and a line that is not a row (a torn last
  /// line from a kill mid-write) is dropped with the rows after the step.
  public func truncate(afterStep step: Int) throws {
    guard FileManager.default.fileExists(atPath: url.path) else { return }
    let text: String
    do { text = try String(contentsOf: url, encoding: .utf8) } catch {
      throw SerializationError(.io, "cannot read training log: \(error.localizedDescription)", file: url.path)
    }
    var kept = [header]
    var changed = false
    for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      if index == 0 {
        if line != header { changed = true }
        continue
      }
      if line.isEmpty { continue }
      if let rowStep = line.split(separator: ",", maxSplits: 1).first.flatMap({ Int($0) }), rowStep <= step,
        line.split(separator: ",", omittingEmptySubsequences: false).count == header.split(separator: ",").count
      {
        kept.append(String(line))
      } else {
        changed = true
      }
    }
    guard changed || !text.hasSuffix("\n") else { return }
    try (kept.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
  }
}

/// A training run's folder: what a resume must clean before it continues.
public enum RunFolder {
  /// Removes the temporary files an atomic write left when the process was
  /// killed before its rename (`.NAME.UUID.tmp` from checkpoints and model
  /// files, `.NAME.tmp-XXXXXX` from image writes). Only files in `directory`
  /// itself, only those names: returns the names removed.
  @discardableResult
  public static func removeStaleTemporaries(in directory: URL) throws -> [String] {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return [] }
    var removed: [String] = []
    for name in names.sorted() where isAtomicTemporary(name) {
      do {
        try FileManager.default.removeItem(at: directory.appendingPathComponent(name))
        removed.append(name)
      } catch {
        throw SerializationError(.io, "cannot remove stale temporary file", file: directory.appendingPathComponent(name).path)
      }
    }
    return removed
  }

  /// True for the names `AtomicFile` and Imaging's atomic writer give their temporary files.
  static func isAtomicTemporary(_ name: String) -> Bool {
    guard name.hasPrefix(".") else { return false }
    if name.hasSuffix(".tmp") {
      let parts = name.dropLast(4).split(separator: ".")
      guard let last = parts.last, parts.count >= 2 else { return false }
      return UUID(uuidString: String(last)) != nil
    }
    if let range = name.range(of: ".tmp-", options: .backwards) {
      let suffix = name[range.upperBound...]
      return suffix.count == 6 && suffix.allSatisfy { $0.isLetter || $0.isNumber }
    }
    return false
  }
}
