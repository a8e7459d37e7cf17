import Foundation
import Hardware
import IntegerEngine

extension HLSExport {
  /// Writes the headers of `loaded`'s integer model `integer` and design.json (`lichen fpga export-hls`): the plan in
  /// `planFile` when given, else the model's full layer graph at `resolution`.
  /// - Parameter resolution: WIDTHxHEIGHT, read only when no plan is given.
  /// - Throws: `HardwareError` for a plan or resolution that cannot be read; the writers' errors.
  /// - Returns: the files written, relative to `folder`.
  public static func write(_ integer: IntegerHyperprior, of loaded: HardwareModel, planFile: URL?, resolution: String,
                           to folder: URL) throws -> [String] {
    let design: Design
    if let planFile {
      design = .plan(try Plan.load(from: planFile))
    } else {
      design = .graph(try LayerGraph.build(
        integer: integer, configuration: loaded.configuration, source: loaded.source, scheme: loaded.recordedScheme,
        resolution: try Resolution(parsing: resolution), part: .full))
    }
    return try write(integer, name: loaded.source, design: design, to: folder)
  }
}
