/// The integer engine: the codec's transforms in fixed point over integer
/// arrays, with the inner loops in C (`CIntegerKernels`: AVX-512 VNNI, AVX2
/// or portable, chosen at run time, all bit-identical); no libtorch, no
/// floating point in the datapath.
///
/// It is the bit-exact reference for the FPGA datapath (docs/fpga.md): integer
/// arithmetic is associative, so the result is the same on every machine and
/// for every thread count, and the decoder recomputes the entropy parameters
/// (the Gaussian scale indexes) exactly as the encoder did.
///
/// Arithmetic (also in docs/quantization.md):
/// - activations are signed integers of at most 16 bits (`IntTensor`, CHW);
/// - convolution weights are int8..int16 per output channel, accumulators
///   are Int32 when the layer's bit budget allows it and Int64 otherwise;
/// - every requantization is `FixedPointScale`: multiply by a 31-bit integer,
///   add half, arithmetic shift right (round half up), then clamp;
/// - GDN pools are an integer 1x1 convolution over x^2 (or |x|) in Int64 and
///   the division is `NormalizationTable`: a lookup table with linear
///   interpolation over a normalised mantissa.
public enum IntegerEngine {
  /// Format version of integer model files (`IntegerModelFile`).
  public static let formatVersion = 1
}

/// Errors of the integer engine: shapes and parameters that do not fit.
public struct IntegerEngineError: Error, CustomStringConvertible, Sendable {
  public let message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}
