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

  /// The rows as `lichen watermark secrecy` prints them: a header, then one line per statistic and K.
  public static func table(_ rows: [Row]) -> String {
    (["statistic            K        hits   chance   hit rate"] + rows.map { r in
      r.statistic.rawValue.padding(toLength: 20, withPad: " ", startingAt: 0) + " "
        + String(format: "%-8d %-6d %-8.2f %.3f", r.k, r.hits, r.chance, r.hitRate)
    }).joined(separator: "\n")
  }
}
