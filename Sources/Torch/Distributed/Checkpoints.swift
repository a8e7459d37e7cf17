import Foundation

extension DataParallel {
  /// The metadata key a distributed checkpoint records its world size under.
  public static let worldSizeKey = MetadataKey.worldSize

  /// The training checkpoint at `url` as every rank should resume it, or nil
  /// when there is none: with a group, rank 0's file sent to all ranks (the
  /// others need no copy); without, the local file. Refuses a checkpoint
  /// written by another world size (it fixes the global batch and the data
  /// order).
  public static func readCheckpoint(at url: URL, dataParallel: DataParallel?) throws -> SafeTensorsFile? {
    let file: SafeTensorsFile
    if let dataParallel {
      guard let bytes = try dataParallel.shareFile(at: url) else { return nil }
      file = try SafeTensors.decode(bytes, file: url)
    } else {
      guard FileManager.default.fileExists(atPath: url.path) else { return nil }
      file = try SafeTensors.read(from: url)
    }
    let saved = Int(file.metadata[worldSizeKey] ?? "1") ?? 1
    let current = dataParallel?.worldSize ?? 1
    guard saved == current else {
      throw TorchError(
        .distributed,
        "\(url.path) was written by \(saved) rank(s), this run has \(current); resume it with --world-size \(saved)")
    }
    return file
  }
}
