import Compression
import Torch

/// Initialises a narrower student from its teacher by keeping, in every
/// N-wide layer, the N channels with the largest importance.
///
/// Importance of an output channel = L1 norm of the teacher's weights that
/// produce it (the filter-norm criterion of Li et al. 2017, "Pruning Filters
/// for Efficient ConvNets"): cheap, data-free, and a good proxy for how much
/// a channel contributes. Kept channels keep their teacher order. Every
/// consumer of a kept channel is sliced to match: the next layer's input
/// channels, GDN's beta and gamma (rows and columns), biases, and the
/// entropy bottleneck's per-channel density for the hyper-latent z.
public struct ChannelSelection: Sendable {
  /// Kept teacher channels of each N-wide activation, by the layer that produces it.
  public var kept: [String: [Int]]

  /// The teacher's z channels the student keeps (for the hyper-latent distillation term).
  public var zChannels: [Int] { kept["h_a.4"] ?? [] }

  /// Picks channels and copies the teacher's weights into `student`.
  @discardableResult
  public static func initialize(_ student: ScaleHyperprior, from teacher: ScaleHyperprior) throws -> ChannelSelection {
    let n = student.n
    var kept: [String: [Int]] = [:]
    // Output-channel importance: convolutions keep outputs in dim 0, transposed ones in dim 1.
    func top(_ weight: Tensor, outputDim: Int) throws -> [Int] {
      let reduceDims = (0..<4).filter { $0 != outputDim }
      let scores = try weight.abs().sum(dims: reduceDims).to(.float64).scalars(as: Double.self)
      let order = scores.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
      return Array(order.prefix(n)).sorted()
    }
    func conv(_ t: Sequential, _ s: Sequential, _ i: Int) throws -> (Conv2d, Conv2d) {
      guard let a = t[i] as? Conv2d, let b = s[i] as? Conv2d else { throw DistillationError("layer \(i) is not a convolution") }
      return (a, b)
    }
    func deconv(_ t: Sequential, _ s: Sequential, _ i: Int) throws -> (ConvTranspose2d, ConvTranspose2d) {
      guard let a = t[i] as? ConvTranspose2d, let b = s[i] as? ConvTranspose2d else {
        throw DistillationError("layer \(i) is not a transposed convolution")
      }
      return (a, b)
    }
    func index(_ values: [Int]) throws -> Tensor { try Tensor(values.map(Int64.init)) }
    /// Copies weight[out][:, in] (dims given) and bias[out].
    func copy(weight: Tensor, bias: Tensor?, into w: Tensor, _ b: Tensor?, outDim: Int, out: [Int]?, inDim: Int, in input: [Int]?) throws {
      var value = weight
      if let out { value = try value.indexSelect(outDim, index(out)) }
      if let input { value = try value.indexSelect(inDim, index(input)) }
      try w.copy_(value)
      if let bias, let b { try b.copy_(out.map { try bias.indexSelect(0, index($0)) } ?? bias) }
    }
    func gdn(_ t: Sequential, _ s: Sequential, _ i: Int, _ channels: [Int]) throws {
      guard let a = t[i] as? GDN, let b = s[i] as? GDN else { throw DistillationError("layer \(i) is not a GDN") }
      let idx = try index(channels)
      try b.beta.copy_(a.beta.indexSelect(0, idx))
      try b.gamma.copy_(a.gamma.indexSelect(0, idx).indexSelect(1, idx))
    }
    try withNoGrad {
      // g_a: conv(3,N) GDN conv(N,N) GDN conv(N,N) GDN conv(N,M)
      var previous: [Int]? = nil
      for i in [0, 2, 4] {
        let (a, b) = try conv(teacher.analysis, student.analysis, i)
        let out = try top(a.weight, outputDim: 0)
        try copy(weight: a.weight, bias: a.bias, into: b.weight, b.bias, outDim: 0, out: out, inDim: 1, in: previous)
        try gdn(teacher.analysis, student.analysis, i + 1, out)
        kept["g_a.\(i)"] = out
        previous = out
      }
      let (ga6, sa6) = try conv(teacher.analysis, student.analysis, 6)
      try copy(weight: ga6.weight, bias: ga6.bias, into: sa6.weight, sa6.bias, outDim: 0, out: nil, inDim: 1, in: previous)
      // g_s: deconv(M,N) IGDN deconv(N,N) IGDN deconv(N,N) IGDN deconv(N,3); weights are [in, out, k, k].
      previous = nil
      for i in [0, 2, 4] {
        let (a, b) = try deconv(teacher.synthesis, student.synthesis, i)
        let out = try top(a.weight, outputDim: 1)
        try copy(weight: a.weight, bias: a.bias, into: b.weight, b.bias, outDim: 1, out: out, inDim: 0, in: previous)
        try gdn(teacher.synthesis, student.synthesis, i + 1, out)
        kept["g_s.\(i)"] = out
        previous = out
      }
      let (gs6, ss6) = try deconv(teacher.synthesis, student.synthesis, 6)
      try copy(weight: gs6.weight, bias: gs6.bias, into: ss6.weight, ss6.bias, outDim: 1, out: nil, inDim: 0, in: previous)
      // h_a: conv(M,N) ReLU conv(N,N) ReLU conv(N,N)
      previous = nil
      for i in [0, 2, 4] {
        let (a, b) = try conv(teacher.hyperAnalysis, student.hyperAnalysis, i)
        let out = try top(a.weight, outputDim: 0)
        try copy(weight: a.weight, bias: a.bias, into: b.weight, b.bias, outDim: 0, out: out, inDim: 1, in: previous)
        kept["h_a.\(i)"] = out
        previous = out
      }
      let z = try index(previous ?? [])
      // The bottleneck models z channel by channel: keep the same channels' densities.
      for (t, s) in zip(teacher.entropyBottleneck.densityParameters + [teacher.entropyBottleneck.quantiles],
                        student.entropyBottleneck.densityParameters + [student.entropyBottleneck.quantiles]) {
        try s.copy_(t.indexSelect(0, z))
      }
      // h_s: deconv(N,N) ReLU deconv(N,N) ReLU conv(N,M) ReLU
      for i in [0, 2] {
        let (a, b) = try deconv(teacher.hyperSynthesis, student.hyperSynthesis, i)
        let out = try top(a.weight, outputDim: 1)
        try copy(weight: a.weight, bias: a.bias, into: b.weight, b.bias, outDim: 1, out: out, inDim: 0, in: previous)
        kept["h_s.\(i)"] = out
        previous = out
      }
      let (hs4, ss4) = try conv(teacher.hyperSynthesis, student.hyperSynthesis, 4)
      try copy(weight: hs4.weight, bias: hs4.bias, into: ss4.weight, ss4.bias, outDim: 0, out: nil, inDim: 1, in: previous)
    }
    return ChannelSelection(kept: kept)
  }
}
