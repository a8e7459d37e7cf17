import EntropyCoding
import Torch

/// The integer tables an entropy model freezes in `update()`: per-CDF
/// offsets, the quantized CDFs (rows padded to the longest) and their
/// lengths, stored as CompressAI's buffers `_offset`, `_quantized_cdf`,
/// `_cdf_length` (int32) so they travel in state dicts.
public final class CodingTables {
  public let offset: Tensor
  public let quantizedCDF: Tensor
  public let cdfLength: Tensor
  private var cached: CDFTable?

  init() throws {
    offset = try Tensor.zeros([0], dtype: .int32)
    quantizedCDF = try Tensor.zeros([0], dtype: .int32)
    cdfLength = try Tensor.zeros([0], dtype: .int32)
  }

  var buffers: [(name: String, tensor: Tensor)] {
    [("_offset", offset), ("_quantized_cdf", quantizedCDF), ("_cdf_length", cdfLength)]
  }
  static let names: Set<String> = ["_offset", "_quantized_cdf", "_cdf_length"]

  public var isEmpty: Bool { offset.elementCount == 0 || quantizedCDF.elementCount == 0 }

  /// Stores freshly built tables.
  func set(cdfs: [[Int32]], offsets: [Int32]) throws {
    let width = cdfs.map(\.count).max() ?? 0
    var flat = [Int32](repeating: 0, count: cdfs.count * width)
    for (i, row) in cdfs.enumerated() { flat.replaceSubrange(i * width..<(i * width + row.count), with: row) }
    try withNoGrad {
      try quantizedCDF.resize_([cdfs.count, width])
      try quantizedCDF.copy_(Tensor(flat, shape: [cdfs.count, width]))
      try offset.resize_([offsets.count])
      try offset.copy_(Tensor(offsets))
      try cdfLength.resize_([cdfs.count])
      try cdfLength.copy_(Tensor(cdfs.map { Int32($0.count) }))
    }
    cached = nil
  }

  /// Forgets the cached coder table (after a state-dict load).
  func invalidate() { cached = nil }

  /// The tables as the entropy coder's value type; validated once, then cached.
  public func table() throws -> CDFTable {
    if let cached { return cached }
    guard !isEmpty else { throw CodecError.notUpdated }
    let shape = quantizedCDF.shape
    guard shape.count == 2, offset.shape == [shape[0]], cdfLength.shape == [shape[0]] else {
      throw CodecError.invalidModel("CDF tables have inconsistent shapes \(shape), \(offset.shape), \(cdfLength.shape)")
    }
    let flat = try quantizedCDF.to(.int32).scalars(as: Int32.self)
    let lengths = try cdfLength.to(.int32).scalars(as: Int32.self)
    var cdfs: [[Int32]] = []
    for (i, length) in lengths.enumerated() {
      guard length >= 2, Int(length) <= shape[1] else {
        throw CodecError.invalidModel("CDF \(i) has length \(length) in a table of width \(shape[1])")
      }
      cdfs.append(Array(flat[i * shape[1]..<(i * shape[1] + Int(length))]))
    }
    do {
      let table = try CDFTable(cdfs: cdfs, cdfLengths: lengths, offsets: try offset.to(.int32).scalars(as: Int32.self))
      cached = table
      return table
    } catch {
      throw CodecError.invalidModel("invalid CDF tables: \(error)")
    }
  }
}
