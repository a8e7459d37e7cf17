/// Compression: Lichen's learned image codec.
///
/// Layout follows CompressAI (`Layers/`, `Ops/`, `EntropyModels/`,
/// `Models/`, `Zoo/`) and so do parameter and buffer names: a CompressAI 1.2
/// state dict of the same architecture loads with no renaming. Entropy
/// coding itself lives in `EntropyCoding` (no torch): this module only
/// computes symbols, indexes and CDF tables.
public enum CompressionModule {
  /// Version of the `.lic` container this build writes.
  public static let formatVersion: UInt8 = 1
}

// The `.lic` container, model configurations and codec errors live in CodecFormat (no libtorch), so the
// integer codec can use them; re-exported so `import Compression` still provides them.
@_exported import CodecFormat
@_exported import Training
@_exported import Reporting
