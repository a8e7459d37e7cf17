import Foundation
import XCTest

@testable import Hardware

/// Output-pixel parallelism: pp pixels of a row share every weight read, so
/// they divide the cycles by pp and leave the weight ports alone; two int8
/// products share a DSP48E2 only when they share an operand.
final class PixelParallelismTests: XCTestCase {
  func model(dsp: Int = 10_000, bram: Int = 10_000) throws -> CostModel {
    CostModel(board: PlannerTests.board(dsp: dsp, bram: bram, lut: 10_000_000, ff: 10_000_000), unitCosts: try PlannerTests.costs())
  }

  func testPixelsDivideCyclesAndShareWeightPorts() throws {
    let model = try model()
    let stage = PlannerTests.conv("c", 16, 16, k: 5, size: 64)  // 32x32 output
    let one = Parallelism(pi: 16, po: 16, pk: 1), four = Parallelism(pi: 16, po: 16, pk: 1, pp: 4)
    XCTAssertEqual(four.lanes, 4 * one.lanes)
    XCTAssertEqual(CostModel.cycles(stage, four) * 4, CostModel.cycles(stage, one))
    // Same cycles by channels alone would need 4x the weight reads: more BRAM36 ports than pixel reuse.
    let a = model.cost(stage, four), b = model.cost(stage, Parallelism(pi: 16, po: 16, pk: 5))
    XCTAssertLessThan(CostModel.cycles(stage, four), CostModel.cycles(stage, Parallelism(pi: 16, po: 16, pk: 1, pp: 2)))
    XCTAssertEqual(a.weightBlocks, model.cost(stage, one).weightBlocks)
    XCTAssertGreaterThan(b.weightBlocks, a.weightBlocks)
    // Every planned option divides the row: whole cycles per row step for the simulator.
    for p in model.parallelisms(of: stage) {
      XCTAssertEqual(stage.outputWidth % p.pp, 0)
      XCTAssertLessThanOrEqual(p.pp, CostModel.maxPixelsPerCycle)
      XCTAssertEqual(CostModel.cycles(stage, p) % stage.outputHeight, 0)
    }
  }

  func testInt8ProductsPackOnlyWithASharedOperand() throws {
    let model = try model()
    let stage = PlannerTests.conv("c", 8, 8, k: 3, size: 16, bits: 8)
    // No shared operand: one DSP per product (plus the requantizers).
    let alone = model.cost(stage, Parallelism(pi: 8, po: 1, pk: 3))
    let requantizers = Int((Double(alone.outputUnits) * model.unitCosts.requantizer.dsp).rounded(.up))
    XCTAssertEqual(alone.resources.dsp - requantizers, 24)
    // Shared activation (po) or shared weight (pp): two per DSP; an odd grid leaves one single.
    for (p, products) in [(Parallelism(pi: 1, po: 8, pk: 1), 4), (Parallelism(pi: 1, po: 1, pk: 1, pp: 4), 2),
                          (Parallelism(pi: 1, po: 1, pk: 3, pp: 1), 3)] {
      let c = model.cost(stage, p)
      let r = Int((Double(c.outputUnits) * model.unitCosts.requantizer.dsp).rounded(.up))
      XCTAssertEqual(c.resources.dsp - r, products, "\(p)")
    }
  }

  func testPlansWithoutPixelParallelismStillLoad() throws {
    let old = #"{"pi": 2, "po": 4, "pk": 5}"#
    let p = try JSONDecoder().decode(Parallelism.self, from: Data(old.utf8))
    XCTAssertEqual(p, Parallelism(pi: 2, po: 4, pk: 5, pp: 1))
    XCTAssertEqual(p.lanes, 40)
  }

  func testPixelParallelismFindsAFasterPlanWhenWeightPortsBind() throws {
    // Plenty of DSPs, few BRAM36: channel parallelism runs out of weight ports first.
    let stages = [PlannerTests.conv("g_a.0", 8, 16, k: 5, size: 64), PlannerTests.conv("g_a.1", 16, 16, k: 5, size: 32)]
    let model = try model(dsp: 2_000, bram: 30)
    let assignment = try XCTUnwrap(try Planner.solve(stages, model: model, budget: model.board.resources))
    let withPixels = zip(stages, assignment).map { CostModel.cycles($0, $1) }.max() ?? 0
    // The best plan that keeps pp = 1 (brute force over the channel options).
    var best = Int.max
    let options = stages.map { s in model.parallelisms(of: s).filter { $0.pp == 1 } }
    for a in options[0] {
      for b in options[1] where (model.cost(stages[0], a).resources + model.cost(stages[1], b).resources).fits(in: model.board.resources) {
        best = Swift.min(best, Swift.max(CostModel.cycles(stages[0], a), CostModel.cycles(stages[1], b)))
      }
    }
    XCTAssertLessThan(withPixels, best)
    XCTAssertTrue(assignment.contains { $0.pp > 1 })
  }
}
