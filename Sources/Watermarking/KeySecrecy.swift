import Foundation
import Torch

/// Can an attacker who has the model but not the key find the key? A mark
/// that is load-bearing (its removal costs accuracy) is only a security
/// feature if its positions stay hidden: otherwise "key interception" needs
/// no interception. Each statistic ranks every element of every markable
/// weight (rank >= 2, named "*weight", as `WatermarkKey.architectureHash`)
/// without looking at the key; the report counts the key positions among
/// the top K and compares with chance (K x positions / candidates).
public enum KeySecrecy {
  public enum Statistic: String, CaseIterable, Codable, Sendable {
    /// |w| / std(layer): what a mark written at a multiple of the layer's std stands out by.
    case relativeMagnitude = "relative-magnitude"
    /// |w - median(layer)| / MAD(layer): the same, robust to the layer's own heavy tails.
    case robustOutlier = "robust-outlier"
    /// How many elements of the same layer share this exact |w| (bit pattern): substitution writes one
    /// magnitude per layer, and trained weights almost never repeat a 32-bit value.
    case repeatedMagnitude = "repeated-magnitude"
    /// F / mean(F of the layer), F the diagonal of the empirical Fisher information (`fisherDiagonal`):
    /// the loss curvature along each weight, which sharpness maximization along the key raises. Needs data.
    case fisher
    /// F w^2 / mean(F w^2 of the layer): Optimal Brain Damage's saliency, the loss a weight's removal
    /// costs to second order, i.e. how load-bearing it is. Needs data.
    case saliency

    /// The statistics computed from the weights alone.
    public static let weightOnly: [Statistic] = [.relativeMagnitude, .robustOutlier, .repeatedMagnitude]
    /// True for the statistics that need the model run on data (`fisherDiagonal`).
    public var needsData: Bool { !Self.weightOnly.contains(self) }
  }

  public struct Row: Codable, Sendable, Equatable {
    public var statistic: Statistic
    public var k: Int
    /// Key positions among the K highest-scoring candidates.
    public var hits: Int
    public var positions: Int
    public var candidates: Int
    /// Hits expected from a random ranking.
    public var chance: Double
    /// hits / min(K, positions): 1 means the top K is all key (or holds the whole key).
    public var hitRate: Double
  }

  /// The candidates an attacker ranks: every element of every markable weight.
  public static func markable(_ entries: [(name: String, values: [Float], shape: [Int])]) -> [(name: String, values: [Float])] {
    entries.filter { WatermarkKey.isMarkable(name: $0.name, rank: $0.shape.count) }.sorted { $0.name < $1.name }
      .map { ($0.name, $0.values) }
  }

  /// Scores of every element of one layer under `statistic` (higher: more suspicious).
  /// - Parameter fisher: the layer's Fisher diagonal (`fisherDiagonal`), for the statistics that need data.
  /// - Throws: when `statistic` needs data and `fisher` is missing or of another size.
  public static func scores(_ values: [Float], fisher: [Float]? = nil, statistic: Statistic) throws -> [Double] {
    guard !values.isEmpty else { return [] }
    switch statistic {
    case .fisher, .saliency:
      guard let fisher, fisher.count == values.count else {
        throw WatermarkError("the \(statistic.rawValue) statistic needs the Fisher diagonal of every markable weight")
      }
      let raw = statistic == .fisher
        ? fisher.map(Double.init) : zip(fisher, values).map { Double($0) * Double($1) * Double($1) }
      let mean = Swift.max(raw.reduce(0, +) / Double(raw.count), 1e-300)
      return raw.map { $0 / mean }
    case .relativeMagnitude:
      let n = Double(values.count)
      let mean = values.reduce(0.0) { $0 + Double($1) } / n
      let variance = values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n
      let std = Swift.max(variance.squareRoot(), 1e-30)
      return values.map { Double(abs($0)) / std }
    case .robustOutlier:
      let median = Self.median(values.map(Double.init))
      let mad = Swift.max(Self.median(values.map { abs(Double($0) - median) }), 1e-30)
      return values.map { abs(Double($0) - median) / mad }
    case .repeatedMagnitude:
      var counts: [UInt32: Int] = [:]
      for v in values where v != 0 { counts[abs(v).bitPattern, default: 0] += 1 }
      // Ties broken by magnitude, so that among equally repeated values the larger ones come first.
      let largest = Double(values.map { abs($0) }.max() ?? 1)
      return values.map { v in
        v == 0 ? 0 : Double(counts[abs(v).bitPattern] ?? 1) - 1 + Double(abs(v)) / (2 * Swift.max(largest, 1e-30))
      }
    }
  }

  static func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    let mid = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
  }

  /// Ranks the candidates of `layers` by each statistic and counts the key's positions in the top K.
  /// - Parameters:
  ///   - layers: the model's markable weights (`markable`), flattened row-major like key indices.
  ///   - key: the key whose secrecy is measured (only used to count hits, never to rank).
  ///   - ks: the K values; each is clamped to the number of candidates.
  ///   - fisher: the Fisher diagonal of every layer by name (`fisherDiagonal`); nil: weight statistics only.
  ///   - statistics: the rankings to run (default: every one the inputs allow).
  /// - Returns: one row per statistic and K.
  public static func analyze(layers: [(name: String, values: [Float])], key: WatermarkKey, ks: [Int],
                             fisher: [String: [Float]]? = nil, statistics: [Statistic]? = nil) throws -> [Row] {
    let statistics = statistics ?? (fisher == nil ? Statistic.weightOnly : Statistic.allCases)
    var offsets: [String: Int] = [:], sizes: [String: Int] = [:]
    var total = 0
    for layer in layers {
      guard offsets[layer.name] == nil else { throw WatermarkError("layer \(layer.name) is listed twice") }
      offsets[layer.name] = total
      sizes[layer.name] = layer.values.count
      total += layer.values.count
    }
    var keyed = Set<Int>()
    for position in key.positions {
      guard let offset = offsets[position.layer], let size = sizes[position.layer] else {
        throw WatermarkError("key layer \(position.layer) is not a markable weight of the model")
      }
      guard (0..<size).contains(position.index) else {
        throw WatermarkError("key position \(position.index) is outside layer \(position.layer)")
      }
      keyed.insert(offset + position.index)
    }
    guard total > 0, !ks.isEmpty, ks.allSatisfy({ $0 > 0 }) else { throw WatermarkError("nothing to rank (K must be positive)") }
    var rows: [Row] = []
    for statistic in statistics {
      var all: [(score: Double, index: Int)] = []
      all.reserveCapacity(total)
      for layer in layers {
        let base = offsets[layer.name] ?? 0
        let layerScores = try scores(layer.values, fisher: fisher?[layer.name], statistic: statistic)
        for (i, s) in layerScores.enumerated() { all.append((s, base + i)) }
      }
      // Highest score first; ties by position so the ranking is deterministic (and not by key membership).
      all.sort { $0.score != $1.score ? $0.score > $1.score : $0.index < $1.index }
      for k in ks {
        let top = Swift.min(k, total)
        let hits = all.prefix(top).reduce(0) { $0 + (keyed.contains($1.index) ? 1 : 0) }
        rows.append(Row(statistic: statistic, k: top, hits: hits, positions: keyed.count, candidates: total,
                        chance: Double(top) * Double(keyed.count) / Double(total),
                        hitRate: Double(hits) / Double(Swift.max(1, Swift.min(top, keyed.count)))))
      }
    }
    return rows
  }
}
