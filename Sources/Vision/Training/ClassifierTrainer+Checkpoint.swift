import Foundation
import Torch

extension ClassifierTrainer {
  /// Writes model, optimizer state and step atomically (temp file + rename).
  public func saveCheckpoint() throws {
    var tensors: [String: TensorRecord] = [:]
    for (name, tensor) in model.stateDict() { tensors["model." + name] = try tensor.record() }
    var metadata: [String: String] = ["step": String(step)]
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
  /// `epochs` or `maximumSteps` is allowed, to extend a run).
  @discardableResult
  public func resumeIfPossible() throws -> Bool {
    guard FileManager.default.fileExists(atPath: checkpointURL.path) else { return false }
    let file = try SafeTensors.read(from: checkpointURL)
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

  /// Sets SGD's momentum buffers. `SGD` has no restore API, so its buffers
  /// are created by one step with zero gradients, zero learning rate and zero
  /// weight decay - which leaves every weight bit-identical (w + -0 = w) -
  /// and then overwritten with the saved values.
  private func restoreMomentum(_ sgd: SGD, _ velocities: [(Tensor, Tensor)]) throws {
    guard !velocities.isEmpty else { return }
    let saved = sgd.groups.map { ($0.learningRate, $0.weightDecay) }
    for group in sgd.groups {
      group.learningRate = 0
      group.weightDecay = 0
    }
    defer {
      for (group, values) in zip(sgd.groups, saved) { (group.learningRate, group.weightDecay) = values }
    }
    try sgd.zeroGrad()
    for (parameter, _) in velocities { try parameter.setGrad(Tensor.zeros(like: parameter)) }
    try sgd.step()
    try sgd.zeroGrad()
    try withNoGrad {
      for (parameter, velocity) in velocities {
        guard let buffer = sgd.state(of: parameter), buffer.shape == velocity.shape else {
          throw VisionError(.incompatibleModel, source: checkpointURL.path, "momentum buffer does not match its parameter")
        }
        try buffer.copy_(velocity)
      }
    }
  }
}
