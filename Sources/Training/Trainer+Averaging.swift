import Foundation
import Torch

/// The exponential moving average of the trained weights (Polyak averaging, `TrainingTask.averageDecay`),
/// for every task: validated and saved in place of the raw weights, checkpointed under `ema.`.
/// The average starts from the weights after the first step it sees; every rank of a
/// data-parallel job holds identical weights, so identical averages.
extension Trainer {
  /// The trained parameters by name, in the order the averages are kept.
  public var averagedParameters: [(name: String, tensor: Tensor)] {
    let trained = Set(task.trainedParameters.map(ObjectIdentifier.init))
    return task.model.namedParameters().filter { trained.contains(ObjectIdentifier($0.tensor)) }
  }

  /// Folds the current weights into the average (after each optimizer step).
  func updateAverages() throws {
    guard let decay = task.averageDecay else { return }
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

  /// Runs `body` with the averaged weights in the model (the raw ones are put back after, also
  /// on throw); without averaging (or before the first step), just runs `body`.
  public func withAveragedWeights<R>(_ body: () throws -> R) throws -> R {
    guard !averages.isEmpty else { return try body() }
    let parameters = averagedParameters
    let raw = try withNoGrad { try parameters.map { try $0.tensor.detach().clone() } }
    try withNoGrad { for ((_, average), (_, p)) in zip(averages, parameters) { try p.copy_(average) } }
    let result = Result { try body() }
    try withNoGrad { for (saved, (_, p)) in zip(raw, parameters) { try p.copy_(saved) } }
    return try result.get()
  }

  func averageEntries() throws -> [String: TensorRecord] {
    var tensors: [String: TensorRecord] = [:]
    for (name, average) in averages { tensors["ema." + name] = try average.record() }
    return tensors
  }

  func restoreAverages(from file: SafeTensorsFile) throws {
    averages = []
    guard task.averageDecay != nil else { return }
    let named = averagedParameters
    let stored = named.compactMap { p in file.tensors["ema." + p.name].map { (p.name, $0) } }
    guard !stored.isEmpty else { return }
    guard stored.count == named.count else {
      throw task.checkpointError("holds averages of \(stored.count) of \(named.count) weights", source: checkpointURL)
    }
    averages = try stored.map { ($0.0, try Tensor(record: $0.1)) }
  }
}
