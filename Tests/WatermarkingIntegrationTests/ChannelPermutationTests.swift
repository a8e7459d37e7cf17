import Foundation
import Torch
import Vision
import Watermarking
import XCTest

/// Function-preserving obfuscation of a ResNet: the permuted model computes the same outputs,
/// index-based extraction loses the mark, and the owner's realigning detector finds it again
/// from the key alone (also after small noise on top of the permutation).
final class ChannelPermutationTests: XCTestCase {
  let bits = Payload.bits(of: "owner: lichen")  // 104 bits

  /// A ResNet18 (width 0.25, evaluation mode) carrying `bits` at half-normal magnitudes of 3 std.
  func markedModel() throws -> (model: any Layer, key: WatermarkKey) {
    let model = try ClassifierConfiguration(architecture: .resnet18, width: 0.25, depths: [1, 1, 1, 1]).makeModel(seed: 4)
    model.setTraining(false)
    let key = try KeyGenerator.generate(for: model, payloadBits: bits.count, seed: 9, alpha: 3, spread: .halfNormal)
    try Embedder.substitute(bits, into: model, key: key)
    return (model, key)
  }
  /// `markedModel()` with the channel signatures of its final weights in the key, and a probe of its function.
  func signedModel() throws -> (model: any Layer, key: WatermarkKey, probe: FunctionProbe) {
    let (model, unsignedKey) = try markedModel()
    var key = unsignedKey
    key.alignment = try ChannelPermutation.signatures(of: model, seed: 1)
    return (model, key, try FunctionProbe(model))
  }

  /// A model's outputs on a fixed batch, to check that an obfuscation kept its function.
  struct FunctionProbe {
    let input: Tensor
    let before: [Float]

    init(_ model: any Layer) throws {
      let input = try Tensor.rand([2, 3, 32, 32], generator: try Generator(seed: 1))
      self.input = input
      before = try withNoGrad { try model(input).floats() }
    }

    /// Fails unless `model` gives the recorded outputs within 1e-4 of their largest magnitude.
    func assertSameFunction(_ model: any Layer, _ message: String, file: StaticString = #filePath, line: UInt = #line) throws {
      let after = try withNoGrad { try model(input).floats() }
      let scale = before.map { abs($0) }.max() ?? 1
      XCTAssertLessThan((zip(before, after).map { abs($0 - $1) }.max() ?? 1) / scale, 1e-4, message, file: file, line: line)
    }
  }

  /// The attack sweep on fresh evaluation-mode copies of `model` (the task metric a constant).
  func sweep(_ settings: [AttackSetting], on model: any Layer, key: WatermarkKey) throws -> [AttackSweepRow] {
    let state = try model.stateDictRecords()
    return try AttackSweep.run(settings, load: {
      let copy = try ClassifierConfiguration(architecture: .resnet18, width: 0.25, depths: [1, 1, 1, 1]).makeModel(seed: 0)
      try copy.load(stateDict: state)
      copy.setTraining(false)
      return AttackSubject(model: copy, evaluate: { 0.5 }, fineTune: nil)
    }, key: key, expected: bits, seed: 2)
  }

  func testPermutationPreservesTheFunctionAndRealignmentRecoversTheMark() throws {
    let (model, key) = try markedModel()
    let x = try Tensor.rand([2, 3, 32, 32], generator: try Generator(seed: 1))
    let before = try withNoGrad { try model(x).floats() }
    XCTAssertEqual(try Extractor.extract(from: model, key: key, expected: bits).bitErrorRate, 0)
    XCTAssertEqual(try ChannelPermutation.realigned(from: model, key: key, expected: bits).bitErrorRate, 0,
                   "an untouched model realigns to itself")

    let permutations = try ChannelPermutation.apply(to: model, seed: 77)
    XCTAssertEqual(permutations.count, 4, "one group per basic block")
    XCTAssertTrue(permutations.values.allSatisfy { $0 != Array(0..<$0.count) })
    let after = try withNoGrad { try model(x).floats() }
    let worst = zip(before, after).map { abs($0 - $1) }.max() ?? 1
    XCTAssertLessThan(worst, 1e-4, "the permuted network computes the same function")

    let plain = try Extractor.extract(from: model, key: key, expected: bits)
    XCTAssertGreaterThan(try XCTUnwrap(plain.bitErrorRate), 0.2)
    XCTAssertEqual(plain.detected, false)
    let realigned = try ChannelPermutation.realigned(from: model, key: key, expected: bits)
    XCTAssertEqual(realigned.bitErrorRate, 0)
    XCTAssertEqual(realigned.detected, true)

    try Attack.gaussianNoise(relativeStd: 0.01).apply(to: model, seed: 3)
    let noisy = try ChannelPermutation.realigned(from: model, key: key, expected: bits)
    XCTAssertEqual(noisy.detected, true, "BER \(noisy.bitErrorRate ?? 1)")
  }

  func testTheSweepReportsBothDetectors() throws {
    let (model, key) = try markedModel()
    let rows = try sweep([AttackSetting(spec: "channel-permutation")], on: model, key: key)
    XCTAssertEqual(rows.count, 1)
    XCTAssertFalse(rows[0].detected)
    XCTAssertEqual(rows[0].metrics?["realigned_ber"], 0)
    XCTAssertEqual(rows[0].metrics?["realigned_detected"], 1)
  }

  /// Rescaling the channels (conv1 and the batch-norm statistics by a, the batch-norm affine and
  /// conv2's inputs by b and 1/b) keeps the function and every sign: the plain detector keeps the
  /// mark. After permutation and rescaling together, the realigning detector, which matches the
  /// key's magnitudes, loses it: what a permutation-robust detector has to solve next.
  func testRescalingKeepsTheFunctionAndTheSignsButDefeatsTheMagnitudeMatch() throws {
    let (model, key) = try markedModel()
    let probe = try FunctionProbe(model)
    try ChannelPermutation.rescale(model, maximumFactor: 4, seed: 5)
    try probe.assertSameFunction(model, "the rescaled network computes the same function")
    XCTAssertEqual(try Extractor.extract(from: model, key: key, expected: bits).bitErrorRate, 0, "signs survive rescaling")
    XCTAssertThrowsError(try ChannelPermutation.rescale(model, maximumFactor: 0.5, seed: 1))

    try ChannelPermutation.apply(to: model, seed: 77)
    XCTAssertEqual(try Extractor.extract(from: model, key: key, expected: bits).detected, false)
    let realigned = try ChannelPermutation.realigned(from: model, key: key, expected: bits)
    XCTAssertEqual(realigned.detected, false, "magnitude matching fails once magnitudes are rescaled (BER \(realigned.bitErrorRate ?? 1))")
  }

  /// With the channels' sign signatures in the key (taken from the owner's final model), the
  /// realigning detector finds the channels again after permutation, rescaling and noise together.
  func testSignaturesSurvivePermutationRescalingAndNoise() throws {
    let (model, unsignedKey) = try markedModel()
    var key = unsignedKey
    key.alignment = try ChannelPermutation.signatures(of: model, seed: 1)
    XCTAssertEqual(key.alignment?.count, 4)
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("key-\(UUID().uuidString).json")
    defer { try? FileManager.default.removeItem(at: url) }
    try key.write(to: url)
    XCTAssertEqual(try WatermarkKey.read(from: url), key, "the signatures travel with the key")

    try ChannelPermutation.rescale(model, maximumFactor: 4, seed: 5)
    try ChannelPermutation.apply(to: model, seed: 77)
    try Attack.gaussianNoise(relativeStd: 0.01).apply(to: model, seed: 3)
    XCTAssertEqual(try Extractor.extract(from: model, key: key, expected: bits).detected, false)
    let realigned = try ChannelPermutation.realigned(from: model, key: key, expected: bits)
    XCTAssertEqual(realigned.detected, true, "BER \(realigned.bitErrorRate ?? 1)")
    XCTAssertLessThan(try XCTUnwrap(realigned.bitErrorRate), 0.05)
  }

  /// Dummy neurons (cancelling pairs of channels, then a permutation) keep the function while widening
  /// every block: the plain detector cannot read the model, the signature-realigning detector finds
  /// the original channels among the dummies and reads the mark back.
  func testDummyNeuronsKeepTheFunctionAndSignaturesFindTheOriginalChannels() throws {
    let (model, key, probe) = try signedModel()
    let widths = try model.stateDictRecords().filter { $0.key.hasSuffix(".conv1.weight") }.mapValues { $0.shape[0] }
    let origins = try DummyNeurons.apply(to: model, fraction: 0.5, seed: 12)
    XCTAssertEqual(origins.count, 4, "one group per basic block")
    for (prefix, origin) in origins {
      let width = try XCTUnwrap(widths[prefix + ".conv1.weight"])
      XCTAssertEqual(origin.count, width + 2 * Int((Double(width) / 4).rounded(.up)))
      XCTAssertEqual(Set(origin.compactMap { $0 }), Set(0..<width), "every old channel is kept once")
    }
    try probe.assertSameFunction(model, "the widened network computes the same function")
    XCTAssertThrowsError(try Extractor.extract(from: model, key: key, expected: bits), "the key's shapes no longer fit")
    let realigned = try ChannelPermutation.realigned(from: model, key: key, expected: bits)
    XCTAssertEqual(realigned.bitErrorRate, 0)
    XCTAssertEqual(realigned.detected, true)
    XCTAssertThrowsError(try DummyNeurons.apply(to: model, fraction: 0, seed: 1))
  }

  func testTheSweepRunsDummyNeurons() throws {
    let (model, unsignedKey) = try markedModel()
    var key = unsignedKey
    key.alignment = try ChannelPermutation.signatures(of: model, seed: 1)
    let setting = try AttackSetting(spec: "dummy-neurons:0.25")
    XCTAssertEqual(setting.description, "dummy-neurons:0.25")
    let rows = try sweep([setting], on: model, key: key)
    XCTAssertEqual(rows.count, 1)
    XCTAssertFalse(rows[0].detected)
    XCTAssertEqual(rows[0].metrics?["realigned_ber"], 0)
    XCTAssertEqual(rows[0].metrics?["realigned_detected"], 1)
  }

  /// Sign flips (conv1's row, the batch norm's mean and scale negated) keep the function but change the
  /// signs the mark and the key's row signatures read: the plain detector loses the flipped channels'
  /// bits; the realigning detector sees rows that disagree everywhere, flips them back and reads the mark.
  func testSignFlipsKeepTheFunctionAndSignaturesUndoThem() throws {
    let (model, key, probe) = try signedModel()
    let flips = try ChannelPermutation.flipSigns(model, fraction: 0.5, seed: 8)
    XCTAssertEqual(flips.count, 4, "one group per basic block")
    for flipped in flips.values { XCTAssertEqual(flipped.filter { $0 }.count, flipped.count / 2) }
    try probe.assertSameFunction(model, "the flipped network computes the same function")
    XCTAssertGreaterThan(try XCTUnwrap(try Extractor.extract(from: model, key: key, expected: bits).bitErrorRate), 0,
                         "bits in flipped conv1 rows read inverted")
    XCTAssertEqual(try ChannelPermutation.realigned(from: model, key: key, expected: bits).bitErrorRate, 0)
    try ChannelPermutation.apply(to: model, seed: 77)
    XCTAssertEqual(try ChannelPermutation.realigned(from: model, key: key, expected: bits).bitErrorRate, 0, "flips and a permutation")
    XCTAssertThrowsError(try ChannelPermutation.flipSigns(model, fraction: 1.5, seed: 1))
    XCTAssertThrowsError(try ChannelPermutation.flipSigns(model, fraction: 0, seed: 1))

    let rows = try sweep([try AttackSetting(spec: "channel-sign-flip:0.5")], on: try markedModel().model, key: key)
    XCTAssertEqual(rows.first?.metrics?["realigned_ber"], 0)
  }

  /// Neuron splitting (real channels copied, each conv2 column shared between original and copy with
  /// shares that may flip one side's sign) keeps the function and widens the blocks; the realigning
  /// detector picks, for every original channel, the copy whose signature agrees and reads the mark back.
  func testNeuronSplittingKeepsTheFunctionAndTheRealignedMark() throws {
    let (model, key, probe) = try signedModel()
    let widths = try model.stateDictRecords().filter { $0.key.hasSuffix(".conv1.weight") }.mapValues { $0.shape[0] }
    let origins = try DummyNeurons.split(model, fraction: 1, seed: 12)
    for (prefix, origin) in origins {
      let width = try XCTUnwrap(widths[prefix + ".conv1.weight"])
      XCTAssertEqual(origin.count, 2 * width, "every channel split in two")
      XCTAssertEqual(origin.compactMap { $0 }.sorted(), (0..<width).flatMap { [$0, $0] })
    }
    try probe.assertSameFunction(model, "the split network computes the same function")
    XCTAssertThrowsError(try Extractor.extract(from: model, key: key, expected: bits), "the key's shapes no longer fit")
    XCTAssertEqual(try ChannelPermutation.realigned(from: model, key: key, expected: bits).bitErrorRate, 0)
    XCTAssertThrowsError(try DummyNeurons.split(model, fraction: 2, seed: 1))

    let rows = try sweep([try AttackSetting(spec: "neuron-splitting:0.5")], on: try markedModel().model, key: key)
    XCTAssertEqual(rows.first?.metrics?["realigned_ber"], 0)
    XCTAssertEqual(rows.first?.bitErrorRate, 1, "the plain detector cannot read widened blocks")
  }
}
