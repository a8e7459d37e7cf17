import Foundation
import Torch

/// The part of a checkpoint every trainer writes the same way: the model's
/// state dict under `model.`, SGD momentum under `sgd.momentum.` or Adam's
/// moments under `adam.m.` / `adam.v.` (metadata `adam_steps`), so BN
/// statistics and optimizer state survive a resume exactly.
enum TrainingCheckpoint {
  static func entries(model: any Module, optimizer: any Optimizer) throws
    -> (tensors: [String: TensorRecord], metadata: [String: String])
  {
    var tensors: [String: TensorRecord] = [:]
    var metadata: [String: String] = [:]
    for (name, tensor) in model.stateDict() { tensors["model." + name] = try tensor.record() }
    for (name, parameter) in model.namedParameters() {
      if let sgd = optimizer as? SGD, let velocity = sgd.state(of: parameter) {
        tensors["sgd.momentum." + name] = try velocity.record()
      } else if let adam = optimizer as? Adam, let (m, v) = adam.state(of: parameter) {
        tensors["adam.m." + name] = try m.record()
        tensors["adam.v." + name] = try v.record()
      }
    }
    if let adam = optimizer as? Adam { metadata["adam_steps"] = String(adam.stepCount) }
    return (tensors, metadata)
  }

  /// Loads the model (strictly) and the optimizer state from a checkpoint file's entries.
  static func restore(_ file: SafeTensorsFile, model: any Module, optimizer: any Optimizer, source: URL) throws {
    var modelEntries: [String: TensorRecord] = [:]
    for (name, record) in file.tensors where name.hasPrefix("model.") { modelEntries[String(name.dropFirst(6))] = record }
    do {
      try model.load(stateDict: modelEntries)
    } catch let error as TorchError {
      throw VisionError(.incompatibleModel, source: source.path, error.message)
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
        try file.tensors["sgd.momentum." + name].map { (parameter: p, velocity: try Tensor(record: $0)) }
      }
      do {
        try sgd.restore(momentum: velocities)
      } catch {
        throw VisionError(.incompatibleModel, source: source.path, "momentum buffer does not match its parameter")
      }
    }
  }
}
