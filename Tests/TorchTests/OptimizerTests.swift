import XCTest
@testable import Torch

final class OptimizerTests: XCTestCase {
  /// Minimises (x - 3)^2 from x = 0.
  func minimise(_ make: ([Tensor]) -> any Optimizer, steps: Int) throws -> Double {
    let x = try Tensor([0] as [Double]).requiringGrad()
    let opt = make([x])
    for _ in 0..<steps {
      try opt.zeroGrad()
      try (x - 3).square().sum().backward()
      try opt.step()
    }
    return try x.item()
  }

  func testSGDFirstStepsMatchPyTorchFormulas() throws {
    let x = try Tensor([1] as [Double]).requiringGrad()
    let sgd = SGD([x], learningRate: 0.1, momentum: 0.9, weightDecay: 0.5, nesterov: true)
    // grad = 2x = 2; d = 2 + 0.5*1 = 2.5; buf = 2.5; nesterov d = 2.5 + 0.9*2.5 = 4.75; x = 1 - 0.475.
    try (x * x).sum().backward()
    try sgd.step()
    XCTAssertEqual(try x.item(), 0.525, accuracy: 1e-12)
    XCTAssertEqual(try minimise({ SGD($0, learningRate: 0.1, momentum: 0.9) }, steps: 200), 3, accuracy: 1e-3)
  }

  func testAdamFirstStepIsLearningRate() throws {
    let x = try Tensor([1] as [Double]).requiringGrad()
    let adam = Adam([x], learningRate: 0.01)
    try (x * x).sum().backward()
    try adam.step()
    // Bias-corrected first step moves by lr * g / (|g| + eps) ~ lr.
    XCTAssertEqual(try x.item(), 0.99, accuracy: 1e-7)
    XCTAssertEqual(try minimise({ Adam($0, learningRate: 0.1) }, steps: 300), 3, accuracy: 1e-2)
    XCTAssertEqual(try minimise({ Adam.adamW($0, learningRate: 0.1, weightDecay: 0.0) }, steps: 300), 3, accuracy: 1e-2)
  }

  func testMaskedWeightsStayBitExact() throws {
    let g = try Generator(seed: 5)
    let w = try Tensor.randn([4, 4], generator: g).requiringGrad()
    let before = try w.floats()
    let mask = try Tensor.ones([4, 4])
    try withNoGrad { try mask.narrow(0, start: 0, length: 1).fill_(0) }
    for make in [{ SGD([w], learningRate: 0.1, momentum: 0.9, weightDecay: 1e-2) as any Optimizer },
                 { Adam.adamW([w], learningRate: 0.1, weightDecay: 0.1) as any Optimizer }] {
      let opt = make()
      try opt.setMask(mask, for: w)
      for _ in 0..<5 {
        try opt.zeroGrad()
        try (w * w).sum().backward()
        try opt.step()
      }
    }
    let after = try w.floats()
    XCTAssertEqual(Array(after[0..<4]).map(\.bitPattern), Array(before[0..<4]).map(\.bitPattern))
    XCTAssertNotEqual(Array(after[4...]), Array(before[4...]))
  }

  func testSchedules() {
    XCTAssertEqual(StepSchedule(base: 1, stepSize: 10, gamma: 0.5).learningRate(at: 25), 0.25)
    XCTAssertEqual(MultiStepSchedule(base: 1, milestones: [5, 10], gamma: 0.1).learningRate(at: 10), 0.01, accuracy: 1e-15)
    XCTAssertEqual(CosineSchedule(base: 1, period: 100).learningRate(at: 50), 0.5, accuracy: 1e-12)
    XCTAssertEqual(CosineSchedule(base: 1, period: 100).learningRate(at: 100), 0, accuracy: 1e-12)
    // (1 - 75/100)^0.9 = 0.25^0.9
    XCTAssertEqual(PolySchedule(base: 2, period: 100).learningRate(at: 75), 2 * 0.287_174_588_749_258_7, accuracy: 1e-12)
    XCTAssertEqual(PolySchedule(base: 1, period: 100, power: 1).learningRate(at: 0), 1)
    XCTAssertEqual(PolySchedule(base: 1, period: 100).learningRate(at: 150), 0)
    // Warm-up: (s + 1) / steps of the inner rate, then the inner schedule unchanged.
    let warm = LinearWarmup(CosineSchedule(base: 1, period: 100), steps: 10)
    XCTAssertEqual(warm.learningRate(at: 0), 0.1 * CosineSchedule(base: 1, period: 100).learningRate(at: 0), accuracy: 1e-15)
    XCTAssertEqual(warm.learningRate(at: 4), 0.5 * CosineSchedule(base: 1, period: 100).learningRate(at: 4), accuracy: 1e-15)
    XCTAssertEqual(warm.learningRate(at: 10), CosineSchedule(base: 1, period: 100).learningRate(at: 10))
    XCTAssertEqual(warm.learningRate(at: 50), 0.5, accuracy: 1e-12)
    XCTAssertEqual(LinearWarmup(StepSchedule(base: 2, stepSize: 5), steps: 0).learningRate(at: 0), 2)
    var plateau = PlateauSchedule(learningRate: 1, factor: 0.5, patience: 2)
    XCTAssertFalse(plateau.record(1))
    XCTAssertFalse(plateau.record(1))
    XCTAssertFalse(plateau.record(1))
    XCTAssertTrue(plateau.record(1))
    XCTAssertEqual(plateau.learningRate, 0.5)
  }

  func testGradientClipping() throws {
    let x = try Tensor([3, 4] as [Double]).requiringGrad()
    try (x * Tensor([3, 4] as [Double])).sum().backward()
    let norm = try clipGradientNorm([x], maxNorm: 1)
    XCTAssertEqual(norm, 5, accuracy: 1e-12)
    XCTAssertEqual(try x.grad?.norm().item() ?? 0, 1, accuracy: 1e-5)
  }
}
