/// rANS decoding with CompressAI's `decode_with_indexes` semantics, hardened
/// against arbitrary input.
///
/// Every byte read is bounds-checked, each symbol costs a bounded amount of
/// work (at most 9 bypass chunks), the state provably stays in `[2^31, 2^63)`
/// so the wrapping arithmetic below never actually wraps, and decoded values
/// are always ones the encoder could have produced.
public enum RansDecoder {
  /// Decodes `indexes.count` symbols, symbol `i` with table `indexes[i]`.
  ///
  /// A thin wrapper that builds a ``CDFTable`` and calls
  /// ``CDFTable/decode(_:indexes:)``.
  public static func decode<Bytes: Collection>(
    _ data: Bytes, indexes: [Int32], cdfs: [[Int32]], cdfLengths: [Int32], offsets: [Int32]
  ) throws(EntropyCodingError) -> [Int32] where Bytes.Element == UInt8 {
    let table = try CDFTable(cdfs: cdfs, cdfLengths: cdfLengths, offsets: offsets)
    return try table.decode(data, indexes: indexes)
  }
}

extension CDFTable {
  /// Decodes `indexes.count` symbols, symbol `i` with table `indexes[i]`, from a
  /// stream made by ``encode(symbols:indexes:)`` (or CompressAI).
  ///
  /// - Throws: ``EntropyCodingError/truncatedStream(_:)`` or
  ///   ``EntropyCodingError/corruptStream(_:)`` for damaged data (including
  ///   unconsumed bytes or a wrong final state), and
  ///   ``EntropyCodingError/invalidIndex(_:)`` for a bad table index.
  public func decode<Bytes: Collection>(
    _ data: Bytes, indexes: [Int32]
  ) throws(EntropyCodingError) -> [Int32] where Bytes.Element == UInt8 {
    let contiguous = data.withContiguousStorageIfAvailable { buffer in
      Result { () throws(EntropyCodingError) in
        try decode(bytes: UnsafeRawBufferPointer(buffer), indexes: indexes)
      }
    }
    if let contiguous {
      return try contiguous.get()
    }
    let copy = Array(data)
    let result = copy.withUnsafeBytes { bytes in
      Result { () throws(EntropyCodingError) in try decode(bytes: bytes, indexes: indexes) }
    }
    return try result.get()
  }

  private func decode(
    bytes: UnsafeRawBufferPointer, indexes: [Int32]
  ) throws(EntropyCodingError) -> [Int32] {
    var reader = try RansReader(bytes: bytes)
    var failure: EntropyCodingError?
    let output = [Int32](unsafeUninitializedCapacity: indexes.count) { output, initialized in
      let result = indexes.withUnsafeBufferPointer { indexes in
        coding.tables.withUnsafeBufferPointer { tables in
          coding.cdf.withUnsafeBufferPointer { cdf in
            coding.buckets.withUnsafeBufferPointer { buckets in
              Result { () throws(EntropyCodingError) in
                try Self.decode(
                  reader: &reader, indexes: indexes, tables: tables, cdf: cdf,
                  buckets: buckets, output: output)
              }
            }
          }
        }
      }
      switch result {
      case .success:
        initialized = indexes.count
      case .failure(let error):
        failure = error
        initialized = 0
      }
    }
    if let failure { throw failure }
    try reader.finish()
    return output
  }

  /// The hot loop. Tables were validated at construction (so the forward
  /// scan always stops inside the table); indexes are checked per symbol.
  private static func decode(
    reader: inout RansReader, indexes: UnsafeBufferPointer<Int32>,
    tables: UnsafeBufferPointer<TableInfo>, cdf: UnsafeBufferPointer<UInt32>,
    buckets: UnsafeBufferPointer<UInt16>, output: UnsafeMutableBufferPointer<Int32>
  ) throws(EntropyCodingError) {
    let tableCount = UInt32(truncatingIfNeeded: tables.count)
    for position in 0..<indexes.count {
      let tableIndex = indexes[position]
      guard UInt32(bitPattern: tableIndex) < tableCount else {
        throw .invalidIndex(
          "symbol \(position) uses table \(tableIndex), but there are \(tables.count) tables")
      }
      let info = tables[Int(tableIndex)]
      let base = Int(info.cdfStart)

      let slot = UInt32(truncatingIfNeeded: reader.state & Rans64.slotMask)
      var symbol = Int(buckets[Int(info.bucketStart) &+ Int(slot >> info.bucketShift)])
      while cdf[base &+ symbol &+ 1] <= slot { symbol &+= 1 }
      let start = cdf[base &+ symbol]
      let frequency = cdf[base &+ symbol &+ 1] &- start
      try reader.advance(frequency: frequency, slotMinusStart: slot &- start)

      if symbol != Int(info.maxValue) {
        output[position] = Int32(truncatingIfNeeded: symbol) &+ info.offset
      } else {
        output[position] = try decodeEscape(reader: &reader, info: info, position: position)
      }
    }
  }

  /// Reads the bypass-coded value behind an escape symbol.
  private static func decodeEscape(
    reader: inout RansReader, info: TableInfo, position: Int
  ) throws(EntropyCodingError) -> Int32 {
    let chunkCount = try reader.getBits()
    guard chunkCount <= UInt64(Rans64.maxBypassChunks) else {
      throw .corruptStream(
        "escape of symbol \(position) claims \(chunkCount) 4-bit chunks (at most 8)")
    }
    var raw: UInt64 = 0
    var chunk: UInt64 = 0
    while chunk < chunkCount {
      raw |= try reader.getBits() << (chunk &* Rans64.bypassBits)
      chunk &+= 1
    }
    guard raw <= UInt64(Int32.max) else {
      throw .corruptStream("escape code \(raw) of symbol \(position) exceeds Int32")
    }
    let half = Int64(raw >> 1)
    let value = raw & 1 == 1 ? -half - 1 : half + Int64(info.maxValue)
    let decoded = value + Int64(info.offset)
    guard let result = Int32(exactly: decoded) else {
      throw .corruptStream("escaped value \(decoded) of symbol \(position) exceeds Int32")
    }
    return result
  }
}

/// Decoder state and read position over the little-endian word stream.
struct RansReader {
  let bytes: UnsafeRawBufferPointer
  /// Always in `[2^31, 2^63)`.
  var state: UInt64
  /// Byte offset of the next word; a multiple of 4, at most `bytes.count`.
  var offset = 8

  init(bytes: UnsafeRawBufferPointer) throws(EntropyCodingError) {
    guard bytes.count >= 8 else {
      throw .truncatedStream("\(bytes.count) bytes, a stream has at least 8")
    }
    guard bytes.count % 4 == 0 else {
      throw .truncatedStream("\(bytes.count) bytes is not a whole number of 32-bit words")
    }
    self.bytes = bytes
    let low = UInt64(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt32.self)))
    let high = UInt64(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4, as: UInt32.self)))
    state = high << 32 | low
    guard state >= Rans64.lowerBound, state < Rans64.lowerBound << 32 else {
      throw .corruptStream("initial state \(state) outside [2^31, 2^63)")
    }
  }

  /// Pulls one word into the state when it drops below 2^31.
  @inline(__always)
  private mutating func renormalize(_ x: UInt64) throws(EntropyCodingError) {
    if x >= Rans64.lowerBound {
      state = x
      return
    }
    guard offset < bytes.count else {
      throw .truncatedStream("ran out of data after \(bytes.count) bytes")
    }
    let word = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    offset &+= 4
    state = x << 32 | UInt64(word)
  }

  /// Consumes the symbol whose slot range is `[start, start + frequency)`.
  @inline(__always)
  mutating func advance(frequency: UInt32, slotMinusStart: UInt32) throws(EntropyCodingError) {
    // < 2^16 * 2^47 + 2^16 < 2^63, and >= 2^15 since state >= 2^31 and frequency >= 1.
    let x = UInt64(frequency) &* (state >> Rans64.scaleBits) &+ UInt64(slotMinusStart)
    try renormalize(x)
  }

  /// Reads one 4-bit bypass chunk.
  @inline(__always)
  mutating func getBits() throws(EntropyCodingError) -> UInt64 {
    let value = state & Rans64.bypassMask
    try renormalize(state >> Rans64.bypassBits)
    return value
  }

  /// A valid stream is fully consumed and returns to the encoder's initial state.
  func finish() throws(EntropyCodingError) {
    guard offset == bytes.count else {
      throw .corruptStream("\(bytes.count - offset) bytes left after the last symbol")
    }
    guard state == Rans64.lowerBound else {
      throw .corruptStream("final state \(state) is not the initial encoder state")
    }
  }
}
