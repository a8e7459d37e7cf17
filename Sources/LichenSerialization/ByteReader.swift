/// Bounds-checked sequential reader over a byte array.
///
/// Every parser here reads untrusted files; routing all reads through one type
/// that throws instead of trapping is what keeps arbitrary bytes from crashing.
struct ByteReader {
  let bytes: [UInt8]
  /// Reads never go past this index (exclusive).
  let end: Int
  private(set) var position: Int
  /// Names the structure being read, for error messages ("pickle", "zip central directory").
  let context: String

  /// Reads `bytes[start..<end]`; bounds are clamped to the array (never trapping),
  /// so a bad offset shows up as a truncation error on the first read.
  init(_ bytes: [UInt8], from start: Int = 0, to end: Int? = nil, context: String) {
    self.bytes = bytes
    self.position = max(0, min(start, bytes.count))
    self.end = max(position, min(end ?? bytes.count, bytes.count))
    self.context = context
  }

  var remaining: Int { end - position }
  var isAtEnd: Bool { position >= end }

  mutating func readByte() throws -> UInt8 {
    guard position < end else { throw truncated(needing: 1) }
    defer { position += 1 }
    return bytes[position]
  }

  mutating func read(count: Int) throws -> ArraySlice<UInt8> {
    guard count >= 0, count <= remaining else { throw truncated(needing: count) }
    defer { position += count }
    return bytes[position..<(position + count)]
  }

  mutating func skip(_ count: Int) throws {
    guard count >= 0, count <= remaining else { throw truncated(needing: count) }
    position += count
  }

  /// Reads a little-endian unsigned integer of `T`'s width.
  mutating func read<T: FixedWidthInteger & UnsignedInteger>(_: T.Type) throws -> T {
    let size = MemoryLayout<T>.size
    guard size <= remaining else { throw truncated(needing: size) }
    var value: T = 0
    for index in 0..<size {
      value |= T(bytes[position + index]) << (8 * index)
    }
    position += size
    return value
  }

  /// Reads bytes up to (not including) the next `\n`, consuming the newline.
  mutating func readLine(maxLength: Int) throws -> ArraySlice<UInt8> {
    let limit = min(end, position + maxLength)
    var index = position
    while index < limit {
      if bytes[index] == 0x0A {
        defer { position = index + 1 }
        return bytes[position..<index]
      }
      index += 1
    }
    if limit < end {
      throw SerializationError(.limitExceeded, "\(context): line longer than \(maxLength) bytes at byte \(position)")
    }
    throw truncated(needing: index - position + 1)
  }

  private func truncated(needing count: Int) -> SerializationError {
    SerializationError(
      .truncated,
      "\(context) is truncated: needed \(count) bytes at byte \(position) but only \(remaining) remain"
    )
  }
}

/// Reads a little-endian unsigned integer at `offset`, or nil when out of bounds.
func loadLittleEndian<T: FixedWidthInteger & UnsignedInteger>(
  _: T.Type, from bytes: [UInt8], at offset: Int
) -> T? {
  let size = MemoryLayout<T>.size
  guard offset >= 0, offset <= bytes.count - size else { return nil }
  var value: T = 0
  for index in 0..<size {
    value |= T(bytes[offset + index]) << (8 * index)
  }
  return value
}

/// Element count of `shape`, or nil if a dimension is negative or the product overflows.
func checkedElementCount(of shape: [Int]) -> Int? {
  guard shape.allSatisfy({ $0 >= 0 }) else { return nil }
  if shape.contains(0) { return 0 }
  var count = 1
  for dimension in shape {
    let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
    guard !overflow else { return nil }
    count = product
  }
  return count
}

/// Converts an unsigned on-disk quantity to `Int`, or nil if it does not fit.
func checkedInt<T: BinaryInteger>(_ value: T) -> Int? {
  Int(exactly: value)
}
