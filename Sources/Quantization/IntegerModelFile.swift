import Compression
import EntropyCoding
import Foundation
import IntegerEngine
import Torch

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
  }

  struct Structure: Codable {
    var transforms: [String: [LayerRecord]]
    var yToSymbols: FixedPointScale
    var zToFine: FixedPointScale
    var zFractionBits: Int
    var zHatRange: ActivationRange
    var ySymbolRange: ActivationRange
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
            lower: c.outputRange.lower, upper: c.outputRange.upper))
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
    let structure = Structure(transforms: records, yToSymbols: m.yToSymbols, zToFine: m.zToFine,
                              zFractionBits: m.zFractionBits, zHatRange: m.zHatRange, ySymbolRange: m.ySymbolRange)
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
    meta["lichen.format"] = Self.format
    meta["lichen.architecture"] = configuration.architecture.rawValue
    meta["lichen.N"] = String(configuration.n)
    meta["lichen.M"] = String(configuration.m)
    meta["lichen.gdn"] = configuration.gdnVariant.rawValue
    meta["lichen.integer"] = structure
    try SafeTensors.write(tensors, metadata: meta, to: url)
  }

  /// True when the file at `url` is an integer model (reads only the header).
  public static func isIntegerModel(at url: URL) -> Bool {
    guard url.pathExtension == "safetensors", let metadata = try? SafeTensors.readMetadata(from: url) else { return false }
    return metadata["lichen.format"] == format
  }

  public static func load(from url: URL) throws -> IntegerModelFile {
    let file: SafeTensorsFile
    do { file = try SafeTensors.read(from: url) } catch {
      throw QuantizationError("cannot read integer model \(url.path): \(error)")
    }
    guard file.metadata["lichen.format"] == format else {
      throw QuantizationError(
        "\(url.path) is not an integer model (format '\(file.metadata["lichen.format"] ?? "none")'); make one with `lichen quantize`")
    }
    guard let structureText = file.metadata["lichen.integer"],
      let structure = try? JSONDecoder().decode(Structure.self, from: Data(structureText.utf8)),
      let n = file.metadata["lichen.N"].flatMap(Int.init), let m = file.metadata["lichen.M"].flatMap(Int.init),
      let gdn = file.metadata["lichen.gdn"].flatMap(GDN.Variant.init(rawValue:))
    else { throw QuantizationError("\(url.path): integer model metadata is missing or malformed") }
    func ints(_ name: String, count: Int) throws -> [Int64] {
      guard let t = file.tensors[name] else { throw QuantizationError("\(url.path): tensor \(name) is missing") }
      let v = try t.integers()
      guard v.count == count else { throw QuantizationError("\(url.path): \(name) has \(v.count) values, expected \(count)") }
      return v
    }
    func transform(_ t: String) throws -> IntegerTransform {
      guard let list = structure.transforms[t], !list.isEmpty else { throw QuantizationError("\(url.path): no \(t) layers") }
      return IntegerTransform(try list.map { r in
        let range = ActivationRange(lower: r.lower, upper: r.upper)
        let c = r.outChannels
        let scales = zip(try ints("\(r.name).multiplier", count: c), try ints("\(r.name).shift", count: c)).map {
          FixedPointScale(multiplier: $0, shift: Int($1))
        }
        switch r.kind {
        case "convolution", "transposed":
          guard r.inChannels > 0, r.inChannels <= 4096, c > 0, c <= 4096, r.kernel > 0, r.kernel <= 15 else {
            throw QuantizationError("\(url.path): layer \(r.name) has an implausible shape")
          }
          let w = try ints("\(r.name).weight", count: r.inChannels * c * r.kernel * r.kernel)
          guard w.allSatisfy({ $0 >= -32_768 && $0 <= 32_767 }) else { throw QuantizationError("\(r.name): weights exceed 16 bits") }
          return .convolution(try IntConvolution(
            kind: r.kind == "convolution" ? .convolution : .transposed, inChannels: r.inChannels, outChannels: c,
            kernel: r.kernel, stride: r.stride, padding: r.padding, outputPadding: r.outputPadding,
            weights: w.map { Int16($0) }, bias: try ints("\(r.name).bias", count: c), requantization: scales,
            outputRange: range, inputBound: r.inputBound))
        case "gdn", "simplified-gdn":
          guard c > 0, c <= 4096 else { throw QuantizationError("\(url.path): layer \(r.name) has an implausible shape") }
          return .gdn(try IntGDN(
            kind: r.kind == "gdn" ? .standard : .simplified, inverse: r.inverse, channels: c,
            gamma: try ints("\(r.name).gamma", count: c * c), beta: try ints("\(r.name).beta", count: c),
            output: scales, outputRange: range, tableIndexBits: r.tableIndexBits, tableFractionBits: r.tableFractionBits))
        default:
          throw QuantizationError("\(url.path): layer \(r.name) has unknown kind '\(r.kind)'")
        }
      })
    }
    func table(_ prefix: String) throws -> CDFTable {
      guard let cdf = file.tensors["\(prefix)._quantized_cdf"], cdf.shape.count == 2 else {
        throw QuantizationError("\(url.path): \(prefix) CDF table is missing")
      }
      let (rows, width) = (cdf.shape[0], cdf.shape[1])
      let flat = try cdf.integers()
      let lengths = try ints("\(prefix)._cdf_length", count: rows)
      let offsets = try ints("\(prefix)._offset", count: rows)
      var cdfs: [[Int32]] = []
      for i in 0..<rows {
        let l = Int(lengths[i])
        guard l >= 2, l <= width else { throw QuantizationError("\(url.path): \(prefix) CDF \(i) has length \(l)") }
        cdfs.append(flat[(i * width)..<(i * width + l)].map { Int32(truncatingIfNeeded: $0) })
      }
      do {
        return try CDFTable(cdfs: cdfs, cdfLengths: lengths.map { Int32($0) }, offsets: offsets.map { Int32(truncatingIfNeeded: $0) })
      } catch { throw QuantizationError("\(url.path): \(prefix) tables are invalid: \(error)") }
    }
    let zTable = try table("entropy_bottleneck")
    let yTable = try table("gaussian_conditional")
    let model = try IntegerHyperprior(
      analysis: try transform("g_a"), hyperAnalysis: try transform("h_a"), hyperSynthesis: try transform("h_s"),
      synthesis: try transform("g_s"), yToSymbols: structure.yToSymbols, zToFine: structure.zToFine,
      zFractionBits: structure.zFractionBits, zMedians: try ints("entropy_bottleneck.medians", count: zTable.count),
      zHatRange: structure.zHatRange, ySymbolRange: structure.ySymbolRange,
      scaleThresholds: try ints("gaussian_conditional.scale_thresholds", count: yTable.count - 1),
      zTable: zTable, yTable: yTable)
    let config = ModelConfiguration(architecture: .scaleHyperprior, n: n, m: m, gdnVariant: gdn)
    return try IntegerModelFile(model: model, configuration: config, metadata: file.metadata, source: url.path)
  }
}
