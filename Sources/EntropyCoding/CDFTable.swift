/// A validated set of quantized CDFs with the per-table data the rANS coder
/// needs, precomputed once so encoding and decoding do no per-call setup.
///
/// Mirrors CompressAI's `(quantized_cdf, cdf_length, offset)` triple: table `c`
/// uses `cdfs[c][0..<cdfLengths[c]]` (rows may be zero-padded beyond that), its
/// last symbol `cdfLengths[c] - 2` is the escape symbol, and `offsets[c]` is
/// the value of symbol 0 (CompressAI stores `-pmf_center`).
///
/// Equality and `Codable` only consider `cdfs`, `cdfLengths` and `offsets`;
/// decoding from a `Decoder` re-validates and rebuilds the lookups.
public struct CDFTable: Sendable, Codable, Equatable {
  /// One quantized CDF per table, each starting at 0 and ending at 65536.
  public let cdfs: [[Int32]]
  /// Number of meaningful entries of each row of `cdfs` (symbols + 1).
  public let cdfLengths: [Int32]
  /// Value represented by symbol 0 of each table.
  public let offsets: [Int32]

  /// Flattened lookups derived from the three arrays above.
  let coding: CodingTables

  /// Number of tables.
  public var count: Int { cdfs.count }

  /// Validates the tables and precomputes the coding lookups.
  ///
  /// - Throws: ``EntropyCodingError/mismatchedLengths(_:)`` if the three arrays
  ///   differ in length, ``EntropyCodingError/invalidTable(_:)`` if a length is
  ///   out of range, a CDF is not strictly increasing from 0 to 65536, or an
  ///   offset would overflow `Int32`.
  public init(cdfs: [[Int32]], cdfLengths: [Int32], offsets: [Int32]) throws(EntropyCodingError) {
    guard cdfs.count == cdfLengths.count, cdfs.count == offsets.count else {
      throw .mismatchedLengths(
        "cdfs has \(cdfs.count) rows, cdfLengths \(cdfLengths.count), offsets \(offsets.count)")
    }
    self.cdfs = cdfs
    self.cdfLengths = cdfLengths
    self.offsets = offsets
    self.coding = try CodingTables(cdfs: cdfs, cdfLengths: cdfLengths, offsets: offsets)
  }

  /// Builds one table per PMF with ``QuantizedCDF/make(pmf:tailMass:)``, the
  /// way CompressAI's `update()` does.
  public init(pmfs: [[Float]], tailMasses: [Float], offsets: [Int32]) throws(EntropyCodingError) {
    guard pmfs.count == tailMasses.count else {
      throw .mismatchedLengths("\(pmfs.count) PMFs but \(tailMasses.count) tail masses")
    }
    var cdfs: [[Int32]] = []
    cdfs.reserveCapacity(pmfs.count)
    for (pmf, tailMass) in zip(pmfs, tailMasses) {
      cdfs.append(try QuantizedCDF.make(pmf: pmf, tailMass: tailMass))
    }
    try self.init(cdfs: cdfs, cdfLengths: cdfs.map { Int32($0.count) }, offsets: offsets)
  }

  public static func == (lhs: CDFTable, rhs: CDFTable) -> Bool {
    lhs.cdfs == rhs.cdfs && lhs.cdfLengths == rhs.cdfLengths && lhs.offsets == rhs.offsets
  }

  private enum CodingKeys: String, CodingKey {
    case cdfs, cdfLengths, offsets
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    let cdfs = try container.decode([[Int32]].self, forKey: .cdfs)
    let cdfLengths = try container.decode([Int32].self, forKey: .cdfLengths)
    let offsets = try container.decode([Int32].self, forKey: .offsets)
    do {
      try self.init(cdfs: cdfs, cdfLengths: cdfLengths, offsets: offsets)
    } catch {
      throw DecodingError.dataCorrupted(
        DecodingError.Context(
          codingPath: decoder.codingPath, debugDescription: error.description,
          underlyingError: error))
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(cdfs, forKey: .cdfs)
    try container.encode(cdfLengths, forKey: .cdfLengths)
    try container.encode(offsets, forKey: .offsets)
  }
}

/// Per-table parameters, indexed by table number.
struct TableInfo: Sendable {
  /// Position of the table's `cdf[0]` in the flat arrays.
  var cdfStart: Int32
  /// The escape symbol (`cdfLength - 2`).
  var maxValue: Int32
  var offset: Int32
  /// Position of the table's first bucket in `CodingTables.buckets`.
  var bucketStart: Int32
  /// `slot >> bucketShift` is the bucket of a 16-bit slot.
  var bucketShift: UInt32
}

/// Encoder parameters of one symbol: the renormalisation bound and a
/// reciprocal that replaces the 64-bit division by the frequency
/// (Alverson's method, as in ryg_rans).
struct EncodingSymbol: Sendable {
  /// Renormalise (emit 32 bits) before coding when `x >= maxState`.
  var maxState: UInt64
  /// `ceil(2^(63 + k) / freq)` with `k = ceil(log2(freq))`, so that `x / freq`
  /// equals `mulhi(x, reciprocal) >> shift` (`shift = k - 1`) for every `x < 2^63`.
  var reciprocal: UInt64
  /// Added to the state: `start`, plus `2^16 - 1` for frequency 1.
  var bias: UInt32
  /// `2^16 - freq`.
  var complementFrequency: UInt32
  var shift: UInt32

  init(start: UInt32, frequency: UInt32) {
    let one = UInt32(1) << EntropyCoding.precision
    maxState = ((Rans64.lowerBound >> Rans64.scaleBits) << 32) * UInt64(frequency)
    complementFrequency = one - frequency
    if frequency < 2 {
      // mulhi(x, 2^64 - 1) = x - 1; the bias adds the missing 2^16 - 1.
      reciprocal = UInt64.max
      shift = 0
      bias = start + one - 1
    } else {
      var ceilLog2: UInt32 = 0
      while frequency > UInt32(1) << ceilLog2 { ceilLog2 += 1 }
      // ceil(2^(63 + ceilLog2) / frequency); fits 64 bits since frequency > 2^(ceilLog2 - 1).
      let dividend = (high: UInt64(1) << (ceilLog2 - 1), low: UInt64(frequency - 1))
      reciprocal = UInt64(frequency).dividingFullWidth(dividend).quotient
      shift = ceilLog2 - 1
      bias = start
    }
  }
}

/// Flat, validated lookup data shared by the encoder and the decoder.
struct CodingTables: Sendable {
  var tables: [TableInfo] = []
  /// All CDFs back to back (`cdfLength` entries each).
  var cdf: [UInt32] = []
  /// For each table, `2^bits` buckets: bucket `b` holds the symbol whose range
  /// contains slot `b << bucketShift`; the decoder scans forward from there.
  var buckets: [UInt16] = []
  /// Parallel to `cdf`: encoder data of the symbol starting at that entry.
  var encodingSymbols: [EncodingSymbol] = []

  init(cdfs: [[Int32]], cdfLengths: [Int32], offsets: [Int32]) throws(EntropyCodingError) {
    tables.reserveCapacity(cdfs.count)
    for table in 0..<cdfs.count {
      let row = cdfs[table]
      let length = Int(cdfLengths[table])
      guard length >= 2, length <= row.count else {
        throw .invalidTable("table \(table): length \(length) outside 2...\(row.count)")
      }
      do {
        try QuantizedCDF.validate(row[0..<length])
      } catch {
        throw .invalidTable("table \(table): \(error.message)")
      }
      let maxValue = length - 2
      guard Int64(offsets[table]) + Int64(maxValue) <= Int64(Int32.max) else {
        throw .invalidTable("table \(table): offset \(offsets[table]) overflows Int32")
      }
      let symbolCount = length - 1
      var bits = 0
      while (1 << bits) < symbolCount { bits += 1 }
      bits = min(12, max(6, bits + 3))
      let bucketShift = EntropyCoding.precision - bits
      guard cdf.count + length <= Int(Int32.max), buckets.count + (1 << bits) <= Int(Int32.max)
      else {
        throw .invalidTable("tables too large")
      }
      tables.append(
        TableInfo(
          cdfStart: Int32(cdf.count), maxValue: Int32(maxValue), offset: offsets[table],
          bucketStart: Int32(buckets.count), bucketShift: UInt32(bucketShift)))

      var symbol = 0
      for bucket in 0..<(1 << bits) {
        let slot = Int32(bucket << bucketShift)
        while row[symbol + 1] <= slot { symbol += 1 }
        buckets.append(UInt16(symbol))
      }
      for position in 0..<length {
        let start = UInt32(row[position])
        cdf.append(start)
        let frequency = position + 1 < length ? UInt32(row[position + 1]) - start : 1
        encodingSymbols.append(EncodingSymbol(start: start, frequency: frequency))
      }
    }
  }
}
