import Foundation
import LichenTestSupport
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
