import Foundation
import Torch

/// Removal attacks on a marked model, each with a strength to sweep. They
/// change the model in place; evaluate task performance and BER afterwards.
public enum Attack: Codable, Sendable, Equatable, CustomStringConvertible {
  /// Adds N(0, (strength * std(layer))^2) to every conv/linear weight.
  case gaussianNoise(relativeStd: Double)
  /// Zeroes the `fraction` smallest-magnitude weights of each conv/linear layer (a threshold per layer).
  case magnitudePruning(fraction: Double)
  /// Zeroes the `fraction` smallest-magnitude weights of all conv/linear layers together (one
  /// threshold for the whole model, so layers of small weights lose more than others).
  case globalMagnitudePruning(fraction: Double)
  /// Rounds each conv/linear weight tensor to `bits`-bit symmetric uniform levels (per tensor).
  case quantization(bits: Int)
  /// Zeroes a random `fraction` of each conv/linear layer's weights (unstructured, drawn per layer from the seed;
  /// the testbed convention beside L1 pruning).
  case randomPruning(fraction: Double)
  /// Rounds each conv/linear weight tensor to 2^bits levels spread from its minimum to its maximum
  /// (asymmetric per-tensor min-max quantization, the testbed convention).
  case minMaxQuantization(bits: Int)
  /// The attacker knows the key: sets the marked weights to fresh N(0, std) values.
  case keyInterceptionRandomize
  /// The attacker knows the key: negates every marked weight (flips all bits).
  case keyInterceptionFlip
  /// The attacker knows the key: sets every marked weight to 0 (no sign left to read;
  /// extraction reads 0 as bit 0, so about half the coded bits are wrong).
  case keyInterceptionZero

  public var description: String {
    switch self {
    case .gaussianNoise(let s): return "noise(std x\(s))"
    case .magnitudePruning(let f): return "pruning(\(Int((f * 100).rounded()))% per layer)"
    case .globalMagnitudePruning(let f): return "pruning(\(Int((f * 100).rounded()))% global)"
    case .quantization(let b): return "quantization(\(b) bits)"
    case .randomPruning(let f): return "random pruning(\(Int((f * 100).rounded()))% per layer)"
    case .minMaxQuantization(let b): return "min-max quantization(\(b) bits)"
    case .keyInterceptionRandomize: return "key interception (randomize)"
    case .keyInterceptionFlip: return "key interception (flip)"
    case .keyInterceptionZero: return "key interception (zero)"
    }
  }

  static func attackable(_ model: any Module) -> [(String, Tensor)] {
    model.namedParameters().filter { WatermarkKey.isMarkable(name: $0.name, rank: $0.tensor.rank) }
  }

  public func apply(to model: any Module, key: WatermarkKey? = nil, seed: UInt64 = 0) throws {
    let generator = try Generator(seed: seed)
    try withNoGrad {
      switch self {
      case .gaussianNoise(let s):
        for (_, w) in Self.attackable(model) {
          let std = try w.to(.float64).variance().item().squareRoot()
          try w.add_(Tensor.randn(w.shape, generator: generator, dtype: w.dtype) * (s * std))
        }
      case .magnitudePruning(let fraction):
        try Self.checkFraction(fraction)
        for (_, w) in Self.attackable(model) {
          let magnitudes = try w.abs().floats().sorted()
          let k = Int(Double(magnitudes.count) * fraction)
          guard k > 0 else { continue }
          let threshold = Double(magnitudes[k - 1])
          try w.copy_(w.maskedFill(w.abs().le(threshold), 0))
        }
      case .globalMagnitudePruning(let fraction):
        try Self.checkFraction(fraction)
        let weights = Self.attackable(model).map(\.1)
        let magnitudes = try weights.flatMap { try $0.abs().floats() }.sorted()
        let k = Int(Double(magnitudes.count) * fraction)
        guard k > 0 else { break }
        let threshold = Double(magnitudes[k - 1])
        for w in weights { try w.copy_(w.maskedFill(w.abs().le(threshold), 0)) }
      case .quantization(let bits):
        guard bits >= 2 else { throw WatermarkError("quantization needs at least 2 bits") }
        let levels = Double((1 << (bits - 1)) - 1)
        for (_, w) in Self.attackable(model) {
          let scale = try w.abs().max().item() / levels
          guard scale > 0 else { continue }
          try w.copy_((w / scale).round() * scale)
        }
      case .randomPruning(let fraction):
        try Self.checkFraction(fraction)
        for (_, w) in Self.attackable(model) {
          let draws = try Tensor.rand(w.shape, generator: generator, dtype: .float32)
          try w.copy_(w.maskedFill(draws.lt(fraction), 0))
        }
      case .minMaxQuantization(let bits):
        guard bits >= 1, bits <= 16 else { throw WatermarkError("min-max quantization needs 1...16 bits, got \(bits)") }
        let steps = Double((1 << bits) - 1)
        for (_, w) in Self.attackable(model) {
          let low = try w.min().item(), high = try w.max().item()
          let scale = (high - low) / steps
          guard scale > 0 else { continue }
          try w.copy_(((w - low) / scale).round() * scale + low)
        }
      case .keyInterceptionRandomize, .keyInterceptionFlip, .keyInterceptionZero:
        guard let key else { throw WatermarkError("a key-interception attack needs the key") }
        try key.validate()
        let params = Dictionary(model.namedParameters().map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
        // Layers in name order: the random draws must not depend on the process's hash seed.
        for (layer, positions) in Dictionary(grouping: key.positions, by: \.layer).sorted(by: { $0.key < $1.key }) {
          guard let p = params[layer] else { continue }
          let flat = try p.reshape([-1])
          let index = try Tensor(positions.map { Int64($0.index) })
          let current = try flat.indexSelect(0, index)
          let replacement: Tensor
          switch self {
          case .keyInterceptionFlip:
            replacement = try current.neg()
          case .keyInterceptionZero:
            replacement = try Tensor.zeros([positions.count], dtype: p.dtype)
          default:
            let std = try p.to(.float64).variance().item().squareRoot()
            replacement = try Tensor.randn([positions.count], generator: generator, dtype: p.dtype) * std
          }
          try flat.indexCopy_(0, index, replacement)
        }
      }
    }
  }

  /// Pruning fractions outside [0, 1] are a typo, not an attack.
  static func checkFraction(_ fraction: Double) throws {
    guard fraction >= 0, fraction <= 1 else { throw WatermarkError("pruning fraction \(fraction) is outside 0...1") }
  }
}
