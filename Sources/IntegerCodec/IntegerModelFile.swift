import CodecFormat
import EntropyCoding
import Foundation
import IntegerEngine
import LichenSerialization

/// An integer (quantized) codec model as a file: safetensors holding integer
/// weights, biases, requantization multipliers/shifts, GDN tables and the
/// entropy tables, with the layer structure as JSON in the metadata
/// (`lichen.integer`). `lichen.format` is "integer-1" so float loaders refuse
/// it with a clear message and vice versa.
public struct IntegerModelFile: Sendable {
  public static let format = "integer-\(IntegerEngine.formatVersion)"

  public var model: IntegerHyperprior
  /// The float model this was made from.
  public var configuration: ModelConfiguration
  public var metadata: [String: String]
  public var source: String
  /// FNV-1a 64 of every tensor and the structure: the id written into bitstreams.
  public var weightsHash: UInt64

  public init(model: IntegerHyperprior, configuration: ModelConfiguration, metadata: [String: String], source: String) throws {
    self.model = model
    self.configuration = configuration
    self.metadata = metadata
    self.source = source
    let (tensors, structure) = try Self.encode(model)
    weightsHash = Self.hash(tensors: tensors, structure: structure)
  }

  // MARK: structure

  struct LayerRecord: Codable {
    var name: String
    var kind: String
    var inChannels: Int
    var outChannels: Int
    var kernel: Int = 1
    var stride: Int = 1
    var padding: Int = 0
    var outputPadding: Int = 0
    var inputBound: Int = 0
    var lower: Int32
    var upper: Int32
    var inverse: Bool = false
    var tableIndexBits: Int = 0
    var tableFractionBits: Int = 0
    /// A fused LeakyReLU's slope (convolutions of the mean-scale hyperprior's h_a and h_s); absent for none.
    var negativeSlope: FixedPointScale?
  }

  struct Structure: Codable {
    var transforms: [String: [LayerRecord]]
    var yToSymbols: FixedPointScale
    var zToFine: FixedPointScale
    var zFractionBits: Int
    var zHatRange: ActivationRange
    var ySymbolRange: ActivationRange
    /// The mean-scale hyperprior's mean prediction (all three present, or none for the scale hyperprior).
    var meansToFine: FixedPointScale?
    var yFractionBits: Int?
    var yHatRange: ActivationRange?
  }

  static let transformNames = ["g_a", "h_a", "h_s", "g_s"]

  static func transforms(_ m: IntegerHyperprior) -> [(String, IntegerTransform)] {
    [("g_a", m.analysis), ("h_a", m.hyperAnalysis), ("h_s", m.hyperSynthesis), ("g_s", m.synthesis)]
  }

  static func encode(_ m: IntegerHyperprior) throws -> (tensors: [String: TensorRecord], structure: String) {
    var tensors: [String: TensorRecord] = [:]
    var records: [String: [LayerRecord]] = [:]
    for (t, transform) in transforms(m) {
      var list: [LayerRecord] = []
      for (i, layer) in transform.layers.enumerated() {
        let name = "\(t).\(i)"
        switch layer {
        case .convolution(let c):
          let narrow = c.weights.allSatisfy { $0 >= -128 && $0 <= 127 }
          tensors["\(name).weight"] = try record(c.weights.map(Int64.init), narrow ? .int8 : .int16,
                                                 shape: c.kind == .convolution
                                                   ? [c.outChannels, c.inChannels, c.kernel, c.kernel]
                                                   : [c.inChannels, c.outChannels, c.kernel, c.kernel])
          // Biases are 32-bit (the hardware's bias width) whenever they fit, as they do for calibrated models.
          let biasFits = c.bias.allSatisfy { $0 >= Int64(Int32.min) && $0 <= Int64(Int32.max) }
          tensors["\(name).bias"] = try record(c.bias, biasFits ? .int32 : .int64, shape: [c.outChannels])
          tensors["\(name).multiplier"] = try record(c.requantization.map(\.multiplier), .int64, shape: [c.outChannels])
          tensors["\(name).shift"] = try record(c.requantization.map { Int64($0.shift) }, .int64, shape: [c.outChannels])
          list.append(LayerRecord(
            name: name, kind: c.kind.rawValue, inChannels: c.inChannels, outChannels: c.outChannels, kernel: c.kernel,
            stride: c.stride, padding: c.padding, outputPadding: c.outputPadding, inputBound: c.inputBound,
            lower: c.outputRange.lower, upper: c.outputRange.upper, negativeSlope: c.negativeSlope))
        case .gdn(let g):
          tensors["\(name).gamma"] = try record(g.gamma, .int64, shape: [g.channels, g.channels])
          tensors["\(name).beta"] = try record(g.beta, .int64, shape: [g.channels])
          tensors["\(name).multiplier"] = try record(g.output.map(\.multiplier), .int64, shape: [g.channels])
          tensors["\(name).shift"] = try record(g.output.map { Int64($0.shift) }, .int64, shape: [g.channels])
          list.append(LayerRecord(
            name: name, kind: g.kind == .standard ? "gdn" : "simplified-gdn", inChannels: g.channels,
            outChannels: g.channels, lower: g.outputRange.lower, upper: g.outputRange.upper, inverse: g.inverse,
            tableIndexBits: g.table?.indexBits ?? 6, tableFractionBits: g.table?.fractionBits ?? 16))
        }
      }
      records[t] = list
    }
    for (prefix, table) in [("entropy_bottleneck", m.zTable), ("gaussian_conditional", m.yTable)] {
      let width = table.cdfs.map(\.count).max() ?? 0
      var flat = [Int64](repeating: 0, count: table.count * width)
      for (i, row) in table.cdfs.enumerated() { for (j, v) in row.enumerated() { flat[i * width + j] = Int64(v) } }
      tensors["\(prefix)._quantized_cdf"] = try record(flat, .int32, shape: [table.count, width])
      tensors["\(prefix)._cdf_length"] = try record(table.cdfLengths.map(Int64.init), .int32, shape: [table.count])
      tensors["\(prefix)._offset"] = try record(table.offsets.map(Int64.init), .int32, shape: [table.count])
    }
    tensors["entropy_bottleneck.medians"] = try record(m.zMedians, .int64, shape: [m.zMedians.count])
    tensors["gaussian_conditional.scale_thresholds"] = try record(m.scaleThresholds, .int64, shape: [m.scaleThresholds.count])
    var structure = Structure(transforms: records, yToSymbols: m.yToSymbols, zToFine: m.zToFine,
                              zFractionBits: m.zFractionBits, zHatRange: m.zHatRange, ySymbolRange: m.ySymbolRange)
    if let meansToFine = m.meansToFine {
      structure.meansToFine = meansToFine
      structure.yFractionBits = m.yFractionBits
      structure.yHatRange = m.yHatRange
    }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return (tensors, String(decoding: try encoder.encode(structure), as: UTF8.self))
  }

  static func record(_ values: [Int64], _ dtype: DType, shape: [Int]) throws -> TensorRecord {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(values.count * dtype.byteSize)
    for v in values {
      for b in 0..<dtype.byteSize { bytes.append(UInt8(truncatingIfNeeded: v >> Int64(8 * b))) }
    }
    return try TensorRecord(dtype: dtype, shape: shape, bytes: bytes)
  }

  static func hash(tensors: [String: TensorRecord], structure: String) -> UInt64 {
    var h = FNV1a64()
    for name in tensors.keys.sorted() {
      guard let t = tensors[name] else { continue }
      h.update(Array(name.utf8))
      h.update(Array(t.dtype.description.utf8))
      h.update(t.shape.flatMap { withUnsafeBytes(of: Int64($0).littleEndian, Array.init) })
      h.update(t.bytes)
    }
    h.update(Array(structure.utf8))
    return h.value
  }

  // MARK: files

  /// Writes atomically (temporary file, then rename).
  public func save(to url: URL) throws {
    let (tensors, structure) = try Self.encode(model)
    var meta = metadata
    meta[MetadataKey.format] = Self.format
    meta[MetadataKey.architecture] = configuration.architecture.rawValue
    meta[MetadataKey.n] = String(configuration.n)
    meta[MetadataKey.m] = String(configuration.m)
    meta[MetadataKey.gdn] = configuration.gdnVariant.rawValue
    meta[MetadataKey.integerStructure] = structure
    try SafeTensors.write(tensors, metadata: meta, to: url)
  }

  /// True when the file at `url` is an integer model (reads only the header).
  public static func isIntegerModel(at url: URL) -> Bool {
    guard url.pathExtension == "safetensors", let metadata = try? SafeTensors.readMetadata(from: url) else { return false }
    return metadata[MetadataKey.format] == format
  }

  public static func load(from url: URL) throws -> IntegerModelFile {
    let file: SafeTensorsFile
    do { file = try SafeTensors.read(from: url) } catch {
      throw QuantizationError("cannot read integer model \(url.path): \(error)")
    }
    return try load(file, origin: url.path)
  }

  /// Largest channel count and kernel of an integer layer (far above any codec's).
  static let maxChannels = 4096
  static let maxKernel = 15
  /// Range of a requantization multiplier and shift: what `FixedPointScale(approximating:)` produces.
  static let multiplierRange: ClosedRange<Int64> = 0...((1 << 31) - 1)
  static let shiftRange = -32...120
  /// Bound on |z * 2^f| and on the medians, so the entropy steps' sums and differences stay in Int64.
  static let fineBound: Int64 = 1 << 61

  /// The model in `file` (the tensors and metadata of an integer model file); errors name `origin`
  /// and the field of the structure JSON or the tensor that is wrong.
  static func load(_ file: SafeTensorsFile, origin: String) throws -> IntegerModelFile {
    guard file.metadata[MetadataKey.format] == format else {
      throw QuantizationError(
        "\(origin) is not an integer model (format \(JSONDiagnostics.quoted(file.metadata[MetadataKey.format] ?? "none"))); make one with `lichen quantize`")
    }
    guard let structureText = file.metadata[MetadataKey.integerStructure] else {
      throw QuantizationError("\(origin): integer model metadata has no lichen.integer structure")
    }
    let structure: Structure
    let structureData = Data(structureText.utf8)
    do { structure = try JSONDecoder().decode(Structure.self, from: structureData) } catch {
      let reason = JSONDiagnostics.describe(error, data: structureData) { _ = try JSONDecoder().decode(Structure.self, from: $0) }
      throw QuantizationError("\(origin): integer model structure (lichen.integer) is malformed: \(reason)")
    }
    guard let n = file.metadata[MetadataKey.n].flatMap(Int.init), (1...maxChannels).contains(n),
      let m = file.metadata[MetadataKey.m].flatMap(Int.init), (1...maxChannels).contains(m),
      let gdn = file.metadata[MetadataKey.gdn].flatMap(GDNVariant.init(rawValue:))
    else { throw QuantizationError("\(origin): integer model metadata lichen.N, lichen.M or lichen.gdn is missing or malformed") }
    // Files written before the mean-scale hyperprior carry the scale hyperprior's name, or none.
    let architecture = Architecture(rawValue: file.metadata[MetadataKey.architecture] ?? Architecture.scaleHyperprior.rawValue)
    guard architecture == .scaleHyperprior || architecture == .meanScaleHyperprior else {
      throw QuantizationError("\(origin): integer model metadata lichen.architecture is \(JSONDiagnostics.quoted(file.metadata[MetadataKey.architecture] ?? "")), not a hyperprior")
    }
    guard (architecture == .meanScaleHyperprior) == (structure.meansToFine != nil) else {
      let problem = structure.meansToFine == nil ? "lacks the mean prediction it needs" : "has a mean prediction it cannot use"
      throw QuantizationError("\(origin): a \(architecture?.rawValue ?? "") integer model \(problem) (lichen.integer meansToFine)")
    }
    do { try validate(structure, m: m) } catch let error as QuantizationError {
      throw QuantizationError("\(origin): invalid integer model structure (lichen.integer): \(error.message)")
    }
    func ints(_ name: String, count: Int) throws -> [Int64] {
      guard let t = file.tensors[name] else { throw QuantizationError("\(origin): tensor \(JSONDiagnostics.quoted(name)) is missing") }
      let v = try t.integers()
      guard v.count == count else { throw QuantizationError("\(origin): \(JSONDiagnostics.quoted(name)) has \(v.count) values, expected \(count)") }
      return v
    }
    func transform(_ t: String) throws -> IntegerTransform {
      guard let list = structure.transforms[t], !list.isEmpty else { throw QuantizationError("\(origin): no \(t) layers") }
      return IntegerTransform(try list.map { r in
        let range = ActivationRange(lower: r.lower, upper: r.upper)
        let c = r.outChannels
        let multipliers = try ints("\(r.name).multiplier", count: c)
        let shifts = try ints("\(r.name).shift", count: c)
        guard multipliers.allSatisfy(multiplierRange.contains), shifts.allSatisfy({ shiftRange.contains(Int($0)) }) else {
          throw QuantizationError("\(origin): \(r.name) requantization multipliers must be in 0..<2^31 and shifts in "
            + "\(shiftRange.lowerBound)...\(shiftRange.upperBound)")
        }
        let scales = zip(multipliers, shifts).map { FixedPointScale(multiplier: $0, shift: Int($1)) }
        switch r.kind {
        case "convolution", "transposed":
          let w = try ints("\(r.name).weight", count: r.inChannels * c * r.kernel * r.kernel)
          guard w.allSatisfy({ $0 >= -32_768 && $0 <= 32_767 }) else { throw QuantizationError("\(r.name): weights exceed 16 bits") }
          return .convolution(try IntConvolution(
            kind: r.kind == "convolution" ? .convolution : .transposed, inChannels: r.inChannels, outChannels: c,
            kernel: r.kernel, stride: r.stride, padding: r.padding, outputPadding: r.outputPadding,
            weights: w.map { Int16($0) }, bias: try ints("\(r.name).bias", count: c), requantization: scales,
            outputRange: range, inputBound: r.inputBound, negativeSlope: r.negativeSlope))
        case "gdn", "simplified-gdn":
          return .gdn(try IntGDN(
            kind: r.kind == "gdn" ? .standard : .simplified, inverse: r.inverse, channels: c,
            gamma: try ints("\(r.name).gamma", count: c * c), beta: try ints("\(r.name).beta", count: c),
            output: scales, outputRange: range, tableIndexBits: r.tableIndexBits, tableFractionBits: r.tableFractionBits))
        default:
          throw QuantizationError("\(origin): layer \(r.name) has unknown kind \(JSONDiagnostics.quoted(r.kind))")
        }
      })
    }
    func table(_ prefix: String) throws -> CDFTable {
      guard let cdf = file.tensors["\(prefix)._quantized_cdf"], cdf.shape.count == 2 else {
        throw QuantizationError("\(origin): \(prefix) CDF table is missing")
      }
      let (rows, width) = (cdf.shape[0], cdf.shape[1])
      let flat = try cdf.integers()
      let lengths = try ints("\(prefix)._cdf_length", count: rows)
      let offsets = try ints("\(prefix)._offset", count: rows)
      var cdfs: [[Int32]] = []
      for i in 0..<rows {
        let l = Int(lengths[i])
        guard l >= 2, l <= width else { throw QuantizationError("\(origin): \(prefix) CDF \(i) has length \(l)") }
        cdfs.append(flat[(i * width)..<(i * width + l)].map { Int32(truncatingIfNeeded: $0) })
      }
      do {
        return try CDFTable(cdfs: cdfs, cdfLengths: lengths.map { Int32($0) }, offsets: offsets.map { Int32(truncatingIfNeeded: $0) })
      } catch { throw QuantizationError("\(origin): \(prefix) tables are invalid: \(error)") }
    }
    let zTable = try table("entropy_bottleneck")
    let yTable = try table("gaussian_conditional")
    let medians = try ints("entropy_bottleneck.medians", count: zTable.count)
    guard medians.allSatisfy({ (-fineBound...fineBound).contains($0) }) else {
      throw QuantizationError("\(origin): entropy_bottleneck.medians must be within +-2^61")
    }
    let thresholds = try ints("gaussian_conditional.scale_thresholds", count: Swift.max(0, yTable.count - 1))
    guard thresholds.allSatisfy({ $0 != Int64.min }), zip(thresholds, thresholds.dropFirst()).allSatisfy({ $0 <= $1 }) else {
      throw QuantizationError("\(origin): gaussian_conditional.scale_thresholds must be sorted ascending")
    }
    let model: IntegerHyperprior
    do {
      if let meansToFine = structure.meansToFine, let yFractionBits = structure.yFractionBits,
        let yHatRange = structure.yHatRange {
        model = try IntegerHyperprior(
          meanScale: try transform("g_a"), hyperAnalysis: try transform("h_a"), hyperSynthesis: try transform("h_s"),
          synthesis: try transform("g_s"), yToFine: structure.yToSymbols, meansToFine: meansToFine,
          yFractionBits: yFractionBits, yHatRange: yHatRange, zToFine: structure.zToFine,
          zFractionBits: structure.zFractionBits, zMedians: medians, zHatRange: structure.zHatRange,
          ySymbolRange: structure.ySymbolRange, scaleThresholds: thresholds, zTable: zTable, yTable: yTable)
      } else {
        model = try IntegerHyperprior(
        analysis: try transform("g_a"), hyperAnalysis: try transform("h_a"), hyperSynthesis: try transform("h_s"),
        synthesis: try transform("g_s"), yToSymbols: structure.yToSymbols, zToFine: structure.zToFine,
        zFractionBits: structure.zFractionBits, zMedians: medians,
        zHatRange: structure.zHatRange, ySymbolRange: structure.ySymbolRange, scaleThresholds: thresholds,
        zTable: zTable, yTable: yTable)
      }
    } catch let error as IntegerEngineError {
      throw QuantizationError("\(origin): \(error)")
    }
    let config = ModelConfiguration(architecture: architecture ?? .scaleHyperprior, n: n, m: m, gdnVariant: gdn)
    return try IntegerModelFile(model: model, configuration: config, metadata: file.metadata, source: origin)
  }

  /// Checks every field of the structure JSON against what `encode` writes and the integer engine
  /// computes with: known transforms and kinds, layer names in order, channels chaining through each
  /// transform and between them (3 -> g_a -> M -> h_a -> h_s -> M; M -> g_s -> 3), bounded kernels,
  /// strides and paddings (so no size arithmetic overflows and no transposed layer has absurdly many
  /// phases), int16 activation ranges, and requantization scales the entropy steps cannot overflow.
  /// Errors name the field, e.g. "transforms.g_a[2].stride: 0 is outside 1...5".
  static func validate(_ s: Structure, m: Int) throws {
    func fail(_ field: String, _ problem: String) -> QuantizationError { QuantizationError("\(field): \(problem)") }
    func check(_ field: String, _ value: Int, _ range: ClosedRange<Int>) throws {
      guard range.contains(value) else { throw fail(field, "\(value) is outside \(range.lowerBound)...\(range.upperBound)") }
    }
    func check(_ field: String, _ r: ActivationRange) throws {
      guard r.lower <= r.upper, r.lower >= Int32(Int16.min), r.upper <= Int32(Int16.max) else {
        throw fail(field, "\(r.lower)...\(r.upper) is not an int16 range")
      }
    }
    for name in s.transforms.keys.sorted() where !transformNames.contains(name) {
      throw fail("transforms", "unknown transform \(JSONDiagnostics.quoted(name)) (expected \(transformNames.joined(separator: ", ")))")
    }
    // Input channels of each transform: g_a reads RGB, h_a |y|, h_s z, g_s y.
    var firstInput = ["g_a": 3, "h_a": m, "h_s": -1, "g_s": m]
    var lastOutput: [String: Int] = [:]
    for t in ["g_a", "h_a", "h_s", "g_s"] {
      guard let list = s.transforms[t], !list.isEmpty else { throw fail("transforms.\(t)", "no layers") }
      guard list.count <= 64 else { throw fail("transforms.\(t)", "\(list.count) layers (at most 64)") }
      var channels = firstInput[t] ?? -1
      for (i, r) in list.enumerated() {
        let field = "transforms.\(t)[\(i)]"
        guard r.name == "\(t).\(i)" else { throw fail("\(field).name", "\(JSONDiagnostics.quoted(r.name)), expected \"\(t).\(i)\"") }
        try check("\(field).inChannels", r.inChannels, 1...maxChannels)
        try check("\(field).outChannels", r.outChannels, 1...maxChannels)
        if channels > 0 && r.inChannels != channels {
          throw fail("\(field).inChannels", "\(r.inChannels), but the layer before produces \(channels) channels")
        }
        switch r.kind {
        case "convolution", "transposed":
          if let slope = r.negativeSlope {
            guard multiplierRange.contains(slope.multiplier), shiftRange.contains(slope.shift), slope.value < 1 else {
              throw fail("\(field).negativeSlope", "\(slope.value) is not a LeakyReLU slope in [0, 1)")
            }
          }
          try check("\(field).kernel", r.kernel, 1...maxKernel)
          try check("\(field).stride", r.stride, 1...r.kernel)
          try check("\(field).padding", r.padding, 0...r.kernel)
          try check("\(field).outputPadding", r.outputPadding, 0...(r.stride - 1))
          try check("\(field).inputBound", r.inputBound, 1...(1 << 15))
        case "gdn", "simplified-gdn":
          guard r.inChannels == r.outChannels else {
            throw fail("\(field).outChannels", "\(r.outChannels) differs from inChannels \(r.inChannels) in a GDN")
          }
          try check("\(field).tableIndexBits", r.tableIndexBits, 1...12)
          try check("\(field).tableFractionBits", r.tableFractionBits, 4...30)
        default:
          throw fail("\(field).kind", "unknown kind \(JSONDiagnostics.quoted(r.kind)) (convolution, transposed, gdn or simplified-gdn)")
        }
        try check("\(field).lower...upper", ActivationRange(lower: r.lower, upper: r.upper))
        channels = r.outChannels
      }
      lastOutput[t] = channels
      if t == "h_a" { firstInput["h_s"] = channels }
    }
    let means = s.meansToFine != nil
    for (t, expected) in [("g_a", m), ("h_s", means ? 2 * m : m), ("g_s", 3)] where lastOutput[t] != expected {
      let what = t == "g_s" ? "RGB" : t == "h_s" && means ? "scales and means, 2M = \(2 * m)" : "M = \(m)"
      throw fail("transforms.\(t)[\((s.transforms[t]?.count ?? 1) - 1)].outChannels", "\(lastOutput[t] ?? 0), expected \(expected) (\(what))")
    }
    if means || s.yFractionBits != nil || s.yHatRange != nil {
      guard let meansToFine = s.meansToFine, let yFractionBits = s.yFractionBits, let yHatRange = s.yHatRange else {
        throw fail("meansToFine", "meansToFine, yFractionBits and yHatRange come together (mean prediction) or not at all")
      }
      try check("yFractionBits", yFractionBits, 0...14)
      try check("yHatRange", yHatRange)
      guard multiplierRange.contains(meansToFine.multiplier) else {
        throw fail("meansToFine.multiplier", "\(meansToFine.multiplier) is outside 0..<2^31")
      }
      try check("meansToFine.shift", meansToFine.shift, shiftRange)
      // Means and y (int16) in units of 2^-fy: the entropy steps subtract one from the other.
      for (field, scale) in [("meansToFine", meansToFine), ("yToSymbols", s.yToSymbols)] {
        for v: Int64 in [Int64(Int16.min), Int64(Int16.max)] where !(-fineBound...fineBound).contains(scale.apply(v)) {
          throw fail(field, "maps \(v) beyond +-2^61")
        }
      }
    }
    try check("zFractionBits", s.zFractionBits, 0...14)
    try check("zHatRange", s.zHatRange)
    try check("ySymbolRange", s.ySymbolRange)
    for (field, scale) in [("yToSymbols", s.yToSymbols), ("zToFine", s.zToFine)] {
      guard multiplierRange.contains(scale.multiplier) else { throw fail("\(field).multiplier", "\(scale.multiplier) is outside 0..<2^31") }
      try check("\(field).shift", scale.shift, shiftRange)
    }
    // z (int16) in units of 2^-f: the entropy steps subtract medians from it and add them back.
    for z: Int64 in [Int64(Int16.min), Int64(Int16.max)] where !(-fineBound...fineBound).contains(s.zToFine.apply(z)) {
      throw fail("zToFine", "maps z = \(z) beyond +-2^61")
    }
  }
}
