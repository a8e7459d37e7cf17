import Foundation
import Torch

extension ClassifierTrainer {
  /// Writes model, optimizer state and step atomically (temp file + rename).
  public func saveCheckpoint() throws {
    var tensors: [String: TensorRecord] = [:]
    for (name, tensor) in model.stateDict() { tensors["model." + name] = try tensor.record() }
    var metadata: [String: String] = ["step": String(step), "world_size": String(dataParallel?.worldSize ?? 1)]
    for (name, parameter) in model.namedParameters() {
      if let sgd = optimizer as? SGD, let velocity = sgd.state(of: parameter) {
        tensors["sgd.momentum." + name] = try velocity.record()
      } else if let adam = optimizer as? Adam, let (m, v) = adam.state(of: parameter) {
        tensors["adam.m." + name] = try m.record()
        tensors["adam.v." + name] = try v.record()
      }
    }
    if let adam = optimizer as? Adam { metadata["adam_steps"] = String(adam.stepCount) }
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
    let file: SafeTensorsFile
    if let dataParallel {
      guard let bytes = try dataParallel.shareFile(at: checkpointURL) else { return false }
      file = try SafeTensors.decode(bytes, file: checkpointURL)
    } else {
      guard FileManager.default.fileExists(atPath: checkpointURL.path) else { return false }
      file = try SafeTensors.read(from: checkpointURL)
    }
    let savedWorldSize = Int(file.metadata["world_size"] ?? "1") ?? 1
    guard savedWorldSize == (dataParallel?.worldSize ?? 1) else {
      throw VisionError(
        .incompatibleModel, source: checkpointURL.path,
        "checkpoint was written by \(savedWorldSize) rank(s); resume it with --world-size \(savedWorldSize)")
    }
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
    var modelEntries: [String: TensorRecord] = [:]
    for (name, record) in file.tensors where name.hasPrefix("model.") { modelEntries[String(name.dropFirst(6))] = record }
    do {
      try model.load(stateDict: modelEntries)
    } catch let error as TorchError {
      throw VisionError(.incompatibleModel, source: checkpointURL.path, error.message)
    }
    let parameters = model.namedParameters()
    if let adam = optimizer as? Adam {
      var moments: [(parameter: Tensor, m: Tensor, v: Tensor)] = []
      for (name, p) in parameters {
        guard let m = file.tensors["adam.m." + name], let v = file.tensors["adam.v." + name] else { continue }
        moments.append((p, try Tensor(record: m), try Tensor(record: v)))
      }
      try adam.restore(stepCount: Int(file.metadata["adam_steps"] ?? "0") ?? 0, moments: moments)
    } else if let sgd = optimizer as? SGD {
      let velocities = try parameters.compactMap { name, p in
        try file.tensors["sgd.momentum." + name].map { (p, try Tensor(record: $0)) }
      }
      try restoreMomentum(sgd, velocities)
    }
    step = Int(file.metadata["step"] ?? "0") ?? 0
    return true
  }

  private func restoreMomentum(_ sgd: SGD, _ velocities: [(Tensor, Tensor)]) throws {
    do {
      try sgd.restore(momentum: velocities.map { (parameter: $0.0, velocity: $0.1) })
    } catch {
      throw VisionError(.incompatibleModel, source: checkpointURL.path, "momentum buffer does not match its parameter")
    }
  }
}
