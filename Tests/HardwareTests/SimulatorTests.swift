import Compression
import Foundation
import Imaging
import IntegerEngine
import XCTest

@testable import Hardware

/// The pipeline simulator on a tiny integer model: its streamed values equal
/// the integer engine's (encoder, decoder, full), its steady-state cycles
/// equal the planner's with the FIFO depths it finds, a too-small FIFO costs
/// cycles, a FIFO that cannot hold a window is a reported deadlock, and bad
/// inputs are refused with both sizes named.
final class SimulatorTests: XCTestCase {
  static let resolution = Resolution(width: 128, height: 64)

  static func plan(_ model: IntegerHyperprior, _ configuration: ModelConfiguration, part: PipelinePart, fifoRows: Double? = nil) throws -> Plan {
    let graph = try LayerGraph.build(integer: model, configuration: configuration, source: "tiny", scheme: "hybrid",
                                     resolution: resolution, part: part)
    let board = PlannerTests.board(dsp: 400, bram: 400)
    return try Planner.plan(graph, board: board, unitCosts: try UnitCosts.bundled(), options: PlannerOptions(fifoRows: fifoRows))
  }

  static func pixels() throws -> IntTensor {
    let (w, h) = (resolution.width, resolution.height)
    var values = [Int16](repeating: 0, count: 3 * w * h)
    for c in 0..<3 { for y in 0..<h { for x in 0..<w {
      values[(c * h + y) * w + x] = Int16((x * 3 + y * 5 + c * 40 + (x * y) % 17) % 256)
    } } }
    return try IntTensor(channels: 3, height: h, width: w, values: values)
  }

  func testRowWindowsAreTheEnginesAndRowsEqualWholeTensor() throws {
    let (model, configuration) = try HLSExportTests.tinyIntegerModel()
    let graph = try LayerGraph.build(integer: model, configuration: configuration, source: "tiny", scheme: "hybrid",
                                     resolution: Self.resolution, part: .full)
    let layers = (model.analysis.layers + model.hyperAnalysis.layers + model.hyperSynthesis.layers).map { Optional($0) }
      + [nil] + model.synthesis.layers.map { Optional($0) }
    XCTAssertEqual(layers.count, graph.stages.count)
    for (layer, stage) in zip(layers, graph.stages) {
      guard case .convolution(let conv)? = layer else { continue }
      let schedule = try RowSchedule(stage)
      for n in 0..<schedule.steps {
        XCTAssertEqual(schedule.windows[n], conv.inputRows(for: schedule.outputRows(of: n), inputHeight: stage.inputHeight),
                       "\(stage.name) step \(n)")
      }
    }
    // outputRows on a window equals the whole-tensor result's rows.
    guard case .convolution(let conv) = model.synthesis.layers[0] else { return XCTFail("g_s.0 is not a convolution") }
    var values = [Int16](repeating: 0, count: conv.inChannels * 6 * 5)
    for i in values.indices { values[i] = Int16((i * 37) % 31 - 15) }
    let x = try IntTensor(channels: conv.inChannels, height: 6, width: 5, values: values)
    let whole = try conv(x)
    for rows in [0..<2, 3..<7, 10..<12] {
      let needed = conv.inputRows(for: rows, inputHeight: 6)
      let window = try IntTensor(channels: x.channels, height: needed.count, width: 5, values: (0..<x.channels).flatMap { c in
        x.values[(c * 6 + needed.lowerBound) * 5..<(c * 6 + needed.upperBound) * 5]
      })
      let part = try conv.outputRows(rows, inputHeight: 6, window: window, windowStart: needed.lowerBound)
      for c in 0..<whole.channels {
        XCTAssertEqual(Array(part.values[c * rows.count * whole.width..<(c + 1) * rows.count * whole.width]),
                       Array(whole.values[(c * whole.height + rows.lowerBound) * whole.width..<(c * whole.height + rows.upperBound) * whole.width]))
      }
      if needed.count > 1 {
        let short = try IntTensor(channels: x.channels, height: 1, width: 5, values: Array(window.values.prefix(x.channels * 5)))
        XCTAssertThrowsError(try conv.outputRows(rows, inputHeight: 6, window: short, windowStart: needed.lowerBound))
      }
    }
  }

  func testBitExactAndCyclesMatchPlanner() throws {
    let (model, configuration) = try HLSExportTests.tinyIntegerModel()
    try checkBitExactAndCycles(model, configuration)
  }

  /// The mean-scale hyperprior: h_a on y, LeakyReLUs in h_a and h_s, means out of h_s into the y symbols and g_s.
  func testMeanScaleBitExactAndCyclesMatchPlanner() throws {
    let (model, configuration, _) = try HLSExportTests.tinyMeanScaleIntegerModel()
    try checkBitExactAndCycles(model, configuration)
  }

  func checkBitExactAndCycles(_ model: IntegerHyperprior, _ configuration: ModelConfiguration) throws {
    let pixels = try Self.pixels()
    for part in PipelinePart.allCases {
      let plan = try Self.plan(model, configuration, part: part)
      try PipelineSimulator.checkModel(model, configuration: configuration, source: "tiny", plan: plan)
      let report = try PipelineSimulator.simulate(plan: plan, model: model, pixels: pixels, imageName: nil,
                                                  options: SimulationOptions(frames: 3, fifoRows: 4))
      XCTAssertEqual(report.bitIdentical, true, "\(part): \(report.comparisons)")
      XCTAssertFalse(report.comparisons.isEmpty)
      XCTAssertLessThanOrEqual(abs(report.cycleGapPercent), 5, "\(part)")
      // With the depths it finds, the steady state is exactly the planner's bottleneck.
      let depths = try XCTUnwrap(report.minimalDepths)
      XCTAssertEqual(depths.cyclesPerFrame, plan.cyclesPerFrame, "\(part)")
      XCTAssertEqual(depths.ampleCyclesPerFrame, plan.cyclesPerFrame, "\(part)")
      for (edge, rows) in zip(report.edges, depths.fifoRows) {
        XCTAssertLessThanOrEqual(edge.maxOccupancyRows, edge.capacityRows)
        XCTAssertEqual(edge.minimalFIFORows, rows)
      }
      // JSON round trip.
      XCTAssertEqual(try JSONDecoder().decode(SimulationReport.self, from: report.jsonData()), report)
    }
  }

  /// The default flow: a plan with auto FIFO depths simulates with no options, without deadlock, at
  /// exactly the planner's cycles; its depths are never below the simulator's search, each stage's
  /// FIFO BRAM is costed at its own depth, and plans without per-stage depths load with the uniform one.
  func testAutoDepthPlanRunsAtPlannedCycles() throws {
    let (model, configuration) = try HLSExportTests.tinyIntegerModel()
    for part in PipelinePart.allCases {
      let plan = try Self.plan(model, configuration, part: part)
      XCTAssertEqual(plan.fifoDepths, "auto")
      let report = try PipelineSimulator.simulate(plan: plan, model: nil, pixels: nil, imageName: nil, options: SimulationOptions())
      XCTAssertEqual(report.cyclesPerFrame, plan.cyclesPerFrame, "\(part)")
      let minimal = try XCTUnwrap(report.minimalDepths)
      let rows = plan.stageFIFORows
      XCTAssertEqual(rows.count, plan.stages.count)
      for (i, edge) in report.edges.enumerated() {
        XCTAssertEqual(Double(edge.fifoRows), rows[i], "\(part) \(edge.from)")
        XCTAssertGreaterThanOrEqual(edge.fifoRows, minimal.fifoRows[i], "\(part) \(edge.from) -> \(edge.to)")
        XCTAssertLessThanOrEqual(edge.maxOccupancyRows, edge.capacityRows)
      }
      // The depths are the search's for the plan's own cycles, and more frames need no more.
      let stages = plan.stages.map(\.stage)
      XCTAssertEqual(try FIFODepthSearch.stageDepths(stages, cycles: plan.stages.map(\.cycles)).map(Double.init), rows)
      let longer = try PipelineSimulator.simulate(plan: plan, model: nil, pixels: nil, imageName: nil, options: SimulationOptions(frames: 6))
      XCTAssertEqual(longer.cyclesPerFrame, plan.cyclesPerFrame, "\(part), 6 frames")
      // The old default of one row per edge is not enough somewhere.
      XCTAssertTrue(rows.dropLast().contains { $0 > 1 }, "\(part): \(rows)")
      // BRAM: each stage's FIFO at its own depth.
      for p in plan.stages {
        let expected = Int(((p.fifoRows ?? -1) * Double(p.stage.outputWidth)).rounded(.up)) * p.stage.outChannels * p.stage.outputBits
        XCTAssertEqual(p.cost.fifoBits, expected, p.stage.name)
      }
      // A uniform override is kept as given.
      let uniform = try Self.plan(model, configuration, part: part, fifoRows: 4)
      XCTAssertEqual(uniform.fifoDepths, "uniform")
      XCTAssertEqual(uniform.stageFIFORows, [Double](repeating: 4, count: uniform.stages.count))
    }
    // Backward compatibility: a plan file without per-stage depths (or the mode) decodes with the uniform depth.
    let plan = try Self.plan(model, configuration, part: .decoder, fifoRows: 3)
    var json = try XCTUnwrap(try JSONSerialization.jsonObject(with: plan.jsonData()) as? [String: Any])
    json["fifoDepths"] = nil
    let stages = try XCTUnwrap(json["stages"] as? [[String: Any]])
    json["stages"] = stages.map { stage -> [String: Any] in
      var copy = stage
      copy["fifoRows"] = nil
      return copy
    }
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("old-plan-\(UUID().uuidString).json")
    defer { try? FileManager.default.removeItem(at: url) }
    try JSONSerialization.data(withJSONObject: json).write(to: url)
    let old = try Plan.load(from: url)
    XCTAssertNil(old.fifoDepths)
    XCTAssertEqual(old.stageFIFORows, [Double](repeating: 3, count: old.stages.count))
    XCTAssertEqual(old.stages.map(\.fifoRows), plan.stages.map(\.fifoRows))
  }

  /// Two stages: a pointwise producer and a stride-2 3x3 convolution, equally fast per frame.
  static func twoStages() throws -> [TimedStage] {
    let gdn = HardwareStage(name: "a", transform: "g_a", kind: .gdn, inChannels: 4, outChannels: 4, kernel: 1, stride: 1, padding: 0,
                            outputPadding: 0, inputHeight: 8, inputWidth: 8, outputHeight: 8, outputWidth: 8, weightBits: 8,
                            inputBits: 8, outputBits: 8, fusedReLU: false, macs: 0)
    let conv = HardwareStage(name: "b", transform: "g_a", kind: .convolution, inChannels: 4, outChannels: 4, kernel: 3, stride: 2,
                             padding: 1, outputPadding: 0, inputHeight: 8, inputWidth: 8, outputHeight: 4, outputWidth: 4,
                             weightBits: 8, inputBits: 8, outputBits: 8, fusedReLU: false, macs: 0)
    return [TimedStage(name: "a", schedule: try RowSchedule(gdn), cyclesPerStep: 10),
            TimedStage(name: "b", schedule: try RowSchedule(conv), cyclesPerStep: 20)]
  }

  func testBackPressureCostsCyclesAndDeadlockIsReported() throws {
    let stages = try Self.twoStages()
    func cycles(_ fifo: Int) throws -> TimingResult {
      try PipelineTiming.run(stages, capacities: FIFODepthSearch.capacities(stages, fifoRows: [fifo]), frames: 4)
    }
    let deep = try cycles(3)
    XCTAssertEqual(deep.steadyCyclesPerFrame, 80)
    let shallow = try cycles(1)
    XCTAssertGreaterThan(shallow.steadyCyclesPerFrame, 80)
    XCTAssertGreaterThan(shallow.stages[0].backPressureStallCycles, deep.stages[0].backPressureStallCycles)
    XCTAssertLessThanOrEqual(shallow.edges[0].maxOccupancyRows, 3)
    // Line buffer 2 rows + no FIFO cannot hold the 3-row window.
    XCTAssertThrowsError(try cycles(0)) { error in
      XCTAssertTrue("\(error)".contains("deadlock"), "\(error)")
      XCTAssertTrue("\(error)".contains("holds 2 rows"), "\(error)")
    }
    let search = try FIFODepthSearch.search(stages, frames: 4)
    XCTAssertEqual(search.cyclesPerFrame, 80)
    XCTAssertEqual(search.fifoRows, [3])

    // Through the simulator: a deadlocking depth is an error naming the depths that work.
    let (model, configuration) = try HLSExportTests.tinyIntegerModel()
    let plan = try Self.plan(model, configuration, part: .decoder)
    XCTAssertThrowsError(try PipelineSimulator.simulate(plan: plan, model: nil, pixels: nil, imageName: nil,
                                                        options: SimulationOptions(fifoRows: 0))) { error in
      XCTAssertTrue("\(error)".contains("deadlock") && "\(error)".contains("--fifo-rows"), "\(error)")
    }
  }

  func testBadInputs() throws {
    let (model, configuration) = try HLSExportTests.tinyIntegerModel()
    let plan = try Self.plan(model, configuration, part: .encoder)
    let image = try RGBImage(width: 200, height: 64, repeating: 0.5)
    XCTAssertThrowsError(try PipelineSimulator.pixels(image, plan: plan, name: "x.png")) { error in
      XCTAssertTrue("\(error)".contains("200x64") && "\(error)".contains("128x64"), "\(error)")
    }
    XCTAssertNoThrow(try PipelineSimulator.pixels(try RGBImage(width: 120, height: 60, repeating: 0.5), plan: plan, name: "y.png"))
    var other = plan
    other.padded = Resolution(width: 256, height: 64)
    other.stages[0].stage.outputWidth += 1
    XCTAssertThrowsError(try PipelineSimulator.checkModel(model, configuration: configuration, source: "tiny", plan: other))
    var odd = plan
    odd.stages[0].cycles += 1
    XCTAssertThrowsError(try PipelineSimulator.timedStages(odd)) { error in
      XCTAssertTrue("\(error)".contains("whole number"), "\(error)")
    }
  }
}
