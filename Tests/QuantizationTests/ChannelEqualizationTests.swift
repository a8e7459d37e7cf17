import Compression
import Foundation
import Torch
import XCTest

@testable import Quantization

final class ChannelEqualizationTests: XCTestCase {
  /// A tiny model whose GDNs couple their channels (full gamma matrices, uneven betas), so a rescaling that
  /// ignored the pool's columns or rows would show.
  static func coupledModel(gdn: GDN.Variant = .standard) throws -> ScaleHyperprior {
    let model = try QuantizationTests.tinyModel(seed: 11, gdn: gdn)
    try withNoGrad {
      for (index, layer) in (model.analysis.layers + model.synthesis.layers).enumerated() {
        guard let gdn = layer as? GDN else { continue }
        let c = gdn.channels
        let gamma: [Float] = (0..<(c * c)).map { k in
          let step = Double((k * 7 + index * 3) % 11)
          return Float(0.02 + 0.2 * step / 11)
        }
        let beta: [Float] = (0..<c).map { k in
          let step = Double((k * 5 + index) % 7)
          return Float(0.5 + step / 7)
        }
        try gdn.gamma.copy_(gdn.gammaReparam.initial(try Tensor(gamma, shape: [c, c])))
        try gdn.beta.copy_(gdn.betaReparam.initial(try Tensor(beta, shape: [c])))
      }
    }
    return model
  }

  static func transforms(_ model: ScaleHyperprior, _ x: Tensor) throws -> (y: Tensor, xHat: Tensor) {
    try withNoGrad {
      let y = try model.analysis(x)
      return (y, try model.synthesis(y.round()))
    }
  }

  func testEqualizationKeepsWhatTheTransformsCompute() throws {
    for variant in [GDN.Variant.standard, .simplified, .hardware] { try checkEqualizationKeepsTheTransforms(variant) }
  }

  func checkEqualizationKeepsTheTransforms(_ variant: GDN.Variant) throws {
    let images = try (0..<2).map { try QuantizationTests.image(width: 64, height: 64, phase: $0) }
    let x = try QuantizationTests.image(width: 128, height: 64, phase: 5).tensor()
    let model = try Self.coupledModel(gdn: variant)
    let before = try Self.transforms(model, x)
    let changes = try ChannelEqualization.apply(to: model, images: images, strength: 1)
    XCTAssertEqual(changes.map(\.gdn), ["g_a.1", "g_a.3", "g_a.5", "g_s.1", "g_s.3", "g_s.5"])
    let after = try Self.transforms(model, x)
    let yScale = try before.y.abs().max().item()
    XCTAssertLessThan(try (after.y - before.y).abs().max().item(), 1e-4 * yScale, "\(variant)")
    XCTAssertLessThan(try (after.xHat - before.xHat).abs().max().item(), 1e-4, "\(variant)")
    for change in changes {
      // At strength 1 every channel reaches its tensor's range on the calibration images.
      XCTAssertGreaterThan(change.inputSpreadBefore, 1.05, change.gdn)
      XCTAssertEqual(change.inputSpreadAfter, 1, accuracy: 1e-9, change.gdn)
      XCTAssertEqual(change.outputSpreadAfter, 1, accuracy: 1e-9, change.gdn)
    }
  }

  func testStrengthZeroChangesNothingAndOutOfRangeIsRefused() throws {
    let images = [try QuantizationTests.image(width: 64, height: 64)]
    let model = try Self.coupledModel()
    let weights = try model.stateDictRecords()
    try ChannelEqualization.apply(to: model, images: images, strength: 0)
    XCTAssertEqual(try model.stateDictRecords(), weights)
    XCTAssertThrowsError(try ChannelEqualization.apply(to: model, images: images, strength: 1.5))
    XCTAssertThrowsError(try ChannelEqualization.apply(to: model, images: [], strength: 0.5))
  }
}
