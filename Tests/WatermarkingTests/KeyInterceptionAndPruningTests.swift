import Foundation
import Torch
import XCTest

@testable import Watermarking

/// The attacks added for issue 9's list: global pruning beside per-layer pruning, zeroing the key
/// weights, and fine-tuning exactly the key weights.
final class KeyInterceptionAndPruningTests: XCTestCase {
  /// Two linear layers, the second with weights 10x larger, so one global threshold prunes them unequally.
  func twoScaleModel() throws -> Sequential {
    let g = try Generator(seed: 4)
    let model = Sequential([try Linear(16, 16, generator: g), Activation(.relu), try Linear(16, 16, generator: g)])
    try withNoGrad {
      let w = model.namedParameters().first { $0.name == "2.weight" }!.tensor
      try w.copy_(w * 10)
    }
    return model
  }

  func zeros(_ model: any Module, _ name: String) throws -> Int {
    try model.namedParameters().first { $0.name == name }!.tensor.floats().filter { $0 == 0 }.count
  }

  func testGlobalPruningUsesOneThresholdPerLayerPruningOnePerLayer() throws {
    let perLayer = try twoScaleModel()
    try Attack.magnitudePruning(fraction: 0.5).apply(to: perLayer)
    XCTAssertEqual(try zeros(perLayer, "0.weight"), 128)
    XCTAssertEqual(try zeros(perLayer, "2.weight"), 128)

    let global = try twoScaleModel()
    try Attack.globalMagnitudePruning(fraction: 0.5).apply(to: global)
    let small = try zeros(global, "0.weight"), large = try zeros(global, "2.weight")
    XCTAssertEqual(small + large, 256, "half of all 512 weights")
    XCTAssertGreaterThan(small, 200, "the layer of small weights loses most")
    XCTAssertLessThan(large, 56)
    // Biases are not pruned; nothing is pruned at 0.
    XCTAssertEqual(try zeros(global, "0.bias"), 0)
    let untouched = try twoScaleModel()
    try Attack.globalMagnitudePruning(fraction: 0).apply(to: untouched)
    XCTAssertEqual(try zeros(untouched, "0.weight") + zeros(untouched, "2.weight"), 0)
    XCTAssertThrowsError(try Attack.magnitudePruning(fraction: -0.1).apply(to: untouched))
    XCTAssertEqual(Attack.globalMagnitudePruning(fraction: 0.3).description, "pruning(30% global)")
  }

  /// The WaterMAS testbed's conventions: random unstructured pruning per layer (seeded) and asymmetric
  /// per-tensor min-max quantization.
  func testRandomPruningAndMinMaxQuantizationFollowTheTestbed() throws {
    let pruned = try twoScaleModel(), again = try twoScaleModel()
    try Attack.randomPruning(fraction: 0.25).apply(to: pruned, seed: 3)
    try Attack.randomPruning(fraction: 0.25).apply(to: again, seed: 3)
    XCTAssertEqual(try pruned.stateDictRecords(), try again.stateDictRecords(), "the same seed prunes the same weights")
    for name in ["0.weight", "2.weight"] {
      XCTAssertEqual(Double(try zeros(pruned, name)), 64, accuracy: 24, "about a quarter of \(name)'s 256 weights")
    }
    // Random, not by magnitude: some of the largest weights go too.
    let original = try twoScaleModel().namedParameters().first { $0.name == "2.weight" }!.tensor.floats()
    let after = try pruned.namedParameters().first { $0.name == "2.weight" }!.tensor.floats()
    let largest = original.indices.sorted { abs(original[$0]) > abs(original[$1]) }.prefix(64)
    XCTAssertGreaterThan(largest.filter { after[$0] == 0 }.count, 0)
    XCTAssertEqual(try zeros(pruned, "0.bias"), 0)

    let quantized = try twoScaleModel()
    try Attack.minMaxQuantization(bits: 3).apply(to: quantized)
    for name in ["0.weight", "2.weight"] {
      let before = try twoScaleModel().namedParameters().first { $0.name == name }!.tensor.floats()
      let values = try quantized.namedParameters().first { $0.name == name }!.tensor.floats()
      XCTAssertLessThanOrEqual(Set(values).count, 8, name)
      XCTAssertEqual(values.min()!, before.min()!, accuracy: 1e-5, "the minimum is a level")
      XCTAssertEqual(values.max()!, before.max()!, accuracy: 1e-5, "the maximum is a level")
      let step = (before.max()! - before.min()!) / 7
      for (v, w) in zip(values, before) { XCTAssertLessThanOrEqual(abs(v - w), step / 2 + 1e-5) }
    }
    XCTAssertThrowsError(try Attack.minMaxQuantization(bits: 0).apply(to: quantized))
    XCTAssertEqual(try AttackSetting(spec: "random-pruning:0.5").description, "random-pruning:0.5")
    XCTAssertEqual(try AttackSetting(spec: "min-max-quantization:4").family, .minMaxQuantization)
  }

  func testZeroingTheKeyWeightsTouchesNothingElse() throws {
    let model = try twoScaleModel()
    let bits = Payload.bits(of: "zero")
    let key = try KeyGenerator.generate(for: model, payloadBits: bits.count, seed: 2)
    try Embedder.substitute(bits, into: model, key: key)
    let before = try model.stateDictRecords()
    try Attack.keyInterceptionZero.apply(to: model, key: key)
    let after = try model.stateDictRecords()
    let marked = Set(key.positions)
    for (name, record) in after {
      let (old, new) = (try XCTUnwrap(before[name]).floats(), try record.floats())
      for i in new.indices {
        if marked.contains(WatermarkKey.Position(layer: name, index: i)) {
          XCTAssertEqual(new[i], 0)
        } else {
          XCTAssertEqual(new[i].bitPattern, old[i].bitPattern, "\(name)[\(i)]")
        }
      }
    }
    XCTAssertThrowsError(try Attack.keyInterceptionZero.apply(to: model)) { XCTAssertTrue("\($0)".contains("needs the key")) }
  }

  /// A conv net with batch norm: the attack must leave the running statistics alone too.
  func convModel() throws -> Sequential {
    let g = try Generator(seed: 6)
    return Sequential([try Conv2d(2, 6, kernelSize: 3, padding: 1, generator: g), try BatchNorm2d(6), Activation(.relu),
                       try Conv2d(6, 4, kernelSize: 3, padding: 1, generator: g)])
  }

  func testKeyFineTuningMovesOnlyTheKeyWeightsBySGD() throws {
    let model = try convModel()
    model.setTraining(true)
    let x = try Tensor.randn([8, 2, 6, 6], generator: Generator(seed: 1))
    let y = try Tensor.randint(0, 4, shape: [8], generator: Generator(seed: 2))
    let loss = { (_: Int) throws -> Tensor in try Loss.crossEntropy(model(x).mean(dims: [2, 3]), y) }
    let bits = Payload.bits(of: "ft")
    let key = try KeyGenerator.generate(for: model, payloadBits: bits.count, seed: 3)
    try Embedder.substitute(bits, into: model, key: key)
    let before = try model.stateDictRecords()

    // One step without momentum is w - lr * dL/dw at the key positions (gradient in evaluation mode).
    model.setTraining(false)
    let l = try loss(0)
    try l.backward()
    let params = Dictionary(model.namedParameters().map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
    let expected = try key.positions.map { p -> Float in
      let w = try params[p.layer]!.floats()[p.index], g = try XCTUnwrap(params[p.layer]!.grad).floats()[p.index]
      return w - 0.5 * g
    }
    try model.zeroGrad()
    model.setTraining(true)
    try KeyWeightFineTuning(steps: 1, learningRate: 0.5, momentum: 0).apply(to: model, key: key, loss: loss)
    XCTAssertTrue(model.isTraining, "the training mode is restored")
    let got = try key.positions.map { try params[$0.layer]!.floats()[$0.index] }
    for (a, b) in zip(got, expected) { XCTAssertEqual(a, b, accuracy: 1e-6) }
    XCTAssertTrue(model.namedParameters().allSatisfy { $0.tensor.grad == nil }, "no gradients left behind")

    // A few more steps with momentum: still only the key weights change, buffers included.
    try KeyWeightFineTuning(steps: 3, learningRate: 0.5).apply(to: model, key: key, loss: loss)
    let after = try model.stateDictRecords()
    let marked = Set(key.positions)
    var moved = 0
    for (name, record) in after {
      guard record.dtype.isFloatingPoint else {
        XCTAssertEqual(record, before[name], "\(name) changed")  // num_batches_tracked
        continue
      }
      let (old, new) = (try XCTUnwrap(before[name]).floats(), try record.floats())
      for i in new.indices where old[i].bitPattern != new[i].bitPattern {
        XCTAssertTrue(marked.contains(WatermarkKey.Position(layer: name, index: i)), "\(name)[\(i)] moved")
        moved += 1
      }
    }
    XCTAssertGreaterThan(moved, key.positions.count / 2, "the key weights do move")

    XCTAssertThrowsError(try KeyWeightFineTuning(steps: -1))
    XCTAssertThrowsError(try KeyWeightFineTuning(steps: 1, learningRate: 0)) { XCTAssertTrue("\($0)".contains("learning rate")) }
    XCTAssertThrowsError(try KeyWeightFineTuning(steps: 1, momentum: 1))
    let other = Sequential([try Linear(3, 3, generator: Generator(seed: 1))])
    XCTAssertThrowsError(try KeyWeightFineTuning(steps: 1).apply(to: other, key: key, loss: loss))
  }
}
