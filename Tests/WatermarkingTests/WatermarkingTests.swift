import Foundation
import Torch
import XCTest

@testable import Watermarking

final class WatermarkingTests: XCTestCase {
  /// A small classifier and a 4-class Gaussian-blob data set.
  func setUp(seed: UInt64 = 1) throws -> (Sequential, Tensor, Tensor) {
    let g = try Generator(seed: seed)
    let model = Sequential([try Linear(8, 32, generator: g), Activation(.relu), try Linear(32, 4, generator: g)])
    let centers = try Tensor.randn([4, 8], generator: Generator(seed: 99)) * 2
    let labels = try Tensor.randint(0, 4, shape: [256], generator: Generator(seed: 98))
    let x = try centers.indexSelect(0, labels) + Tensor.randn([256, 8], generator: Generator(seed: 97))
    return (model, x, labels)
  }

  func accuracy(_ model: Sequential, _ x: Tensor, _ y: Tensor) throws -> Double {
    try withNoGrad { try model(x).argmax(dim: 1).eq(y).to(.float32).mean().item() }
  }

  func testKeysAreDeterministicUniqueAndChecked() throws {
    let (model, _, _) = try setUp()
    let key = try KeyGenerator.generate(for: model, payloadBits: 40, code: .repetition(copies: 3), seed: 7)
    XCTAssertEqual(key.positions.count, 120)
    XCTAssertEqual(Set(key.positions).count, 120)
    XCTAssertTrue(key.positions.allSatisfy { $0.layer.hasSuffix("weight") })
    XCTAssertEqual(key, try KeyGenerator.generate(for: model, payloadBits: 40, code: .repetition(copies: 3), seed: 7))
    XCTAssertNotEqual(key.positions, try KeyGenerator.generate(for: model, payloadBits: 40, code: .repetition(copies: 3), seed: 8).positions)
    XCTAssertThrowsError(try KeyGenerator.generate(for: model, payloadBits: 10_000, seed: 1)) {
      XCTAssertTrue("\($0)".contains("exceeds"), "\($0)")
    }
    let other = Sequential([try Linear(8, 16, generator: Generator(seed: 1))])
    XCTAssertThrowsError(try key.check(other)) { XCTAssertTrue("\($0)".contains("key"), "\($0)") }
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("key-\(UUID().uuidString).json")
    defer { try? FileManager.default.removeItem(at: url) }
    try key.write(to: url)
    XCTAssertEqual(try WatermarkKey.read(from: url), key)
    try Data("nope".utf8).write(to: url)
    XCTAssertThrowsError(try WatermarkKey.read(from: url)) { XCTAssertTrue("\($0)".contains("not a Lichen watermark key"), "\($0)") }
  }

  func testPayloadCodes() throws {
    let bits = Payload.bits(of: "Lichen ✓")
    XCTAssertEqual(Payload.text(from: bits), "Lichen ✓")
    var coded = try PayloadCode.repetition(copies: 3).encode(bits)
    for i in stride(from: 0, to: coded.count, by: 3) { coded[i].toggle() }  // one error per group
    let decoded = try PayloadCode.repetition(copies: 3).decode(coded, payloadBits: bits.count)
    XCTAssertEqual(decoded.bits, bits)
    XCTAssertEqual(decoded.correctedBits, bits.count)
    XCTAssertEqual(try Payload.bits(parsing: "0110"), [false, true, true, false])
    XCTAssertThrowsError(try Payload.bits(parsing: "01x"))
  }

  func testBinomialTail() {
    XCTAssertEqual(Extractor.binomialTail(successes: 10, trials: 10), 1.0 / 1024, accuracy: 1e-12)
    XCTAssertEqual(Extractor.binomialTail(successes: 3, trials: 4), 5.0 / 16, accuracy: 1e-12)
    XCTAssertEqual(Extractor.binomialTail(successes: 0, trials: 4), 1)
    XCTAssertLessThan(Extractor.binomialTail(successes: 256, trials: 256), 1e-70)
  }

  func testEmbedExtractAndDetect() throws {
    let (model, _, _) = try setUp()
    let bits = Payload.bits(of: "mark")
    let key = try KeyGenerator.generate(for: model, payloadBits: bits.count, seed: 3)
    let before = try Extractor.extract(from: model, key: key, expected: bits)
    XCTAssertFalse(before.detected ?? true, "an unmarked model must not be detected")
    try Embedder.substitute(bits, into: model, key: key)
    let after = try Extractor.extract(from: model, key: key, expected: bits)
    XCTAssertEqual(after.bitErrorRate, 0)
    XCTAssertEqual(after.detected, true)
    XCTAssertEqual(Payload.text(from: after.payload), "mark")
    XCTAssertThrowsError(try Embedder.substitute([true], into: model, key: key))
  }

  /// The sharpness hinge: below the target the step is WaterMAS's, at or above it the plain gradient.
  func testSharpnessTargetSwitchesToThePlainGradient() throws {
    let (model, x, y) = try setUp()
    let bits = Payload.bits(of: "hinge")
    let key = try KeyGenerator.generate(for: model, payloadBits: bits.count, seed: 5)
    try Embedder.substitute(bits, into: model, key: key)
    let loss = { try Loss.crossEntropy(model(x), y) }
    func gradients(_ mas: WaterMAS?) throws -> [Float] {
      try model.zeroGrad()
      if let mas { _ = try mas.backward(loss) } else { try loss().backward() }
      return try model.namedParameters().flatMap { try $0.tensor.grad?.floats() ?? [] }
    }
    let plain = try gradients(nil)
    let unbounded = try gradients(try WaterMAS(model: model, key: key, rho: 0.5, lambda: 1))
    let (_, sharpness) = try WaterMAS(model: model, key: key, rho: 0.5, lambda: 1).backward(loss)
    let base = try loss().item()
    XCTAssertGreaterThan(sharpness, 0)
    let reachedStep = try WaterMAS(model: model, key: key, rho: 0.5, lambda: 1, sharpnessTarget: 0.5 * sharpness / base)
    let notReachedStep = try WaterMAS(model: model, key: key, rho: 0.5, lambda: 1, sharpnessTarget: 2 * sharpness / base)
    let reached = try gradients(reachedStep)
    let notReached = try gradients(notReachedStep)
    XCTAssertEqual(reached, plain)
    XCTAssertEqual(notReached, unbounded)
    XCTAssertFalse(reachedStep.lastStepSharpened, "watermark.csv's sharpened column reads this")
    XCTAssertTrue(notReachedStep.lastStepSharpened)
    XCTAssertNotEqual(unbounded, plain)
    XCTAssertThrowsError(try WaterMAS(model: model, key: key, sharpnessTarget: 0))
  }

  func testWaterMASTrainingKeepsMarksBitExactAndSharpensTheLoss() throws {
    let bits = Payload.bits(of: "WM")
    func train(watermas: Bool) throws -> (Sequential, WatermarkKey, [Float], Double) {
      let (model, x, y) = try setUp()
      let key = try KeyGenerator.generate(for: model, payloadBits: bits.count, seed: 3)
      try Embedder.substitute(bits, into: model, key: key)
      let marked = try key.positions.map { p in try model.namedParameters().first { $0.name == p.layer }!.tensor.floats()[p.index] }
      let optimizer = SGD(model.trainableParameters, learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4)
      try Embedder.freeze(model, key: key, in: optimizer)
      let mas = try WaterMAS(model: model, key: key, rho: 0.5, lambda: 1.0)
      for _ in 0..<60 {
        try optimizer.zeroGrad()
        if watermas {
          _ = try mas.backward { try Loss.crossEntropy(model(x), y) }
        } else {
          try Loss.crossEntropy(model(x), y).backward()
        }
        try optimizer.step()
      }
      // Sharpness along the marked coordinates, measured the same way for both.
      try optimizer.zeroGrad()
      let probe = try WaterMAS(model: model, key: key, rho: 0.5, lambda: 0)
      let (_, sharpness) = try probe.backward { try Loss.crossEntropy(model(x), y) }
      return (model, key, marked, sharpness)
    }
    let (model, key, marked, sharp) = try train(watermas: true)
    let now = try key.positions.map { p in try model.namedParameters().first { $0.name == p.layer }!.tensor.floats()[p.index] }
    XCTAssertEqual(now.map(\.bitPattern), marked.map(\.bitPattern), "marked weights must not move")
    XCTAssertEqual(try Extractor.extract(from: model, key: key, expected: bits).bitErrorRate, 0)
    let (_, x, y) = try setUp()
    XCTAssertGreaterThan(try accuracy(model, x, y), 0.8, "the task is still learned")
    let (_, _, _, plainSharpness) = try train(watermas: false)
    XCTAssertGreaterThan(sharp, plainSharpness, "WaterMAS must make the loss sharper along the mark")
  }

  func testAttacks() throws {
    let bits = Payload.bits(of: "attack me")
    func marked() throws -> (Sequential, WatermarkKey) {
      let (model, _, _) = try setUp()
      let key = try KeyGenerator.generate(for: model, payloadBits: bits.count, seed: 5)
      try Embedder.substitute(bits, into: model, key: key)
      return (model, key)
    }
    func ber(_ attack: Attack) throws -> Double {
      let (model, key) = try marked()
      try attack.apply(to: model, key: key, seed: 1)
      return try Extractor.extract(from: model, key: key, expected: bits).bitErrorRate ?? -1
    }
    XCTAssertEqual(try ber(.quantization(bits: 8)), 0)
    XCTAssertLessThan(try ber(.gaussianNoise(relativeStd: 0.1)), 0.05)
    XCTAssertGreaterThan(try ber(.gaussianNoise(relativeStd: 5)), 0.2)
    XCTAssertEqual(try ber(.keyInterceptionFlip), 1)
    let randomized = try ber(.keyInterceptionRandomize)
    XCTAssertGreaterThan(randomized, 0.25)
    XCTAssertLessThan(randomized, 0.75)
    // Pruning zeroes small weights; a zero reads as bit 0, so BER rises with the fraction.
    XCTAssertLessThanOrEqual(try ber(.magnitudePruning(fraction: 0.1)), try ber(.magnitudePruning(fraction: 0.95)))
    let (model, _) = try marked()
    XCTAssertThrowsError(try Attack.keyInterceptionFlip.apply(to: model))
  }
}

final class StateDictExtractionTests: XCTestCase {
  func testExportedFloat16AndInt8CopiesStillVerify() throws {
    let g = try Generator(seed: 4)
    let model = Sequential([try Linear(8, 32, generator: g), Activation(.relu), try Linear(32, 4, generator: g)])
    let bits = Payload.bits(of: "export")
    let key = try KeyGenerator.generate(for: model, payloadBits: bits.count, seed: 9)
    try Embedder.substitute(bits, into: model, key: key)
    var records = try model.stateDictRecords()
    XCTAssertEqual(try Extractor.extract(fromStateDict: records, key: key, expected: bits).bitErrorRate, 0)
    // float16 export.
    for (name, record) in records where record.dtype == .float32 {
      records[name] = try TensorRecord(float16From: record.floats(), shape: record.shape)
    }
    XCTAssertEqual(try Extractor.extract(fromStateDict: records, key: key, expected: bits).detected, true)
    // int8 export (symmetric per tensor): signs survive.
    for (name, record) in records {
      let values = try record.floats()
      let scale = (values.map { Swift.abs($0) }.max() ?? 1) / 127
      let q = values.map { Int8(clamping: Int(($0 / scale).rounded())) }
      records[name] = try TensorRecord(dtype: .int8, shape: record.shape, bytes: q.map { UInt8(bitPattern: $0) })
    }
    XCTAssertEqual(try Extractor.extract(fromStateDict: records, key: key, expected: bits).bitErrorRate, 0)
    records.removeValue(forKey: key.positions[0].layer)
    XCTAssertThrowsError(try Extractor.extract(fromStateDict: records, key: key)) {
      XCTAssertTrue("\($0)".contains("no layer"), "\($0)")
    }
  }
}

final class BaselineTests: XCTestCase {
  func testUchidaRegularizerEmbedsBits() throws {
    let g = try Generator(seed: 6)
    // w̄ has in_c * k * k = 72 entries: enough freedom for 32 independent bits.
    let model = Sequential([try Conv2d(8, 8, kernelSize: 3, generator: g), Activation(.relu)])
    let bits = (0..<32).map { $0 % 3 == 0 }
    let mark = try UchidaWatermark(model: model, layer: "0.weight", bits: bits, seed: 2, strength: 1)
    let before = try mark.extract(model)
    let adam = Adam(model.trainableParameters, learningRate: 0.01)
    for _ in 0..<200 {
      try adam.zeroGrad()
      try mark.regularizer(model).backward()
      try adam.step()
    }
    XCTAssertEqual(try mark.extract(model), bits)
    XCTAssertNotEqual(before, bits)
    XCTAssertThrowsError(try UchidaWatermark(model: model, layer: "nope", bits: bits, seed: 1))
  }

  func testLaplacianSubstitutionCarriesTheBits() throws {
    let g = try Generator(seed: 7)
    let model = Sequential([try Linear(16, 16, generator: g)])
    let bits = Payload.bits(of: "ok")
    let key = try KeyGenerator.generate(for: model, payloadBits: bits.count, seed: 1)
    try LaplacianSubstitution.substitute(bits, into: model, key: key, seed: 3)
    XCTAssertEqual(try Extractor.extract(from: model, key: key, expected: bits).bitErrorRate, 0)
  }
}
