import IntegerEngine
import Torch
import XCTest

@testable import Compression

final class HardwareGDNTests: XCTestCase {
  func testTableEmulationMatchesTheIntegerTable() throws {
    let pools: [Float] = [1, 1.5, 3.99, 4, 7.3, 100, 12_345, 0.25, 0.0173, 2.5e7]
    for inverse in [false, true] {
      let table = try NormalizationTable(function: inverse ? .squareRoot : .inverseSquareRoot)
      let got = try TableEmulation.evaluate(Tensor(pools), inverse: inverse).floats()
      for (p, v) in zip(pools, got) {
        let exact = inverse ? Double(p).squareRoot() : 1 / Double(p).squareRoot()
        XCTAssertEqual(Double(v), exact, accuracy: exact * 1e-4, "pool \(p)")
        if p >= 1, p == p.rounded() {
          XCTAssertEqual(Double(v), table.approximate(Int64(p)), accuracy: exact * 3e-5, "integer pool \(p)")
        }
      }
    }
  }

  func testHardwareGDNTracksStandardAndTrains() throws {
    let standard = try GDN(channels: 6)
    let hardware = try GDN(channels: 6, variant: .hardware)
    let g = try Generator(seed: 5)
    let gamma = try Tensor.rand([6, 6], generator: g) * 0.3
    try withNoGrad {
      for layer in [standard, hardware] {
        try layer.gamma.copy_(layer.gammaReparam.initial(gamma))
      }
    }
    let x = try Tensor.randn([2, 6, 5, 5], generator: g)
    let a = try standard(x), b = try hardware(x)
    XCTAssertLessThan(try (a - b).abs().max().item(), 1e-3 * (try a.abs().max().item()))
    try b.sum().backward()
    XCTAssertGreaterThan(try XCTUnwrap(hardware.gamma.grad).abs().sum().item(), 0)
  }
}
