/// Binary primitive narrow-sense BCH code: length n = 2^m - 1, designed to
/// correct t errors per block, generator g(x) = lcm of the minimal
/// polynomials of alpha, alpha^2, ..., alpha^2t (alpha primitive in GF(2^m)),
/// k = n - deg g payload bits per block.
///
/// Why BCH next to repetition: for the same number of marked weights it
/// corrects far more errors (BCH(63,36) fixes any 5 of 63 bits, repetition
/// x3 needs 3 x 36 = 108 weights to fix one error per 3), so a longer payload
/// survives the same attack.
///
/// Encoding is systematic: a block's k' <= k payload bits are sent first,
/// then the n - k parity bits. A block with k' < k is the shortened code
/// (the k - k' high message coefficients are zero and not sent), so a payload
/// of any length fits without padding. Decoding: syndromes, Berlekamp-Massey
/// for the error locator, Chien search for its roots. A block is declared
/// uncorrectable (not silently miscorrected) when the locator's degree
/// exceeds t or its roots are not all distinct positions of the shortened
/// block; with more than t errors a block can still decode to another
/// codeword, as with every bounded-distance decoder.
public struct BCHCode: Sendable, Equatable {
  public let m: Int
  public let t: Int
  /// Generator polynomial coefficients, index = power of x (degree n - k).
  public let generator: [UInt8]
  let field: GaloisField

  public var n: Int { (1 << m) - 1 }
  /// Parity bits per block (deg g).
  public var parityBits: Int { generator.count - 1 }
  /// Payload bits in a full block.
  public var k: Int { n - parityBits }

  public static func == (a: BCHCode, b: BCHCode) -> Bool { a.m == b.m && a.t == b.t }

  public init(m: Int, t: Int) throws {
    guard GaloisField.supportedDegrees.contains(m) else {
      throw WatermarkError("BCH block length 2^\(m) - 1 is not supported: m must be in \(GaloisField.supportedDegrees) (n = 7 ... 1023)")
    }
    guard t >= 1 else { throw WatermarkError("a BCH code must correct at least t = 1 error (got t = \(t))") }
    let field = try GaloisField(m: m)
    guard t <= (field.order - 1) / 2 else {  // 2t < n, without overflowing on an absurd t
      throw WatermarkError("t = \(t) is too large for n = \(field.order): it needs 2t < n")
    }
    // lcm of the minimal polynomials = product over the distinct cyclotomic cosets of alpha^1..alpha^2t.
    // Even powers share the coset of an odd one, so the odd powers suffice.
    var seen = Set<Int>()
    var g: [UInt8] = [1]
    for i in stride(from: 1, through: 2 * t - 1, by: 2) {
      var j = i % field.order, coset: [Int] = []
      while !coset.contains(j) { coset.append(j); j = (2 * j) % field.order }
      guard seen.isDisjoint(with: coset) else { continue }
      seen.formUnion(coset)
      g = Self.multiply(g, field.minimalPolynomial(ofPower: i))
    }
    guard g.count - 1 < field.order else {
      throw WatermarkError("BCH(\(field.order), t = \(t)) has no payload bits left (deg g = \(g.count - 1)); lower t")
    }
    self.m = m
    self.t = t
    self.generator = g
    self.field = field
  }

  /// Product of two GF(2) polynomials.
  static func multiply(_ a: [UInt8], _ b: [UInt8]) -> [UInt8] {
    var product = [UInt8](repeating: 0, count: a.count + b.count - 1)
    for (i, x) in a.enumerated() where x == 1 {
      for (j, y) in b.enumerated() where y == 1 { product[i + j] ^= 1 }
    }
    return product
  }

  /// Coded bits for a payload of `payloadBits`: full blocks of n plus one shortened block.
  /// Int.max when that does not fit in an Int (no such payload can be coded; see `checkedCodedLength`).
  public func codedLength(payloadBits: Int) -> Int {
    checkedCodedLength(payloadBits: payloadBits) ?? Int.max
  }

  /// `codedLength`, or nil for a negative payload or one whose coded length overflows an Int
  /// (a payload length read from a key file is input).
  public func checkedCodedLength(payloadBits: Int) -> Int? {
    guard payloadBits >= 0 else { return nil }
    let blocks = payloadBits / k + (payloadBits % k == 0 ? 0 : 1)
    let (parity, overflow) = blocks.multipliedReportingOverflow(by: parityBits)
    guard !overflow else { return nil }
    let (length, sumOverflow) = payloadBits.addingReportingOverflow(parity)
    return sumOverflow ? nil : length
  }

  /// Payload split into blocks of k (the last one possibly shorter), each followed by its parity.
  public func encode(_ payload: [Bool]) -> [Bool] {
    stride(from: 0, to: payload.count, by: k).flatMap { start in
      encodeBlock(payload[start..<Swift.min(payload.count, start + k)])
    }
  }

  /// One (possibly shortened) block: the message bits, then the remainder of m(x) x^r mod g(x).
  func encodeBlock(_ message: ArraySlice<Bool>) -> [Bool] {
    let r = parityBits
    var work = [UInt8](repeating: 0, count: r + message.count)
    for (j, bit) in message.enumerated() where bit { work[r + j] = 1 }
    for i in stride(from: work.count - 1, through: r, by: -1) where work[i] == 1 {
      for (d, c) in generator.enumerated() where c == 1 { work[i - r + d] ^= 1 }
    }
    return Array(message) + work[0..<r].map { $0 == 1 }
  }

  /// Decodes the blocks `encode` produced for `payloadBits` payload bits.
  public func decode(_ coded: [Bool], payloadBits: Int) throws -> DecodedPayload {
    guard let expected = checkedCodedLength(payloadBits: payloadBits) else {
      throw WatermarkError("BCH(\(n),\(k)) cannot code \(payloadBits) payload bits: the coded length is negative or overflows")
    }
    guard coded.count == expected else {
      throw WatermarkError("BCH(\(n),\(k)) decoding of \(payloadBits) payload bits needs \(expected) coded bits, got \(coded.count)")
    }
    var result = DecodedPayload(bits: [], correctedBits: 0, failedBlocks: 0, blocks: 0)
    var offset = 0
    for start in stride(from: 0, to: payloadBits, by: k) {
      let messageBits = Swift.min(k, payloadBits - start)
      let block = coded[offset..<(offset + messageBits + parityBits)]
      offset += messageBits + parityBits
      result.blocks += 1
      if let (message, errors) = decodeBlock(block, messageBits: messageBits) {
        result.bits += message
        result.correctedBits += errors
      } else {
        result.bits += block.prefix(messageBits)  // systematic: the payload bits as read
        result.failedBlocks += 1
      }
    }
    return result
  }

  /// Corrects one block; nil when the decoder finds it uncorrectable.
  func decodeBlock(_ block: ArraySlice<Bool>, messageBits: Int) -> (message: [Bool], errors: Int)? {
    let r = parityBits
    let span = r + messageBits
    // Coefficient i of the received polynomial: parity at x^0..x^(r-1), message bit j at x^(r+j).
    var received = [Bool](repeating: false, count: span)
    for (j, bit) in block.prefix(messageBits).enumerated() { received[r + j] = bit }
    for (i, bit) in block.dropFirst(messageBits).enumerated() { received[i] = bit }
    let syndromes = self.syndromes(of: received)
    guard syndromes.contains(where: { $0 != 0 }) else { return (Array(received[r...]), 0) }
    let (locator, length) = errorLocator(syndromes)
    let degree = locator.count - 1
    guard degree >= 1, degree <= t, degree == length else { return nil }
    // Chien search: error at position i when Lambda(alpha^-i) = 0. Roots outside the shortened block mean failure.
    var positions: [Int] = []
    for i in 0..<n {
      var sum = 0
      for (d, c) in locator.enumerated() where c != 0 { sum ^= field.multiply(c, field.power(-i * d)) }
      if sum == 0 {
        guard i < span else { return nil }
        positions.append(i)
      }
    }
    guard positions.count == degree else { return nil }
    for i in positions { received[i].toggle() }
    guard !self.syndromes(of: received).contains(where: { $0 != 0 }) else { return nil }
    return (Array(received[r...]), degree)
  }

  /// S_j = c(alpha^j) for j = 1 ... 2t.
  func syndromes(of word: [Bool]) -> [Int] {
    let ones = word.indices.filter { word[$0] }
    return (1...(2 * t)).map { j in ones.reduce(0) { $0 ^ field.power($1 * j) } }
  }

  /// Berlekamp-Massey over GF(2^m): the shortest LFSR (error locator Lambda,
  /// Lambda_0 = 1) generating the syndromes, and its length L. Trailing zero
  /// coefficients are dropped; deg Lambda != L means uncorrectable.
  func errorLocator(_ s: [Int]) -> (locator: [Int], length: Int) {
    var c = [1], b = [1]
    var length = 0, shift = 1, lastDiscrepancy = 1
    for step in 0..<s.count {
      var discrepancy = s[step]
      if length >= 1 {
        for i in 1...length where i < c.count { discrepancy ^= field.multiply(c[i], s[step - i]) }
      }
      if discrepancy == 0 {
        shift += 1
        continue
      }
      let factor = field.divide(discrepancy, lastDiscrepancy)
      var updated = c
      if updated.count < b.count + shift { updated += [Int](repeating: 0, count: b.count + shift - updated.count) }
      for (i, x) in b.enumerated() { updated[i + shift] ^= field.multiply(factor, x) }
      if 2 * length <= step {
        length = step + 1 - length
        b = c
        lastDiscrepancy = discrepancy
        shift = 1
      } else {
        shift += 1
      }
      c = updated
    }
    while c.count > 1, c.last == 0 { c.removeLast() }
    return (c, length)
  }
}
