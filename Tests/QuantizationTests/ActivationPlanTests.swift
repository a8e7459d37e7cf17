import Foundation
import Torch
import XCTest

@testable import IntegerCodec
@testable import Quantization

/// The latent's activation grid: rounding y to it and then to the integer
/// symbol must give round(y), or the symbols the decoder sees drift from the
/// float model's.
final class ActivationPlanTests: XCTestCase {
  /// Rounds half away from zero, like the integer engine's requantizer and `Tensor.round` on non-ties.
  func symbol(_ y: Double, step: Double, levels: Double) -> Double {
    let q = Swift.max(-levels, Swift.min(levels, (y / step).rounded()))
    return (q * step).rounded()
  }

  func testLatentStepIsTheFinestOddReciprocalReachingTheClip() throws {
    XCTAssertEqual(ActivationPlan.latentStep(clip: 38.96, levels: 127), 1.0 / 3)
    XCTAssertEqual(ActivationPlan.latentStep(clip: 10, levels: 127), 1.0 / 11)
    XCTAssertEqual(ActivationPlan.latentStep(clip: 100, levels: 127), 1)
    XCTAssertNil(ActivationPlan.latentStep(clip: 200, levels: 127))
    XCTAssertEqual(ActivationPlan.latentStep(clip: 38.96, levels: 32767), 1.0 / 841)
    for clip in [0.5, 3.2, 38.96, 120.0] {
      let step = try XCTUnwrap(ActivationPlan.latentStep(clip: clip, levels: 127))
      XCTAssertGreaterThanOrEqual(step * 127, clip, "the grid reaches the clip")
    }
  }

  func testDoubleRoundingOnTheLatentGridIsExact() throws {
    var rng = SplitMix64(seed: 7)
    func unit() -> Double { Double(rng.next() >> 11) * 0x1p-53 }
    let clip = 38.96, levels = 127.0
    let step = try XCTUnwrap(ActivationPlan.latentStep(clip: clip, levels: levels))
    var changedOnTheOldGrid = 0
    for _ in 0..<100_000 {
      // Mostly small latents, where the dead zone matters, away from exact ties.
      let y = (unit() - 0.5) * (unit() < 0.8 ? 4 : 2 * clip)
      guard abs(abs(y) - abs(y).rounded(.down) - 0.5) > 1e-9 else { continue }
      XCTAssertEqual(symbol(y, step: step, levels: levels), y.rounded(), "y = \(y)")
      if symbol(y, step: clip / levels, levels: levels) != y.rounded() { changedOnTheOldGrid += 1 }
    }
    // The old grid (step clip/127) moved the boundary at +-0.5 to +-0.46: thousands of symbols differ.
    XCTAssertGreaterThan(changedOnTheOldGrid, 1000)
  }
}
