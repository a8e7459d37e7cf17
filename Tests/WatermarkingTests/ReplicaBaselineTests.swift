import Foundation
import Torch
import XCTest

@testable import Watermarking

/// The Tartaglione et al. 2020 baseline (LossLandscapeReplicas).
final class ReplicaBaselineTests: XCTestCase {
  func blobs() throws -> (Sequential, Tensor, Tensor) {
    let g = try Generator(seed: 11)
    let model = Sequential([try Linear(8, 32, generator: g), Activation(.relu), try Linear(32, 4, generator: g)])
    let centers = try Tensor.randn([4, 8], generator: Generator(seed: 99)) * 2
    let labels = try Tensor.randint(0, 4, shape: [128], generator: Generator(seed: 98))
    let x = try centers.indexSelect(0, labels) + Tensor.randn([128, 8], generator: Generator(seed: 97))
    return (model, x, labels)
  }

  func markedValues(_ model: any Module, _ key: WatermarkKey) throws -> [UInt32] {
    let params = Dictionary(model.namedParameters().map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
    return try key.positions.map { p in
      guard let layer = params[p.layer] else { throw WatermarkError("no layer \(p.layer)") }
      return try layer.floats()[p.index].bitPattern
    }
  }

  func testTrainsAFewStepsAndKeepsTheMarkBitExact() throws {
    let (model, x, y) = try blobs()
    let bits = Payload.bits(of: "R=4")
    let key = try KeyGenerator.generate(for: model, payloadBits: bits.count, code: .repetition(copies: 3), seed: 4)
    try Embedder.substitute(bits, into: model, key: key)
    let before = try markedValues(model, key)
    let optimizer = SGD(model.trainableParameters, learningRate: 0.1, momentum: 0.9, weightDecay: 5e-4)
    try Embedder.freeze(model, key: key, in: optimizer)
    let replicas = try LossLandscapeReplicas(model: model, key: key, replicas: 4, noiseStd: 0.01, ascentStep: 0.1,
                                             coupling: 1, seed: 3)
    var losses: [Double] = []
    for step in 0..<5 {
      try optimizer.zeroGrad()
      let (loss, replicaLoss) = try replicas.backward({ try Loss.crossEntropy(model(x), y) }, step: step)
      XCTAssertTrue(replicaLoss.isFinite)
      losses.append(loss)
      try optimizer.step()
    }
    XCTAssertLessThan(losses[4], losses[0], "the task is being learned")
    XCTAssertEqual(try markedValues(model, key), before, "marked weights must not move")
    let check = try Extractor.extract(from: model, key: key, expected: bits)
    XCTAssertEqual(check.bitErrorRate, 0)
    XCTAssertEqual(check.payload, bits)
  }

  /// With no noise every replica sees the centre's gradient g, so the free
  /// weights get g + lambda * ascentStep * g: the formulation, checked exactly.
  func testGradientIsTheCentreGradientPlusTheCoupledReplicaDisplacement() throws {
    let (model, x, y) = try blobs()
    let key = try KeyGenerator.generate(for: model, payloadBits: 16, seed: 6)
    try model.zeroGrad()
    try Loss.crossEntropy(model(x), y).backward()
    let plain = try model.namedParameters().map { try $0.tensor.grad?.floats() ?? [] }
    try model.zeroGrad()
    let replicas = try LossLandscapeReplicas(model: model, key: key, replicas: 2, noiseStd: 0, ascentStep: 0.5,
                                             coupling: 0.2, seed: 1)
    _ = try replicas.backward { try Loss.crossEntropy(model(x), y) }
    let coupled = try model.namedParameters().map { try $0.tensor.grad?.floats() ?? [] }
    for (a, b) in zip(plain, coupled) {
      XCTAssertEqual(a.count, b.count)
      for (u, v) in zip(a, b) { XCTAssertEqual(Double(v), Double(u) * 1.1, accuracy: 1e-6) }
    }
    // Same noise for the same step: a resumed run reproduces the gradient.
    func noisyGradient(step: Int) throws -> [Float] {
      try model.zeroGrad()
      let r = try LossLandscapeReplicas(model: model, key: key, noiseStd: 0.5, coupling: 1, seed: 1)
      _ = try r.backward({ try Loss.crossEntropy(model(x), y) }, step: step)
      return try model.namedParameters()[0].tensor.grad?.floats() ?? []
    }
    XCTAssertEqual(try noisyGradient(step: 7), try noisyGradient(step: 7))
    XCTAssertNotEqual(try noisyGradient(step: 7), try noisyGradient(step: 8))
    XCTAssertThrowsError(try LossLandscapeReplicas(model: model, key: key, replicas: 0))
  }
}
