import Foundation
import Torch
import Vision
import Watermarking
import XCTest

/// WaterMAS inside the classifier trainer (what `lichen watermark embed` does).
final class ClassifierWatermarkTests: XCTestCase {
  func testEmbeddingWhileTrainingAResNetKeepsTheMarkBitExact() throws {
    var rng = SplitMix64(seed: 3)
    let count = 64
    let pixels = (0..<(count * 3 * 32 * 32)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    let labels = (0..<count).map { $0 % 10 }
    let data = try ClassificationDataset(pixels: pixels, labels: labels, classNames: (0..<10).map { "c\($0)" },
                                         channels: 3, height: 32, width: 32)
    var config = ClassifierTrainingConfig(
      model: ClassifierConfiguration(architecture: .resnet18, width: 0.125, depths: [1, 1, 1, 1]),
      normalization: .cifar10)
    config.batchSize = 16
    config.maximumSteps = 4
    config.learningRate = 0.05
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wm-int-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    let trainer = try ClassifierTrainer(config: config, training: data, runDirectory: dir)
    let bits = Payload.bits(of: "owner: me")  // 72 bits: detectable at p < 1e-6
    let key = try KeyGenerator.generate(for: trainer.model, payloadBits: bits.count, seed: 5)
    try Embedder.substitute(bits, into: trainer.model, key: key)
    let params = Dictionary(trainer.model.namedParameters().map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
    let before = try key.positions.map { try params[$0.layer]!.floats()[$0.index].bitPattern }
    try Embedder.freeze(trainer.model, key: key, in: trainer.parameterOptimizer)
    let mas = try WaterMAS(model: trainer.model, key: key, rho: 0.05, lambda: 1)
    var sharpness: [Double] = []
    trainer.backward = { loss in
      let (value, s) = try mas.backward(loss)
      sharpness.append(s)
      return value
    }
    try trainer.run()
    XCTAssertEqual(sharpness.count, 4)
    let after = try key.positions.map { try params[$0.layer]!.floats()[$0.index].bitPattern }
    XCTAssertEqual(after, before)
    XCTAssertEqual(try Extractor.extract(from: trainer.model, key: key, expected: bits).detected, true)
  }
}
