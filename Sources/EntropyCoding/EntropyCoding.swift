/// # EntropyCoding
///
/// The lossless back end of Lichen's learned image codec: it turns quantized
/// latents into bytes and back. It is pure Swift (no torch, no Foundation, no
/// C), deterministic (integer arithmetic only once tables exist, identical
/// output on every platform), and shared by the codec (`Compression`) and by
/// the integer inference engine, which must reproduce the exact same tables.
///
/// It follows CompressAI's conventions so tables and streams are interchangeable:
/// - ``QuantizedCDF/make(pmf:tailMass:)`` reproduces `pmf_to_quantized_cdf`
///   bit for bit (16-bit precision), so a ``CDFTable`` built from the same PMFs
///   equals the one CompressAI's `update()` stores.
/// - ``RansEncoder`` / ``RansDecoder`` (and ``CDFTable/encode(symbols:indexes:)``
///   / ``CDFTable/decode(_:indexes:)``) implement `encode_with_indexes` /
///   `decode_with_indexes` with a single 64-bit rANS state (ryg_rans "rans64").
///
/// ## Bitstream layout
/// The stream is a sequence of little-endian 32-bit words (byte count is a
/// multiple of 4, at least 8):
/// - words 0 and 1: the final encoder state `x` (low word first), with
///   `2^31 <= x < 2^63`;
/// - then the renormalisation words, in the order the decoder consumes them.
///
/// Symbol `i` uses table `c = indexes[i]` with `maxValue = cdfLengths[c] - 2`.
/// `value = symbols[i] - offsets[c]`; if `0 <= value < maxValue` it is coded with
/// frequency `cdf[value+1] - cdf[value]` out of 2^16. Otherwise the escape symbol
/// `maxValue` is coded, followed by bypass chunks of 4 bits each (each chunk is
/// one rANS step with a uniform 1/16 distribution):
/// - `raw = -2*value - 1` for `value < 0`, `raw = 2*(value - maxValue)` otherwise;
///   `raw` must fit in `Int32`;
/// - the chunk count `n` (0...8: the number of 4-bit chunks needed for `raw`),
///   written as 4-bit digits where 15 means "add 15 and read another"
///   (never needed for 32-bit values, kept for CompressAI compatibility);
/// - the `n` chunks of `raw`, least significant first.
///
/// The decoder starts from the state in words 0-1 and must end in the encoder's
/// initial state `2^31` with every word consumed; anything else is reported as
/// ``EntropyCodingError/corruptStream(_:)`` or
/// ``EntropyCodingError/truncatedStream(_:)``. A single state (no interleaving)
/// keeps streams byte-identical to CompressAI's on little-endian machines.
public enum EntropyCoding {
  /// Bits of probability precision of every CDF: frequencies sum to `1 << 16`.
  public static let precision = 16
  /// The value every quantized CDF ends with.
  public static let cdfTotal: Int32 = 1 << 16
}

/// Constants of the rans64 state machine, shared by encoder and decoder.
enum Rans64 {
  /// Lower bound of the normalised state interval `[L, L << 32)`.
  static let lowerBound: UInt64 = 1 << 31
  static let scaleBits: UInt64 = 16
  static let slotMask: UInt64 = (1 << 16) - 1
  /// Bits per bypass chunk.
  static let bypassBits: UInt64 = 4
  static let bypassMask: UInt64 = (1 << 4) - 1
  /// Encoder renormalises before a bypass chunk when `x >= this`.
  static let bypassMaxState: UInt64 = ((lowerBound >> 16) << 32) << 12
  /// A raw escape value fits in `Int32`, so it never needs more chunks than this.
  static let maxBypassChunks = 8
}
