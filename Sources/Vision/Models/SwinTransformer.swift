import Torch

/// Swin Transformer (Liu et al. 2021), torchvision's `swin_t` structure and
/// names: `features.0.0` (patch-embedding conv) and `features.0.2` (its
/// norm), stages `features.1/3/5/7` of blocks (`features.1.0.attn.qkv`,
/// `features.1.0.attn.relative_position_bias_table`, `features.1.0.mlp.0`)
/// and patch merging `features.2/4/6`, then `norm` and `head`. CIFAR sizes:
/// patch 2 and window 4, so 32x32 gives 16x16 tokens. Activations inside
/// the stages are NHWC, as in torchvision. No stochastic depth.
public final class SwinTransformer: Layer {
  public let features: Sequential
  public let norm: LayerNorm
  public let head: Linear
  public var isTraining = true

  /// - Parameters:
  ///   - width: scales the per-head dimension (32 at 1, so embedding 96 with 3 heads).
  ///   - depths: blocks per stage ([2, 2, 6, 2] is Swin-T).
  public init(
    width: Double = 1, depths: [Int] = [2, 2, 6, 2], heads: [Int] = [3, 6, 12, 24], patchSize: Int = 2,
    windowSize: Int = 4, mlpRatio: Double = 4, classCount: Int = 10, inputChannels: Int = 3, generator: Generator
  ) throws {
    guard !depths.isEmpty, depths.count == heads.count, depths.allSatisfy({ $0 > 0 }), heads.allSatisfy({ $0 > 0 }) else {
      throw VisionError(.invalidArgument, "Swin needs one positive head count per stage, got depths \(depths) heads \(heads)")
    }
    guard patchSize > 0, windowSize > 0 else { throw VisionError(.invalidArgument, "patch and window size must be positive") }
    let headDimension = Swift.max(4, Int((32 * width).rounded()))
    let embedding = headDimension * heads[0]
    let stem = try Conv2d(inputChannels, embedding, kernelSize: patchSize, stride: patchSize, generator: generator)
    var layers: [any Layer] = [Sequential([stem, Permute([0, 2, 3, 1]), try LayerNorm([embedding])])]
    var dimension = embedding
    for (stage, depth) in depths.enumerated() {
      guard dimension % heads[stage] == 0 else {
        throw VisionError(.invalidArgument, "stage \(stage): dimension \(dimension) not divisible by \(heads[stage]) heads")
      }
      var blocks: [any Layer] = []
      for index in 0..<depth {
        blocks.append(
          try SwinBlock(
            dimension: dimension, heads: heads[stage], windowSize: windowSize,
            shiftSize: index % 2 == 0 ? 0 : windowSize / 2, mlpRatio: mlpRatio, generator: generator))
      }
      layers.append(Sequential(blocks))
      if stage < depths.count - 1 {
        layers.append(try PatchMerging(dimension: dimension, generator: generator))
        dimension *= 2
      }
    }
    features = Sequential(layers)
    norm = try LayerNorm([dimension])
    head = try Linear(dimension, classCount, generator: generator)
    for module in allModules(of: features) + [head] {
      guard let linear = module as? Linear else { continue }
      try Initialize.normal(linear, std: 0.02, generator: generator)
    }
  }

  public var children: [(name: String, module: any Module)] { [("features", features), ("norm", norm), ("head", head)] }

  public func callAsFunction(_ input: Tensor) throws -> Tensor {
    let tokens = try norm(features(input))
    return try head(tokens.permute([0, 3, 1, 2]).adaptiveAvgPool2d(1, 1).flatten(from: 1))
  }
}

/// Pre-norm block: x + attn(norm1(x)), then x + mlp(norm2(x)); NHWC.
final class SwinBlock: Layer {
  let norm1: LayerNorm, attn: ShiftedWindowAttention, norm2: LayerNorm
  /// torchvision's `MLP`: Linear, GELU, Dropout, Linear, Dropout (names mlp.0, mlp.3).
  let mlp: Sequential
  var isTraining = true

  init(
    dimension: Int, heads: Int, windowSize: Int, shiftSize: Int, mlpRatio: Double, generator: Generator
  ) throws {
    norm1 = try LayerNorm([dimension])
    attn = try ShiftedWindowAttention(
      dimension: dimension, heads: heads, windowSize: windowSize, shiftSize: shiftSize, generator: generator)
    norm2 = try LayerNorm([dimension])
    let hidden = Int(Double(dimension) * mlpRatio)
    mlp = Sequential([
      try Linear(dimension, hidden, generator: generator), Activation(.gelu), try Dropout(0),
      try Linear(hidden, dimension, generator: generator), try Dropout(0),
    ])
  }

  var children: [(name: String, module: any Module)] {
    [("norm1", norm1), ("attn", attn), ("norm2", norm2), ("mlp", mlp)]
  }

  func callAsFunction(_ input: Tensor) throws -> Tensor {
    let x = try input + attn(norm1(input))
    return try x + mlp(norm2(x))
  }
}

/// Halves the resolution: concatenates each 2x2 neighbourhood's features
/// (x0 = even rows/even columns, x1 = odd/even, x2 = even/odd, x3 = odd/odd),
/// layer-norms the 4C vector and projects it to 2C without bias.
final class PatchMerging: Layer {
  let reduction: Linear, norm: LayerNorm
  var isTraining = true

  init(dimension: Int, generator: Generator) throws {
    reduction = try Linear(4 * dimension, 2 * dimension, bias: false, generator: generator)
    norm = try LayerNorm([4 * dimension])
  }

  var children: [(name: String, module: any Module)] { [("reduction", reduction), ("norm", norm)] }

  func callAsFunction(_ input: Tensor) throws -> Tensor {
    let s = input.shape
    guard s.count == 4 else { throw VisionError(.invalidArgument, "PatchMerging expects NHWC input, got \(s)") }
    let x = try input.padded([0, 0, 0, s[2] % 2, 0, s[1] % 2])
    let h = s[1] + s[1] % 2, w = s[2] + s[2] % 2
    func part(_ row: Int, _ column: Int) throws -> Tensor {
      try x.slice(1, row, h, step: 2).slice(2, column, w, step: 2)
    }
    let merged = try Tensor.cat([part(0, 0), part(1, 0), part(0, 1), part(1, 1)], dim: 3)
    return try reduction(norm(merged))
  }
}
