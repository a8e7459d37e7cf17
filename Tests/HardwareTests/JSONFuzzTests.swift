import Compression
import Foundation
import IntegerEngine
import LichenTestSupport
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
      if planCleanly(graph, board: board, unitCosts: costs, label) { planned += 1 }
    }
    print("board fuzz: \(iterations) mutated catalogs, \(accepted) accepted, \(planned) planned in \(clock.now - start)")
    XCTAssertGreaterThan(accepted, 0)
    XCTAssertLessThan(accepted, iterations / 2)
  }

  /// Plans `graph` on what a mutated file gave (uniform FIFO depth: no depth search), reports and
  /// re-validates the plan; true when it planned, false after a clean one-line refusal.
  private func planCleanly(_ graph: LayerGraph, board: Board, unitCosts: UnitCosts, _ label: String) -> Bool {
    do {
      let plan = try Planner.plan(graph, board: board, unitCosts: unitCosts, options: PlannerOptions(fifoRows: 1))
      _ = PlanReport.text(plan)
      try plan.validate()
      return true
    } catch let error as HardwareError {
      expectOneLine(error.message, label)
    } catch {
      XCTFail("\(label): planning threw \(type(of: error)): \(error)")
    }
    return false
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
      if planCleanly(graph, board: board, unitCosts: parsed, label) { planned += 1 }
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
