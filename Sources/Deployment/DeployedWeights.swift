import Foundation
import Hardware
import Quantization
import Torch

/// The weights of a model wherever it was taken: a float file (Lichen safetensors, PyTorch `.pth` /
/// `.pth.tar`), a `lichen quantize` integer model or an `lichen fpga export-hls` folder, as one state dict
/// under the float model's names, so a watermark key reads all of them alike.
public enum DeployedWeights {
  /// - Parameter path: a model file or an HLS export folder.
  /// - Returns: the state dict (integer weights as their integer values).
  public static func stateDict(atPath path: String) throws -> [String: TensorRecord] {
    let url = URL(fileURLWithPath: path)
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw QuantizationError("no model file or folder at \(path)")
    }
    if isDirectory.boolValue { return try ExportedWeights.stateDict(hlsFolder: url) }  // FPGA export: the layer headers
    if IntegerModelFile.isIntegerModel(at: url) { return try ExportedWeights.stateDict(of: IntegerModelFile.load(from: url).model) }
    if path.hasSuffix(".safetensors") { return try SafeTensors.read(from: url).tensors }
    return Dictionary(try PyTorchCheckpoint.stateDict(from: url).map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
  }
}
