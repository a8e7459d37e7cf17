import Foundation
import Torch

extension ModelStore {
  /// Re-saves `loaded` at `precision` with `metadata` (Lichen's own keys are rewritten from the configuration):
  /// the quantiles fitted exactly to the density's tails unless `keepQuantiles`, the parameters rounded to the stored
  /// precision first, so the tables are built from the weights that ship.
  /// - Parameter log: the quantile fit.
  /// - Returns: the size of the written file in bytes (0 when it cannot be read back).
  @discardableResult
  public static func export(_ loaded: LoadedModel, metadata: [String: String], precision: Precision, keepQuantiles: Bool,
                            to url: URL, log: (String) -> Void) throws -> Int {
    if !keepQuantiles { log("\(try loaded.model.fitQuantiles())") }
    if precision == .float16 {
      try withNoGrad {
        for (_, t) in loaded.model.namedParameters() { try t.copy_(t.to(.float16).to(t.dtype)) }
      }
    }
    try loaded.model.update()
    try save(loaded.model, config: loaded.configuration, metadata: metadata, precision: precision, to: url)
    return (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
  }
}
