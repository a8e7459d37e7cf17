import Foundation
import Torch
import XCTest

@testable import Watermarking

/// What `lichen watermark secrecy` reads and prints: a file's markable weights and the table of rows.
final class KeySecrecyTableTests: XCTestCase {
  func testStateDictGivesTheSameCandidatesAsTheModel() throws {
    let g = try Generator(seed: 3)
    let model = Sequential([try Linear(8, 16, generator: g), Activation(.relu), try Linear(16, 4, generator: g)])
    let fromModel = KeySecrecy.markable(try model.namedParameters().map { ($0.name, try $0.tensor.floats(), $0.tensor.shape) })
    let fromFile = try KeySecrecy.markable(stateDict: try model.stateDictRecords())
    XCTAssertEqual(fromFile.map(\.name), fromModel.map(\.name))
    XCTAssertEqual(fromFile.map(\.values), fromModel.map(\.values))
  }

  func testTable() {
    let row = KeySecrecy.Row(statistic: .relativeMagnitude, k: 96, hits: 12, positions: 96, candidates: 1000,
                             chance: 9.216, hitRate: 0.125)
    XCTAssertEqual(KeySecrecy.table([row]), """
      statistic            K        hits   chance   hit rate
      \("relative-magnitude".padding(toLength: 20, withPad: " ", startingAt: 0)) 96       12     9.22     0.125
      """)
  }

  func testReportTakesKAtOneTwoAndTenTimesTheKeyUnlessGiven() throws {
    let g = try Generator(seed: 3)
    let model = Sequential([try Linear(64, 128, generator: g), Activation(.relu), try Linear(128, 64, generator: g)])
    let key = try KeyGenerator.generate(for: model, payloadBits: 32, seed: 11, alpha: 1)
    let layers = try KeySecrecy.markable(stateDict: try model.stateDictRecords())
    let positions = key.positions.count
    let (rows, summary) = try KeySecrecy.report(layers: layers, key: key, ks: nil)
    XCTAssertEqual(Set(rows.map(\.k)), [positions, 2 * positions, 10 * positions])
    XCTAssertEqual(summary, "\(positions) key positions among \(rows[0].candidates) markable weights (2 layers)")
    XCTAssertEqual(Set(try KeySecrecy.report(layers: layers, key: key, ks: [5]).rows.map(\.k)), [5])
  }
}
