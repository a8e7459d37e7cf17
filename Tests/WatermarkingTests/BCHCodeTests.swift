import Foundation
import Torch
import XCTest

@testable import Watermarking

final class BCHCodeTests: XCTestCase {
  /// GF(2) polynomial from its exponents.
  func polynomial(_ exponents: [Int]) -> [UInt8] {
    var p = [UInt8](repeating: 0, count: (exponents.max() ?? 0) + 1)
    for e in exponents { p[e] = 1 }
    return p
  }

  func randomBits(_ count: Int, _ rng: inout SplitMix64) -> [Bool] { (0..<count).map { _ in rng.next() & 1 == 1 } }

  /// `count` distinct positions in 0..<range.
  func distinctPositions(_ count: Int, in range: Int, _ rng: inout SplitMix64) -> [Int] {
    var chosen = Set<Int>()
    while chosen.count < count { chosen.insert(Int(rng.next() % UInt64(range))) }
    return Array(chosen)
  }

  func testFieldsArePrimitiveAndMinimalPolynomialsMatchTheTables() throws {
    for m in GaloisField.supportedDegrees {
      let field = try GaloisField(m: m)  // throws if alpha does not reach every nonzero element
      XCTAssertEqual(field.power(field.order), 1)
      for x in [1, 2, 3, field.order] { XCTAssertEqual(field.multiply(field.divide(x, 3), 3), x) }
    }
    // GF(16), p = x^4 + x + 1: phi_3 = x^4 + x^3 + x^2 + x + 1, phi_5 = x^2 + x + 1 (Lin & Costello, Table B).
    let gf16 = try GaloisField(m: 4)
    XCTAssertEqual(gf16.minimalPolynomial(ofPower: 3), polynomial([0, 1, 2, 3, 4]))
    XCTAssertEqual(gf16.minimalPolynomial(ofPower: 5), polynomial([0, 1, 2]))
    // GF(32), p = x^5 + x^2 + 1: phi_3 = x^5 + x^4 + x^3 + x^2 + 1.
    XCTAssertEqual(try GaloisField(m: 5).minimalPolynomial(ofPower: 3), polynomial([0, 2, 3, 4, 5]))
  }

  /// Published generator polynomials (checked by hand: (x^4+x+1)(x^4+x^3+x^2+x+1) = x^8+x^7+x^6+x^4+1, and
  /// (x^5+x^2+1)(x^5+x^4+x^3+x^2+1) = x^10+x^9+x^8+x^6+x^5+x^3+1 = 0x769) and the (n, k) table.
  func testPublishedParameters() throws {
    let bch15_7 = try BCHCode(m: 4, t: 2)
    XCTAssertEqual(bch15_7.k, 7)
    XCTAssertEqual(bch15_7.generator, polynomial([8, 7, 6, 4, 0]))
    // BCH(15,5), t = 3: g = x^10 + x^8 + x^5 + x^4 + x^2 + x + 1.
    XCTAssertEqual(try BCHCode(m: 4, t: 3).generator, polynomial([10, 8, 5, 4, 2, 1, 0]))
    let bch31_21 = try BCHCode(m: 5, t: 2)
    XCTAssertEqual(bch31_21.k, 21)
    XCTAssertEqual(bch31_21.generator, polynomial([10, 9, 8, 6, 5, 3, 0]))
    XCTAssertEqual(bch31_21.generator.enumerated().reduce(0) { $0 | Int($1.element) << $1.offset }, 0x769)
    // k depends only on the cyclotomic cosets, so it checks every field against the standard BCH table.
    let table: [(m: Int, t: Int, k: Int)] = [
      (5, 1, 26), (5, 3, 16), (5, 5, 11), (5, 7, 6),
      (6, 1, 57), (6, 2, 51), (6, 3, 45), (6, 4, 39), (6, 5, 36), (6, 6, 30), (6, 7, 24), (6, 10, 18), (6, 11, 16),
      (7, 1, 120), (7, 2, 113), (7, 5, 92), (7, 9, 71), (7, 10, 64),
      (8, 1, 247), (8, 2, 239), (8, 8, 191), (8, 9, 187), (8, 10, 179),
      (9, 1, 502), (9, 2, 493), (10, 1, 1013), (10, 2, 1003),
    ]
    for (m, t, k) in table { XCTAssertEqual(try BCHCode(m: m, t: t).k, k, "BCH(\((1 << m) - 1), t = \(t))") }
  }

  func testEncodingIsSystematicAndCodewordsAreMultiplesOfTheGenerator() throws {
    let code = try BCHCode(m: 6, t: 5)
    var rng = SplitMix64(seed: 1)
    let message = randomBits(code.k, &rng)
    let word = code.encode(message)
    XCTAssertEqual(word.count, code.n)
    XCTAssertEqual(Array(word.prefix(code.k)), message)
    XCTAssertEqual(code.syndromes(of: Array(word.suffix(code.parityBits)) + message), [Int](repeating: 0, count: 10))
  }

  func testRoundTripsAndCorrectsUpToTErrorsPerBlockForEveryField() throws {
    var rng = SplitMix64(seed: 2)
    for (m, t) in [(3, 1), (4, 2), (5, 3), (6, 5), (7, 9), (8, 12), (9, 4), (10, 3)] {
      let code = try BCHCode(m: m, t: t)
      // Two full blocks and a shortened one.
      let payload = randomBits(2 * code.k + Swift.max(1, code.k / 3), &rng)
      var coded = code.encode(payload)
      XCTAssertEqual(coded.count, code.codedLength(payloadBits: payload.count))
      XCTAssertEqual(try code.decode(coded, payloadBits: payload.count).bits, payload)
      // t errors in every block, the shortened one included.
      var offset = 0, total = 0
      for start in stride(from: 0, to: payload.count, by: code.k) {
        let length = Swift.min(code.k, payload.count - start) + code.parityBits
        let errors = Swift.min(t, length)
        for i in distinctPositions(errors, in: length, &rng) { coded[offset + i].toggle() }
        offset += length
        total += errors
      }
      let decoded = try code.decode(coded, payloadBits: payload.count)
      XCTAssertEqual(decoded.bits, payload, "BCH(\(code.n),\(code.k)) t = \(t)")
      XCTAssertEqual(decoded.correctedBits, total)
      XCTAssertEqual(decoded.failedBlocks, 0)
      XCTAssertEqual(decoded.blocks, 3)
    }
  }

  func testBeyondTIsReportedNotACrash() throws {
    let code = try BCHCode(m: 6, t: 3)
    var rng = SplitMix64(seed: 3)
    var failures = 0, miscorrections = 0
    for _ in 0..<200 {
      let message = randomBits(code.k, &rng)
      var word = code.encode(message)
      for i in distinctPositions(8, in: code.n, &rng) { word[i].toggle() }
      let decoded = try code.decode(word, payloadBits: code.k)
      XCTAssertEqual(decoded.bits.count, code.k)
      if decoded.failedBlocks == 1 {
        failures += 1
        XCTAssertEqual(decoded.bits, Array(word.prefix(code.k)), "an uncorrectable block returns the bits as read")
      } else if decoded.bits != message {
        miscorrections += 1
      }
    }
    // 8 errors in BCH(63,45,t=3): most words are farther than 3 from every codeword, so the decoder says so.
    XCTAssertGreaterThan(failures, 130)
    XCTAssertEqual(failures + miscorrections, 200, "8 errors can never decode to the sent word")
  }

  func testPayloadCodeSpecsAndBadInput() throws {
    XCTAssertEqual(try PayloadCode(spec: "bch:63:t5"), .bch(m: 6, t: 5))
    XCTAssertEqual(try PayloadCode(spec: "rep:3"), .repetition(copies: 3))
    XCTAssertEqual(try PayloadCode(spec: "none"), PayloadCode.none)
    for code in [PayloadCode.none, .repetition(copies: 5), .bch(m: 10, t: 7)] {
      XCTAssertEqual(try PayloadCode(spec: code.description), code)
    }
    for (spec, message) in [("bch:64:t5", "not 2^m - 1"), ("bch:63:5", "malformed"), ("bch:2047:t3", "not supported"),
                            ("bch:63:t0", "at least"), ("bch:63:t40", "too large"), ("bch:15:t8", "too large"),
                            ("rep:2", "odd"), ("rep", "malformed"), ("golay", "unknown"), ("bch:9223372036854775807:t1", "not supported")] {
      XCTAssertThrowsError(try PayloadCode(spec: spec), spec) { XCTAssertTrue("\($0)".contains(message), "\(spec): \($0)") }
    }
    let code = PayloadCode.bch(m: 5, t: 2)
    XCTAssertEqual(try code.codedLength(payloadBits: 21 + 5), 31 + 5 + 10)
    XCTAssertThrowsError(try code.decode([Bool](repeating: false, count: 40), payloadBits: 26)) {
      XCTAssertTrue("\($0)".contains("needs 46 coded bits"), "\($0)")
    }
    // A key file edited to an impossible code fails with a message, not a trap.
    XCTAssertThrowsError(try PayloadCode.bch(m: 40, t: 1).encode([true]))
    XCTAssertThrowsError(try PayloadCode.repetition(copies: 0).codedLength(payloadBits: 4))
  }

  func testBCHKeyEmbedsAndCorrectsFlippedWeights() throws {
    let g = try Generator(seed: 4)
    let model = Sequential([try Linear(16, 32, generator: g), Activation(.relu), try Linear(32, 8, generator: g)])
    let bits = Payload.bits(of: "BCH mark")  // 64 bits -> BCH(31,21,t=2): 3 full blocks + 1 bit, 4 blocks
    let key = try KeyGenerator.generate(for: model, payloadBits: bits.count, code: .bch(m: 5, t: 2), seed: 2)
    XCTAssertEqual(key.positions.count, 64 + 4 * 10)
    try Embedder.substitute(bits, into: model, key: key)
    // Flip the weights of two coded bits in the first block: BCH corrects them.
    let params = Dictionary(model.namedParameters().map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
    try withNoGrad {
      for position in key.positions.prefix(2) {
        guard let p = params[position.layer] else { return XCTFail("no layer \(position.layer)") }
        let flat = try p.reshape([-1])
        let index = try Tensor([Int64(position.index)])
        try flat.indexCopy_(0, index, flat.indexSelect(0, index).neg())
      }
    }
    let result = try Extractor.extract(from: model, key: key, expected: bits)
    XCTAssertEqual(result.payload, bits)
    XCTAssertEqual(result.correctedBits, 2)
    XCTAssertEqual(result.failedBlocks, 0)
    XCTAssertEqual(result.payloadBitErrorRate, 0)
    XCTAssertEqual(result.matches, key.positions.count - 2)
    // Keys round-trip through JSON with the code.
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("bch-key-\(UUID().uuidString).json")
    defer { try? FileManager.default.removeItem(at: url) }
    try key.write(to: url)
    XCTAssertEqual(try WatermarkKey.read(from: url).code, .bch(m: 5, t: 2))
  }
}
