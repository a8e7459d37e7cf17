import Foundation
import Torch
import XCTest

@testable import Vision

final class BatchMixingTests: XCTestCase {
  /// Gamma and Beta draws have their distributions' means and variances (20,000 draws each).
  func testGammaAndBetaMoments() {
    var rng = SplitMix64(seed: 3)
    func moments(_ draw: () -> Double) -> (mean: Double, variance: Double) {
      let values = (0..<20_000).map { _ in draw() }
      let mean = values.reduce(0, +) / Double(values.count)
      return (mean, values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count - 1))
    }
    for shape in [0.3, 1.0, 4.0] {
      let (mean, variance) = moments { rng.gamma(shape: shape) }
      XCTAssertEqual(mean, shape, accuracy: 0.05 * shape, "Gamma(\(shape)) mean")
      XCTAssertEqual(variance, shape, accuracy: 0.1 * shape, "Gamma(\(shape)) variance")
    }
    for alpha in [0.2, 1.0, 2.5] {
      let (mean, variance) = moments { rng.beta(alpha, alpha) }
      XCTAssertEqual(mean, 0.5, accuracy: 0.01, "Beta(\(alpha), \(alpha)) mean")
      let expected = 1 / (4 * (2 * alpha + 1))
      XCTAssertEqual(variance, expected, accuracy: 0.05 * expected, "Beta(\(alpha), \(alpha)) variance")
    }
    let asymmetric = moments { rng.beta(2, 6) }
    XCTAssertEqual(asymmetric.mean, 0.25, accuracy: 0.01)
  }

  func images(count: Int = 6, size: Int = 8) throws -> Tensor {
    try Tensor.randn([count, 3, size, size], generator: Generator(seed: 5))
  }

  func testMixupBlendsEachImageWithItsPartner() throws {
    let x = try images()
    var rng = SplitMix64(seed: 9)
    let draw = BatchMixing(mixupAlpha: 1).draw(count: 6, height: 8, width: 8, using: &rng)
    XCTAssertEqual(draw.kind, .mixup)
    XCTAssertEqual(draw.partner.sorted(), Array(0..<6))
    XCTAssertGreaterThan(draw.lambda, 0)
    XCTAssertLessThan(draw.lambda, 1)
    let mixed = try draw.mix(x).floats(), own = try x.floats()
    let plane = 3 * 8 * 8
    for i in 0..<6 {
      for j in 0..<plane {
        let expected = draw.lambda * Double(own[i * plane + j]) + (1 - draw.lambda) * Double(own[draw.partner[i] * plane + j])
        XCTAssertEqual(Double(mixed[i * plane + j]), expected, accuracy: 1e-5)
      }
    }
  }

  /// CutMix takes the partner's pixels inside the box and keeps its own outside; lambda is the share kept.
  func testCutMixPastesTheBoxAndLambdaIsTheShareKept() throws {
    let x = try images()
    let own = try x.floats()
    var sawBox = false
    for seed in 0..<20 as Range<UInt64> {
      var rng = SplitMix64(seed: seed)
      let draw = BatchMixing(cutMixAlpha: 1).draw(count: 6, height: 8, width: 8, using: &rng)
      guard case .cutMix(let rows, let columns) = draw.kind else { return XCTFail("CutMix expected") }
      XCTAssertTrue(rows.lowerBound >= 0 && rows.upperBound <= 8 && columns.lowerBound >= 0 && columns.upperBound <= 8)
      XCTAssertEqual(draw.lambda, 1 - Double(rows.count * columns.count) / 64, accuracy: 1e-12)
      sawBox = sawBox || !rows.isEmpty && !columns.isEmpty
      let mixed = try draw.mix(x).floats()
      for i in 0..<6 {
        for c in 0..<3 {
          for row in 0..<8 {
            for column in 0..<8 {
              let offset = (c * 8 + row) * 8 + column
              let source = rows.contains(row) && columns.contains(column) ? draw.partner[i] : i
              XCTAssertEqual(mixed[i * 192 + offset], own[source * 192 + offset])
            }
          }
        }
      }
    }
    XCTAssertTrue(sawBox, "some draw pastes a non-empty box")
  }

  /// With both alphas each step picks one of the two; the draws repeat for the same seed.
  func testBothKindsAreDrawnAndDrawsRepeat() {
    let mixing = BatchMixing(mixupAlpha: 0.4, cutMixAlpha: 1)
    var kinds = Set<Bool>()
    for seed in 0..<40 as Range<UInt64> {
      var a = SplitMix64(seed: seed), b = SplitMix64(seed: seed)
      let first = mixing.draw(count: 5, height: 32, width: 32, using: &a)
      XCTAssertEqual(first, mixing.draw(count: 5, height: 32, width: 32, using: &b))
      kinds.insert(first.kind == .mixup)
    }
    XCTAssertEqual(kinds, [true, false])
  }

  func testMixedLossWeightsBothLabels() throws {
    let logits = try Tensor.randn([6, 10], generator: Generator(seed: 2))
    let labels = try Tensor([3, 1, 4, 1, 5, 9] as [Int64], shape: [6])
    var rng = SplitMix64(seed: 4)
    let draw = BatchMixing(mixupAlpha: 1).draw(count: 6, height: 8, width: 8, using: &rng)
    let ce = { (l: Tensor, y: Tensor) in try Loss.crossEntropy(l, y, labelSmoothing: 0.1) }
    let partnerLabels = try Tensor(draw.partner.map { [3, 1, 4, 1, 5, 9][$0] } as [Int64], shape: [6])
    let expected = try draw.lambda * ce(logits, labels).item() + (1 - draw.lambda) * ce(logits, partnerLabels).item()
    XCTAssertEqual(try draw.mixedLoss(logits, labels, ce).item(), expected, accuracy: 1e-6)
  }

  func testBadAlphasAreRefused() {
    for mixing in [BatchMixing(), BatchMixing(mixupAlpha: 0), BatchMixing(cutMixAlpha: -1), BatchMixing(mixupAlpha: .nan),
                   BatchMixing(mixupAlpha: 1, cutMixAlpha: .infinity)] {
      XCTAssertThrowsError(try mixing.validate(), "\(mixing)")
    }
    XCTAssertNoThrow(try BatchMixing(mixupAlpha: 0.2, cutMixAlpha: 1).validate())
  }
}

extension ClassifierSpeedOptionTests {
  /// Mixup and CutMix runs resume exactly (their draws are functions of seed and step), a
  /// configuration without them refuses the checkpoint, and mixing changes the steps' losses.
  func testBatchMixingResumesExactly() throws {
    var mixed = config()
    mixed.batchMixing = BatchMixing(mixupAlpha: 1, cutMixAlpha: 1)
    let data = try syntheticDataset(count: 32)
    let dir = try temporaryDirectory(self)
    try assertResumesExactly(mixed, refusing: config(), data: data, in: dir.appendingPathComponent("resume"))
    let plainLosses = try losses(config(), data: data, in: dir.appendingPathComponent("plain"))
    let mixedLosses = try losses(mixed, data: data, in: dir.appendingPathComponent("mixed"))
    XCTAssertEqual(plainLosses.count, mixedLosses.count)
    XCTAssertNotEqual(plainLosses.first, mixedLosses.first, "the first step already trains on mixed images")
    XCTAssertTrue(mixedLosses.allSatisfy { $0.isFinite })
  }
}
