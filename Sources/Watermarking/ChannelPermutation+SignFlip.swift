import Foundation
import Torch

extension ChannelPermutation {
  /// Flips the sign of a fraction of every group's channels without changing the function
  /// (evaluation-mode batch norm): conv1's output channel c, the batch norm's running mean and its
  /// scale are negated, so the normalized activation, and all after it, is unchanged. Unlike
  /// `rescale`, this changes the signs of conv1's weights, which both sign-based extraction and
  /// the rows of the key's channel signatures read; `realigned` undoes it from the signatures.
  /// - Parameters:
  ///   - model: a network with residual basic blocks (`groups(shapes:)`).
  ///   - fraction: the fraction of each group's channels flipped (rounded to the nearest channel, at least one).
  ///   - seed: draws which channels flip.
  /// - Returns: each group's flipped channels (true: flipped).
  /// - Throws: `WatermarkError` for a fraction outside (0, 1] or a model without groups.
  @discardableResult
  public static func flipSigns(_ model: any Module, fraction: Double, seed: UInt64) throws -> [String: [Bool]] {
    guard fraction > 0, fraction <= 1 else {
      throw WatermarkError("channel sign flips: the fraction of channels flipped must be in (0, 1], got \(fraction)")
    }
    let named = Dictionary(model.stateDict().map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
    let groups = groups(shapes: named.mapValues(\.shape))
    guard !groups.isEmpty else { throw WatermarkError("channel sign flips need residual basic blocks (conv1 / bn1 / conv2)") }
    var rng = SplitMix64(seed: seed)
    var flips: [String: [Bool]] = [:]
    try withNoGrad {
      for group in groups {
        guard let first = named[group.first], let mean = named[group.prefix + ".bn1.running_mean"],
          let gamma = named[group.prefix + ".bn1.weight"]
        else { continue }
        let channels = first.shape[0]
        let count = Swift.max(1, Int((fraction * Double(channels)).rounded()))
        let chosen = Set(rng.permutation(channels).prefix(count))
        let flipped = (0..<channels).map { chosen.contains($0) }
        let sign = try Tensor(flipped.map { $0 ? Float(-1) : 1 }, shape: [channels])
        try first.mul_(sign.reshape([channels, 1, 1, 1]))
        try mean.mul_(sign)
        try gamma.mul_(sign)
        flips[group.prefix] = flipped
      }
    }
    return flips
  }
}
