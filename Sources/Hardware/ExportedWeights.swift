import Foundation
import IntegerEngine
import LichenSerialization

/// The convolution weights a deployed model carries, under the float
/// model's state-dict names and PyTorch layouts ("h_a.2.weight", [out, in,
/// k, k] or [in, out, k, k] for transposed convolutions): what a watermark
/// key written on the float model needs to read its positions back from an
/// integer model (whose layer list has the ReLUs fused) or from the HLS
/// headers of an FPGA export. Values are the integer weights (their sign is
/// the mark's bit).
public enum ExportedWeights {
  static let transformNames = ["g_a", "h_a", "h_s", "g_s"]

  /// The weights of an integer (quantized) model.
  public static func stateDict(of model: IntegerHyperprior) throws -> [String: TensorRecord] {
    var entries: [String: TensorRecord] = [:]
    let transforms = [model.analysis, model.hyperAnalysis, model.hyperSynthesis, model.synthesis]
    for (t, transform) in zip(transformNames, transforms) {
      for (layer, name) in zip(transform.layers, LayerGraph.stateDictNames(t, transform)) {
        guard case .convolution(let c) = layer else { continue }
        let shape = c.kind == .convolution
          ? [c.outChannels, c.inChannels, c.kernel, c.kernel] : [c.inChannels, c.outChannels, c.kernel, c.kernel]
        entries[name + ".weight"] = try TensorRecord(float32: c.weights.map(Float.init), shape: shape)
      }
    }
    return entries
  }

  /// The weights in the layer headers of an `lichen fpga export-hls` folder.
  public static func stateDict(hlsFolder folder: URL) throws -> [String: TensorRecord] {
    let files: [String]
    do {
      files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        .filter { $0.hasSuffix(".h") && $0 != HLSExport.indexHeader }.sorted()
    } catch {
      throw HardwareError("cannot read the HLS export folder \(folder.path): \(error.localizedDescription)")
    }
    var entries: [String: TensorRecord] = [:]
    for file in files {
      let url = folder.appendingPathComponent(file)
      guard let text = try? String(contentsOf: url, encoding: .utf8) else {
        throw HardwareError("cannot read \(url.path) as text")
      }
      let arrays: [HLSExport.HeaderArray]
      do { arrays = try HLSExport.readWeights(header: text) } catch {
        throw HardwareError("\(url.path): \(error)")
      }
      for array in arrays where array.name.hasSuffix("_weight") {
        let identifier = String(array.name.dropLast("_weight".count))
        guard let name = stateDictName(ofIdentifier: identifier) else { continue }
        entries[name + ".weight"] = try TensorRecord(float32: array.values.map(Float.init), shape: array.shape)
      }
    }
    guard !entries.isEmpty else { throw HardwareError("\(folder.path) holds no HLS layer headers with weights") }
    return entries
  }

  /// "h_a_2" -> "h_a.2" (the transforms' own names contain underscores).
  static func stateDictName(ofIdentifier identifier: String) -> String? {
    for t in transformNames {
      let prefix = HLSExport.identifier(t) + "_"
      guard identifier.hasPrefix(prefix), let index = Int(identifier.dropFirst(prefix.count)) else { continue }
      return "\(t).\(index)"
    }
    return nil
  }
}
