import Compression
import Foundation
import Torch
import XCTest

@testable import Distillation

final class DistillationTests: XCTestCase {
  func teacher(n: Int = 8, m: Int = 12) throws -> LoadedModel {
    let model = try ScaleHyperprior(n: n, m: m, seed: 21)
    // Make channel importances distinct and GDN non-trivial.
    try withNoGrad {
      for (_, p) in model.namedParameters() { try p.add_(Tensor.randn(p.shape, generator: Generator(seed: 5)) * 0.05) }
    }
    model.setTraining(false)
    return LoadedModel(model: model, configuration: ModelConfiguration(architecture: .scaleHyperprior, n: n, m: m),
                       metadata: [:], source: "teacher", weightsHash: 0)
  }

  func testBadPairingsAreClearErrors() throws {
    let t = try teacher()
    XCTAssertThrowsError(try StudentFactory.student(for: t, n: 16)) { XCTAssertTrue("\($0)".contains("larger than the teacher"), "\($0)") }
    XCTAssertThrowsError(try StudentFactory.student(for: t, n: 4, m: 16)) { XCTAssertTrue("\($0)".contains("M=16 differs"), "\($0)") }
    let factorized = try FactorizedPrior(n: 8, m: 12)
    let f = LoadedModel(model: factorized, configuration: ModelConfiguration(architecture: .factorizedPrior, n: 8, m: 12),
                        metadata: [:], source: "f", weightsHash: 0)
    XCTAssertThrowsError(try StudentFactory.student(for: f, n: 4)) { XCTAssertTrue("\($0)".contains("hyperprior teacher"), "\($0)") }
  }

  func testSelectingAllChannelsReproducesTheTeacher() throws {
    let t = try teacher()
    guard let tm = t.model as? ScaleHyperprior else { return XCTFail() }
    let student = try StudentFactory.student(for: t, n: 8)
    try ChannelSelection.initialize(student, from: tm)
    student.setTraining(false)
    let x = try Tensor.rand([1, 3, 64, 64], generator: Generator(seed: 2))
    let a = try withNoGrad { try tm.forward(x, mode: .dequantize) }
    let b = try withNoGrad { try student.forward(x, mode: .dequantize) }
    XCTAssertEqual(try (a.reconstruction - b.reconstruction).abs().max().item(), 0, accuracy: 1e-6)
    XCTAssertEqual(try (a.likelihoods[1].tensor - b.likelihoods[1].tensor).abs().max().item(), 0, accuracy: 1e-6)
  }

  func testNarrowSelectionKeepsTheStrongestChannelsExactly() throws {
    let t = try teacher()
    guard let tm = t.model as? ScaleHyperprior else { return XCTFail() }
    let student = try StudentFactory.student(for: t, n: 4)
    let selection = try ChannelSelection.initialize(student, from: tm)
    guard let kept = selection.kept["g_a.0"], let first = tm.analysis[0] as? Conv2d,
      let studentFirst = student.analysis[0] as? Conv2d
    else { return XCTFail("missing layers") }
    XCTAssertEqual(kept.count, 4)
    // The kept channels are the 4 largest L1 norms of the teacher's first layer.
    let norms = try first.weight.abs().sum(dims: [1, 2, 3]).to(.float64).scalars(as: Double.self)
    XCTAssertEqual(Set(kept), Set(norms.indices.sorted { norms[$0] > norms[$1] }.prefix(4)))
    // The student's first layer computes exactly the teacher's kept channels.
    let x = try Tensor.rand([1, 3, 32, 32], generator: Generator(seed: 3))
    let full = try withNoGrad { try first(x).indexSelect(1, Tensor(kept.map(Int64.init))) }
    let mine = try withNoGrad { try studentFirst(x) }
    XCTAssertEqual(try (full - mine).abs().max().item(), 0, accuracy: 1e-6)
    XCTAssertEqual(selection.zChannels.count, 4)
    XCTAssertEqual(student.entropyBottleneck.quantiles.shape, [4, 1, 3])
  }

  func testObjectiveTrainsAndRejectsAnUnmatchableZTerm() throws {
    let t = try teacher()
    guard let tm = t.model as? ScaleHyperprior else { return XCTFail() }
    let student = try StudentFactory.student(for: t, n: 4)
    XCTAssertThrowsError(try DistillationObjective(
      teacher: tm, studentN: 4, weights: .init(latent: 0.2, reconstruction: 0.2, rateDistortion: 0.4, hyperLatent: 0.1),
      lambda: 0.01, zChannels: nil)) { XCTAssertTrue("\($0)".contains("z term"), "\($0)") }
    let selection = try ChannelSelection.initialize(student, from: tm)
    let objective = try DistillationObjective(
      teacher: tm, studentN: 4, weights: .init(latent: 0.2, reconstruction: 0.2, rateDistortion: 0.4, hyperLatent: 0.1),
      lambda: 0.01, zChannels: selection.zChannels)
    let x = try Tensor.rand([2, 3, 64, 64], generator: Generator(seed: 4))
    let adam = Adam(student.mainParameters, learningRate: 1e-3)
    var losses: [Double] = []
    for step in 0..<8 {
      try adam.zeroGrad()
      let terms = try objective.terms(model: student, batch: x, noise: Generator(seed: UInt64(step)))
      losses.append(try terms.loss.item())
      try terms.loss.backward()
      try adam.step()
    }
    XCTAssertTrue(losses.allSatisfy(\.isFinite))
    XCTAssertLessThan(losses.last ?? .infinity, losses.first ?? 0)
    // The teacher stays frozen.
    XCTAssertNil(tm.analysis[0].parameters.first?.tensor.grad)
  }

  /// With every teacher term at zero the objective is the plain RD loss times its weight (a same-start
  /// control), and the teacher is not needed for it.
  func testZeroTeacherWeightsGiveThePlainRDLoss() throws {
    let t = try teacher()
    guard let tm = t.model as? ScaleHyperprior else { return XCTFail() }
    let student = try StudentFactory.student(for: t, n: 4)
    try ChannelSelection.initialize(student, from: tm)
    let objective = try DistillationObjective(
      teacher: tm, studentN: 4, weights: .init(latent: 0, reconstruction: 0, rateDistortion: 1, hyperLatent: 0),
      lambda: 0.01, zChannels: nil)
    let x = try Tensor.rand([2, 3, 64, 64], generator: Generator(seed: 4))
    let control = try objective.terms(model: student, batch: x, noise: Generator(seed: 9))
    let plain = try RDLoss(lambda: 0.01).terms(model: student, batch: x, noise: Generator(seed: 9))
    XCTAssertEqual(try control.loss.item(), try plain.loss.item(), accuracy: 1e-9)
    XCTAssertEqual(try control.bpp.item(), try plain.bpp.item(), accuracy: 1e-9)
  }

  func testMACCountsMatchTheCompressAIMeasurement() throws {
    // PEERS.md: N=128 M=192 on 768x512: g_a+h_a 17.1 GMACs, g_s 16.6, h_s 0.54.
    let model = try ScaleHyperprior(n: 128, m: 192)
    let report = try Complexity.analyze(model, width: 768, height: 512)
    XCTAssertEqual(Double(report.macs(of: "g_a") + report.macs(of: "h_a")) / 1e9, 17.1, accuracy: 0.05)
    XCTAssertEqual(Double(report.macs(of: "g_s")) / 1e9, 16.6, accuracy: 0.05)
    XCTAssertEqual(Double(report.macs(of: "h_s")) / 1e9, 0.54, accuracy: 0.01)
    let transformParameters = report.layers.reduce(0) { $0 + $1.parameters }
    XCTAssertEqual(transformParameters, model.namedParameters().filter { !$0.name.hasPrefix("entropy_bottleneck") }
      .reduce(0) { $0 + $1.tensor.elementCount })
    // A narrower student needs fewer MACs: N=64 is about 3.5x below N=128.
    let student = try Complexity.analyze(try ScaleHyperprior(n: 64, m: 192), width: 768, height: 512)
    XCTAssertGreaterThan(Double(report.totalMACs) / Double(student.totalMACs), 3)
  }
}
