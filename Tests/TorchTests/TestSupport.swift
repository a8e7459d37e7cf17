import XCTest
@testable import Torch

/// Compares two float arrays element by element.
func assertClose(
  _ a: [Double], _ b: [Double], tolerance: Double = 1e-6, _ message: String = "",
  file: StaticString = #filePath, line: UInt = #line
) {
  XCTAssertEqual(a.count, b.count, "count mismatch \(message)", file: file, line: line)
  for (i, (x, y)) in zip(a, b).enumerated() where Swift.abs(x - y) > tolerance * Swift.max(1, Swift.abs(y)) {
    XCTFail("element \(i): \(x) vs \(y) \(message)", file: file, line: line)
    return
  }
}

extension Tensor {
  var doubles: [Double] { (try? to(.float64).scalars(as: Double.self)) ?? [] }
}

/// Checks d(sum(f(x) * w))/dx from autograd against central finite differences in float64.
func checkGradient(
  _ name: String, input: Tensor, tolerance: Double = 1e-5, file: StaticString = #filePath, line: UInt = #line,
  _ f: (Tensor) throws -> Tensor
) throws {
  let x = try input.to(.float64).detach().requiringGrad()
  let y = try f(x)
  let weights = try Tensor.linspace(0.5, 1.5, count: y.elementCount, dtype: .float64).reshape(y.shape)
  try (y * weights).sum().backward()
  guard let analytic = x.grad?.doubles else { return XCTFail("\(name): no gradient", file: file, line: line) }
  let base = x.doubles
  let h = 1e-6
  var numeric: [Double] = []
  for i in 0..<base.count {
    var plus = base, minus = base
    plus[i] += h
    minus[i] -= h
    let fp = try withNoGrad { try (f(Tensor(plus, shape: x.shape)) * weights).sum().item() }
    let fm = try withNoGrad { try (f(Tensor(minus, shape: x.shape)) * weights).sum().item() }
    numeric.append((fp - fm) / (2 * h))
  }
  assertClose(analytic, numeric, tolerance: tolerance, "gradient of \(name)", file: file, line: line)
}
