/// Quantization of Lichen codec models: mixed-precision schemes, activation
/// calibration on real images, fake-quantized fine-tuning, and conversion of
/// a float ScaleHyperprior into an `IntegerHyperprior` (the integer engine),
/// saved as a first-class model file and used by `lichen compress --engine
/// integer`. Float arithmetic is used here only to *build* integer models;
/// coding with them runs entirely in `IntegerEngine`.
public enum Quantization {}

// The integer model file and codec live in IntegerCodec (no libtorch); re-exported so
// `import Quantization` still provides them, and QuantizationError with them.
@_exported import IntegerCodec
