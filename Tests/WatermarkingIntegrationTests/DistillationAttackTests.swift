import Foundation
import Torch
import Vision
import Watermarking
import XCTest

/// The distillation attack: the knowledge-distillation loss against a hand computation, the cosine
/// schedule of the attacker's training, and a sweep row on a classifier file whose mark is read from
/// the fresh network that replaced it.
final class DistillationAttackTests: XCTestCase {
  func testDistillationLossIsTemperatureScaledKL() throws {
    let student: [Float] = [0.5, -1, 2, 0.1, 0.3, 0.3]
    let teacher: [Float] = [1, 0, -1, 2, 0.5, -0.5]
    let s = try Tensor(student, shape: [2, 3]).requiringGrad(), t = try Tensor(teacher, shape: [2, 3]).requiringGrad()
    let loss = try withGrad { try Loss.distillation(s, t, temperature: 2) }
    func softmax(_ row: ArraySlice<Float>, _ T: Double) -> [Double] {
      let e = row.map { exp(Double($0) / T) }
      return e.map { $0 / e.reduce(0, +) }
    }
    var expected = 0.0
    for r in 0..<2 {
      let p = softmax(teacher[(3 * r)..<(3 * r + 3)], 2), q = softmax(student[(3 * r)..<(3 * r + 3)], 2)
      expected += zip(p, q).map { $0 * log($0 / $1) }.reduce(0, +)
    }
    XCTAssertEqual(try loss.item(), expected / 2 * 4, accuracy: 1e-5)
    try loss.backward()
    XCTAssertNotNil(s.grad)
    XCTAssertNil(t.grad, "the teacher's logits carry no gradient")
    XCTAssertEqual(try Loss.distillation(t, t, temperature: 3).item(), 0, accuracy: 1e-6)
    XCTAssertThrowsError(try Loss.distillation(s, t, temperature: 0))
    XCTAssertThrowsError(try Loss.distillation(s, try Tensor.zeros([2, 4]), temperature: 1))
  }

  func testCosineDecayReachesZeroAtTheLastStep() throws {
    let model = try Linear(2, 2, generator: try Generator(seed: 1))
    let task = FineTuningTask(model: model, steps: 10, optimizer: .sgd(learningRate: 0.4, momentum: 0, weightDecay: 0, nesterov: false),
                              cosineDecay: true) { _ in try model.weight.sum() }
    XCTAssertEqual(task.learningRate(at: 0), 0.4, accuracy: 1e-12)
    XCTAssertEqual(task.learningRate(at: 5), 0.2, accuracy: 1e-12)
    XCTAssertEqual(task.learningRate(at: 10), 0, accuracy: 1e-12)
    let constant = FineTuningTask(model: model, steps: 10, optimizer: .sgd(learningRate: 0.4, momentum: 0, weightDecay: 0, nesterov: false)) { _ in
      try model.weight.sum()
    }
    XCTAssertEqual(constant.learningRate(at: 9), 0.4)
  }

  func testTheSweepReadsTheMarkFromTheDistilledNetwork() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lichen-distill-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let classes = (0..<10).map { "c\($0)" }
    func dataset(_ count: Int, offset: Int) throws -> ClassificationDataset {
      var g = SplitMix64(seed: UInt64(offset))
      let pixels = (0..<(count * 3 * 32 * 32)).map { _ in UInt8(truncatingIfNeeded: g.next()) }
      return try ClassificationDataset(pixels: pixels, labels: (0..<count).map { $0 % 10 }, classNames: classes,
                                       channels: 3, height: 32, width: 32)
    }
    try Data(try CIFAR10.encode(try dataset(64, offset: 1))).write(to: directory.appendingPathComponent("data_batch_1.bin"))
    try Data(try CIFAR10.encode(try dataset(8, offset: 2))).write(to: directory.appendingPathComponent("test_batch.bin"))

    let configuration = ClassifierConfiguration(architecture: .resnet18, width: 0.125, depths: [1, 1, 1, 1])
    let model = try configuration.makeModel(seed: 4)
    let bits = Payload.bits(of: "owner")
    let key = try KeyGenerator.generate(for: model, payloadBits: bits.count, seed: 9, alpha: 3, spread: .halfNormal)
    try Embedder.substitute(bits, into: model, key: key)
    let file = directory.appendingPathComponent("marked.safetensors")
    try ClassifierFile.save(model, configuration: configuration, normalization: .cifar10, classNames: classes, to: file)

    let task = try ClassifierAttackTask(modelFile: file, data: directory, evalLimit: nil, seed: 5)
    let rows = try AttackSweep.run([AttackSetting(.none, 0), try AttackSetting(spec: "distillation:2")], load: task.load,
                                   key: key, expected: bits, seed: 2)
    XCTAssertEqual(rows.map(\.family), [.none, .distillation])
    XCTAssertEqual(rows[0].bitErrorRate, 0)
    XCTAssertGreaterThan(rows[1].bitErrorRate, 0.2, "a fresh network does not carry the mark")
    XCTAssertEqual(rows[1].detected, false)

    let unsupported = AttackSubject(model: model, evaluate: { 0 }, fineTune: nil)
    XCTAssertThrowsError(try AttackSweep.apply(try AttackSetting(spec: "distillation:1"), to: unsupported, key: key,
                                               expected: bits, seed: 1))
  }
}
