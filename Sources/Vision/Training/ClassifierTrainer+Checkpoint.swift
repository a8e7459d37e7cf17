import Foundation
import Torch

extension ClassifierTrainer {
  /// Writes model, optimizer state and step atomically (temp file + rename).
  public func saveCheckpoint() throws {
    var (tensors, metadata) = try TrainingCheckpoint.entries(model: model, optimizer: optimizer)
    metadata["step"] = String(step)
    metadata[DataParallel.worldSizeKey] = String(dataParallel?.worldSize ?? 1)
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    metadata["config"] = String(decoding: try encoder.encode(config), as: UTF8.self)
    try SafeTensors.write(tensors, metadata: metadata, to: checkpointURL)
  }

  /// Restores a checkpoint written by `saveCheckpoint`; false when none exists.
  /// Throws when it was written for a different configuration (a larger
  /// `epochs` or `maximumSteps` is allowed, to extend a run) or world size.
  /// Distributed: rank 0 reads its checkpoint and sends it to every rank.
  @discardableResult
  public func resumeIfPossible() throws -> Bool {
    guard let file = try DataParallel.readCheckpoint(at: checkpointURL, dataParallel: dataParallel) else { return false }
    guard let configJSON = file.metadata["config"],
      let saved = try? JSONDecoder().decode(ClassifierTrainingConfig.self, from: Data(configJSON.utf8))
    else { throw VisionError(.incompatibleModel, source: checkpointURL.path, "no training configuration in checkpoint") }
    var comparable = saved
    comparable.epochs = config.epochs
    comparable.maximumSteps = config.maximumSteps
    guard comparable == config else {
      throw VisionError(
        .incompatibleModel, source: checkpointURL.path,
        "checkpoint was written with a different configuration; use a new run directory")
    }
    try TrainingCheckpoint.restore(file, model: model, optimizer: optimizer, source: checkpointURL)
    step = Int(file.metadata["step"] ?? "0") ?? 0
    return true
  }
}
