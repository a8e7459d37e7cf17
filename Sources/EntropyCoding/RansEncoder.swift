/// rANS encoding with CompressAI's `encode_with_indexes` semantics.
///
/// The stream layout is described in ``EntropyCoding``. Encoding runs over the
/// symbols backwards (rANS is last-in first-out) so the decoder reads forwards.
public enum RansEncoder {
  /// Encodes `symbols[i]` with table `indexes[i]` of the given CDFs.
  ///
  /// A thin wrapper that builds a ``CDFTable`` (validating it) and calls
  /// ``CDFTable/encode(symbols:indexes:)``; build the table once instead when
  /// encoding repeatedly with the same CDFs.
  public static func encode(
    symbols: [Int32], indexes: [Int32], cdfs: [[Int32]], cdfLengths: [Int32], offsets: [Int32]
  ) throws(EntropyCodingError) -> [UInt8] {
    let table = try CDFTable(cdfs: cdfs, cdfLengths: cdfLengths, offsets: offsets)
    return try table.encode(symbols: symbols, indexes: indexes)
  }
}

extension CDFTable {
  /// Encodes `symbols[i]` with table `indexes[i]`.
  ///
  /// Values outside a table's range are coded through its escape symbol and
  /// 4-bit bypass chunks, so any value works whose escape code
  /// (`-2*v - 1` below the table, `2*(v - maxValue)` above) fits in `Int32`.
  ///
  /// - Throws: ``EntropyCodingError/mismatchedLengths(_:)``,
  ///   ``EntropyCodingError/invalidIndex(_:)`` or
  ///   ``EntropyCodingError/valueOutOfRange(_:)``.
  public func encode(symbols: [Int32], indexes: [Int32]) throws(EntropyCodingError) -> [UInt8] {
    guard symbols.count == indexes.count else {
      throw .mismatchedLengths("\(symbols.count) symbols but \(indexes.count) indexes")
    }
    var writer = RansWriter(expectedSymbols: symbols.count)
    let result = symbols.withUnsafeBufferPointer { symbols in
      indexes.withUnsafeBufferPointer { indexes in
        coding.tables.withUnsafeBufferPointer { tables in
          coding.encodingSymbols.withUnsafeBufferPointer { encodingSymbols in
            Result { () throws(EntropyCodingError) in
              try Self.encode(
                symbols: symbols, indexes: indexes, tables: tables,
                encodingSymbols: encodingSymbols, into: &writer)
            }
          }
        }
      }
    }
    try result.get()
    return writer.finish()
  }

  /// The hot loop: inputs are validated per symbol, tables were validated at
  /// construction, so table lookups need no further checks.
  private static func encode(
    symbols: UnsafeBufferPointer<Int32>, indexes: UnsafeBufferPointer<Int32>,
    tables: UnsafeBufferPointer<TableInfo>, encodingSymbols: UnsafeBufferPointer<EncodingSymbol>,
    into writer: inout RansWriter
  ) throws(EntropyCodingError) {
    let tableCount = UInt32(truncatingIfNeeded: tables.count)
    var position = symbols.count
    while position > 0 {
      position -= 1
      let tableIndex = indexes[position]
      guard UInt32(bitPattern: tableIndex) < tableCount else {
        throw .invalidIndex(
          "symbol \(position) uses table \(tableIndex), but there are \(tables.count) tables")
      }
      let info = tables[Int(tableIndex)]
      let maxValue = Int64(info.maxValue)
      let value = Int64(symbols[position]) - Int64(info.offset)
      var symbol = Int(truncatingIfNeeded: value)
      if value < 0 || value >= maxValue {
        let raw = value < 0 ? -2 * value - 1 : 2 * (value - maxValue)
        guard raw <= Int64(Int32.max) else {
          throw .valueOutOfRange(
            "symbol \(position) = \(symbols[position]) is too far from table \(tableIndex) "
              + "(offset \(info.offset), \(maxValue) symbols): escape code \(raw) exceeds Int32")
        }
        let rawBits = UInt64(raw)
        var chunkCount: UInt64 = 0
        while rawBits >> (chunkCount &* Rans64.bypassBits) != 0 { chunkCount &+= 1 }
        // Pushed in reverse of the reading order: chunks high to low, then the count.
        var chunk = chunkCount
        while chunk > 0 {
          chunk &-= 1
          writer.putBits((rawBits >> (chunk &* Rans64.bypassBits)) & Rans64.bypassMask)
        }
        writer.putBits(chunkCount)  // At most 8, a single digit (15 would mean "more").
        symbol = Int(info.maxValue)
      }
      writer.put(encodingSymbols[Int(info.cdfStart) &+ symbol])
    }
  }
}

/// Encoder state plus the words emitted so far (in reverse stream order).
struct RansWriter {
  var state = Rans64.lowerBound
  var words: [UInt32] = []

  init(expectedSymbols: Int) {
    words.reserveCapacity(expectedSymbols / 8 + 16)
  }

  @inline(__always)
  mutating func put(_ symbol: EncodingSymbol) {
    var x = state
    if x >= symbol.maxState {
      words.append(UInt32(truncatingIfNeeded: x))
      x >>= 32
    }
    // x = (x / freq) << 16 + x % freq + start, via the reciprocal (x < 2^63 here).
    let quotient = x.multipliedFullWidth(by: symbol.reciprocal).high >> UInt64(symbol.shift)
    state = x &+ UInt64(symbol.bias) &+ quotient &* UInt64(symbol.complementFrequency)
  }

  @inline(__always)
  mutating func putBits(_ value: UInt64) {
    var x = state
    if x >= Rans64.bypassMaxState {
      words.append(UInt32(truncatingIfNeeded: x))
      x >>= 32
    }
    state = (x << Rans64.bypassBits) | value
  }

  /// Serialises the final state (low word first) followed by the emitted
  /// words in decoding order, all little-endian.
  func finish() -> [UInt8] {
    let byteCount = 8 + 4 * words.count
    return [UInt8](unsafeUninitializedCapacity: byteCount) { bytes, initialized in
      let raw = UnsafeMutableRawBufferPointer(bytes)
      raw.storeBytes(
        of: UInt32(truncatingIfNeeded: state).littleEndian, toByteOffset: 0, as: UInt32.self)
      raw.storeBytes(
        of: UInt32(truncatingIfNeeded: state >> 32).littleEndian, toByteOffset: 4, as: UInt32.self)
      var offset = 8
      for word in words.reversed() {
        raw.storeBytes(of: word.littleEndian, toByteOffset: offset, as: UInt32.self)
        offset += 4
      }
      initialized = byteCount
    }
  }
}
