/// Decodes one raw DEFLATE stream (RFC 1951): stored, fixed-Huffman and
/// dynamic-Huffman blocks. Codes of up to 10 bits are looked up in a table;
/// longer ones are decoded canonically bit by bit (they are rare).
struct Inflater {
  private let input: [UInt8]
  private var position: Int
  private var bitBuffer: UInt64 = 0
  private var bitCount = 0
  private let source: String

  init(_ input: [UInt8], offset: Int, source: String) {
    self.input = input
    self.position = offset
    self.source = source
  }

  /// The input offset of the first whole byte after the decoded stream.
  var byteAlignedOffset: Int { position - bitCount / 8 }

  /// Appends the decoded stream to `output`; back-references reach only
  /// bytes this stream produced.
  mutating func run(into output: inout [UInt8]) throws {
    let base = output.count
    var isFinal = false
    while !isFinal {
      isFinal = try bits(1) == 1
      switch try bits(2) {
      case 0: try storedBlock(into: &output)
      case 1: try huffmanBlock(literals: Self.fixedLiterals, distances: Self.fixedDistances, base: base, into: &output)
      case 2:
        let (literals, distances) = try dynamicTables()
        try huffmanBlock(literals: literals, distances: distances, base: base, into: &output)
      default: throw fail("invalid DEFLATE block type 3")
      }
    }
  }

  // MARK: - Bits

  private func fail(_ message: String) -> VisionError { VisionError(.corruptCompression, source: source, message) }

  private mutating func refill() {
    while bitCount <= 56, position < input.count {
      bitBuffer |= UInt64(input[position]) << UInt64(bitCount)
      position += 1
      bitCount += 8
    }
  }

  private mutating func bits(_ n: Int) throws -> Int {
    if bitCount < n { refill() }
    guard bitCount >= n else { throw fail("DEFLATE stream ends early") }
    let value = Int(bitBuffer & ((1 << UInt64(n)) - 1))
    bitBuffer >>= UInt64(n)
    bitCount -= n
    return value
  }

  private mutating func decode(_ code: HuffmanCode) throws -> Int {
    if bitCount < HuffmanCode.fastBits { refill() }
    let entry = Int(code.fast[Int(bitBuffer & UInt64(HuffmanCode.fastMask))])
    let length = entry & 15
    if entry != 0, length <= bitCount {
      bitBuffer >>= UInt64(length)
      bitCount -= length
      return entry >> 4
    }
    // Canonical decoding, one bit at a time (codes longer than the table).
    var codeValue = 0, first = 0, index = 0
    for length in 1...15 {
      codeValue |= try bits(1)
      let count = code.counts[length]
      if codeValue - first < count { return code.symbols[index + codeValue - first] }
      index += count
      first = (first + count) << 1
      codeValue <<= 1
    }
    throw fail("invalid Huffman code in DEFLATE stream")
  }

  // MARK: - Blocks

  private mutating func storedBlock(into output: inout [UInt8]) throws {
    _ = try bits(bitCount % 8)
    let length = try bits(16), complement = try bits(16)
    guard length == ~complement & 0xFFFF else { throw fail("stored block length \(length) fails its complement check") }
    output.reserveCapacity(output.count + length)
    for _ in 0..<length { output.append(UInt8(try bits(8))) }
  }

  private mutating func huffmanBlock(
    literals: HuffmanCode, distances: HuffmanCode, base: Int, into output: inout [UInt8]
  ) throws {
    while true {
      let symbol = try decode(literals)
      if symbol < 256 {
        output.append(UInt8(symbol))
        continue
      }
      if symbol == 256 { return }
      let lengthIndex = symbol - 257
      guard lengthIndex < Self.lengthBase.count else { throw fail("invalid length symbol \(symbol)") }
      let length = Self.lengthBase[lengthIndex] + (try bits(Self.lengthExtra[lengthIndex]))
      let distanceSymbol = try decode(distances)
      guard distanceSymbol < Self.distanceBase.count else { throw fail("invalid distance symbol \(distanceSymbol)") }
      let distance = Self.distanceBase[distanceSymbol] + (try bits(Self.distanceExtra[distanceSymbol]))
      guard distance <= output.count - base else {
        throw fail("back-reference distance \(distance) reaches before the start of the stream")
      }
      var from = output.count - distance
      output.reserveCapacity(output.count + length)
      for _ in 0..<length {
        output.append(output[from])
        from += 1
      }
    }
  }

  private mutating func dynamicTables() throws -> (HuffmanCode, HuffmanCode) {
    let literalCount = try bits(5) + 257, distanceCount = try bits(5) + 1, codeLengthCount = try bits(4) + 4
    guard literalCount <= 286, distanceCount <= 30 else { throw fail("too many Huffman codes in a dynamic block") }
    var codeLengthLengths = [Int](repeating: 0, count: 19)
    for i in 0..<codeLengthCount { codeLengthLengths[Self.codeLengthOrder[i]] = try bits(3) }
    let codeLengths = try HuffmanCode(lengths: codeLengthLengths, source: source)
    var lengths: [Int] = []
    lengths.reserveCapacity(literalCount + distanceCount)
    while lengths.count < literalCount + distanceCount {
      let symbol = try decode(codeLengths)
      switch symbol {
      case 0...15: lengths.append(symbol)
      case 16:
        guard let previous = lengths.last else { throw fail("repeat code with no previous length") }
        lengths += repeatElement(previous, count: 3 + (try bits(2)))
      case 17: lengths += repeatElement(0, count: 3 + (try bits(3)))
      default: lengths += repeatElement(0, count: 11 + (try bits(7)))
      }
    }
    guard lengths.count == literalCount + distanceCount else { throw fail("code lengths overrun the table") }
    guard lengths[256] > 0 else { throw fail("dynamic block has no end-of-block code") }
    return (
      try HuffmanCode(lengths: Array(lengths[..<literalCount]), source: source),
      try HuffmanCode(lengths: Array(lengths[literalCount...]), source: source)
    )
  }

  // MARK: - Tables (RFC 1951, section 3.2.5)

  private static let lengthBase = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258,
  ]
  private static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
  private static let distanceBase = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097,
    6145, 8193, 12289, 16385, 24577,
  ]
  private static let distanceExtra = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
  ]
  private static let codeLengthOrder = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]

  // The fixed codes are valid by construction, so building them cannot fail.
  private static let fixedLiterals = (try? HuffmanCode(
    lengths: [Int](repeating: 8, count: 144) + [Int](repeating: 9, count: 112) + [Int](repeating: 7, count: 24)
      + [Int](repeating: 8, count: 8), source: "fixed")) ?? HuffmanCode.empty
  private static let fixedDistances =
    (try? HuffmanCode(lengths: [Int](repeating: 5, count: 30), source: "fixed")) ?? HuffmanCode.empty
}

/// A canonical Huffman code: code-length counts and symbols sorted by code,
/// plus a lookup table for codes of up to `fastBits` bits.
struct HuffmanCode: Sendable {
  static let fastBits = 10
  static let fastMask = (1 << fastBits) - 1
  static let empty = HuffmanCode(counts: [Int](repeating: 0, count: 16), symbols: [], fast: [])

  let counts: [Int]
  let symbols: [Int]
  /// Indexed by the next `fastBits` input bits: symbol << 4 | length, or 0.
  let fast: [UInt16]

  private init(counts: [Int], symbols: [Int], fast: [UInt16]) {
    self.counts = counts
    self.symbols = symbols
    self.fast = fast.isEmpty ? [UInt16](repeating: 0, count: 1 << Self.fastBits) : fast
  }

  init(lengths: [Int], source: String) throws {
    var counts = [Int](repeating: 0, count: 16)
    for length in lengths { counts[length] += 1 }
    counts[0] = 0
    var left = 1
    for length in 1...15 {
      left = (left << 1) - counts[length]
      guard left >= 0 else { throw VisionError(.corruptCompression, source: source, "over-subscribed Huffman code") }
    }
    var offsets = [Int](repeating: 0, count: 16)
    for length in 1..<15 { offsets[length + 1] = offsets[length] + counts[length] }
    var symbols = [Int](repeating: 0, count: lengths.count)
    for (symbol, length) in lengths.enumerated() where length != 0 {
      symbols[offsets[length]] = symbol
      offsets[length] += 1
    }
    // Canonical codes in (length, symbol) order; table entries are bit-reversed
    // because DEFLATE sends Huffman codes most-significant bit first.
    var fast = [UInt16](repeating: 0, count: 1 << Self.fastBits)
    var code = 0, index = 0
    for length in 1...15 {
      for _ in 0..<counts[length] {
        if length <= Self.fastBits {
          var reversed = 0
          for bit in 0..<length where code & (1 << bit) != 0 { reversed |= 1 << (length - 1 - bit) }
          let entry = UInt16(symbols[index] << 4 | length)
          var fill = reversed
          while fill < fast.count {
            fast[fill] = entry
            fill += 1 << length
          }
        }
        code += 1
        index += 1
      }
      code <<= 1
    }
    self.counts = counts
    self.symbols = symbols
    self.fast = fast
  }
}
