import Foundation
import Torch
import XCTest

@testable import Watermarking

/// Key secrecy: a mark written at a large multiple of its layer's std, or at one
/// repeated magnitude, is found from the model alone; an untouched key is not.
final class KeySecrecyTests: XCTestCase {
  func model() throws -> Sequential {
    let g = try Generator(seed: 3)
    return Sequential([try Linear(64, 128, generator: g), Activation(.relu), try Linear(128, 64, generator: g)])
  }

  func layers(_ model: Sequential) throws -> [(name: String, values: [Float])] {
    KeySecrecy.markable(try model.namedParameters().map { ($0.name, try $0.tensor.floats(), $0.tensor.shape) })
  }

  func row(_ rows: [KeySecrecy.Row], _ statistic: KeySecrecy.Statistic, k: Int) throws -> KeySecrecy.Row {
    try XCTUnwrap(rows.first { $0.statistic == statistic && $0.k == k })
  }

  func testLargeOrRepeatedMarksAreFoundAndUntouchedKeysAreNot() throws {
    let bits = (0..<96).map { $0 % 3 == 0 }
    // Untouched: the key's weights are ordinary weights; every statistic is near chance.
    let plain = try model()
    let key = try KeyGenerator.generate(for: plain, payloadBits: bits.count, seed: 11, alpha: 30)
    let untouched = try KeySecrecy.analyze(layers: try layers(plain), key: key, ks: [96, 960])
    for statistic in KeySecrecy.Statistic.weightOnly {
      let r = try row(untouched, statistic, k: 960)
      XCTAssertLessThan(Double(r.hits), r.chance * 3 + 5, "\(statistic): \(r)")
    }
    // Substituted at 30 std: the relative magnitude puts every key weight on top.
    let large = try model()
    try Embedder.substitute(bits, into: large, key: key)
    let found = try KeySecrecy.analyze(layers: try layers(large), key: key, ks: [96])
    XCTAssertEqual(try row(found, .relativeMagnitude, k: 96).hits, 96)
    XCTAssertEqual(try row(found, .robustOutlier, k: 96).hits, 96)
    // At 1 std the magnitude hides it, but the one magnitude per layer repeats: found anyway.
    let small = try model()
    let quiet = try KeyGenerator.generate(for: small, payloadBits: bits.count, seed: 11, alpha: 1)
    try Embedder.substitute(bits, into: small, key: quiet)
    let rows = try KeySecrecy.analyze(layers: try layers(small), key: quiet, ks: [96])
    XCTAssertLessThan(try row(rows, .relativeMagnitude, k: 96).hitRate, 0.5)
    XCTAssertEqual(try row(rows, .repeatedMagnitude, k: 96).hits, 96)
    let r = try row(rows, .repeatedMagnitude, k: 96)
    XCTAssertEqual(r.positions, 96)
    XCTAssertEqual(r.candidates, 64 * 128 + 128 * 64)
    XCTAssertEqual(r.chance, 96.0 * 96 / Double(r.candidates), accuracy: 1e-12)
  }

  /// Per-position magnitudes: the key hides from every statistic, and the mark still reads back.
  func testHalfNormalMagnitudesHideTheKey() throws {
    let bits = (0..<96).map { $0 % 3 == 0 }
    let m = try model()
    let key = try KeyGenerator.generate(for: m, payloadBits: bits.count, seed: 11, alpha: 1, spread: .halfNormal)
    let scales = try XCTUnwrap(key.mapping.positionScales)
    XCTAssertEqual(scales.count, 96)
    XCTAssertTrue(scales.allSatisfy { $0 >= KeyGenerator.halfNormalFloor && $0 < 6 })
    XCTAssertEqual(Set(scales).count, 96, "no factor repeats")
    // Keys are regenerated from their seed: the factors of seed 11 stay what they were when first made.
    XCTAssertEqual(scales.prefix(4).map(\.bitPattern), [0x4000_bf0b_e14a_531f, 0x3fe1_5233_16cb_0a95, 0x3fed_a215_f31b_55fb,
                                                     0x4007_9ffe_ddc8_2983])
    // Same positions as a one-magnitude key of the same seed.
    XCTAssertEqual(key.positions, try KeyGenerator.generate(for: m, payloadBits: bits.count, seed: 11, alpha: 1).positions)
    try key.validate()
    try Embedder.substitute(bits, into: m, key: key)
    let extracted = try Extractor.extract(from: m, key: key, expected: bits)
    XCTAssertEqual(extracted.bitErrorRate, 0)
    let rows = try KeySecrecy.analyze(layers: try layers(m), key: key, ks: [96, 960])
    for r in rows where r.k == 960 {
      XCTAssertLessThan(Double(r.hits), r.chance * 3 + 5, "\(r.statistic): \(r)")
    }
    // The JSON round trip keeps the factors; a wrong count is an error naming the field.
    let data = try JSONEncoder().encode(key)
    XCTAssertEqual(try JSONDecoder().decode(WatermarkKey.self, from: data), key)
    var broken = key
    broken.mapping.positionScales = Array(scales.dropLast())
    XCTAssertThrowsError(try broken.validate()) { XCTAssertTrue("\($0)".contains("mapping.positionScales"), "\($0)") }
    broken.mapping.positionScales = scales.enumerated().map { $0.offset == 3 ? -1 : $0.element }
    XCTAssertThrowsError(try broken.validate()) { XCTAssertTrue("\($0)".contains("positionScales[3]"), "\($0)") }
  }

  /// The Fisher diagonal against the gradient written out by hand, and the curvature ranking it gives.
  func testFisherDiagonalIsTheMeanSquaredGradient() throws {
    let m = Sequential([try Linear(4, 2, generator: try Generator(seed: 5))])
    let scale: [Float] = [1, 1, 10, 1]  // the third input varies 10x more: its weights are the sharpest
    let inputs: [[Float]] = (0..<3).map { step in
      (0..<32).map { i in Float(sin(Double(i * 7 + step * 3) * 0.9)) * scale[i % 4] }
    }
    let loss = { (step: Int) throws -> Tensor in
      try Loss.mse(try m(try Tensor(inputs[step], shape: [8, 4])), try Tensor.zeros([8, 2]))
    }
    let fisher = try KeySecrecy.fisherDiagonal(of: m, batches: 3, loss: loss)
    let weight = try XCTUnwrap(m.namedParameters().first { $0.tensor.shape == [2, 4] })
    let bias = try XCTUnwrap(m.namedParameters().first { $0.tensor.shape == [2] }).tensor.floats()
    XCTAssertEqual(Array(fisher.keys), [weight.name], "only the markable weight")
    let w = try weight.tensor.floats()
    // mean over 8 x 2 outputs of o^2: dL/dW_ij = (1/8) sum_n o_ni x_nj with o = W x + b.
    var expected = [Double](repeating: 0, count: 8)
    for x in inputs {
      for i in 0..<2 {
        for j in 0..<4 {
          var g = 0.0
          for n in 0..<8 {
            let o = (0..<4).reduce(Double(bias[i])) { $0 + Double(w[i * 4 + $1]) * Double(x[n * 4 + $1]) }
            g += o * Double(x[n * 4 + j]) / 8
          }
          expected[i * 4 + j] += g * g / 3
        }
      }
    }
    let measured = try XCTUnwrap(fisher[weight.name])
    for (a, b) in zip(measured, expected) { XCTAssertEqual(Double(a), b, accuracy: 1e-4 * max(1, b)) }
    // Ranked by curvature, the weights of the third input come first in both rows.
    let scores = try KeySecrecy.scores(w, fisher: measured, statistic: .fisher)
    let top = scores.indices.sorted { scores[$0] > scores[$1] }.prefix(2)
    XCTAssertEqual(Set(top), [2, 6])
    XCTAssertEqual(scores.reduce(0, +) / 8, 1, accuracy: 1e-9, "normalized by the layer's mean")
    XCTAssertThrowsError(try KeySecrecy.scores(w, statistic: .saliency)) { XCTAssertTrue("\($0)".contains("Fisher"), "\($0)") }
    XCTAssertThrowsError(try KeySecrecy.fisherDiagonal(of: m, batches: 0, loss: loss))
  }

  /// With a Fisher diagonal the data statistics join the weight ones; a key the curvature gives away is found.
  func testDataStatisticsRankByTheFisherDiagonal() throws {
    let bits = (0..<96).map { $0 % 3 == 0 }
    let m = try model()
    let key = try KeyGenerator.generate(for: m, payloadBits: bits.count, seed: 11, alpha: 1, spread: .halfNormal)
    try Embedder.substitute(bits, into: m, key: key)
    let ls = try layers(m)
    // A curvature that singles out the key (what a load-bearing mark would look like).
    var fisher = Dictionary(uniqueKeysWithValues: ls.map { ($0.name, [Float](repeating: 1, count: $0.values.count)) })
    for p in key.positions { fisher[p.layer]?[p.index] = 50 }
    let rows = try KeySecrecy.analyze(layers: ls, key: key, ks: [96], fisher: fisher)
    XCTAssertEqual(Set(rows.map(\.statistic)), Set(KeySecrecy.Statistic.allCases))
    XCTAssertEqual(try row(rows, .fisher, k: 96).hits, 96)
    XCTAssertLessThan(try row(rows, .relativeMagnitude, k: 96).hits, 48, "the weights alone find far less")
    XCTAssertEqual(Set(try KeySecrecy.analyze(layers: ls, key: key, ks: [96]).map(\.statistic)),
                   Set(KeySecrecy.Statistic.weightOnly), "no data, no data statistics")
  }

  func testKeyOutsideTheModelIsAnError() throws {
    let m = try model()
    let key = try KeyGenerator.generate(for: m, payloadBits: 16, seed: 1)
    XCTAssertThrowsError(try KeySecrecy.analyze(layers: [("other.weight", [1, 2, 3])], key: key, ks: [4]))
    XCTAssertThrowsError(try KeySecrecy.analyze(layers: try layers(m), key: key, ks: [0]))
  }
}
