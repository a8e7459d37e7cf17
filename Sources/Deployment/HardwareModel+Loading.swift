// Deployment: trained models onto hardware. It resolves registry names and model files (float or integer)
// into what the FPGA planner reads; the planner, simulator and RTL (Hardware) need no tensor library.

import Compression
import Hardware
import Quantization

extension HardwareModel {
  /// A registry name, a float model file (`.safetensors`, CompressAI `.pth`) or an integer model file.
  /// - Parameter nameOrPath: what the user gave to `--model` or `--teacher`.
  /// - Returns: the integer model's layers, or the float model's configuration and metadata.
  public static func load(_ nameOrPath: String) throws -> HardwareModel {
    switch try NamedModel.load(nameOrPath) {
    case .integer(let file):
      return HardwareModel(weights: .integer(file.model), configuration: file.configuration,
                           source: ModelRegistry.entry(named: nameOrPath)?.name ?? nameOrPath, metadata: file.metadata)
    case .float(let loaded):
      return HardwareModel(weights: .float, configuration: loaded.configuration, source: loaded.source, metadata: loaded.metadata)
    }
  }
}
