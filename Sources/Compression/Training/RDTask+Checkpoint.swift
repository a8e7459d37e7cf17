import Foundation
import Torch

/// What a codec checkpoint keeps beyond the model, the optimizers and the weight average: the
/// plateau schedule and the lineage.
extension RDTask {
  public func checkpointState() throws -> (tensors: [String: TensorRecord], metadata: [String: String]) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    return ([:], [
      MetadataKey.lineage: String(decoding: try encoder.encode(lineage), as: UTF8.self),
      MetadataKey.plateau: String(decoding: try encoder.encode(plateau), as: UTF8.self),
    ])
  }

  public func restoreState(from file: SafeTensorsFile, source: URL) throws {
    let decoder = JSONDecoder()
    if let plateauJSON = file.metadata[MetadataKey.plateau] {
      plateau = try decoder.decode(PlateauSchedule.self, from: Data(plateauJSON.utf8))
    }
    if let lineageJSON = file.metadata[MetadataKey.lineage] {
      lineage = try decoder.decode([String: String].self, from: Data(lineageJSON.utf8))
    }
  }
}
