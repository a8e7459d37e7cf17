import Compression
import EntropyCoding
import Foundation
import IntegerEngine
import Torch
import XCTest

@testable import Quantization

/// Hostile integer model files: the layer structure JSON they carry
/// (`lichen.integer`) mutated field by field (extreme and overflowing numbers,
/// wrong types, missing, unknown and reordered layers, huge arrays) and
/// byte by byte, plus edited N/M/GDN metadata. Each must either be refused
/// with a one-line `QuantizationError` naming the field, or load and then
/// encode and decode an image without trapping. Seeds are fixed;
/// LICHEN_FUZZ_SCALE=N runs N times as many mutations.
final class IntegerModelFuzzTests: XCTestCase {
  private let scale = max(1, Int(ProcessInfo.processInfo.environment["LICHEN_FUZZ_SCALE"] ?? "") ?? 1)

  /// The tensors and metadata `IntegerModelFile.save` writes for the tiny int8 model, and its structure as a tree.
  private static func contents(_ file: IntegerModelFile) throws -> (SafeTensorsFile, FuzzJSON) {
    let (tensors, structure) = try IntegerModelFile.encode(file.model)
    let metadata = [
      "lichen.format": IntegerModelFile.format, "lichen.architecture": file.configuration.architecture.rawValue,
      "lichen.N": String(file.configuration.n), "lichen.M": String(file.configuration.m),
      "lichen.gdn": file.configuration.gdnVariant.rawValue, "lichen.integer": structure,
    ]
    return (SafeTensorsFile(tensors: tensors, metadata: metadata), try FuzzJSON.parse(Data(structure.utf8)))
  }

  private static func pixels() throws -> IntTensor {
    var values = [Int16](repeating: 0, count: 3 * 64 * 64)
    for i in values.indices { values[i] = Int16((i * 7 + i / 64) % 256) }
    return try IntTensor(channels: 3, height: 64, width: 64, values: values)
  }

  private func expectOneLine(_ message: String, _ label: @autoclosure () -> String) {
    if message.isEmpty || message.contains(where: \.isNewline) { XCTFail("\(label()): not a one-line message: \(message)") }
  }

  func testFuzzIntegerModelStructure() throws {
    let (file, _) = try QuantizationTests.integerFile("int8")
    let (contents, document) = try Self.contents(file)
    XCTAssertEqual(try IntegerModelFile.load(contents, origin: "tiny").model, file.model)
    let pixels = try Self.pixels()
    let reference = try file.model.decompress(try file.model.compress(pixels: pixels))
    let extra: [FuzzJSON] = ["convolution", "transposed", "gdn", "simplified-gdn", "g_a.0", "h_s.1"].map { .string($0) }
      + ["12", "8", "15", "16", "32767", "32768", "-32768", "-32769", "2147483647", "-2147483648", "2147483648", "14", "120",
         "121", "-33"].map { .number($0) }
    var g = SplitMix64(seed: 0x494E_5445_47 &+ UInt64(scale))
    var accepted = 0, coded = 0
    let clock = ContinuousClock()
    let start = clock.now
    let iterations = 1000 * scale
    for iteration in 0..<iterations {
      let label = "structure mutation #\(iteration)"
      var mutated = contents
      if g.below(5) == 0 {
        mutated.metadata["lichen.integer"] = String(decoding: damaged(document.data, using: &g), as: UTF8.self)
      } else {
        var tree = document
        for _ in 0..<(1 + g.below(3)) { tree = tree.mutated(using: &g, extra: extra) }
        mutated.metadata["lichen.integer"] = tree.text
      }
      if g.below(10) == 0 {
        let key = ["lichen.N", "lichen.M", "lichen.gdn"][g.below(3)]
        mutated.metadata[key] = ["0", "-1", "12", "8", "99999999999999999999", "gdn", "simplified", ""][g.below(8)]
      }
      let loaded: IntegerModelFile
      do {
        loaded = try IntegerModelFile.load(mutated, origin: "tiny.safetensors")
        accepted += 1
      } catch let error as QuantizationError {
        expectOneLine(error.message, label)
        continue
      } catch {
        XCTFail("\(label): non-quantization error \(type(of: error)): \(error)")
        continue
      }
      // Downstream: encode and decode an image (the first 20 accepted mutants: each takes a while in a debug
      // build, as does each accepted load, which rebuilds the entropy coder's tables).
      guard coded < 20 else { continue }
      coded += 1
      do {
        let decoded = try loaded.model.decompress(try loaded.model.compress(pixels: pixels))
        if loaded.model == file.model { XCTAssertEqual(decoded, reference, label) }
      } catch is IntegerEngineError {
      } catch is EntropyCodingError {
      } catch {
        XCTFail("\(label): the codec threw \(type(of: error)): \(error)")
      }
    }
    print("integer model fuzz: \(iterations) mutated structures, \(accepted) accepted, \(coded) coded in \(clock.now - start)")
    XCTAssertGreaterThan(accepted, 0)
    XCTAssertLessThan(accepted, iterations / 2, "most mutations break the structure")
  }

  /// Structures that hung, trapped or overflowed before the structure was validated, each refused
  /// with the field named; and the same through a file on disk.
  func testHostileStructuresNameTheField() throws {
    let (file, _) = try QuantizationTests.integerFile("int8")
    let (contents, document) = try Self.contents(file)
    func layer(_ t: String, _ i: Int, _ field: String) -> [FuzzJSON.Step] { [.key("transforms"), .key(t), .index(i), .key(field)] }
    let edits: [(path: [FuzzJSON.Step], value: FuzzJSON?, expected: String)] = [
      (layer("g_s", 0, "stride"), .number("4611686018427387904"), "transforms.g_s[0].stride"),  // stride^2 phases: a hang
      (layer("g_a", 0, "padding"), .number("9223372036854775807"), "transforms.g_a[0].padding"),  // 2 * padding overflowed
      (layer("g_a", 0, "inputBound"), .number("0"), "transforms.g_a[0].inputBound"),
      (layer("g_a", 0, "lower"), .number("40000"), "transforms.g_a[0].lower...upper"),
      (layer("g_a", 1, "kind"), .string("fft"), "transforms.g_a[1].kind"),
      (layer("g_a", 0, "inChannels"), .number("4"), "transforms.g_a[0].inChannels"),
      (layer("h_a", 0, "name"), .string("g_a.0"), "transforms.h_a[0].name"),
      (layer("g_a", 0, "kernel"), .string("5"), "transforms.g_a[0].kernel: expected Int"),
      ([.key("zToFine"), .key("shift")], .number("-9223372036854775808"), "zToFine.shift"),
      ([.key("zToFine"), .key("multiplier")], .number("-1"), "zToFine.multiplier"),
      ([.key("zFractionBits")], .number("64"), "zFractionBits"),
      ([.key("ySymbolRange")], nil, "ySymbolRange: missing"),
    ]
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("lichen-int-fuzz-\(UUID()).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    for edit in edits {
      var mutated = contents
      let tree = try XCTUnwrap(document.replacing(at: edit.path[...], with: edit.value))
      mutated.metadata["lichen.integer"] = tree.text
      XCTAssertThrowsError(try IntegerModelFile.load(mutated, origin: "tiny.safetensors"), edit.expected) { error in
        XCTAssertTrue("\(error)".contains(edit.expected), "\(error)")
        XCTAssertFalse("\(error)".contains(where: \.isNewline), "\(error)")
      }
      try SafeTensors.write(mutated.tensors, metadata: mutated.metadata, to: url)
      XCTAssertThrowsError(try IntegerModelFile.load(from: url)) { XCTAssertTrue("\($0)".contains(edit.expected), "\($0)") }
    }
    guard case .object(let transforms)? = document.value(at: [.key("transforms")][...]) else { return XCTFail("no transforms") }
    var unknown = contents
    unknown.metadata["lichen.integer"] = document.replacing(at: [.key("transforms")][...], with: .object(transforms + [("h_x", .array([]))]))?.text
    XCTAssertThrowsError(try IntegerModelFile.load(unknown, origin: "tiny")) { XCTAssertTrue("\($0)".contains("unknown transform \"h_x\""), "\($0)") }
    // Tensor values the structure points at: shifts and scale thresholds.
    var shifted = contents
    shifted.tensors["g_a.0.shift"] = try IntegerModelFile.record([Int64.min] + Array(repeating: 0, count: 7), .int64, shape: [8])
    XCTAssertThrowsError(try IntegerModelFile.load(shifted, origin: "tiny")) { XCTAssertTrue("\($0)".contains("g_a.0"), "\($0)") }
    var medians = contents
    let zChannels = try XCTUnwrap(contents.tensors["entropy_bottleneck.medians"]).shape[0]
    medians.tensors["entropy_bottleneck.medians"] = try IntegerModelFile.record(
      [Int64.min] + Array(repeating: 0, count: zChannels - 1), .int64, shape: [zChannels])
    XCTAssertThrowsError(try IntegerModelFile.load(medians, origin: "tiny")) { XCTAssertTrue("\($0)".contains("medians"), "\($0)") }
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
