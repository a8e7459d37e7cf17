import Foundation
import Torch

/// Function-preserving obfuscation: permuting the channels between two convolutions changes
/// no output, but moves every weight a white-box key points at. Inside each residual basic
/// block (torchvision's names `P.conv1.weight`, `P.bn1.*`, `P.conv2.weight`) the output channels
/// of conv1, the batch norm's per-channel tensors and the input channels of conv2 can be
/// permuted together; the block's residual path is untouched.
///
/// `realigned` is the owner's answer: the key holds each marked weight's magnitude, and a
/// permutation keeps values, so each original channel is found again as the channel whose
/// weights at the key's positions have the key's magnitudes (least total difference; greedy,
/// cheapest match first). Noise added after the permutation blurs the match but does not stop it
/// while it is small against the gaps between magnitudes.
public enum ChannelPermutation {
  /// One permutable group: the prefix P of P.conv1 / P.bn1 / P.conv2.
  public struct Group: Sendable, Equatable {
    public var prefix: String
    public var first: String { prefix + ".conv1.weight" }
    public var second: String { prefix + ".conv2.weight" }
    /// The batch norm's per-channel tensors (those the model has).
    public var normalization: [String] {
      ["weight", "bias", "running_mean", "running_var"].map { prefix + ".bn1." + $0 }
    }
  }

  /// The permutable groups of a model, from its state-dict names and shapes.
  public static func groups(shapes: [String: [Int]]) -> [Group] {
    shapes.keys.filter { $0.hasSuffix(".conv1.weight") }.sorted().compactMap { name -> Group? in
      let group = Group(prefix: String(name.dropLast(".conv1.weight".count)))
      guard let a = shapes[group.first], let b = shapes[group.second], a.count == 4, b.count == 4, a[0] == b[1],
        shapes[group.prefix + ".bn1.weight"] == [a[0]]
      else { return nil }
      return group
    }
  }

  /// Permutes every group's channels with a permutation drawn from `seed` (in place; the model
  /// computes the same function up to float rounding). Returns each group's permutation: new
  /// channel j holds old channel `permutation[j]`.
  @discardableResult
  public static func apply(to model: any Module, seed: UInt64) throws -> [String: [Int]] {
    let named = Dictionary(model.stateDict().map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
    var rng = SplitMix64(seed: seed)
    var permutations: [String: [Int]] = [:]
    try withNoGrad {
      for group in groups(shapes: named.mapValues(\.shape)) {
        guard let first = named[group.first], let second = named[group.second] else { continue }
        let permutation = rng.permutation(first.shape[0])
        let index = try Tensor(permutation.map(Int64.init), shape: [permutation.count])
        try first.copy_(first.indexSelect(0, index))
        try second.copy_(second.indexSelect(1, index))
        for name in group.normalization { if let t = named[name] { try t.copy_(t.indexSelect(0, index)) } }
        permutations[group.prefix] = permutation
      }
    }
    return permutations
  }

  /// Rescales every group's channels without changing the function (evaluation-mode batch norm):
  /// conv1's output channel c times a, the batch norm's running mean times a and its running
  /// variance to a^2 (var + eps) - eps; the batch norm's scale and shift times b and conv2's input
  /// channel c divided by b (ReLU is positively homogeneous). a and b are drawn log-uniformly in
  /// [1/maximumFactor, maximumFactor] per channel from `seed`. Signs never change, magnitudes do.
  /// - Parameter eps: the batch norm's epsilon (torchvision's 1e-5).
  public static func rescale(_ model: any Module, maximumFactor: Double, seed: UInt64, eps: Double = 1e-5) throws {
    guard maximumFactor >= 1, maximumFactor.isFinite else {
      throw WatermarkError("the largest rescaling factor must be at least 1, got \(maximumFactor)")
    }
    let named = Dictionary(model.stateDict().map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
    var rng = SplitMix64(seed: seed)
    func factor() -> Double { exp((Double(rng.next() >> 11) * 0x1p-53 * 2 - 1) * log(maximumFactor)) }
    try withNoGrad {
      for group in groups(shapes: named.mapValues(\.shape)) {
        guard let first = named[group.first], let second = named[group.second],
          let mean = named[group.prefix + ".bn1.running_mean"], let variance = named[group.prefix + ".bn1.running_var"],
          let gamma = named[group.prefix + ".bn1.weight"], let beta = named[group.prefix + ".bn1.bias"]
        else { continue }
        let channels = first.shape[0]
        let a = (0..<channels).map { _ in factor() }, b = (0..<channels).map { _ in factor() }
        let column = { (values: [Double]) throws -> Tensor in try Tensor(values.map(Float.init), shape: [channels]) }
        try first.mul_(column(a).reshape([channels, 1, 1, 1]))
        try mean.mul_(column(a))
        let v = try variance.floats()
        try variance.copy_(column(zip(v, a).map { (Double($0) + eps) * $1 * $1 - eps }))
        try gamma.mul_(column(b))
        try beta.mul_(column(b))
        try second.mul_(column(b.map { 1 / $0 }).reshape([1, channels, 1, 1]))
      }
    }
  }

  /// The signs of the channels of every group of `model` at seeded sample offsets (conv1's rows,
  /// conv2's columns): what `realigned` matches when the key carries them. Take them from the
  /// owner's final model and store them in the key (`WatermarkKey.alignment`).
  public static func signatures(of model: any Module, samples: Int = 64, seed: UInt64) throws -> [String: ChannelSignature] {
    let records = try model.stateDictRecords()
    var rng = SplitMix64(seed: seed, stream: 0xA11, step: 0)
    var result: [String: ChannelSignature] = [:]
    for group in groups(shapes: records.mapValues(\.shape)) {
      guard let first = records[group.first], let second = records[group.second] else { continue }
      let channels = first.shape[0]
      let rowLength = first.elementCount / channels
      let columnLength = second.shape[0] * second.shape[2] * second.shape[3]
      let rowOffsets = (0..<Swift.min(samples, rowLength)).map { _ in rng.below(rowLength) }
      let columnOffsets = (0..<Swift.min(samples, columnLength)).map { _ in rng.below(columnLength) }
      let signature = ChannelSignature(rowOffsets: rowOffsets, columnOffsets: columnOffsets, rows: [], columns: [])
      let (rows, columns) = try signature.signs(first: first, second: second)
      result[group.prefix] = ChannelSignature(rowOffsets: rowOffsets, columnOffsets: columnOffsets,
                                              rows: rows.map(ChannelSignature.text), columns: columns.map(ChannelSignature.text))
    }
    return result
  }

  /// Extraction after undoing any channel permutation of the groups, found from the key alone: by
  /// the key's channel signatures when it has them (they survive rescaling, and a channel whose
  /// signs were flipped is flipped back), else by the marked weights' magnitudes. A group with more
  /// channels than the key's model (dummy neurons) is read from the best-matching channels, the
  /// others left out.
  public static func realigned(fromStateDict entries: [String: TensorRecord], key: WatermarkKey, expected: [Bool]? = nil,
                               threshold: Double = 1e-6) throws -> ExtractionResult {
    var restored = entries
    for group in groups(shapes: entries.mapValues(\.shape)) {
      guard let firstRecord = entries[group.first], let secondRecord = entries[group.second] else { continue }
      let first = try firstRecord.floats(), second = try secondRecord.floats()
      // The owner's channel count (the key's shapes); the model may hold more (dummy neurons), never fewer.
      let current = firstRecord.shape[0]
      let channels = key.layerShapes[group.first]?.first ?? key.layerShapes[group.second]?[1]
        ?? key.alignment?[group.prefix]?.rows.count ?? current
      guard channels <= current else { continue }
      let rowSize = first.count / current  // conv1: one output channel
      let (outputs, kernel) = (secondRecord.shape[0], secondRecord.shape[2] * secondRecord.shape[3])
      // The key's marks per original channel: where they are relative to the channel, and their magnitudes.
      var marks: [[(read: (Int) -> Float, magnitude: Float)]] = Array(repeating: [], count: channels)
      for (number, position) in key.positions.enumerated() {
        guard let magnitude = key.mapping.magnitude(layer: position.layer, position: number) else { continue }
        if position.layer == group.first {
          let (c, r) = (position.index / rowSize, position.index % rowSize)
          guard c < channels else { continue }
          marks[c].append(({ first[$0 * rowSize + r] }, Float(magnitude)))
        } else if position.layer == group.second {
          let (o, rest) = (position.index / (channels * kernel), position.index % (channels * kernel))
          let (c, k) = (rest / kernel, rest % kernel)
          guard o < outputs else { continue }
          marks[c].append(({ second[(o * current + $0) * kernel + k] }, Float(magnitude)))
        }
      }
      // Costs of reading original channel c from channel j; cheapest matches first, each j used once.
      // `flipped`: channel j's conv1 row is c's negated (`flipSigns`), to be negated back.
      var candidates: [(cost: Float, original: Int, current: Int, flipped: Bool)] = []
      if let signature = key.alignment?[group.prefix], signature.rows.count == channels {
        // Sign disagreements with the owner's channel signatures (positions that moved with the channel);
        // a row that disagrees almost everywhere is the owner's row with its sign flipped.
        let (rows, columns) = try signature.signs(first: firstRecord, second: secondRecord)
        let owner = (signature.rows.map(ChannelSignature.bits), signature.columns.map(ChannelSignature.bits))
        for c in 0..<channels {
          for j in 0..<current {
            let rowMisses = zip(owner.0[c], rows[j]).filter { $0 != $1 }.count
            let flipped = 2 * rowMisses > owner.0[c].count
            let columnMisses = zip(owner.1[c], columns[j]).filter { $0 != $1 }.count
            candidates.append((Float((flipped ? owner.0[c].count - rowMisses : rowMisses) + columnMisses), c, j, flipped))
          }
        }
      } else {
        for c in 0..<channels where !marks[c].isEmpty {
          for j in 0..<current {
            candidates.append((marks[c].reduce(0) { $0 + abs(abs($1.read(j)) - $1.magnitude) }, c, j, false))
          }
        }
      }
      var source = Array(0..<channels)
      var sign = [Float](repeating: 1, count: channels)
      var assigned = Set<Int>(), used = Set<Int>()
      for candidate in candidates.sorted(by: { ($0.cost, $0.original, $0.current) < ($1.cost, $1.original, $1.current) })
      where !assigned.contains(candidate.original) && !used.contains(candidate.current) {
        source[candidate.original] = candidate.current
        sign[candidate.original] = candidate.flipped ? -1 : 1
        assigned.insert(candidate.original)
        used.insert(candidate.current)
      }
      // Unmarked channels keep whatever channels are left, in order (they carry no key position).
      let free = (0..<current).filter { !used.contains($0) }
      for (c, j) in zip((0..<channels).filter { !assigned.contains($0) }, free) { source[c] = j }
      var realignedFirst = [Float](repeating: 0, count: channels * rowSize)
      var realignedSecond = [Float](repeating: 0, count: outputs * channels * kernel)
      for c in 0..<channels {
        let j = source[c]
        for r in 0..<rowSize { realignedFirst[c * rowSize + r] = sign[c] * first[j * rowSize + r] }
        for o in 0..<outputs {
          for k in 0..<kernel { realignedSecond[(o * channels + c) * kernel + k] = second[(o * current + j) * kernel + k] }
        }
      }
      var firstShape = firstRecord.shape, secondShape = secondRecord.shape
      (firstShape[0], secondShape[1]) = (channels, channels)
      restored[group.first] = try TensorRecord(float32: realignedFirst, shape: firstShape)
      restored[group.second] = try TensorRecord(float32: realignedSecond, shape: secondShape)
    }
    return try Extractor.extract(fromStateDict: restored, key: key, expected: expected, threshold: threshold)
  }

  /// `realigned(fromStateDict:)` on a model's current weights.
  public static func realigned(from model: any Module, key: WatermarkKey, expected: [Bool]? = nil,
                               threshold: Double = 1e-6) throws -> ExtractionResult {
    try realigned(fromStateDict: model.stateDictRecords(), key: key, expected: expected, threshold: threshold)
  }
}

/// The signs of one group's channels at fixed sample offsets: conv1's output-channel rows and
/// conv2's input-channel columns (out x kernel), as "0"/"1" text per channel.
public struct ChannelSignature: Codable, Sendable, Equatable {
  public var rowOffsets: [Int]
  public var columnOffsets: [Int]
  public var rows: [String]
  public var columns: [String]

  static func text(_ bits: [Bool]) -> String { String(bits.map { $0 ? "1" : "0" }) }
  static func bits(_ text: String) -> [Bool] { text.map { $0 == "1" } }

  /// The signs (w > 0) of every channel's row and column in these weights at the sample offsets.
  func signs(first: TensorRecord, second: TensorRecord) throws -> (rows: [[Bool]], columns: [[Bool]]) {
    let a = try first.floats(), b = try second.floats()
    let channels = first.shape[0]
    let rowLength = a.count / channels
    let (outputs, kernel) = (second.shape[0], second.shape[2] * second.shape[3])
    guard rowOffsets.allSatisfy({ (0..<rowLength).contains($0) }),
      columnOffsets.allSatisfy({ (0..<(outputs * kernel)).contains($0) })
    else { throw WatermarkError("the key's channel signature does not fit the model's layers") }
    let rows = (0..<channels).map { c in rowOffsets.map { a[c * rowLength + $0] > 0 } }
    let columns = (0..<channels).map { c in
      columnOffsets.map { offset -> Bool in
        let (o, k) = (offset / kernel, offset % kernel)
        return b[(o * channels + c) * kernel + k] > 0
      }
    }
    return (rows, columns)
  }
}
