import Foundation
import Torch

/// One checkpoint format for every task: the model's state dict under `model.`, the trained
/// weights' optimizer state under `sgd.momentum.` or `adam.m.` / `adam.v.` (metadata `adam_steps`),
/// an auxiliary optimizer's Adam moments under `aux.m.` / `aux.v.` (`aux_steps`), the weight
/// average under `ema.`, the step, the
/// task's configuration (JSON), the world size, and the task's own state
/// (`TrainingTask.checkpointState`). Codec checkpoints written before the engine was shared keep
/// their Adam moments under `main.m.` / `main.v.` (`main_steps`); they still resume.
extension Trainer {
  /// Writes the checkpoint atomically (temp file + rename).
  public func saveCheckpoint() throws {
    var (tensors, metadata) = try task.checkpointState()
    tensors.merge(try averageEntries()) { _, average in average }
    for (name, tensor) in task.model.stateDict() { tensors["model." + name] = try tensor.record() }
    for (name, parameter) in task.model.namedParameters() {
      if let sgd = optimizer as? SGD, let velocity = sgd.state(of: parameter) {
        tensors["sgd.momentum." + name] = try velocity.record()
      } else if let adam = optimizer as? Adam, let (m, v) = adam.state(of: parameter) {
        tensors["adam.m." + name] = try m.record()
        tensors["adam.v." + name] = try v.record()
      }
      if let adam = auxiliary as? Adam, let (m, v) = adam.state(of: parameter) {
        tensors["aux.m." + name] = try m.record()
        tensors["aux.v." + name] = try v.record()
      }
    }
    if let adam = optimizer as? Adam { metadata[MetadataKey.adamSteps] = String(adam.stepCount) }
    if let adam = auxiliary as? Adam { metadata[MetadataKey.auxiliaryOptimizerSteps] = String(adam.stepCount) }
    metadata[MetadataKey.step] = String(step)
    metadata[MetadataKey.worldSize] = String(dataParallel?.worldSize ?? 1)
    metadata[MetadataKey.cpuSeconds] = String(cpuSeconds)
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    metadata[MetadataKey.trainingConfiguration] = String(decoding: try encoder.encode(task.configuration), as: UTF8.self)
    try SafeTensors.write(tensors, metadata: metadata, to: checkpointURL)
  }

  /// Restores the run folder's checkpoint; false when there is none. Throws when it was written
  /// for a configuration this run cannot continue (`TrainingTask.canResume`) or another world size.
  /// Distributed: rank 0 reads it and sends it to every rank. Log rows after its step are dropped
  /// (those steps are trained and logged again).
  @discardableResult
  public func resumeIfPossible() throws -> Bool {
    // A killed run leaves its half-written checkpoint behind; only rank 0 writes (and cleans) the folder.
    if isPrimary { try RunFolder.removeStaleTemporaries(in: runDirectory) }
    guard let file = try DataParallel.readCheckpoint(at: checkpointURL, dataParallel: dataParallel) else { return false }
    guard let json = file.metadata[MetadataKey.trainingConfiguration],
      let saved = try? JSONDecoder().decode(Task.Configuration.self, from: Data(json.utf8))
    else { throw task.checkpointError("no training configuration in checkpoint", source: checkpointURL) }
    guard task.canResume(from: saved) else {
      throw task.checkpointError("checkpoint was written with a different configuration; use a new run directory",
                                 source: checkpointURL)
    }
    var modelEntries: [String: TensorRecord] = [:]
    for (name, record) in file.tensors where name.hasPrefix("model.") { modelEntries[String(name.dropFirst(6))] = record }
    do {
      try task.model.load(stateDict: modelEntries)
    } catch let error as TorchError {
      throw task.checkpointError(error.message, source: checkpointURL)
    }
    try restoreOptimizer(from: file)
    try restoreAverages(from: file)
    try task.restoreState(from: file, source: checkpointURL)
    step = Int(file.metadata[MetadataKey.step] ?? "0") ?? 0
    // Checkpoints written before the CPU time was kept count from 0.
    cpuSeconds = file.metadata[MetadataKey.cpuSeconds].flatMap(Double.init) ?? 0
    if isPrimary {
      try log.truncate(afterStep: step)
      try cpuLog.truncate(afterStep: step)
    }
    return true
  }

  func restoreOptimizer(from file: SafeTensorsFile) throws {
    let parameters = task.model.namedParameters()
    func restore(_ adam: Adam, prefix: String, stepsKey: String) throws {
      var moments: [(parameter: Tensor, m: Tensor, v: Tensor)] = []
      for (name, p) in parameters {
        guard let m = file.tensors["\(prefix).m.\(name)"], let v = file.tensors["\(prefix).v.\(name)"] else { continue }
        moments.append((p, try Tensor(record: m), try Tensor(record: v)))
      }
      try adam.restore(stepCount: Int(file.metadata[stepsKey] ?? "0") ?? 0, moments: moments)
    }
    if let adam = auxiliary as? Adam { try restore(adam, prefix: "aux", stepsKey: MetadataKey.auxiliaryOptimizerSteps) }
    if let adam = optimizer as? Adam {
      let legacy = file.tensors.keys.contains { $0.hasPrefix("main.m.") }
      try restore(adam, prefix: legacy ? "main" : "adam", stepsKey: legacy ? MetadataKey.mainOptimizerSteps : MetadataKey.adamSteps)
    } else if let sgd = optimizer as? SGD {
      let velocities = try parameters.compactMap { name, p in
        try file.tensors["sgd.momentum." + name].map { (parameter: p, velocity: try Tensor(record: $0)) }
      }
      do {
        try sgd.restore(momentum: velocities)
      } catch {
        throw task.checkpointError("momentum buffer does not match its parameter", source: checkpointURL)
      }
    }
  }
}
