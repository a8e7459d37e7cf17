import Foundation
import Torch

/// The exponential moving average of the main weights (`RDTrainingConfig.emaDecay`).
/// The average starts from the weights after the first step it sees; every
/// rank of a data-parallel job holds identical weights, so identical averages.
extension RDTask {
  /// The main parameters by name, in the order the averages are kept.
  var averagedParameters: [(name: String, tensor: Tensor)] {
    let auxiliary = Set(codec.auxiliaryParameters.map(ObjectIdentifier.init))
    return codec.namedParameters().filter { !auxiliary.contains(ObjectIdentifier($0.tensor)) }
  }

  /// Folds the current weights into the average (after each optimizer step).
  func updateAverages() throws {
    guard let decay = config.emaDecay else { return }
    try withNoGrad {
      guard !averages.isEmpty else {
        averages = try averagedParameters.map { ($0.name, try $0.tensor.detach().clone()) }
        return
      }
      for ((_, average), (_, parameter)) in zip(averages, averagedParameters) {
        try average.mul_(decay)
        try average.add_(parameter.detach(), alpha: 1 - decay)
      }
    }
  }

  /// Runs `body` with the averaged weights in the model (the raw ones are put
  /// back after, also on throw); without averaging, just runs `body`.
  public func withAveragedWeights<R>(_ body: () throws -> R) throws -> R {
    guard !averages.isEmpty else { return try body() }
    let parameters = averagedParameters
    let raw = try withNoGrad { try parameters.map { try $0.tensor.detach().clone() } }
    try withNoGrad { for ((_, average), (_, p)) in zip(averages, parameters) { try p.copy_(average) } }
    let result = Result { try body() }
    try withNoGrad { for (saved, (_, p)) in zip(raw, parameters) { try p.copy_(saved) } }
    return try result.get()
  }
}

/// What a codec checkpoint keeps beyond the model and the optimizers: the weight average
/// (`ema.`), the plateau schedule and the lineage.
extension RDTask {
  public func checkpointState() throws -> (tensors: [String: TensorRecord], metadata: [String: String]) {
    var tensors: [String: TensorRecord] = [:]
    for (name, average) in averages { tensors["ema." + name] = try average.record() }
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    return (tensors, [
      MetadataKey.lineage: String(decoding: try encoder.encode(lineage), as: UTF8.self),
      MetadataKey.plateau: String(decoding: try encoder.encode(plateau), as: UTF8.self),
    ])
  }

  public func restoreState(from file: SafeTensorsFile, source: URL) throws {
    averages = []
    if config.emaDecay != nil {
      let named = averagedParameters
      let stored = named.compactMap { p in file.tensors["ema." + p.name].map { (p.name, $0) } }
      if !stored.isEmpty {
        guard stored.count == named.count else {
          throw CodecError.invalidModel("\(source.path) holds averages of \(stored.count) of \(named.count) weights")
        }
        averages = try stored.map { ($0.0, try Tensor(record: $0.1)) }
      }
    }
    let decoder = JSONDecoder()
    if let plateauJSON = file.metadata[MetadataKey.plateau] {
      plateau = try decoder.decode(PlateauSchedule.self, from: Data(plateauJSON.utf8))
    }
    if let lineageJSON = file.metadata[MetadataKey.lineage] {
      lineage = try decoder.decode([String: String].self, from: Data(lineageJSON.utf8))
    }
  }
}
