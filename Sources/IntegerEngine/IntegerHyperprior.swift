import EntropyCoding

/// The scale hyperprior (Balle 2018) in the integer engine: every transform
/// and the entropy parameters are integer, so the decoder's CDF indexes
/// equal the encoder's on any machine and thread count.
///
///     pixels (0..255) -> g_a -> y_q --(yToSymbols)--> y symbols
///     |y_q| -> h_a -> z_q --(zToFine)--> z * 2^f ; z symbols = round((z*2^f - median*2^f) / 2^f)
///     z_hat * 2^f = symbol * 2^f + median*2^f -> h_s -> scale_q -> index = #{thresholds < scale_q}
///     y symbols -> g_s -> pixels (the last layer requantizes to 0..255 directly)
///
/// The mean-scale hyperprior (`predictsMeans`) differs in three places: h_a reads y itself, h_s emits 2M
/// channels (scales, then means), and y is held in units of 2^-yFractionBits (`yToSymbols` maps y_q there):
///
///     y symbol = round((y * 2^fy - mean * 2^fy) / 2^fy); y_hat * 2^fy = symbol * 2^fy + mean * 2^fy -> g_s
public struct IntegerHyperprior: Equatable, Sendable {
  public var analysis: IntegerTransform
  public var hyperAnalysis: IntegerTransform
  public var hyperSynthesis: IntegerTransform
  public var synthesis: IntegerTransform
  /// y_q -> integer symbols (round(y)); with means, y_q -> y in units of 2^-yFractionBits.
  public var yToSymbols: FixedPointScale
  /// Mean prediction: h_s's last M output channels -> means in units of 2^-yFractionBits; nil without.
  public var meansToFine: FixedPointScale?
  /// Fraction bits of y and of the means (0 without means).
  public var yFractionBits = 0
  /// Range of g_s's input: y_hat in units of 2^-yFractionBits (the clamped symbols without means).
  public var yHatRange: ActivationRange
  /// z_q -> z in units of 2^-zFractionBits.
  public var zToFine: FixedPointScale
  public var zFractionBits: Int
  /// Per-channel entropy-bottleneck medians in units of 2^-zFractionBits.
  public var zMedians: [Int64]
  /// Range of the h_s input (z_hat in units of 2^-zFractionBits).
  public var zHatRange: ActivationRange
  /// Range of decoded y symbols fed to g_s (what the encoder can produce; a hostile stream is clamped).
  public var ySymbolRange: ActivationRange
  /// Gaussian-conditional scale table in h_s output units: index = count of entries below the scale.
  public var scaleThresholds: [Int64]
  public var zTable: CDFTable
  public var yTable: CDFTable

  public init(
    analysis: IntegerTransform, hyperAnalysis: IntegerTransform, hyperSynthesis: IntegerTransform,
    synthesis: IntegerTransform, yToSymbols: FixedPointScale, zToFine: FixedPointScale, zFractionBits: Int,
    zMedians: [Int64], zHatRange: ActivationRange, ySymbolRange: ActivationRange, scaleThresholds: [Int64], zTable: CDFTable, yTable: CDFTable
  ) throws {
    guard let zChannels = hyperAnalysis.layers.last?.outputChannels, zMedians.count == zChannels,
      zTable.count == zChannels
    else { throw IntegerEngineError("entropy bottleneck tables do not match the hyper-analysis channels") }
    guard scaleThresholds.count + 1 == yTable.count else {
      throw IntegerEngineError("\(scaleThresholds.count) scale thresholds for \(yTable.count) Gaussian CDFs")
    }
    guard (0...14).contains(zFractionBits) else { throw IntegerEngineError("z fraction bits \(zFractionBits) out of 0...14") }
    self.analysis = analysis
    self.hyperAnalysis = hyperAnalysis
    self.hyperSynthesis = hyperSynthesis
    self.synthesis = synthesis
    self.yToSymbols = yToSymbols
    self.zToFine = zToFine
    self.zFractionBits = zFractionBits
    self.zMedians = zMedians
    self.zHatRange = zHatRange
    self.ySymbolRange = ySymbolRange
    self.scaleThresholds = scaleThresholds
    self.zTable = zTable
    self.yTable = yTable
    yHatRange = ySymbolRange
  }

  /// The mean-scale hyperprior's integer model: as `init`, with h_a on y and means from h_s's last M channels.
  /// - Parameters:
  ///   - yToFine: y_q -> y in units of 2^-yFractionBits.
  ///   - meansToFine: h_s's mean outputs -> means in the same units.
  ///   - yHatRange: g_s's input range.
  public init(
    meanScale analysis: IntegerTransform, hyperAnalysis: IntegerTransform, hyperSynthesis: IntegerTransform,
    synthesis: IntegerTransform, yToFine: FixedPointScale, meansToFine: FixedPointScale, yFractionBits: Int,
    yHatRange: ActivationRange, zToFine: FixedPointScale, zFractionBits: Int, zMedians: [Int64],
    zHatRange: ActivationRange, ySymbolRange: ActivationRange, scaleThresholds: [Int64], zTable: CDFTable, yTable: CDFTable
  ) throws {
    try self.init(
      analysis: analysis, hyperAnalysis: hyperAnalysis, hyperSynthesis: hyperSynthesis, synthesis: synthesis,
      yToSymbols: yToFine, zToFine: zToFine, zFractionBits: zFractionBits, zMedians: zMedians, zHatRange: zHatRange,
      ySymbolRange: ySymbolRange, scaleThresholds: scaleThresholds, zTable: zTable, yTable: yTable)
    guard (0...14).contains(yFractionBits) else { throw IntegerEngineError("y fraction bits \(yFractionBits) out of 0...14") }
    guard let yChannels = analysis.layers.last?.outputChannels,
      hyperSynthesis.layers.last?.outputChannels == 2 * yChannels
    else { throw IntegerEngineError("a mean-scale h_s must emit twice g_a's channels (scales and means)") }
    self.meansToFine = meansToFine
    self.yFractionBits = yFractionBits
    self.yHatRange = yHatRange
  }

  /// True for the mean-scale hyperprior.
  public var predictsMeans: Bool { meansToFine != nil }

  /// h_a reads |y_q| (scale hyperprior) or y_q (mean-scale).
  public var hyperAnalysisReadsMagnitude: Bool { !predictsMeans }

  /// The two entropy-coded strings of one image and the z grid size.
  public struct Encoded: Equatable, Sendable {
    public var yString: [UInt8]
    public var zString: [UInt8]
    public var zHeight: Int
    public var zWidth: Int

    public init(yString: [UInt8], zString: [UInt8], zHeight: Int, zWidth: Int) {
      self.yString = yString
      self.zString = zString
      self.zHeight = zHeight
      self.zWidth = zWidth
    }
  }

  /// Image rows each band of g_a and g_s covers when streaming (a multiple of 16: whole latent rows).
  public static let bandPixelRows = 32

  /// Encodes 8-bit RGB pixels (CHW, 3 planes, sides multiples of 64).
  public func compress(pixels: IntTensor, threads: Int = 1) throws -> Encoded {
    guard pixels.channels == 3 else {
      throw IntegerEngineError("integer codec input must be 3 x H x W with H, W multiples of 64, got \(pixels.shape)")
    }
    return try compress(height: pixels.height, width: pixels.width, threads: threads) { try pixels.rows($0) }
  }

  /// Encodes an image of `height` x `width` 8-bit RGB pixels (sides multiples of 64) read band by band:
  /// g_a streams (memory grows with the width); the latents, 1/16 of each side, are kept whole.
  /// - Parameter pixelRows: Rows of the image as a 3 x rows x width tensor of 0...255, asked for in order.
  public func compress(height: Int, width: Int, threads: Int = 1,
                       pixelRows: (Range<Int>) throws -> IntTensor) throws -> Encoded {
    guard height > 0, width > 0, height % 64 == 0, width % 64 == 0 else {
      throw IntegerEngineError("integer codec input must be 3 x H x W with H, W multiples of 64, got 3 x \(height) x \(width)")
    }
    guard let yChannels = analysis.layers.last?.outputChannels else { throw IntegerEngineError("g_a has no layers") }
    var y = IntTensor(zerosChannels: yChannels, height: height / 16, width: width / 16)
    try analysis.stream(channels: 3, height: height, width: width, bandRows: Self.bandPixelRows / 16, threads: threads,
                        source: pixelRows) { rows, band in try y.setRows(rows, from: band) }
    let z = try hyperAnalysis(hyperAnalysisReadsMagnitude ? y.magnitude() : y, threads: threads)
    let plane = z.planeSize
    var zSymbols = [Int32](repeating: 0, count: z.values.count)
    for c in 0..<z.channels {
      for q in 0..<plane { zSymbols[c * plane + q] = zSymbol(z.values[c * plane + q], channel: c) }
    }
    let zString = try zTable.encode(symbols: zSymbols, indexes: zIndexes(channels: z.channels, plane: plane))
    let (indexes, means) = try entropyParameters(zSymbols: zSymbols, zChannels: z.channels, zHeight: z.height,
                                                 zWidth: z.width, threads: threads)
    guard indexes.count == y.values.count else {
      throw IntegerEngineError("h_s produced \(indexes.count) scales for \(y.values.count) latents")
    }
    let ySymbols = means.map { means in zip(y.values, means).map { ySymbol($0, mean: $1) } } ?? y.values.map { ySymbol($0) }
    let yString = try yTable.encode(symbols: ySymbols, indexes: indexes)
    return Encoded(yString: yString, zString: zString, zHeight: z.height, zWidth: z.width)
  }

  /// Decodes to 8-bit RGB pixels (CHW, padded size).
  public func decompress(_ encoded: Encoded, threads: Int = 1) throws -> IntTensor {
    var pixels = IntTensor(zerosChannels: 3, height: encoded.zHeight * 64, width: encoded.zWidth * 64)
    try decompress(encoded, threads: threads) { rows, band in try pixels.setRows(rows, from: band) }
    return pixels
  }

  /// Decodes band by band: g_s streams (memory grows with the width) and hands `pixelRows` each band of
  /// the padded image (3 x rows x width, 0...255), in order.
  public func decompress(_ encoded: Encoded, threads: Int = 1,
                         pixelRows: (Range<Int>, IntTensor) throws -> Void) throws {
    let zChannels = zMedians.count
    guard encoded.zHeight > 0, encoded.zWidth > 0, encoded.zHeight <= 4096, encoded.zWidth <= 4096 else {
      throw IntegerEngineError("z grid \(encoded.zHeight)x\(encoded.zWidth) is out of range")
    }
    let plane = encoded.zHeight * encoded.zWidth
    let zSymbols = try zTable.decode(encoded.zString, indexes: zIndexes(channels: zChannels, plane: plane))
    let (indexes, means) = try entropyParameters(zSymbols: zSymbols, zChannels: zChannels, zHeight: encoded.zHeight,
                                                 zWidth: encoded.zWidth, threads: threads)
    let ySymbols = try yTable.decode(encoded.yString, indexes: indexes)
    let yChannels = indexes.count / (plane * 16)
    let values = means.map { means in zip(ySymbols, means).map { self.yHat(symbol: $0, mean: $1) } }
      ?? ySymbols.map { ySymbolRange.clamp(Int64($0)) }
    let latent = try IntTensor(channels: yChannels, height: encoded.zHeight * 4, width: encoded.zWidth * 4, values: values)
    try synthesis.stream(channels: latent.channels, height: latent.height, width: latent.width, bandRows: Self.bandPixelRows,
                         threads: threads, source: { try latent.rows($0) }, sink: pixelRows)
  }

  /// The entropy-bottleneck table index of every z element (its channel).
  public func zIndexes(channels: Int, plane: Int) -> [Int32] {
    (0..<channels).flatMap { [Int32](repeating: Int32($0), count: plane) }
  }

  /// The Gaussian CDF index of every y element, from decoded z symbols only.
  public func scaleIndexes(zSymbols: [Int32], zChannels: Int, zHeight: Int, zWidth: Int, threads: Int) throws -> [Int32] {
    try entropyParameters(zSymbols: zSymbols, zChannels: zChannels, zHeight: zHeight, zWidth: zWidth, threads: threads).indexes
  }

  /// The Gaussian CDF index of every y element and, with mean prediction, its mean in units of 2^-yFractionBits,
  /// from decoded z symbols only: what encoder and decoder must agree on exactly.
  public func entropyParameters(zSymbols: [Int32], zChannels: Int, zHeight: Int, zWidth: Int, threads: Int) throws
    -> (indexes: [Int32], means: [Int64]?) {
    let plane = zHeight * zWidth
    guard zSymbols.count == zChannels * plane else { throw IntegerEngineError("z has \(zSymbols.count) symbols, expected \(zChannels * plane)") }
    var hsInput = [Int16](repeating: 0, count: zSymbols.count)
    for c in 0..<zChannels {
      for q in 0..<plane { hsInput[c * plane + q] = zHat(symbol: zSymbols[c * plane + q], channel: c) }
    }
    let scales = try hyperSynthesis(IntTensor(channels: zChannels, height: zHeight, width: zWidth, values: hsInput),
                                    threads: threads)
    guard let meansToFine else { return (scales.values.map { scaleIndex($0) }, nil) }
    let half = scales.values.count / 2
    return (scales.values[..<half].map { scaleIndex($0) }, scales.values[half...].map { meansToFine.apply(Int64($0)) })
  }

  // The pointwise steps between the transforms, one element at a time (shared with the FPGA simulator).

  /// y_q -> the entropy-coded y symbol.
  @inline(__always) public func ySymbol(_ y: Int16) -> Int32 { Int32(ySymbolRange.clamp(yToSymbols.apply(Int64(y)))) }

  /// y_q and its mean (units of 2^-yFractionBits) -> the entropy-coded y symbol, round(y - mean).
  @inline(__always) public func ySymbol(_ y: Int16, mean: Int64) -> Int32 {
    let difference = yToSymbols.apply(Int64(y)) - mean
    return Int32(ySymbolRange.clamp(FixedPointScale(multiplier: 1, shift: yFractionBits).apply(difference)))
  }

  /// A decoded y symbol and its mean -> g_s's input, y_hat in units of 2^-yFractionBits.
  @inline(__always) public func yHat(symbol: Int32, mean: Int64) -> Int16 {
    yHatRange.clamp((Int64(ySymbolRange.clamp(Int64(symbol))) << Int64(yFractionBits)) + mean)
  }

  /// z_q of channel `c` -> the entropy-coded z symbol.
  @inline(__always) public func zSymbol(_ z: Int16, channel c: Int) -> Int32 {
    let fine = zToFine.apply(Int64(z))
    return Int32(clamping: FixedPointScale(multiplier: 1, shift: zFractionBits).apply(fine - zMedians[c]))
  }

  /// A z symbol of channel `c` -> the h_s input (z_hat in units of 2^-zFractionBits).
  @inline(__always) public func zHat(symbol: Int32, channel c: Int) -> Int16 {
    zHatRange.clamp((Int64(symbol) << Int64(zFractionBits)) + zMedians[c])
  }

  /// An h_s output -> its Gaussian CDF index: the number of thresholds strictly below it (they are sorted).
  @inline(__always) public func scaleIndex(_ scale: Int16) -> Int32 {
    var low = 0, high = scaleThresholds.count
    let v = Int64(scale)
    while low < high {
      let mid = (low + high) / 2
      if scaleThresholds[mid] < v { low = mid + 1 } else { high = mid }
    }
    return Int32(low)
  }

  /// MACs per image of this padded size: (g_a, h_a, h_s, g_s).
  public func macs(height: Int, width: Int) -> (analysis: Int, hyperAnalysis: Int, hyperSynthesis: Int, synthesis: Int) {
    (analysis.macs(height: height, width: width), hyperAnalysis.macs(height: height / 16, width: width / 16),
     hyperSynthesis.macs(height: height / 64, width: width / 64), synthesis.macs(height: height / 16, width: width / 16))
  }
}
