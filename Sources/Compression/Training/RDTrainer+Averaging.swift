import Foundation
import Torch

/// The exponential moving average of the main weights (`RDTrainingConfig.emaDecay`).
/// The average starts from the weights after the first step it sees; every
/// rank of a data-parallel job holds identical weights, so identical averages.
extension RDTrainer {
  /// The main parameters by name, in the order the averages are kept.
  var averagedParameters: [(name: String, tensor: Tensor)] {
    let auxiliary = Set(model.auxiliaryParameters.map(ObjectIdentifier.init))
    return model.namedParameters().filter { !auxiliary.contains(ObjectIdentifier($0.tensor)) }
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
