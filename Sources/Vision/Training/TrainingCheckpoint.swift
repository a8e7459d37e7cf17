import Foundation
import Torch

/// The part of a checkpoint every trainer writes the same way: the model's
/// state dict under `model.`, SGD momentum under `sgd.momentum.` or Adam's
/// moments under `adam.m.` / `adam.v.` (metadata `adam_steps`), so BN
/// statistics and optimizer state survive a resume exactly.
enum TrainingCheckpoint {
  /// Writes model, optimizer state, step and configuration (JSON) atomically (temp file + rename).
  static func save<Config: ExtendableTrainingConfig>(
    model: any Module, optimizer: any Optimizer, config: Config, step: Int, metadata extra: [String: String] = [:],
    to url: URL
  ) throws {
    var (tensors, metadata) = try entries(model: model, optimizer: optimizer)
    metadata.merge(extra) { _, new in new }
    metadata[MetadataKey.step] = String(step)
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    metadata[MetadataKey.trainingConfiguration] = String(decoding: try encoder.encode(config), as: UTF8.self)
    try SafeTensors.write(tensors, metadata: metadata, to: url)
  }

  /// Restores a checkpoint written by `save` into `model` and `optimizer` and returns its step.
  /// Throws when it was written for another configuration (only `epochs` and `maximumSteps`
  /// may differ, to extend a run).
  static func resume<Config: ExtendableTrainingConfig>(
    _ file: SafeTensorsFile, config: Config, model: any Module, optimizer: any Optimizer, source: URL
  ) throws -> Int {
    guard let json = file.metadata[MetadataKey.trainingConfiguration], var saved = try? JSONDecoder().decode(Config.self, from: Data(json.utf8))
    else { throw VisionError(.incompatibleModel, source: source.path, "no training configuration in checkpoint") }
    saved.epochs = config.epochs
    saved.maximumSteps = config.maximumSteps
    guard saved == config else {
      throw VisionError(
        .incompatibleModel, source: source.path,
        "checkpoint was written with a different configuration; use a new run directory")
    }
    try restore(file, model: model, optimizer: optimizer, source: source)
    return Int(file.metadata[MetadataKey.step] ?? "0") ?? 0
  }

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
    if let adam = optimizer as? Adam { metadata[MetadataKey.adamSteps] = String(adam.stepCount) }
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
      try adam.restore(stepCount: Int(file.metadata[MetadataKey.adamSteps] ?? "0") ?? 0, moments: moments)
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

/// A training configuration whose run may be extended on resume (more epochs or steps).
protocol ExtendableTrainingConfig: Codable, Equatable {
  var epochs: Int { get set }
  var maximumSteps: Int? { get set }
}

extension ClassifierTrainingConfig: ExtendableTrainingConfig {}
extension SegmentationTrainingConfig: ExtendableTrainingConfig {}
