import Compression
import Foundation
import IntegerEngine
import Torch
import XCTest

@testable import Hardware

/// Hostile FPGA JSON inputs: mutated plans (from the planner on a tiny
/// integer model), board catalogs (the bundled one), unit-cost files (the
/// bundled one) and distill-sweep files, with extreme and overflowing
/// numbers, wrong types, missing and unknown fields, huge arrays and
/// byte-level damage. Each must either be refused with a one-line
/// `HardwareError`, or load and then work downstream (simulate and report a
/// plan, plan on a board or with unit costs, tabulate the sweep) without
/// trapping. Seeds are fixed; LICHEN_FUZZ_SCALE=N runs N times as many.
final class JSONFuzzTests: XCTestCase {
  private let scale = max(1, Int(ProcessInfo.processInfo.environment["LICHEN_FUZZ_SCALE"] ?? "") ?? 1)

  private static func document(_ value: some Encodable) throws -> FuzzJSON {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return try FuzzJSON.parse(try encoder.encode(value))
  }

  private func expectOneLine(_ message: String, _ label: @autoclosure () -> String) {
    if message.isEmpty || message.contains(where: \.isNewline) { XCTFail("\(label()): not a one-line message: \(message)") }
  }

  /// A mutated document: byte damage (1 in 5) or one to three structural mutations (arrays grown to
  /// 2000 elements: a board or stage costs a debug build far more to decode than a key position).
  private func mutant(of document: FuzzJSON, extra: [FuzzJSON], using g: inout SplitMix64) -> Data {
    if g.below(5) == 0 { return damaged(document.data, using: &g) }
    var mutated = document
    for _ in 0..<(1 + g.below(3)) { mutated = mutated.mutated(using: &g, extra: extra, huge: 2_000) }
    return mutated.data
  }

  /// Runs `body` on a mutant: success counts, a one-line `HardwareError` is a refusal, anything else fails.
  private func expectCleanFailureOrSuccess(_ label: String, accepted: inout Int, _ body: () throws -> Void) {
    do {
      try body()
      accepted += 1
    } catch let error as HardwareError {
      expectOneLine(error.message, label)
    } catch {
      XCTFail("\(label): non-hardware error \(type(of: error)): \(error)")
    }
  }

  /// The graph the board and unit-cost mutants are planned on.
  private static func tinyGraph() throws -> (LayerGraph, IntegerHyperprior, ModelConfiguration) {
    let (model, configuration) = try HLSExportTests.tinyIntegerModel()
    let graph = try LayerGraph.build(integer: model, configuration: configuration, source: "tiny", scheme: "hybrid",
                                     resolution: SimulatorTests.resolution, part: .full)
    return (graph, model, configuration)
  }

  func testFuzzPlans() throws {
    let (_, model, configuration) = try Self.tinyGraph()
    let plans = [try SimulatorTests.plan(model, configuration, part: .full),
                 try SimulatorTests.plan(model, configuration, part: .decoder, fifoRows: 3)]
    for plan in plans { XCTAssertEqual(try Plan.decode(try plan.jsonData(), origin: "plan"), plan) }
    let documents = try plans.map(Self.document)
    let pixels = try SimulatorTests.pixels()
    let extra: [FuzzJSON] = plans[0].stages.map { .string($0.stage.name) } + ["scaleIndex", "transposed", "uram", "auto", "uniform"]
      .map { .string($0) } + ["64", "128", "4", "1048576", "1048577"].map { .number($0) }
    var g = SplitMix64(seed: 0x504C_414E &+ UInt64(scale))
    var accepted = 0, simulated = 0, withValues = 0
    let clock = ContinuousClock()
    let start = clock.now
    let iterations = 1500 * scale
    for iteration in 0..<iterations {
      let which = iteration % plans.count
      let label = "plan mutation #\(iteration)"
      let data = mutant(of: documents[which], extra: extra, using: &g)
      var plan: Plan? = nil
      expectCleanFailureOrSuccess(label, accepted: &accepted) { plan = try Plan.decode(data, origin: "plan.json") }
      guard let plan else { continue }
      // Downstream: the reports, the JSON written for HLS, the timing simulation (depth search on some).
      _ = PlanReport.text(plan)
      _ = PlanReport.svg(plan)
      do {
        _ = try plan.jsonData()
        let options = SimulationOptions(frames: 2, searchDepths: simulated % 16 == 0)
        let report = try PipelineSimulator.simulate(plan: plan, model: nil, pixels: nil, imageName: nil, options: options)
        _ = report.text
        simulated += 1
        if withValues < 3 {
          try PipelineSimulator.checkModel(model, configuration: configuration, source: "tiny", plan: plan)
          let values = try PipelineSimulator.simulate(plan: plan, model: model, pixels: pixels, imageName: "tiny",
                                                      options: SimulationOptions(frames: 1, searchDepths: false))
          XCTAssertEqual(values.bitIdentical, true, label)
          withValues += 1
        }
      } catch let error as HardwareError {
        expectOneLine(error.message, label)
      } catch is IntegerEngineError {
      } catch {
        XCTFail("\(label): downstream error \(type(of: error)): \(error)")
      }
    }
    print("plan fuzz: \(iterations) mutated plans, \(accepted) accepted, \(simulated) simulated (\(withValues) with values) in \(clock.now - start)")
    XCTAssertGreaterThan(accepted, 0)
    XCTAssertGreaterThan(simulated, 0)
    XCTAssertLessThan(accepted, iterations / 2, "most mutations break a plan")
  }

  func testFuzzBoardCatalogs() throws {
    struct Catalog: Encodable {
      var format: String
      var boards: [Board]
    }
    let boards = try BoardCatalog.bundled()
    let document = try Self.document(Catalog(format: BoardCatalog.format, boards: boards))
    XCTAssertEqual(try BoardCatalog.parse(document.data, origin: "boards.json"), boards)
    let (graph, _, _) = try Self.tinyGraph()
    let costs = try UnitCosts.bundled()
    let extra: [FuzzJSON] = ["DSP48E1", "DSP48E2", "dsp48e2", "zcu102"].map { .string($0) } + ["1e11", "999999999999", "1e12", "10000", "10001"]
      .map { .number($0) }
    var g = SplitMix64(seed: 0x424F_4152_44 &+ UInt64(scale))
    var accepted = 0, planned = 0
    let clock = ContinuousClock()
    let start = clock.now
    let iterations = 1500 * scale
    for iteration in 0..<iterations {
      let label = "catalog mutation #\(iteration)"
      let data = mutant(of: document, extra: extra, using: &g)
      var parsed: [Board] = []
      expectCleanFailureOrSuccess(label, accepted: &accepted) {
        parsed = try BoardCatalog.parse(data, origin: "boards.json")
        for board in parsed { try board.validate() }
      }
      // Downstream: a plan and its report on a changed board (uniform FIFO depth: no depth search).
      guard let board = parsed.first(where: { !boards.contains($0) }), planned < 40 else { continue }
      do {
        let plan = try Planner.plan(graph, board: board, unitCosts: costs, options: PlannerOptions(fifoRows: 1))
        _ = PlanReport.text(plan)
        try plan.validate()
        planned += 1
      } catch let error as HardwareError {
        expectOneLine(error.message, label)
      } catch {
        XCTFail("\(label): planning threw \(type(of: error)): \(error)")
      }
    }
    print("board fuzz: \(iterations) mutated catalogs, \(accepted) accepted, \(planned) planned in \(clock.now - start)")
    XCTAssertGreaterThan(accepted, 0)
    XCTAssertLessThan(accepted, iterations / 2)
  }

  func testFuzzUnitCosts() throws {
    let costs = try UnitCosts.bundled()
    let document = try Self.document(costs)
    XCTAssertEqual(try UnitCosts.parse(document.data, origin: "unit-costs.json"), costs)
    let (graph, _, _) = try Self.tinyGraph()
    let board = PlannerTests.board(dsp: 400, bram: 400)
    let extra: [FuzzJSON] = ["8x8", "16x8", "16x16", "32x32"].map { .string($0) } + ["1e7", "10000001", "1e9"].map { .number($0) }
    var g = SplitMix64(seed: 0x434F_5354 &+ UInt64(scale))
    var accepted = 0, planned = 0
    let clock = ContinuousClock()
    let start = clock.now
    let iterations = 1500 * scale
    for iteration in 0..<iterations {
      let label = "unit-cost mutation #\(iteration)"
      let data = mutant(of: document, extra: extra, using: &g)
      var parsed: UnitCosts? = nil
      expectCleanFailureOrSuccess(label, accepted: &accepted) { parsed = try UnitCosts.parse(data, origin: "unit-costs.json") }
      guard let parsed, parsed != costs, planned < 60 else { continue }
      do {
        let plan = try Planner.plan(graph, board: board, unitCosts: parsed, options: PlannerOptions(fifoRows: 1))
        _ = PlanReport.text(plan)
        try plan.validate()
        planned += 1
      } catch let error as HardwareError {
        expectOneLine(error.message, label)
      } catch {
        XCTFail("\(label): planning threw \(type(of: error)): \(error)")
      }
    }
    print("unit-cost fuzz: \(iterations) mutated files, \(accepted) accepted, \(planned) planned in \(clock.now - start)")
    XCTAssertGreaterThan(accepted, 0)
    XCTAssertGreaterThan(planned, 0)
  }

  func testFuzzSweepFiles() throws {
    struct Point: Encodable { var lambda, bpp, psnr: Double }
    struct Row: Encodable {
      var variant: String
      var n: Int
      var points: [String: Point]
      var bdRateVsTeacher: Double?
    }
    let rows = [
      Row(variant: "teacher", n: 128, points: ["0.013": Point(lambda: 0.013, bpp: 0.66, psnr: 32.6)], bdRateVsTeacher: nil),
      Row(variant: "distilled", n: 64, points: ["0.013": Point(lambda: 0.013, bpp: 0.7, psnr: 32.1),
                                                 "0.0067": Point(lambda: 0.0067, bpp: 0.45, psnr: 30.9)], bdRateVsTeacher: 4.5),
      Row(variant: "distilled", n: 32, points: ["0.013": Point(lambda: 0.013, bpp: 0.74, psnr: 31.5)], bdRateVsTeacher: 11),
      Row(variant: "control", n: 64, points: [:], bdRateVsTeacher: 9),
    ]
    let document = try Self.document(rows)
    XCTAssertEqual(try StudentRD.sweep(document.data, origin: "sweep.json", name: "sweep.json", lambda: 0.013).byWidth.count, 2)
    let extra: [FuzzJSON] = ["distilled", "teacher", "control"].map { .string($0) } + ["0.013", "-0.013", "65537"].map { .number($0) }
    var g = SplitMix64(seed: 0x5357_4545_50 &+ UInt64(scale))
    var accepted = 0
    let clock = ContinuousClock()
    let start = clock.now
    let iterations = 2000 * scale
    for iteration in 0..<iterations {
      let label = "sweep mutation #\(iteration)"
      let data = mutant(of: document, extra: extra, using: &g)
      expectCleanFailureOrSuccess(label, accepted: &accepted) {
        let rd = try StudentRD.sweep(data, origin: "sweep.json", name: "sweep.json", lambda: iteration % 2 == 0 ? 0.013 : nil)
        // Downstream: the dimensioning table with these RD numbers.
        let widths = rd.byWidth.keys.sorted()
        let result = DimensioningResult(
          teacher: "tiny", board: "zcu102", part: .full, requested: SimulatorTests.resolution, padded: SimulatorTests.resolution,
          targetFPS: 30, scheme: "hybrid", widths: widths, boards: ["zcu102"], chosenN: widths.last,
          rows: widths.map { n in
            let entry = rd.byWidth[n]
            return DimensioningRow(n: n, macsPerFrame: n * 1000, fps: ["zcu102": 31], infeasible: [:], targetFPS: 31,
                                   targetBottleneck: "g_a.0", targetMACEfficiency: 0.5, meetsTarget: true, bpp: entry?.bpp,
                                   psnr: entry?.psnr, bdRateVsTeacher: entry?.bdRateVsTeacher, rdSource: entry?.source ?? "-")
          }, notes: [])
        _ = Dimensioning.text(result)
      }
    }
    print("sweep fuzz: \(iterations) mutated files, \(accepted) accepted in \(clock.now - start)")
    XCTAssertGreaterThan(accepted, 0)
  }

  /// Values the planner never writes, each refused with the field named.
  func testPlanValidationNamesTheField() throws {
    let (_, model, configuration) = try Self.tinyGraph()
    let plan = try SimulatorTests.plan(model, configuration, part: .decoder, fifoRows: 3)
    let document = try Self.document(plan)
    let edits: [(path: [FuzzJSON.Step], value: FuzzJSON?, expected: String)] = [
      ([.key("stages")], .array([]), "invalid plan: stages"),
      ([.key("stages"), .index(0), .key("fifoRows")], .number("1e300"), "stages[0].fifoRows"),
      ([.key("stages"), .index(1), .key("stage"), .key("stride")], .number("-9223372036854775808"), "stages[1].stage.stride"),
      ([.key("stages"), .index(1), .key("cycles")], .number("0"), "stages[1].cycles"),
      ([.key("stages"), .index(1), .key("stage"), .key("name")], .string(plan.stages[0].stage.name), "stages[1].stage.name"),
      ([.key("clockMHz")], .number("1e300"), "clockMHz"),
      ([.key("board"), .key("clockMHz")], .number("0"), "board"),
      ([.key("cyclesPerFrame")], .number("9223372036854775807"), "cyclesPerFrame"),
      ([.key("padded"), .key("width")], .number("65"), "padded"),
      ([.key("bottleneck")], .string("nope"), "bottleneck"),
      ([.key("stages"), .index(2), .key("lanes")], .string("x"), "stages[2].lanes: expected Int"),
      ([.key("stages"), .index(2), .key("stage"), .key("kind")], .string("fft"), "stages[2].stage.kind"),
      ([.key("part")], nil, "part: missing"),
    ]
    for edit in edits {
      let data = try XCTUnwrap(document.replacing(at: edit.path[...], with: edit.value)).data
      XCTAssertThrowsError(try Plan.decode(data, origin: "plan.json"), edit.expected) { error in
        XCTAssertTrue("\(error)".contains(edit.expected), "\(error)")
        XCTAssertFalse("\(error)".contains(where: \.isNewline), "\(error)")
      }
    }
    // Boards and unit costs: a clock or cost too big for the Int conversions of the planner and reports.
    let board = try XCTUnwrap(BoardCatalog.bundled().first)
    XCTAssertThrowsError(try BoardCatalog.parse(Data(#"{"format": "lichen-boards-1", "boards": [{"name": "x", "description": "d", "part": "p", "dspKind": "DSP48E2", "dsp": 1, "bram36": 1, "uram": 0, "lut": 1, "ff": 1, "clockMHz": 1e300, "source": "s"}]}"#.utf8), origin: "b.json")) {
      XCTAssertTrue("\($0)".contains("clockMHz"), "\($0)")
    }
    var fast = board
    fast.clockMHz = .infinity
    XCTAssertThrowsError(try fast.validate())
    var costs = try UnitCosts.bundled()
    costs.requantizer.lut = 1e300
    XCTAssertThrowsError(try costs.validate()) { XCTAssertTrue("\($0)".contains("requantizer.lut"), "\($0)") }
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
