import Foundation
import XCTest

@testable import Hardware

/// The planner is exact: brute force over every parallelism combination
/// (pixel parallelism included) of small random graphs agrees with it;
/// infeasible designs name the short resource.
final class PlannerTests: XCTestCase {
  static func board(dsp: Int = 100, bram: Int = 100, lut: Int = 1_000_000, ff: Int = 2_000_000, kind: Board.DSPKind = .dsp48e2) -> Board {
    Board(name: "test", description: "test board", part: "x", dspKind: kind, dsp: dsp, bram36: bram, uram: 0, lut: lut, ff: ff,
          clockMHz: 100, source: "test")
  }

  static func costs() throws -> UnitCosts { try UnitCosts.bundled() }

  static func conv(_ name: String, _ cin: Int, _ cout: Int, k: Int, size: Int, bits: Int = 8, kind: HardwareStage.Kind = .convolution) -> HardwareStage {
    let out = kind == .transposed ? size * 2 : kind == .convolution ? size / 2 : size
    let macs = kind == .transposed ? size * size * cin * cout * k * k
      : kind == .convolution ? out * out * cin * cout * k * k : size * size * cin * cin
    return HardwareStage(
      name: name, transform: "g_a", kind: kind, inChannels: cin, outChannels: kind == .gdn ? cin : cout, kernel: kind == .gdn ? 1 : k,
      stride: kind == .gdn ? 1 : 2, padding: kind == .gdn ? 0 : k / 2, outputPadding: kind == .transposed ? 1 : 0,
      inputHeight: size, inputWidth: size, outputHeight: out, outputWidth: out, weightBits: bits, inputBits: bits,
      outputBits: bits, fusedReLU: false, macs: macs, tableEntries: kind == .gdn ? 193 : 0)
  }

  func testPlannerMatchesBruteForce() throws {
    var seed = UInt64(12345)
    func next(_ n: Int) -> Int {
      seed = seed &* 6364136223846793005 &+ 1442695040888963407
      return Int((seed >> 33) % UInt64(n))
    }
    let costs = try Self.costs()
    let channels = [1, 2, 3, 4, 6, 8]
    var checked = 0
    for trial in 0..<60 {
      let count = 2 + next(2)
      var stages: [HardwareStage] = []
      for i in 0..<count {
        let kinds: [HardwareStage.Kind] = [.convolution, .transposed, .gdn]
        let kind = kinds[next(3)]
        stages.append(Self.conv("s\(i)", channels[next(channels.count)], channels[next(channels.count)], k: [1, 3, 5][next(3)],
                                size: [4, 8][next(2)], bits: [8, 16][next(2)], kind: kind))
      }
      let board = Self.board(dsp: 4 + next(60), bram: 4 + next(40), lut: 3000 + next(20000), ff: 5000 + next(40000),
                             kind: next(2) == 0 ? .dsp48e2 : .dsp48e1)
      let model = CostModel(board: board, unitCosts: costs, fifoRows: Double(next(3)), weightMemory: .bram)
      // Brute force: every combination (pruned only where a partial sum already exceeds the board or the best).
      let options = stages.map { stage in model.parallelisms(of: stage).map { (cycles: CostModel.cycles(stage, $0), resources: model.cost(stage, $0).resources) } }
      var best: Int? = nil
      func walk(_ i: Int, _ total: ResourceVector, _ worst: Int) {
        guard total.fits(in: board.resources), worst < (best ?? Int.max) else { return }
        if i == stages.count {
          best = worst
          return
        }
        for option in options[i] {
          walk(i + 1, total + option.resources, Swift.max(worst, option.cycles))
        }
      }
      walk(0, .zero, 0)
      let solved = try Planner.solve(stages, model: model, budget: board.resources)
      if let best {
        let assignment = try XCTUnwrap(solved, "trial \(trial): brute force found \(best), planner none")
        let worst = zip(stages, assignment).map { CostModel.cycles($0, $1) }.max()
        XCTAssertEqual(worst, best, "trial \(trial)")
        let total = zip(stages, assignment).reduce(ResourceVector.zero) { $0 + model.cost($1.0, $1.1).resources }
        XCTAssertTrue(total.fits(in: board.resources))
        checked += 1
      } else {
        XCTAssertNil(solved, "trial \(trial)")
      }
    }
    XCTAssertGreaterThan(checked, 20)
  }

  /// Without pixel parallelism every resource is nondecreasing in lanes.
  func testResourcesAreNondecreasingInLanes() throws {
    let costs = try Self.costs()
    let model = CostModel(board: Self.board(), unitCosts: costs)
    for stage in [Self.conv("a", 3, 8, k: 5, size: 16), Self.conv("b", 8, 8, k: 5, size: 8, bits: 16, kind: .transposed),
                  Self.conv("c", 8, 8, k: 1, size: 8, bits: 16, kind: .gdn)] {
      var previous = ResourceVector.zero
      for lanes in 1...200 {
        let r = model.cost(stage, lanes: lanes).resources
        XCTAssertTrue(previous.fits(in: r), "\(stage.name) lanes \(lanes)")
        previous = r
      }
    }
  }

  /// A fused LeakyReLU adds one measured `lichen_leaky` unit per requantizer (the bundled costs have it);
  /// a cost file without the entry prices it as a second requantizer.
  func testFusedLeakyReLUCostsOneLeakyUnitPerRequantizer() throws {
    let costs = try Self.costs()
    let leaky = try XCTUnwrap(costs.leakyReLU, "the bundled unit costs measure the LeakyReLU unit")
    XCTAssertLessThan(leaky.lut, costs.requantizer.lut)
    var stage = Self.conv("h_a.0", 8, 8, k: 3, size: 16, bits: 16)
    for unitCosts in [costs, UnitCosts(status: costs.status, source: costs.source, peLane: costs.peLane, requantizer: costs.requantizer,
                                       gdnNormalizer: costs.gdnNormalizer, stageControl: costs.stageControl,
                                       scaleIndex: costs.scaleIndex)] {
      let model = CostModel(board: Self.board(), unitCosts: unitCosts)
      for lanes in [1, 8, 64] {
        stage.fusedLeakyReLU = nil
        let plain = model.cost(stage, lanes: lanes)
        stage.fusedLeakyReLU = true
        let fused = model.cost(stage, lanes: lanes)
        let unit = unitCosts.leakyReLUUnit
        XCTAssertEqual(fused.outputUnits, plain.outputUnits)
        XCTAssertEqual(fused.resources.lut - plain.resources.lut, Int((Double(plain.outputUnits) * unit.lut).rounded()), accuracy: 1)
        XCTAssertEqual(fused.resources.ff - plain.resources.ff, Int((Double(plain.outputUnits) * unit.ff).rounded()), accuracy: 1)
        XCTAssertEqual(fused.resources.dsp - plain.resources.dsp, Int((Double(plain.outputUnits) * unit.dsp).rounded()), accuracy: 1)
      }
    }
  }

  func testInfeasiblePlanNamesTheResourceAndShortfall() throws {
    let stages = [Self.conv("g_a.0", 8, 8, k: 5, size: 64), Self.conv("g_a.1", 8, 8, k: 5, size: 32)]
    let graph = LayerGraph(model: "tiny", bitsSource: "scheme", scheme: nil, n: 8, m: 8, gdnVariant: "standard", part: .encoder,
                           requested: Resolution(width: 64, height: 64), padded: Resolution(width: 64, height: 64), stages: stages)
    let board = Self.board(dsp: 1, bram: 100)
    XCTAssertThrowsError(try Planner.plan(graph, board: board, unitCosts: try Self.costs())) { error in
      let text = "\(error)"
      XCTAssertTrue(text.contains("DSP needs"), text)
      XCTAssertTrue(text.contains("short by"), text)
    }
    let plan = try Planner.plan(graph, board: Self.board(dsp: 200, bram: 200), unitCosts: try Self.costs())
    XCTAssertEqual(plan.cyclesPerFrame, plan.stages.map(\.cycles).max())
    XCTAssertGreaterThan(plan.fps, 0)
    // JSON round trip.
    let decoded = try JSONDecoder().decode(Plan.self, from: try plan.jsonData())
    XCTAssertEqual(decoded, plan)
  }

  func testFIFORowsAreAutoOrANonNegativeNumberOfRows() {
    func options(_ text: String) -> PlannerOptions? {
      PlannerOptions(clockMHz: 200, maxUtilization: 0.9, fifoRowsOrAuto: text, weightMemory: nil)
    }
    XCTAssertEqual(options("auto"), PlannerOptions(clockMHz: 200, maxUtilization: 0.9))
    XCTAssertEqual(options("AUTO")?.fifoRows, nil)
    XCTAssertEqual(options("2.5")?.fifoRows, 2.5)
    XCTAssertEqual(options("0")?.fifoRows, 0)
    for bad in ["-1", "inf", "nan", "rows", ""] { XCTAssertNil(options(bad), bad) }
  }
}
