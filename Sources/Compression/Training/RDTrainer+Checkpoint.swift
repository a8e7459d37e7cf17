import Foundation
import Torch

extension RDTrainer {
  /// Writes model, optimizer moments and schedule atomically (temp file + rename).
  public func saveCheckpoint() throws {
    var tensors: [String: TensorRecord] = [:]
    for (name, tensor) in model.stateDict() { tensors["model." + name] = try tensor.record() }
    for (prefix, optimizer, parameters) in [("main", main, model.namedParameters()), ("aux", auxiliary, model.namedParameters())] {
      for (name, p) in parameters {
        guard let (m, v) = optimizer.state(of: p) else { continue }
        tensors["\(prefix).m.\(name)"] = try m.record()
        tensors["\(prefix).v.\(name)"] = try v.record()
      }
    }
    for (name, average) in averages { tensors["ema." + name] = try average.record() }
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    let metadata = [
      MetadataKey.trainingConfiguration: String(decoding: try encoder.encode(config), as: UTF8.self),
      MetadataKey.lineage: String(decoding: try encoder.encode(lineage), as: UTF8.self),
      MetadataKey.plateau: String(decoding: try encoder.encode(plateau), as: UTF8.self),
      MetadataKey.step: String(step),
      MetadataKey.mainOptimizerSteps: String(main.stepCount),
      MetadataKey.auxiliaryOptimizerSteps: String(auxiliary.stepCount),
      MetadataKey.worldSize: String(dataParallel?.worldSize ?? 1),
    ]
    try SafeTensors.write(tensors, metadata: metadata, to: checkpointURL)
  }

  /// Restores a checkpoint written by `saveCheckpoint`; returns false when none exists.
  /// Distributed: rank 0 reads its checkpoint and sends it to every rank; the
  /// world size must be the one that wrote it (it fixes the global batch).
  @discardableResult
  public func resumeIfPossible() throws -> Bool {
    // A killed run leaves its half-written checkpoint behind; only rank 0 writes (and cleans) the folder.
    if isPrimary { try RunFolder.removeStaleTemporaries(in: runDirectory) }
    guard let file = try DataParallel.readCheckpoint(at: checkpointURL, dataParallel: dataParallel) else { return false }
    let decoder = JSONDecoder()
    guard let configJSON = file.metadata[MetadataKey.trainingConfiguration],
      let saved = try? decoder.decode(RDTrainingConfig.self, from: Data(configJSON.utf8))
    else { throw CodecError.invalidModel("\(checkpointURL.path) has no training configuration") }
    var comparable = saved
    comparable.steps = config.steps  // extending a run is allowed
    guard comparable == config else {
      throw CodecError.invalidModel("\(checkpointURL.path) was trained with a different configuration; use a new --out")
    }
    var modelEntries: [String: TensorRecord] = [:]
    for (name, record) in file.tensors where name.hasPrefix("model.") { modelEntries[String(name.dropFirst(6))] = record }
    try model.load(stateDict: modelEntries)
    for (prefix, optimizer, key) in [("main", main, MetadataKey.mainOptimizerSteps), ("aux", auxiliary, MetadataKey.auxiliaryOptimizerSteps)] {
      var moments: [(parameter: Tensor, m: Tensor, v: Tensor)] = []
      for (name, p) in model.namedParameters() {
        guard let m = file.tensors["\(prefix).m.\(name)"], let v = file.tensors["\(prefix).v.\(name)"] else { continue }
        moments.append((p, try Tensor(record: m), try Tensor(record: v)))
      }
      try optimizer.restore(stepCount: Int(file.metadata[key] ?? "0") ?? 0, moments: moments)
    }
    averages = []
    if config.emaDecay != nil {
      let named = averagedParameters
      let stored = named.compactMap { p in file.tensors["ema." + p.name].map { (p.name, $0) } }
      if !stored.isEmpty {
        guard stored.count == named.count else {
          throw CodecError.invalidModel("\(checkpointURL.path) holds averages of \(stored.count) of \(named.count) weights")
        }
        averages = try stored.map { ($0.0, try Tensor(record: $0.1)) }
      }
    }
    if let plateauJSON = file.metadata[MetadataKey.plateau] {
      plateau = try decoder.decode(PlateauSchedule.self, from: Data(plateauJSON.utf8))
    }
    if let lineageJSON = file.metadata[MetadataKey.lineage] {
      lineage = try decoder.decode([String: String].self, from: Data(lineageJSON.utf8))
    }
    step = Int(file.metadata[MetadataKey.step] ?? "0") ?? 0
    // Steps logged after this checkpoint are trained (and logged) again.
    if isPrimary { try log.truncate(afterStep: step) }
    return true
  }
}
