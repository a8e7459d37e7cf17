import Foundation
import XCTest

@testable import Hardware

/// The plan chart's value labels stay inside the picture.
final class PlanChartTests: XCTestCase {
  func testValueLabelsAreInsideTheChart() throws {
    let stages = [PlannerTests.conv("g_a.0", 8, 8, k: 5, size: 64), PlannerTests.conv("g_a.1", 8, 8, k: 5, size: 32)]
    let graph = LayerGraph(model: "tiny", bitsSource: "scheme", scheme: nil, n: 8, m: 8, gdnVariant: "standard", part: .encoder,
                           requested: Resolution(width: 64, height: 64), padded: Resolution(width: 64, height: 64), stages: stages)
    let plan = try Planner.plan(graph, board: PlannerTests.board(dsp: 200, bram: 200), unitCosts: try PlannerTests.costs())
    let svg = PlanReport.svg(plan)
    let width = Double(svg.firstMatch(of: /<svg [^>]*width="(\d+)"/)?.1 ?? "0") ?? 0
    XCTAssertGreaterThan(width, 0)
    for match in svg.matches(of: /<text x="([-0-9.]+)"[^>]*font-size="10">([^<]*)<\/text>/) {
      let x = Double(match.1) ?? 0
      XCTAssertLessThanOrEqual(x + Double(match.2.count) * 6, width, "'\(match.2)' runs past the right edge")
    }
  }
}
