import Foundation
import Torch
import XCTest

@testable import Watermarking

/// Hostile watermark keys: mutations of every field of a valid key (extreme
/// and overflowing integers, wrong JSON types, missing and unknown fields,
/// huge position lists, unknown code kinds, absurd BCH parameters, duplicate
/// positions, unknown layers) and byte-level damage of its JSON. Each must
/// either fail to read with a one-line `WatermarkError`, or read and extract
/// exactly the signs at its positions: never trap. Seeds are fixed, so a
/// failure reproduces; LICHEN_FUZZ_SCALE=N runs N times as many mutations.
final class KeyFuzzTests: XCTestCase {
  private let scale = max(1, Int(ProcessInfo.processInfo.environment["LICHEN_FUZZ_SCALE"] ?? "") ?? 1)

  /// The tiny classifier of WatermarkingTests carrying a payload under `key`, with its weights as plain values.
  private struct Marked {
    var model: Sequential
    var key: WatermarkKey
    var payload: [Bool]
    var weights: [String: [Float]]
    var stateDict: [String: TensorRecord]
    var document: FuzzJSON
  }

  private func marked(code: PayloadCode) throws -> Marked {
    let g = try Generator(seed: 1)
    let model = Sequential([try Linear(8, 32, generator: g), Activation(.relu), try Linear(32, 4, generator: g)])
    let payload = Payload.bits(of: "fuzz")
    let key = try KeyGenerator.generate(for: model, payloadBits: payload.count, code: code, seed: 7)
    try key.validate()
    try Embedder.substitute(payload, into: model, key: key)
    var weights: [String: [Float]] = [:]
    var stateDict: [String: TensorRecord] = [:]
    for (name, tensor) in model.namedParameters() {
      let values = try tensor.floats()
      weights[name] = values
      stateDict[name] = try TensorRecord(float32: values, shape: tensor.shape)
    }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let document = try FuzzJSON.parse(try encoder.encode(key))
    XCTAssertEqual(try JSONDecoder().decode(WatermarkKey.self, from: document.data), key, "the JSON tree round-trips")
    return Marked(model: model, key: key, payload: payload, weights: weights, stateDict: stateDict, document: document)
  }

  private func temporaryURL() -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("lichen-key-fuzz-\(UUID().uuidString).json")
  }

  private func expectOneLine(_ error: WatermarkError, _ label: @autoclosure () -> String) {
    if error.message.contains(where: \.isNewline) || error.message.isEmpty {
      XCTFail("\(label()): not a one-line message: \(error.message)")
    }
  }

  /// Extracts with `key` (which read cleanly) from the marked model: either a one-line
  /// `WatermarkError`, or the signs at the key's positions decoded to `payloadBits` bits.
  /// Returns whether extraction succeeded.
  @discardableResult
  private func checkExtraction(_ key: WatermarkKey, _ base: Marked, _ label: String) -> Bool {
    do {
      let expected = key.payloadBits == base.payload.count ? base.payload : nil
      let result = try Extractor.extract(fromStateDict: base.stateDict, key: key, expected: expected)
      var signs: [Bool] = []
      for position in key.positions {
        guard let layer = base.weights[position.layer], layer.indices.contains(position.index) else {
          XCTFail("\(label): extraction succeeded on a position the model lacks: \(position)")
          return false
        }
        signs.append(layer[position.index] > 0)
      }
      XCTAssertEqual(result.codedBits, signs, label)
      XCTAssertEqual(result.payload.count, key.payloadBits, label)
      if key.positions == base.key.positions, key.code == base.key.code, key.payloadBits == base.key.payloadBits {
        XCTAssertEqual(result.payload, base.payload, label)
        XCTAssertEqual(result.detected, true, label)
      }
      XCTAssertEqual(try Extractor.extract(from: base.model, key: key).codedBits, signs, "\(label): module and state dict agree")
      _ = try Embedder.masks(for: base.model, key: key)
      return true
    } catch let error as WatermarkError {
      expectOneLine(error, label)
    } catch {
      XCTFail("\(label): extraction threw a non-watermark error: \(error)")
    }
    return false
  }

  /// Values aimed at one field of a key: other layers, positions, codes and shapes.
  private static let keyValues: [FuzzJSON] = {
    let layers = ["0.weight", "2.weight", "0.bias", "1.weight", "2.weight ", ""].map { FuzzJSON.string($0) }
    let codes: [FuzzJSON] = [
      .object([("none", .object([]))]), .object([("turbo", .object([]))]), .object([]),
      .object([("none", .object([])), ("repetition", .object([("copies", .number("3"))]))]),
      .object([("repetition", .object([("copies", .number("4611686018427387905"))]))]),
      .object([("repetition", .object([("copies", .number("-3"))]))]),
      .object([("repetition", .object([("copies", .number("2"))]))]),
      .object([("repetition", .object([]))]),
      .object([("bch", .object([("m", .number("4")), ("t", .number("9223372036854775807"))]))]),
      .object([("bch", .object([("m", .number("-9223372036854775808")), ("t", .number("1"))]))]),
      .object([("bch", .object([("m", .number("64")), ("t", .number("2"))]))]),
      .object([("bch", .object([("m", .number("10")), ("t", .number("500"))]))]),
      .object([("bch", .object([("m", .number("6")), ("t", .number("0"))]))]),
      .object([("bch", .object([("m", .number("3")), ("t", .number("1"))]))]),
    ]
    let shapes: [FuzzJSON] = [["0", "8"], ["-1"], ["4294967296", "4294967296"], [], ["9223372036854775807", "2"], ["32", "8"],
                              ["8", "32"], ["256"], ["4", "32"]].map { .array($0.map { FuzzJSON.number($0) }) }
    let positions: [FuzzJSON] = [("-1", "0.weight"), ("256", "0.weight"), ("255", "0.weight"), ("127", "2.weight"),
                                 ("128", "2.weight"), ("0", "2.weight"), ("-9223372036854775808", "2.weight")].map {
      .object([("index", .number($0.0)), ("layer", .string($0.1))])
    }
    let hashes = ["0000000000000000", "ABCDEF0123456789", "abc", "zzzzzzzzzzzzzzzz", "0123456789abcdef0"].map { FuzzJSON.string($0) }
    return layers + codes + shapes + positions + hashes
  }()

  func testFuzzKeys() throws {
    let bases = [try marked(code: .repetition(copies: 3)), try marked(code: .bch(m: 4, t: 2)), try marked(code: .none)]
    let url = temporaryURL()
    defer { try? FileManager.default.removeItem(at: url) }
    var g = SplitMix64(seed: 0x4B45_5946_555A &+ UInt64(scale))
    var read = 0, refused = 0, extracted = 0
    let clock = ContinuousClock()
    let start = clock.now
    let iterations = 2500 * scale
    for iteration in 0..<iterations {
      let base = bases[iteration % bases.count]
      let label = "key mutation #\(iteration)"
      let data: Data
      switch g.below(10) {
      case 0, 1:
        data = damaged(base.document.data, using: &g)
      default:
        var document = base.document
        for _ in 0..<(1 + g.below(3)) { document = document.mutated(using: &g, extra: Self.keyValues, huge: 5_000) }
        data = document.data
      }
      try data.write(to: url)
      do {
        let key = try WatermarkKey.read(from: url)
        read += 1
        if checkExtraction(key, base, label) { extracted += 1 }
      } catch let error as WatermarkError {
        refused += 1
        expectOneLine(error, label)
      } catch {
        XCTFail("\(label): read threw a non-watermark error: \(error)")
      }
    }
    print("key fuzz: \(iterations) mutated keys, \(refused) refused, \(read) read, \(extracted) extracted in \(clock.now - start)")
    XCTAssertGreaterThan(refused, iterations / 2, "most mutations break a key")
    XCTAssertGreaterThan(extracted, 0, "some mutations (seed, unknown fields, magnitudes) keep a working key")
  }

  /// The four keys that trapped extraction (SIGILL) before keys were validated: a negative index,
  /// Int.min as an index, a repetition code whose coded length overflows, and a payload length that does.
  func testOriginalCrashingKeysGiveCleanErrors() throws {
    let base = try marked(code: .repetition(copies: 3))
    let position: [FuzzJSON.Step] = [.key("positions"), .index(0), .key("index")]
    let cases: [(name: String, path: [FuzzJSON.Step], value: FuzzJSON, field: String)] = [
      ("index -1", position, .number("-1"), "positions[0].index"),
      ("index Int.min", position, .number("-9223372036854775808"), "positions[0].index"),
      ("copies 2^62 + 1", [.key("code"), .key("repetition"), .key("copies")], .number("4611686018427387905"), "payloadBits"),
      ("payloadBits x 3 overflows", [.key("payloadBits")], .number("3074457345618258603"), "payloadBits"),
    ]
    let url = temporaryURL()
    defer { try? FileManager.default.removeItem(at: url) }
    for c in cases {
      let document = try XCTUnwrap(base.document.replacing(at: c.path[...], with: c.value))
      try document.data.write(to: url)
      XCTAssertThrowsError(try WatermarkKey.read(from: url), c.name) { error in
        let message = "\(error)"
        XCTAssertTrue(error is WatermarkError, "\(c.name): \(error)")
        XCTAssertTrue(message.contains("invalid watermark key: \(c.field)"), "\(c.name): \(message)")
        XCTAssertFalse(message.contains(where: \.isNewline), "\(c.name): \(message)")
      }
      // A key decoded without `read` is validated where it is used.
      let key = try JSONDecoder().decode(WatermarkKey.self, from: document.data)
      XCTAssertThrowsError(try Extractor.extract(fromStateDict: base.stateDict, key: key, expected: base.payload), c.name) {
        XCTAssertTrue("\($0)".contains(c.field), "\(c.name): \($0)")
      }
      XCTAssertThrowsError(try Extractor.extract(from: base.model, key: key), c.name)
      XCTAssertThrowsError(try Embedder.substitute(base.payload, into: base.model, key: key), c.name)
    }
    // The codes themselves check their arithmetic.
    XCTAssertThrowsError(try PayloadCode.repetition(copies: 4_611_686_018_427_387_905).codedLength(payloadBits: 32))
    XCTAssertThrowsError(try PayloadCode.repetition(copies: 3).decode([true], payloadBits: 3_074_457_345_618_258_603))
    XCTAssertThrowsError(try PayloadCode.bch(m: 6, t: .max).codedLength(payloadBits: 8))
    XCTAssertThrowsError(try PayloadCode.bch(m: 6, t: 2).codedLength(payloadBits: .max))
    XCTAssertThrowsError(try PayloadCode.none.codedLength(payloadBits: -1))
    XCTAssertNil(try BCHCode(m: 6, t: 2).checkedCodedLength(payloadBits: .max))
  }

  /// JSON errors name the field on one line, not the raw `DecodingError`.
  func testDecodingErrorsNameTheField() throws {
    let base = try marked(code: .repetition(copies: 3))
    let url = temporaryURL()
    defer { try? FileManager.default.removeItem(at: url) }
    let edits: [(path: [FuzzJSON.Step], value: FuzzJSON?, expected: String)] = [
      ([.key("positions"), .index(3), .key("index")], .string("x"), "positions[3].index: expected Int"),
      ([.key("positions"), .index(3), .key("index")], .number("1e400"), "positions[3].index: the number 1e400 is not representable"),
      ([.key("positions"), .index(3), .key("index")], .number("1.5"), "positions[3].index: the number 1.5 does not fit"),
      ([.key("seed")], .number("-1"), "seed: the number -1 does not fit"),
      ([.key("mapping"), .key("alpha")], nil, "mapping.alpha: missing"),
      ([.key("payloadBits")], .null, "payloadBits: expected Int, found null"),
    ]
    for edit in edits {
      let document = try XCTUnwrap(base.document.replacing(at: edit.path[...], with: edit.value))
      try document.data.write(to: url)
      XCTAssertThrowsError(try WatermarkKey.read(from: url)) { error in
        XCTAssertTrue("\(error)".contains(edit.expected), "\(error)")
        XCTAssertFalse("\(error)".contains(where: \.isNewline), "\(error)")
      }
    }
    try Data("{\"version\": 1".utf8).write(to: url)
    XCTAssertThrowsError(try WatermarkKey.read(from: url)) { XCTAssertFalse("\($0)".contains(where: \.isNewline), "\($0)") }
  }

  /// Validation accepts what the generator makes and names each field it refuses.
  func testValidationNamesTheField() throws {
    let base = try marked(code: .bch(m: 4, t: 2))
    var key = base.key
    func refused(_ field: String, _ edit: (inout WatermarkKey) -> Void) {
      var copy = key
      edit(&copy)
      XCTAssertThrowsError(try copy.validate(), field) { XCTAssertTrue("\($0)".contains("invalid watermark key: \(field)"), "\($0)") }
    }
    XCTAssertNoThrow(try key.validate())
    let layer = key.positions[0].layer
    refused("version") { $0.version = 2 }
    refused("architectureHash") { $0.architectureHash = $0.architectureHash.uppercased() + "0" }
    refused("layerShapes[\"\(layer)\"][0]") { $0.layerShapes[layer] = [0, 8] }
    refused("layerShapes[\"\(layer)\"]") { $0.layerShapes[layer] = [1 << 32, 1 << 32] }
    refused("mapping.alpha") { $0.mapping.alpha = .nan }
    refused("mapping.magnitudes[\"\(layer)\"]") { $0.mapping.magnitudes[layer] = -1 }
    refused("mapping.magnitudes") { $0.mapping.magnitudes[layer] = nil }
    refused("positions") { $0.positions = [] }
    refused("positions[1].layer") { $0.positions[1].layer = "nope" }
    refused("positions[2].index") { $0.positions[2].index = Int.max }
    refused("positions[1]") { $0.positions[1] = $0.positions[0] }
    refused("code") { $0.code = .bch(m: 4, t: 100) }
    refused("payloadBits") { $0.payloadBits = 0 }
    refused("positions") { $0.payloadBits += 1 }
    key.seed = .max
    XCTAssertNoThrow(try key.validate())
  }
}

// MARK: - JSON tree and mutations (the same helper is in each target's JSON fuzz tests)

/// A JSON document as a tree whose numbers keep their literal text, so a
/// mutation can write any literal (9223372036854775808, 1e400, -0) that a
/// Swift number could not hold, and an unmutated document reads back as it was.
private indirect enum FuzzJSON: Sendable {
  case null
  case bool(Bool)
  case number(String)
  case string(String)
  case array([FuzzJSON])
  case object([(key: String, value: FuzzJSON)])

  enum Step: Sendable { case key(String), index(Int) }

  struct ParseError: Error {}

  /// Parses the documents Lichen writes (and any other JSON).
  static func parse(_ data: Data) throws -> FuzzJSON {
    var parser = Parser(bytes: Array(data))
    let value = try parser.value()
    parser.skipSpace()
    guard parser.at == parser.bytes.count else { throw ParseError() }
    return value
  }

  private struct Parser {
    var bytes: [UInt8]
    var at = 0

    mutating func skipSpace() {
      while at < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[at]) { at += 1 }
    }

    mutating func expect(_ text: String) throws {
      for byte in text.utf8 {
        guard at < bytes.count, bytes[at] == byte else { throw ParseError() }
        at += 1
      }
    }

    mutating func value() throws -> FuzzJSON {
      skipSpace()
      guard at < bytes.count else { throw ParseError() }
      switch bytes[at] {
      case UInt8(ascii: "{"):
        at += 1
        var members: [(key: String, value: FuzzJSON)] = []
        skipSpace()
        if at < bytes.count, bytes[at] == UInt8(ascii: "}") { at += 1; return .object(members) }
        while true {
          skipSpace()
          let key = try string()
          skipSpace()
          try expect(":")
          members.append((key, try value()))
          skipSpace()
          guard at < bytes.count else { throw ParseError() }
          at += 1
          if bytes[at - 1] == UInt8(ascii: "}") { return .object(members) }
          guard bytes[at - 1] == UInt8(ascii: ",") else { throw ParseError() }
        }
      case UInt8(ascii: "["):
        at += 1
        var items: [FuzzJSON] = []
        skipSpace()
        if at < bytes.count, bytes[at] == UInt8(ascii: "]") { at += 1; return .array(items) }
        while true {
          items.append(try value())
          skipSpace()
          guard at < bytes.count else { throw ParseError() }
          at += 1
          if bytes[at - 1] == UInt8(ascii: "]") { return .array(items) }
          guard bytes[at - 1] == UInt8(ascii: ",") else { throw ParseError() }
        }
      case UInt8(ascii: "\""): return .string(try string())
      case UInt8(ascii: "t"): try expect("true"); return .bool(true)
      case UInt8(ascii: "f"): try expect("false"); return .bool(false)
      case UInt8(ascii: "n"): try expect("null"); return .null
      default:
        let start = at
        while at < bytes.count, "+-.eE0123456789".utf8.contains(bytes[at]) { at += 1 }
        guard at > start else { throw ParseError() }
        return .number(String(decoding: bytes[start..<at], as: UTF8.self))
      }
    }

    mutating func hex4() throws -> UInt32 {
      guard at + 4 <= bytes.count, let v = UInt32(String(decoding: bytes[at..<(at + 4)], as: UTF8.self), radix: 16) else {
        throw ParseError()
      }
      at += 4
      return v
    }

    mutating func string() throws -> String {
      try expect("\"")
      var scalars = String.UnicodeScalarView()
      var raw: [UInt8] = []
      func flush() {
        scalars.append(contentsOf: String(decoding: raw, as: UTF8.self).unicodeScalars)
        raw.removeAll()
      }
      while true {
        guard at < bytes.count else { throw ParseError() }
        let byte = bytes[at]
        at += 1
        if byte == UInt8(ascii: "\"") { break }
        guard byte == UInt8(ascii: "\\") else { raw.append(byte); continue }
        flush()
        guard at < bytes.count else { throw ParseError() }
        let escape = bytes[at]
        at += 1
        switch escape {
        case UInt8(ascii: "n"): scalars.append("\n")
        case UInt8(ascii: "t"): scalars.append("\t")
        case UInt8(ascii: "r"): scalars.append("\r")
        case UInt8(ascii: "b"): scalars.append("\u{8}")
        case UInt8(ascii: "f"): scalars.append("\u{C}")
        case UInt8(ascii: "u"):
          var code = try hex4()
          if (0xD800..<0xDC00).contains(code), at + 6 <= bytes.count, bytes[at] == UInt8(ascii: "\\"),
            bytes[at + 1] == UInt8(ascii: "u")
          {
            at += 2
            let low = try hex4()
            code = 0x10000 + ((code - 0xD800) << 10) + (low &- 0xDC00 & 0x3FF)
          }
          scalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
        default: scalars.append(Unicode.Scalar(escape))
        }
      }
      flush()
      return String(scalars)
    }
  }

  var text: String {
    switch self {
    case .null: return "null"
    case .bool(let b): return b ? "true" : "false"
    case .number(let literal): return literal
    case .string(let s): return Self.quote(s)
    case .array(let items): return "[" + items.map(\.text).joined(separator: ",") + "]"
    case .object(let members): return "{" + members.map { Self.quote($0.key) + ":" + $0.value.text }.joined(separator: ",") + "}"
    }
  }

  var data: Data { Data(text.utf8) }

  static func quote(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      default:
        if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) } else { out.unicodeScalars.append(scalar) }
      }
    }
    return out + "\""
  }

  func value(at path: ArraySlice<Step>) -> FuzzJSON? {
    guard let step = path.first else { return self }
    switch (self, step) {
    case (.object(let members), .key(let key)): return members.first { $0.key == key }?.value.value(at: path.dropFirst())
    case (.array(let items), .index(let i)) where items.indices.contains(i): return items[i].value(at: path.dropFirst())
    default: return nil
    }
  }

  /// The tree with the value at `path` replaced (nil: the member or element removed).
  func replacing(at path: ArraySlice<Step>, with new: FuzzJSON?) -> FuzzJSON? {
    guard let step = path.first else { return new }
    switch (self, step) {
    case (.object(let members), .key(let key)):
      return .object(members.compactMap { member in
        guard member.key == key else { return member }
        return member.value.replacing(at: path.dropFirst(), with: new).map { (key: member.key, value: $0) }
      })
    case (.array(var items), .index(let i)) where items.indices.contains(i):
      if let replaced = items[i].replacing(at: path.dropFirst(), with: new) { items[i] = replaced } else { items.remove(at: i) }
      return .array(items)
    default: return self
    }
  }

  /// Values no well-formed document holds where a mutation puts them: extreme and overflowing
  /// integers, non-finite-looking numbers and strings, wrong types, empty and nested containers.
  static let hostile: [FuzzJSON] = [
    "0", "-1", "1", "2", "3", "-2", "255", "256", "65536", "2147483647", "2147483648", "4294967296", "1099511627776",
    "9223372036854775807", "-9223372036854775808", "9223372036854775808", "18446744073709551615", "4611686018427387905",
    "3074457345618258603", "1e400", "-1e400", "1e308", "-1e308", "1e-320", "0.5", "-0.0", "-0.5", "3.0", "1e12", "1e15",
    "99999999999999999999999",
  ].map { .number($0) } + [
    "", "NaN", "nan", "inf", "-inf", "Infinity", "x", "auto", "measured", "estimated", "0.weight", "g_a.0", "line\nbreak",
    "\u{0}", String(repeating: "w", count: 1000),
  ].map { .string($0) } + [
    .bool(true), .bool(false), .null, .array([]), .object([]), .array([.number("1"), .number("2")]),
    .object([("a", .number("1"))]), .array([.array([.array([.array([.null])])])]),
  ]

  /// A random path, descending one member or element at a time and stopping at a random depth.
  /// Members holding containers are likelier than leaves, but no field drowns in a long array.
  func randomPath(using g: inout SplitMix64) -> [Step] {
    func weight(_ value: FuzzJSON) -> Int {
      switch value {
      case .array(let items): return 3 + min(items.count, 8)
      case .object(let members): return 3 + min(members.count, 8)
      default: return 1
      }
    }
    var path: [Step] = []
    var node = self
    while g.below(30) >= (path.isEmpty ? 1 : 9) {
      switch node {
      case .array(let items) where !items.isEmpty:
        let i = g.below(items.count)
        path.append(.index(i))
        node = items[i]
      case .object(let members) where !members.isEmpty:
        var pick = g.below(members.reduce(0) { $0 + weight($1.value) })
        var chosen = members[0]
        for member in members {
          pick -= weight(member.value)
          if pick < 0 { chosen = member; break }
        }
        path.append(.key(chosen.key))
        node = chosen.value
      default:
        return path
      }
    }
    return path
  }

  /// One structural mutation: a value replaced (by a hostile one, a nudged number or another part of
  /// the document), a member or element removed or duplicated, an array grown to `huge` elements or
  /// emptied, an unknown key added.
  func mutated(using g: inout SplitMix64, extra: [FuzzJSON] = [], huge: Int = 20_000) -> FuzzJSON {
    let path = randomPath(using: &g)
    let here = value(at: path[...]) ?? .null
    let pool = Self.hostile + extra
    func replaced(_ new: FuzzJSON?) -> FuzzJSON { replacing(at: path[...], with: new) ?? .null }
    switch (g.below(10), here) {
    case (0...1, _):
      return replaced(pool[g.below(pool.count)])
    case (2...4, .number(let literal)):
      let nudged: String
      if let v = Int(literal) {
        let choices = [v &+ 1, v &- 1, v &* 2, 0 &- v, v &* 1_000_003, v / 2, v &* v, 0, Int.max, Int.min]
        nudged = String(choices[g.below(choices.count)])
      } else if let v = Double(literal) {
        let choices = [v * 2, -v, v * 1e200, v + 0.5, v / 1e300, 0]
        nudged = "\(choices[g.below(choices.count)])"
      } else {
        nudged = literal + "0"
      }
      return replaced(.number(nudged))
    case (2...4, .string(let text)):
      let strings = extra.filter { if case .string = $0 { return true } else { return false } }
      if !strings.isEmpty, g.below(2) == 0 { return replaced(strings[g.below(strings.count)]) }
      return replaced(.string(text.isEmpty ? "x" : String(text.dropLast(1 + g.below(text.count)))))
    case (5, _) where !path.isEmpty:
      return replaced(nil)
    case (6, _):
      return replaced(value(at: randomPath(using: &g)[...]))
    case (7, .object(var members)):
      if !members.isEmpty, g.below(2) == 0 {
        members.append(members[g.below(members.count)])  // a duplicate key
      } else {
        members.append(("unknownField\(g.below(3))", pool[g.below(pool.count)]))
      }
      return replaced(.object(members))
    case (8...9, .array(var items)) where !items.isEmpty:
      switch g.below(6) {
      case 0: items.append(items[g.below(items.count)])
      case 1: items = []
      case 2: items = Array(repeating: items, count: 1 + huge / items.count).flatMap { $0 }
      case 3: items.reverse()
      case 4: items.remove(at: g.below(items.count))
      default: items.insert(pool[g.below(pool.count)], at: g.below(items.count + 1))
      }
      return replaced(.array(items))
    default:
      return replaced(pool[g.below(pool.count)])
    }
  }
}

/// Byte-level damage to a serialized document: flips, truncation, deletion, insertion.
private func damaged(_ data: Data, using g: inout SplitMix64) -> Data {
  var bytes = [UInt8](data)
  guard !bytes.isEmpty else { return data }
  switch g.below(4) {
  case 0:
    bytes.removeLast(1 + g.below(bytes.count))
  case 1:
    let start = g.below(bytes.count)
    bytes.removeSubrange(start..<min(bytes.count, start + 1 + g.below(8)))
  case 2:
    let insert: [[UInt8]] = [Array("-".utf8), Array("9".utf8), Array("\"".utf8), Array("}".utf8), Array(",".utf8), [0xFF], [0]]
    bytes.insert(contentsOf: insert[g.below(insert.count)], at: g.below(bytes.count + 1))
  default:
    for _ in 0..<(1 + g.below(3)) {
      let interesting: [UInt8] = Array("0123456789-.e\"{}[],:tfn ".utf8) + [0, 0xFF, 0x80]
      bytes[g.below(bytes.count)] = g.below(2) == 0 ? UInt8(truncatingIfNeeded: g.next()) : interesting[g.below(interesting.count)]
    }
  }
  return Data(bytes)
}
