/// A strict little JSON reader and writer for safetensors headers.
///
/// Foundation's `JSONSerialization` silently keeps one of two duplicate keys and
/// blurs integers with floats; a header parser must reject the former and read
/// 64-bit offsets exactly, so this keeps objects as ordered pairs and numbers as text.
indirect enum HeaderJSON: Equatable, Sendable {
  case object([(key: String, value: HeaderJSON)])
  case array([HeaderJSON])
  case string(String)
  /// The number's literal text, so integers are read without going through `Double`.
  case number(String)
  case bool(Bool)
  case null

  static func == (lhs: HeaderJSON, rhs: HeaderJSON) -> Bool {
    switch (lhs, rhs) {
    case let (.object(a), .object(b)):
      return a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    case let (.array(a), .array(b)): return a == b
    case let (.string(a), .string(b)): return a == b
    case let (.number(a), .number(b)): return a == b
    case let (.bool(a), .bool(b)): return a == b
    case (.null, .null): return true
    default: return false
    }
  }

  /// Parses one JSON value filling `bytes` (trailing whitespace allowed, as the
  /// safetensors writer pads with spaces).
  static func parse(_ bytes: ArraySlice<UInt8>, maxDepth: Int = 64) throws -> HeaderJSON {
    var parser = Parser(bytes: bytes, maxDepth: maxDepth)
    let value = try parser.parseValue(depth: 0)
    parser.skipWhitespace()
    guard parser.index == bytes.endIndex else {
      throw parser.error("unexpected data after the JSON value")
    }
    return value
  }

  /// Compact JSON text with keys in the given order, escaping like serde_json.
  var serialized: String {
    var out = ""
    write(to: &out)
    return out
  }

  private func write(to out: inout String) {
    switch self {
    case let .object(pairs):
      out += "{"
      for (index, pair) in pairs.enumerated() {
        if index > 0 { out += "," }
        HeaderJSON.string(pair.key).write(to: &out)
        out += ":"
        pair.value.write(to: &out)
      }
      out += "}"
    case let .array(items):
      out += "["
      for (index, item) in items.enumerated() {
        if index > 0 { out += "," }
        item.write(to: &out)
      }
      out += "]"
    case let .string(text):
      out += "\""
      for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "\u{08}": out += "\\b"
        case "\u{0C}": out += "\\f"
        case let control where control.value < 0x20:
          let hex = String(control.value, radix: 16)
          out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: out.unicodeScalars.append(scalar)
        }
      }
      out += "\""
    case let .number(text): out += text
    case let .bool(flag): out += flag ? "true" : "false"
    case .null: out += "null"
    }
  }

  private struct Parser {
    let bytes: ArraySlice<UInt8>
    let maxDepth: Int
    var index: Int

    init(bytes: ArraySlice<UInt8>, maxDepth: Int) {
      self.bytes = bytes
      self.maxDepth = maxDepth
      self.index = bytes.startIndex
    }

    func error(_ message: String) -> SerializationError {
      SerializationError(.invalidHeader, "invalid JSON header at byte \(index - bytes.startIndex): \(message)")
    }

    mutating func skipWhitespace() {
      while index < bytes.endIndex, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) {
        index += 1
      }
    }

    mutating func peek() -> UInt8? {
      index < bytes.endIndex ? bytes[index] : nil
    }

    mutating func expect(_ literal: String) throws {
      for byte in literal.utf8 {
        guard peek() == byte else { throw error("expected '\(literal)'") }
        index += 1
      }
    }

    mutating func parseValue(depth: Int) throws -> HeaderJSON {
      guard depth <= maxDepth else {
        throw SerializationError(.limitExceeded, "JSON header nests deeper than \(maxDepth) levels")
      }
      skipWhitespace()
      guard let byte = peek() else { throw error("unexpected end of header") }
      switch byte {
      case UInt8(ascii: "{"): return try parseObject(depth: depth)
      case UInt8(ascii: "["): return try parseArray(depth: depth)
      case UInt8(ascii: "\""): return .string(try parseString())
      case UInt8(ascii: "t"): try expect("true"); return .bool(true)
      case UInt8(ascii: "f"): try expect("false"); return .bool(false)
      case UInt8(ascii: "n"): try expect("null"); return .null
      case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
      default: throw error("unexpected character \(printable(byte))")
      }
    }

    mutating func parseObject(depth: Int) throws -> HeaderJSON {
      index += 1
      var pairs: [(key: String, value: HeaderJSON)] = []
      skipWhitespace()
      if peek() == UInt8(ascii: "}") {
        index += 1
        return .object(pairs)
      }
      while true {
        skipWhitespace()
        guard peek() == UInt8(ascii: "\"") else { throw error("expected a string key") }
        let key = try parseString()
        skipWhitespace()
        try expect(":")
        let value = try parseValue(depth: depth + 1)
        pairs.append((key, value))
        skipWhitespace()
        guard let next = peek() else { throw error("unterminated object") }
        index += 1
        if next == UInt8(ascii: "}") { return .object(pairs) }
        guard next == UInt8(ascii: ",") else { throw error("expected ',' or '}' in object") }
      }
    }

    mutating func parseArray(depth: Int) throws -> HeaderJSON {
      index += 1
      var items: [HeaderJSON] = []
      skipWhitespace()
      if peek() == UInt8(ascii: "]") {
        index += 1
        return .array(items)
      }
      while true {
        items.append(try parseValue(depth: depth + 1))
        skipWhitespace()
        guard let next = peek() else { throw error("unterminated array") }
        index += 1
        if next == UInt8(ascii: "]") { return .array(items) }
        guard next == UInt8(ascii: ",") else { throw error("expected ',' or ']' in array") }
      }
    }

    mutating func parseString() throws -> String {
      index += 1
      var utf8: [UInt8] = []
      while true {
        guard let byte = peek() else { throw error("unterminated string") }
        index += 1
        switch byte {
        case UInt8(ascii: "\""):
          guard let text = String(validating: utf8, as: UTF8.self) else {
            throw error("string is not valid UTF-8")
          }
          return text
        case UInt8(ascii: "\\"):
          try parseEscape(into: &utf8)
        case 0..<0x20:
          throw error("unescaped control character in string")
        default:
          utf8.append(byte)
        }
      }
    }

    mutating func parseEscape(into utf8: inout [UInt8]) throws {
      guard let byte = peek() else { throw error("unterminated escape") }
      index += 1
      switch byte {
      case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(byte)
      case UInt8(ascii: "b"): utf8.append(0x08)
      case UInt8(ascii: "f"): utf8.append(0x0C)
      case UInt8(ascii: "n"): utf8.append(0x0A)
      case UInt8(ascii: "r"): utf8.append(0x0D)
      case UInt8(ascii: "t"): utf8.append(0x09)
      case UInt8(ascii: "u"):
        var code = try parseHex4()
        if (0xD800..<0xDC00).contains(code) {
          // A high surrogate must be followed by an escaped low surrogate.
          try expect("\\u")
          let low = try parseHex4()
          guard (0xDC00..<0xE000).contains(low) else { throw error("unpaired surrogate in \\u escape") }
          code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
        }
        guard let scalar = Unicode.Scalar(code) else { throw error("invalid \\u escape") }
        utf8.append(contentsOf: String(Character(scalar)).utf8)
      default:
        throw error("invalid escape \\\(printable(byte))")
      }
    }

    mutating func parseHex4() throws -> UInt32 {
      var value: UInt32 = 0
      for _ in 0..<4 {
        guard let byte = peek(), let digit = hexValue(byte) else { throw error("invalid \\u escape") }
        index += 1
        value = value << 4 | digit
      }
      return value
    }

    mutating func parseNumber() throws -> String {
      let start = index
      if peek() == UInt8(ascii: "-") { index += 1 }
      guard let first = peek(), isDigit(first) else { throw error("invalid number") }
      index += 1
      if first != UInt8(ascii: "0") {
        while let byte = peek(), isDigit(byte) { index += 1 }
      }
      if peek() == UInt8(ascii: ".") {
        index += 1
        try digits()
      }
      if let byte = peek(), byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
        index += 1
        if let sign = peek(), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { index += 1 }
        try digits()
      }
      return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    mutating func digits() throws {
      guard let byte = peek(), isDigit(byte) else { throw error("invalid number") }
      while let byte = peek(), isDigit(byte) { index += 1 }
    }

    func isDigit(_ byte: UInt8) -> Bool {
      (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    func hexValue(_ byte: UInt8) -> UInt32? {
      switch byte {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(byte - UInt8(ascii: "0"))
      case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(byte - UInt8(ascii: "a") + 10)
      case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(byte - UInt8(ascii: "A") + 10)
      default: return nil
      }
    }

    func printable(_ byte: UInt8) -> String {
      (0x21..<0x7F).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "0x\(String(byte, radix: 16))"
    }
  }
}
