import Foundation
import Training
import Watermarking

/// A mark a codec carries from its training on (`lichen train|distill --watermark-*`): written into the
/// convolution weights and kept fixed while the codec trains, the sharpness term riding on the RD loss.
public struct CodecMark {
  public var payload: [Bool]
  public var method: WatermarkMethod
  public var settings: InsertionSettings

  public init(payload: [Bool], method: WatermarkMethod, settings: InsertionSettings) {
    self.payload = payload
    self.method = method
    self.settings = settings
  }
}

extension Trainer where Task == RDTask {
  /// Trains the codec in its run folder to the last step and, on the primary rank, saves the final model
  /// (`saveFinalModel`), inserting `mark` while it trains when given: what every codec training command does.
  /// The mark's key goes to the run folder's key.json and the saved model records the method.
  /// - Parameters:
  ///   - configuration: The model's configuration, saved with it.
  ///   - metadata: The saved model's metadata (the mark's entries are added to it).
  ///   - mark: The mark to insert, or nil.
  ///   - resume: Continue the run folder's checkpoint (a resumed mark is read back from key.json).
  ///   - progress: One line per step, on every rank.
  ///   - log: The mark, the resume and the run's summaries (the primary rank).
  ///   - saveLog: The final model's lines (the quantile fit, the file written).
  ///   - stopSignal: Installs the flag polled between steps (`trainInRunFolder`).
  /// - Returns: false when stopped early (checkpoint saved, no model written).
  /// - Throws: `RunFolderError` for a checkpoint not asked to be resumed; the mark's, training's and saving's errors.
  public func trainToFinalModel(configuration: ModelConfiguration, metadata: [String: String], marking mark: CodecMark?,
                                resume: Bool, progress: (String) -> Void, log: (String) -> Void,
                                saveLog: (String) -> Void, stopSignal: () -> StopSignal) throws -> Bool {
    func run(_ metadata: [String: String]) throws -> Bool {
      guard try trainInRunFolder(resume: resume, progress: progress, log: log, stopSignal: stopSignal) else { return false }
      if isPrimary { try saveFinalModel(configuration: configuration, metadata: metadata, log: saveLog) }
      return true
    }
    guard let mark else { return try run(metadata) }
    return try WatermarkInsertion.embedWhileTraining(
      self, payload: mark.payload, method: mark.method, settings: mark.settings, seed: config.seed,
      resumed: resume && FileManager.default.fileExists(atPath: checkpointURL.path),
      log: { if isPrimary { log($0) } }
    ) { marks in (try run(metadata.merging(marks) { given, _ in given }), nil) }
  }
}
