import Foundation
import Torch

extension ClassifierTrainer {
  /// Writes model, optimizer state, step and world size atomically (temp file + rename).
  public func saveCheckpoint() throws {
    try TrainingCheckpoint.save(
      model: model, optimizer: optimizer, config: config, step: step,
      metadata: [DataParallel.worldSizeKey: String(dataParallel?.worldSize ?? 1)], to: checkpointURL)
  }

  /// Restores a checkpoint written by `saveCheckpoint`; false when none exists.
  /// Throws when it was written for a different configuration (a larger
  /// `epochs` or `maximumSteps` is allowed, to extend a run) or world size.
  /// Distributed: rank 0 reads its checkpoint and sends it to every rank.
  @discardableResult
  public func resumeIfPossible() throws -> Bool {
    if isPrimary { try RunFolder.removeStaleTemporaries(in: runDirectory) }
    guard let file = try DataParallel.readCheckpoint(at: checkpointURL, dataParallel: dataParallel) else { return false }
    step = try TrainingCheckpoint.resume(file, config: config, model: model, optimizer: optimizer, source: checkpointURL)
    if isPrimary { try log.truncate(afterStep: step) }
    return true
  }
}
