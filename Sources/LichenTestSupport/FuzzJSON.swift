import Foundation
import Torch

// JSON tree and mutations shared by the fuzz tests of every JSON format the tools read
// (watermark keys, FPGA plans, board catalogs, unit costs, sweep files, integer model structures).

/// A JSON document as a tree whose numbers keep their literal text, so a
/// mutation can write any literal (9223372036854775808, 1e400, -0) that a
/// Swift number could not hold, and an unmutated document reads back as it was.
public indirect enum FuzzJSON: Sendable {
  case null
  case bool(Bool)
  case number(String)
  case string(String)
  case array([FuzzJSON])
  case object([(key: String, value: FuzzJSON)])

  public enum Step: Sendable { case key(String), index(Int) }

  public struct ParseError: Error {}

  /// Parses the documents Lichen writes (and any other JSON).
  public static func parse(_ data: Data) throws -> FuzzJSON {
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

  public var text: String {
    switch self {
    case .null: return "null"
    case .bool(let b): return b ? "true" : "false"
    case .number(let literal): return literal
    case .string(let s): return Self.quote(s)
    case .array(let items): return "[" + items.map(\.text).joined(separator: ",") + "]"
    case .object(let members): return "{" + members.map { Self.quote($0.key) + ":" + $0.value.text }.joined(separator: ",") + "}"
    }
  }

  public var data: Data { Data(text.utf8) }

  public static func quote(_ s: String) -> String {
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

  public func value(at path: ArraySlice<Step>) -> FuzzJSON? {
    guard let step = path.first else { return self }
    switch (self, step) {
    case (.object(let members), .key(let key)): return members.first { $0.key == key }?.value.value(at: path.dropFirst())
    case (.array(let items), .index(let i)) where items.indices.contains(i): return items[i].value(at: path.dropFirst())
    default: return nil
    }
  }

  /// The tree with the value at `path` replaced (nil: the member or element removed).
  public func replacing(at path: ArraySlice<Step>, with new: FuzzJSON?) -> FuzzJSON? {
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
  public static let hostile: [FuzzJSON] = [
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
  public func randomPath(using g: inout SplitMix64) -> [Step] {
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
  public func mutated(using g: inout SplitMix64, extra: [FuzzJSON] = [], huge: Int = 20_000) -> FuzzJSON {
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
public func damaged(_ data: Data, using g: inout SplitMix64) -> Data {
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
