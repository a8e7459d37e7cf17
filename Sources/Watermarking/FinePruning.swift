import Foundation
import Torch

/// Fine-pruning (Liu, Dolan-Gavitt and Garg, 2018), the removal attack that
/// white-box marks are known to struggle with: the attacker runs the model on
/// clean data of their own, prunes the channels that stay dormant on it (the
/// smallest mean activation), and fine-tunes what is left to win the accuracy
/// back. A mark hidden in rarely used channels goes with them.
///
/// It acts on the same channel groups as the obfuscation attacks
/// (`ChannelPermutation.groups`: inside each residual basic block, conv1's
/// output channels, their batch norm and conv2's input channels), so the
/// residual path keeps its width. A pruned channel has its conv1 filter, its
/// batch-norm scale and shift and its conv2 column zeroed: its activation is
/// 0 after the ReLU on any input, and it stays pruned through fine-tuning
/// without weight decay (no gradient reaches a channel whose ReLU is shut).
public enum FinePruning {
  /// Attacker batches the channel activity is averaged over in a sweep (64 images each for the
  /// classifiers: 1,024 clean images).
  public static let activityBatches = 16

  /// Mean post-ReLU activation of each group's channels (the output of P.bn1 after its ReLU, averaged
  /// over batch and pixels) while `run(batch)` feeds the model the attacker's batches 0..<batches.
  /// The model runs in evaluation mode (batch norm on its running statistics, which stay as they are),
  /// without gradients; its mode is restored afterwards.
  /// - Parameters:
  ///   - model: the model (a ResNet-style network with P.conv1 / P.bn1 / P.conv2 blocks).
  ///   - batches: how many batches to average over (at least 1).
  ///   - run: runs the model on batch `index` (its result is ignored).
  /// - Returns: per group prefix, one mean activation per channel.
  public static func channelActivity(
    of model: any Module, batches: Int, run: (_ index: Int) throws -> Void
  ) throws -> [String: [Double]] {
    guard batches >= 1 else { throw WatermarkError("fine-pruning needs at least one batch to measure activity (got \(batches))") }
    let groups = try prunableGroups(of: model)
    var sums: [String: [Double]] = [:]
    var observed: [(BatchNorm2d, String)] = []
    for group in groups {
      guard let normalization = model.module(at: group.prefix + ".bn1") as? BatchNorm2d else {
        throw WatermarkError("fine-pruning: \(group.prefix).bn1 is not a batch norm layer")
      }
      observed.append((normalization, group.prefix))
    }
    for (normalization, prefix) in observed {
      normalization.outputObserver = { output in
        let perChannel = try output.relu().mean(dims: [0, 2, 3]).floats().map(Double.init)
        if let previous = sums[prefix] {
          sums[prefix] = zip(previous, perChannel).map(+)
        } else {
          sums[prefix] = perChannel
        }
      }
    }
    let wasTraining = model.isTraining
    model.setTraining(false)
    defer {
      model.setTraining(wasTraining)
      for (normalization, _) in observed { normalization.outputObserver = nil }
    }
    try withNoGrad { for index in 0..<batches { try run(index) } }
    return try Dictionary(uniqueKeysWithValues: groups.map { group in
      guard let total = sums[group.prefix] else {
        throw WatermarkError("fine-pruning: the model never ran \(group.prefix).bn1 on the attacker's batches")
      }
      return (group.prefix, total.map { $0 / Double(batches) })
    })
  }

  /// Zeroes the `fraction` least active channels of every group (rounded down per group; ties broken
  /// by channel index, lowest first). Every group keeps at least one channel.
  /// - Returns: per group prefix, the pruned channel indices in ascending order.
  @discardableResult
  public static func prune(_ model: any Module, activity: [String: [Double]], fraction: Double) throws -> [String: [Int]] {
    guard fraction >= 0, fraction <= 1 else {
      throw WatermarkError("fine-pruning fraction must be in [0, 1] (got \(fraction))")
    }
    let named = Dictionary(model.stateDict().map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
    var pruned: [String: [Int]] = [:]
    try withNoGrad {
      for group in try prunableGroups(shapes: named.mapValues(\.shape)) {
        guard let first = named[group.first], let second = named[group.second],
          let gamma = named[group.prefix + ".bn1.weight"], let beta = named[group.prefix + ".bn1.bias"]
        else { throw WatermarkError("fine-pruning: \(group.prefix) lacks conv1, conv2 or bn1's scale and shift") }
        let channels = first.shape[0]
        guard let means = activity[group.prefix], means.count == channels else {
          throw WatermarkError("fine-pruning: no activity of \(channels) channels measured for \(group.prefix)")
        }
        let count = Swift.min(channels - 1, Int((fraction * Double(channels)).rounded(.down)))
        let order = means.indices.sorted { (means[$0], $0) < (means[$1], $1) }
        let chosen = Array(order.prefix(count)).sorted()
        var keep = [Float](repeating: 1, count: channels)
        for c in chosen { keep[c] = 0 }
        let mask = try Tensor(keep, shape: [channels])
        try first.mul_(mask.reshape([channels, 1, 1, 1]))
        try gamma.mul_(mask)
        try beta.mul_(mask)
        try second.mul_(mask.reshape([1, channels, 1, 1]))
        pruned[group.prefix] = chosen
      }
    }
    return pruned
  }

  /// The groups fine-pruning acts on; a model without any is refused by name.
  static func prunableGroups(of model: any Module) throws -> [ChannelPermutation.Group] {
    try prunableGroups(shapes: Dictionary(model.stateDict().map { ($0.name, $0.tensor.shape) }, uniquingKeysWith: { a, _ in a }))
  }

  static func prunableGroups(shapes: [String: [Int]]) throws -> [ChannelPermutation.Group] {
    let groups = ChannelPermutation.groups(shapes: shapes)
    guard !groups.isEmpty else {
      throw WatermarkError("fine-pruning needs residual blocks with conv1 / bn1 / conv2 (ResNet-style); this model has none")
    }
    return groups
  }
}
