import Foundation
import LichenSerialization

/// FPGA boards the planner targets: resource counts and a default clock,
/// from the bundled catalog (`Resources/boards.json`, with data-sheet
/// sources) or a user file in the same format. Every field is required and
/// every resource but URAM must be positive; errors name the board and field.
public struct Board: Codable, Sendable, Equatable {
  /// The DSP slice family: it decides how many multipliers a product needs.
  public enum DSPKind: String, Codable, Sendable, CaseIterable {
    case dsp48e2 = "DSP48E2"
    case dsp48e1 = "DSP48E1"
  }

  public var name: String
  public var description: String
  public var part: String
  public var dspKind: DSPKind
  public var dsp: Int
  public var bram36: Int
  public var uram: Int
  public var lut: Int
  public var ff: Int
  public var clockMHz: Double
  public var source: String

  public init(name: String, description: String, part: String, dspKind: DSPKind, dsp: Int, bram36: Int, uram: Int,
              lut: Int, ff: Int, clockMHz: Double, source: String) {
    self.name = name
    self.description = description
    self.part = part
    self.dspKind = dspKind
    self.dsp = dsp
    self.bram36 = bram36
    self.uram = uram
    self.lut = lut
    self.ff = ff
    self.clockMHz = clockMHz
    self.source = source
  }

  /// The board's resources as a vector (the planner's budget before any utilization cap).
  public var resources: ResourceVector { ResourceVector(dsp: dsp, bram36: bram36, uram: uram, lut: lut, ff: ff) }

  /// Highest clock a board may declare: above any FPGA fabric, low enough that cycle and frame-rate
  /// arithmetic and reports stay finite and integral.
  public static let maxClockMHz = 10_000.0
  /// Resource counts are below this (a catalog number must be a whole number under 10^12).
  public static let maxResourceCount = 1_000_000_000_000

  /// A board name in single quotes, escaped onto one line and shortened ('zcu102').
  static func quotedName(_ name: String) -> String { "'" + JSONDiagnostics.quoted(name).dropFirst().dropLast() + "'" }

  /// Throws unless every field is what a catalog file may hold (the rules of `BoardCatalog.parse`), for
  /// boards that come from elsewhere, e.g. a plan file.
  public func validate() throws {
    for (field, text) in [("name", name), ("description", description), ("part", part), ("source", source)] where text.isEmpty {
      throw HardwareError("board field '\(field)' must be a non-empty string")
    }
    for (field, value, allowZero) in [("dsp", dsp, false), ("bram36", bram36, false), ("uram", uram, true), ("lut", lut, false),
                                      ("ff", ff, false)] {
      guard value >= (allowZero ? 0 : 1), value < Self.maxResourceCount else {
        throw HardwareError("board \(Self.quotedName(name)) field '\(field)' must be a whole number in \(allowZero ? 0 : 1)..<10^12, got \(value)")
      }
    }
    guard clockMHz.isFinite, clockMHz > 0, clockMHz <= Self.maxClockMHz else {
      throw HardwareError("board \(Self.quotedName(name)) field 'clockMHz' must be in (0, \(Int(Self.maxClockMHz))], got \(clockMHz)")
    }
  }
}

/// The bundled board catalog plus optional user files.
public enum BoardCatalog {
  public static let format = "lichen-boards-1"

  /// The catalog shipped with Lichen.
  public static func bundled() throws -> [Board] {
    guard let url = Bundle.module.url(forResource: "boards", withExtension: "json", subdirectory: "Resources")
      ?? Bundle.module.url(forResource: "boards", withExtension: "json")
    else { throw HardwareError("the bundled board catalog (Resources/boards.json) is missing from this build") }
    return try load(file: url)
  }

  /// Boards from a file in the catalog format.
  public static func load(file url: URL) throws -> [Board] {
    let data: Data
    do { data = try Data(contentsOf: url) } catch {
      throw HardwareError("cannot read board file \(url.path): \(error.localizedDescription)")
    }
    return try parse(data, origin: url.lastPathComponent)
  }

  /// The bundled boards, with those of `userFile` added (a user board replaces a bundled one of the same name).
  public static func catalog(userFile: URL? = nil) throws -> [Board] {
    var boards = try bundled()
    if let userFile {
      for board in try load(file: userFile) {
        if let i = boards.firstIndex(where: { $0.name == board.name }) { boards[i] = board } else { boards.append(board) }
      }
    }
    return boards
  }

  /// The board called `name` (case-insensitive) in `boards`.
  public static func board(named name: String, in boards: [Board]) throws -> Board {
    guard let board = boards.first(where: { $0.name.lowercased() == name.lowercased() }) else {
      throw HardwareError("no board named '\(name)' (known: \(boards.map(\.name).joined(separator: ", ")); add one with --boards FILE)")
    }
    return board
  }

  /// Parses and validates a catalog document.
  public static func parse(_ data: Data, origin: String) throws -> [Board] {
    struct Document: Decodable {
      var format: String?
      var boards: [[String: BoardField]]?
    }
    let document: Document
    do { document = try JSONDecoder().decode(Document.self, from: data) } catch {
      let reason = JSONDiagnostics.describe(error, data: data) { _ = try JSONDecoder().decode(Document.self, from: $0) }
      throw HardwareError("\(origin): not a board catalog (a JSON object with \"format\" and \"boards\"): \(reason)")
    }
    guard document.format == format else {
      throw HardwareError("\(origin): format must be \"\(format)\", got \(document.format.map(JSONDiagnostics.quoted) ?? "none")")
    }
    guard let list = document.boards else { throw HardwareError("\(origin): missing the \"boards\" array") }
    var boards: [Board] = []
    for (index, object) in list.enumerated() {
      var label = "board \(index + 1)"
      if case .string(let name)? = object["name"] { label = "board \(Board.quotedName(name))" }
      func string(_ key: String) throws -> String {
        guard let value = object[key] else { throw HardwareError("\(origin): \(label) is missing field '\(key)'") }
        guard case .string(let text) = value, !text.isEmpty else {
          throw HardwareError("\(origin): \(label) field '\(key)' must be a non-empty string")
        }
        return text
      }
      func number(_ key: String, allowZero: Bool = false, maximum: Double = .greatestFiniteMagnitude) throws -> Double {
        guard let value = object[key] else { throw HardwareError("\(origin): \(label) is missing field '\(key)'") }
        guard case .number(let v) = value, v.isFinite else {
          throw HardwareError("\(origin): \(label) field '\(key)' must be a number")
        }
        guard allowZero ? v >= 0 : v > 0 else {
          throw HardwareError("\(origin): \(label) field '\(key)' must be \(allowZero ? "non-negative" : "positive"), got \(v)")
        }
        guard v <= maximum else { throw HardwareError("\(origin): \(label) field '\(key)' must be at most \(maximum), got \(v)") }
        return v
      }
      func count(_ key: String, allowZero: Bool = false) throws -> Int {
        let v = try number(key, allowZero: allowZero)
        guard v == v.rounded(), v < Double(Board.maxResourceCount) else {
          throw HardwareError("\(origin): \(label) field '\(key)' must be a whole number below 10^12, got \(v)")
        }
        return Int(v)
      }
      let kindText = try string("dspKind")
      guard let kind = Board.DSPKind(rawValue: kindText) else {
        throw HardwareError("\(origin): \(label) field 'dspKind' must be DSP48E2 or DSP48E1, got \(JSONDiagnostics.quoted(kindText))")
      }
      let board = Board(
        name: try string("name"), description: try string("description"), part: try string("part"), dspKind: kind,
        dsp: try count("dsp"), bram36: try count("bram36"), uram: try count("uram", allowZero: true),
        lut: try count("lut"), ff: try count("ff"), clockMHz: try number("clockMHz", maximum: Board.maxClockMHz),
        source: try string("source"))
      guard !boards.contains(where: { $0.name == board.name }) else {
        throw HardwareError("\(origin): board \(Board.quotedName(board.name)) is listed twice")
      }
      boards.append(board)
    }
    guard !boards.isEmpty else { throw HardwareError("\(origin): no boards") }
    return boards
  }
}

/// One JSON value of a board entry, as far as validation needs to tell them apart.
enum BoardField: Decodable {
  case string(String)
  case number(Double)
  case other

  init(from decoder: any Decoder) throws {
    let c = try decoder.singleValueContainer()
    if let s = try? c.decode(String.self) {
      self = .string(s)
    } else if (try? c.decode(Bool.self)) != nil {
      self = .other
    } else if let d = try? c.decode(Double.self) {
      self = .number(d)
    } else {
      self = .other
    }
  }
}

extension BoardCatalog {
  /// The catalog as `lichen fpga boards` prints it: one padded row per board (part, DSPs and their kind, BRAM36,
  /// URAM, LUTs, flip-flops, clock, description), then each board's source.
  public static func table(_ boards: [Board]) -> String {
    func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }
    var lines = [pad("name", 12) + pad("part", 22) + pad("DSP", 14) + pad("BRAM36", 8) + pad("URAM", 6) + pad("LUT", 9)
      + pad("FF", 9) + pad("clock", 9) + "description"]
    for b in boards {
      lines.append(pad(b.name, 12) + pad(b.part, 22) + pad("\(b.dsp) \(b.dspKind.rawValue)", 14) + pad("\(b.bram36)", 8)
        + pad("\(b.uram)", 6) + pad("\(b.lut)", 9) + pad("\(b.ff)", 9) + pad(String(format: "%.0f MHz", b.clockMHz), 9)
        + b.description)
    }
    lines.append("sources:")
    lines += boards.map { "  \($0.name): \($0.source)" }
    return lines.joined(separator: "\n")
  }
}
