import Foundation
import Torch

/// Fine-tuning starts: the weights of a classifier or segmentation file loaded into a fresh model.
public enum InitialWeights {
  /// Loads every tensor of `model` from the safetensors file at `path` (each with its shape).
  /// - Parameter log: told which file the run starts from, once it is loaded.
  /// - Throws: `VisionError` for a missing file; the loader's errors for a file that does not fit `model`.
  public static func load(_ path: String, into model: any Module, log: (String) -> Void = { _ in }) throws {
    let url = URL(fileURLWithPath: path)
    guard FileManager.default.fileExists(atPath: url.path) else { throw VisionError(.missingFile, source: path, "model file not found") }
    try model.load(stateDict: try SafeTensors.read(from: url).tensors)
    log("fine-tuning from \(path)")
  }
}
