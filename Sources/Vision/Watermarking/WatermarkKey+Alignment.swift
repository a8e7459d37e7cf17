import Foundation
import Torch
import Watermarking

extension WatermarkKey {
  /// The key at `keyPath` with the sign signatures of the owner's model's channels (`alignment`), so the detector
  /// finds the channels again after a function-preserving permutation and rescaling (`lichen watermark align-key`).
  /// - Parameters:
  ///   - modelPath: the owner's marked classifier or segmentation model file.
  /// - Throws: `WatermarkError` when the model file is missing, the key is not for its architecture or the model
  ///   has no permutable channel groups; the readers' errors.
  public static func aligned(keyPath: String, modelPath: String) throws -> WatermarkKey {
    let url = URL(fileURLWithPath: modelPath)
    guard FileManager.default.fileExists(atPath: url.path) else { throw WatermarkError("\(modelPath): model file not found") }
    let owner = try VisionAttackTask.model(from: url)
    var key = try WatermarkKey.read(from: URL(fileURLWithPath: keyPath))
    try key.check(owner)  // the key belongs to this architecture
    let signatures = try ChannelPermutation.signatures(of: owner, seed: key.seed)
    guard !signatures.isEmpty else {
      throw WatermarkError("\(modelPath) has no permutable channel groups (residual basic blocks)")
    }
    key.alignment = signatures
    return key
  }
}
