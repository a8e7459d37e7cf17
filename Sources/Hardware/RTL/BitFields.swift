/// Packing of testbench stimulus lines: one line per clock cycle holds every
/// input port of the unit as fixed bit fields, written as one hex word that
/// the generated Verilog testbench reads with `$fscanf` and splits with part
/// selects at the same offsets. One layout drives both sides, so the Swift
/// writer and the Verilog reader cannot disagree.
struct BitFieldLayout: Sendable {
  struct Field: Sendable {
    var name: String
    var offset: Int
    var width: Int
  }

  private(set) var fields: [Field] = []
  private(set) var width = 0

  /// Appends a field above the previous ones; returns its index.
  @discardableResult mutating func add(_ name: String, width: Int) -> Int {
    fields.append(Field(name: name, offset: self.width, width: width))
    self.width += width
    return fields.count - 1
  }

  var hexDigits: Int { (width + 3) / 4 }
}

/// One stimulus line being filled: little-endian 64-bit words.
struct BitLine {
  private(set) var words: [UInt64]
  let layout: BitFieldLayout

  init(_ layout: BitFieldLayout) {
    self.layout = layout
    words = [UInt64](repeating: 0, count: (layout.width + 63) / 64 + 1)
  }

  /// Stores the low `width` bits of `value` (two's complement) in field `index`.
  mutating func set(_ index: Int, _ value: Int64) {
    let field = layout.fields[index]
    store(offset: field.offset, width: field.width, UInt64(bitPattern: value))
  }

  /// Stores element `element` of a field holding several equal sub-fields of `width` bits.
  mutating func set(_ index: Int, element: Int, width: Int, _ value: Int64) {
    store(offset: layout.fields[index].offset + element * width, width: width, UInt64(bitPattern: value))
  }

  private mutating func store(offset: Int, width: Int, _ value: UInt64) {
    let masked = width >= 64 ? value : value & ((UInt64(1) << UInt64(width)) - 1)
    let word = offset / 64, bit = offset % 64
    words[word] |= masked << UInt64(bit)
    if bit + width > 64 && bit > 0 { words[word + 1] |= masked >> UInt64(64 - bit) }
  }

  /// Appends the hex digits (most significant first) and a newline.
  func write(to buffer: inout [UInt8]) {
    let digits: [UInt8] = Array("0123456789abcdef".utf8)
    for d in stride(from: layout.hexDigits - 1, through: 0, by: -1) {
      let nibble = (words[d / 16] >> UInt64((d % 16) * 4)) & 0xF
      buffer.append(digits[Int(nibble)])
    }
    buffer.append(UInt8(ascii: "\n"))
  }
}

/// Reads a hex word the simulator wrote and splits it into signed lanes.
enum HexLanes {
  /// Lanes of `bits` bits each, lane 0 at the least significant end, sign-extended.
  /// nil when the word has unknown (x/z) digits or is too short.
  static func decode(_ line: Substring, lanes: Int, bits: Int) -> [Int64]? {
    var nibbles: [UInt8] = []
    nibbles.reserveCapacity(line.utf8.count)
    for c in line.utf8.reversed() {
      switch c {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): nibbles.append(c - UInt8(ascii: "0"))
      case UInt8(ascii: "a")...UInt8(ascii: "f"): nibbles.append(c - UInt8(ascii: "a") + 10)
      case UInt8(ascii: "A")...UInt8(ascii: "F"): nibbles.append(c - UInt8(ascii: "A") + 10)
      case UInt8(ascii: " "), UInt8(ascii: "\r"): continue
      default: return nil
      }
    }
    guard nibbles.count * 4 >= lanes * bits else { return nil }
    func bit(_ i: Int) -> UInt64 { UInt64((nibbles[i / 4] >> UInt8(i % 4)) & 1) }
    return (0..<lanes).map { lane in
      var v: UInt64 = 0
      for b in 0..<bits { v |= bit(lane * bits + b) << UInt64(b) }
      if bits < 64 && v >> UInt64(bits - 1) & 1 == 1 { v |= ~UInt64(0) << UInt64(bits) }
      return Int64(bitPattern: v)
    }
  }
}
