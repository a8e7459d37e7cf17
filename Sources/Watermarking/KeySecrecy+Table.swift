import Foundation
import Torch

extension KeySecrecy {
  /// The candidates an attacker ranks in a model file's tensors: every element of every markable weight, as floats
  /// (an integer model's weights converted).
  /// - Throws: what `TensorRecord.floats()` / `integers()` throw for bytes that do not match the dtype.
  public static func markable(stateDict: [String: TensorRecord]) throws -> [(name: String, values: [Float])] {
    markable(try stateDict.map { name, record in
      (name, record.dtype.isFloatingPoint ? try record.floats() : try record.integers().map(Float.init), record.shape)
    })
  }

  /// `analyze` as `lichen watermark secrecy` runs it: every statistic the inputs allow (the data-based ones
  /// with `fisher`), K at 1x, 2x and 10x the key's positions unless `ks` is given.
  /// - Returns: the rows and one line on what was ranked ("P key positions among C markable weights (L layers)").
  /// - Throws: what `analyze` throws (a key that does not fit the model, K not positive).
  public static func report(layers: [(name: String, values: [Float])], key: WatermarkKey, ks: [Int]?,
                            fisher: [String: [Float]]? = nil) throws -> (rows: [Row], summary: String) {
    let positions = key.positions.count
    let rows = try analyze(layers: layers, key: key, ks: ks ?? [positions, 2 * positions, 10 * positions], fisher: fisher)
    let candidates = rows.first?.candidates ?? 0
    return (rows, "\(positions) key positions among \(candidates) markable weights (\(layers.count) layers)")
  }

  /// The rows as `lichen watermark secrecy` prints them: a header, then one line per statistic and K.
  public static func table(_ rows: [Row]) -> String {
    (["statistic            K        hits   chance   hit rate"] + rows.map { r in
      r.statistic.rawValue.padding(toLength: 20, withPad: " ", startingAt: 0) + " "
        + String(format: "%-8d %-6d %-8.2f %.3f", r.k, r.hits, r.chance, r.hitRate)
    }).joined(separator: "\n")
  }
}
