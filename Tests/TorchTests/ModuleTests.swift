import XCTest
@testable import Torch

final class ModuleTests: XCTestCase {
  func makeModel() throws -> Sequential {
    let g = try Generator(seed: 1)
    return Sequential([
      try Conv2d(3, 4, kernelSize: 3, generator: g), try BatchNorm2d(4), Activation(.relu),
      Sequential([try Conv2d(4, 2, kernelSize: 1, bias: false, generator: g)]),
    ])
  }

  func testStateDictNamesFollowPyTorch() throws {
    let names = try makeModel().stateDict().map(\.name)
    XCTAssertEqual(names, [
      "0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked",
      "3.0.weight",
    ])
    XCTAssertEqual(try makeModel().namedParameters().map(\.name), ["0.weight", "0.bias", "1.weight", "1.bias", "3.0.weight"])
  }

  func testDefaultInitBounds() throws {
    let conv = try Conv2d(8, 4, kernelSize: 3, generator: Generator(seed: 2))
    let bound = 1 / (72.0).squareRoot()
    XCTAssertLessThanOrEqual(try conv.weight.abs().max().item(), bound)
    XCTAssertGreaterThan(try conv.weight.abs().max().item(), bound * 0.8)
    XCTAssertThrowsError(try Conv2d(3, 4, kernelSize: 3, groups: 2, generator: Generator(seed: 1)))
  }

  func testLoadStateDictRoundTripAndErrors() throws {
    let a = try makeModel()
    let b = try Sequential([
      try Conv2d(3, 4, kernelSize: 3, generator: Generator(seed: 99)), try BatchNorm2d(4), Activation(.relu),
      Sequential([try Conv2d(4, 2, kernelSize: 1, bias: false, generator: Generator(seed: 98))]),
    ])
    let records = try a.stateDictRecords()
    try b.load(stateDict: records)
    for ((_, x), (_, y)) in zip(a.stateDict(), b.stateDict()) {
      XCTAssertEqual(try x.bytes(), try y.bytes())
    }
    var missing = records
    missing["0.bias"] = nil
    XCTAssertThrowsError(try b.load(stateDict: missing)) { error in
      XCTAssertTrue("\(error)".contains("missing: 0.bias"), "\(error)")
    }
    let report = try b.load(stateDict: missing, matching: .lenient)
    XCTAssertEqual(report.missing, ["0.bias"])
    var wrongShape = records
    wrongShape["0.weight"] = try TensorRecord(float32: [Float](repeating: 0, count: 4), shape: [4])
    XCTAssertThrowsError(try b.load(stateDict: wrongShape)) { error in
      XCTAssertTrue("\(error)".contains("0.weight"), "\(error)")
    }
  }

  func testTrainingModeRecursesAndForwardRuns() throws {
    let m = try makeModel()
    m.setTraining(false)
    XCTAssertFalse((m[1] as? BatchNorm2d)?.isTraining ?? true)
    let y = try m(Tensor.ones([1, 3, 6, 6]))
    XCTAssertEqual(y.shape, [1, 2, 4, 4])
    XCTAssertThrowsError(try m(Tensor.ones([1, 5, 6, 6])))
  }
}
