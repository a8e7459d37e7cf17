import Foundation
import XCTest

@testable import Hardware

final class BoardTableTests: XCTestCase {
  func testTableHasAHeaderARowPerBoardAndTheSources() throws {
    let boards = try BoardCatalog.bundled()
    let lines = BoardCatalog.table(boards).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    XCTAssertEqual(lines.count, 1 + boards.count + 1 + boards.count)
    XCTAssertTrue(lines[0].hasPrefix("name        part                  DSP           BRAM36  URAM  LUT      FF       clock"))
    XCTAssertTrue(lines[1].hasPrefix(boards[0].name))
    XCTAssertTrue(lines[1].hasSuffix(boards[0].description))
    XCTAssertTrue(lines[1].contains(String(format: "%.0f MHz", boards[0].clockMHz)))
    XCTAssertEqual(lines[boards.count + 1], "sources:")
    XCTAssertEqual(lines.last, "  \(boards.last!.name): \(boards.last!.source)")
  }
}
