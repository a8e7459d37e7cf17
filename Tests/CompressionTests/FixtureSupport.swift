import Foundation
import Torch
import XCTest

@testable import Compression

/// A fixture's tensor by name (the fixtures made by Fixtures/make_compressai_fixture.py).
func fixtureTensor(_ file: SafeTensorsFile, _ name: String) throws -> Tensor {
  guard let record = file[name] else { throw CodecError.invalidModel("fixture lacks \(name)") }
  return try Tensor(record: record)
}

/// Asserts equal shapes and a largest absolute difference of at most `tolerance`.
func assertTensorsClose(_ a: Tensor, _ b: Tensor, _ what: String, tolerance: Double = 1e-4,
                        file: StaticString = #filePath, line: UInt = #line) throws {
  XCTAssertEqual(a.shape, b.shape, what, file: file, line: line)
  let diff = try (a.to(.float64) - b.to(.float64)).abs().max().item()
  XCTAssertLessThanOrEqual(diff, tolerance, "\(what): max difference \(diff)", file: file, line: line)
}
