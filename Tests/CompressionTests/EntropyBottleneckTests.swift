import XCTest
@testable import Compression
@testable import Torch

/// Quantile fitting: the tails land on their targets whatever the auxiliary
/// loss reached, and the CDF tables still build from them.
final class EntropyBottleneckTests: XCTestCase {
  func testFitQuantilesZeroesTheAuxiliaryLoss() throws {
    let bottleneck = try EntropyBottleneck(channels: 4, generator: Generator(seed: 2))
    // Sharpen the density (as training does) so the initial quantiles at +-10 sit far out in the tails.
    try withNoGrad { for m in bottleneck.matrices.tensors { try m.copy_(m + 2) } }
    let before = try bottleneck.auxiliaryLoss().item()
    XCTAssertGreaterThan(before, 10)
    try bottleneck.fitQuantiles()
    let after = try bottleneck.auxiliaryLoss().item()
    XCTAssertLessThan(after, 1e-2, "12 terms, each within float resolution of its target")
    let q = try bottleneck.quantiles.reshape([4, 3]).floats()
    for c in 0..<4 {
      XCTAssertLessThan(q[3 * c], q[3 * c + 1])
      XCTAssertLessThan(q[3 * c + 1], q[3 * c + 2])
      XCTAssertLessThan(q[3 * c + 2] - q[3 * c], 19, "sharper than the initial +-10 range")
    }
    try bottleneck.update()
    let z = try Tensor.randn([1, 4, 3, 5], generator: Generator(seed: 4))
    let strings = try bottleneck.compress(z)
    let decoded = try bottleneck.decompress(strings, height: 3, width: 5)
    let medians = try bottleneck.medians().reshape([1, 4, 1, 1])
    let expected = try (z - medians).round() + medians
    XCTAssertEqual(try decoded.floats(), try expected.floats())
  }

  func testFitQuantilesRefusesADensityOutsideTheBracket() throws {
    let bottleneck = try EntropyBottleneck(channels: 2, generator: Generator(seed: 2))
    XCTAssertThrowsError(try bottleneck.fitQuantiles(bound: 1e-3)) { error in
      XCTAssertTrue("\(error)".contains("tail targets"), "\(error)")
    }
  }
}
