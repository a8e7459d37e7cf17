import Foundation
import Torch
import Vision
import Watermarking
import XCTest

/// Fine-pruning: activity measured through the batch norms' outputs on the attacker's batches, the
/// least active channels of each residual block zeroed (and dead for good), then fine-tuning; the
/// sweep row records the steps, and a model without residual blocks is refused by name.
final class FinePruningTests: XCTestCase {
  let bits = Payload.bits(of: "owner: lichen")

  func resnet(seed: UInt64 = 4) throws -> any Layer {
    try ClassifierConfiguration(architecture: .resnet18, width: 0.25, depths: [1, 1, 1, 1]).makeModel(seed: seed)
  }

  func testActivityMatchesTheBatchNormOutputAndLeavesTheModelAsItWas() throws {
    let model = try resnet()
    model.setTraining(true)
    let x = try Tensor.rand([4, 3, 32, 32], generator: try Generator(seed: 1))
    let state = try model.stateDictRecords()
    let activity = try FinePruning.channelActivity(of: model, batches: 2) { _ in _ = try model(x) }
    XCTAssertEqual(activity.count, 4, "one group per basic block")
    XCTAssertTrue(model.isTraining, "training mode restored")
    XCTAssertEqual(try model.stateDictRecords(), state, "measuring changes no weight or running statistic")

    // The first block's bn1 output, computed by hand: conv1 -> bn1 -> relu of the stem's output.
    let stem = try XCTUnwrap(model.module(at: "bn1") as? BatchNorm2d)
    let stemConv = try XCTUnwrap(model.module(at: "conv1") as? Conv2d)
    let conv = try XCTUnwrap(model.module(at: "layer1.0.conv1") as? Conv2d)
    let norm = try XCTUnwrap(model.module(at: "layer1.0.bn1") as? BatchNorm2d)
    model.setTraining(false)
    let expected = try withNoGrad { () -> [Float] in
      let h = try stem(stemConv(x)).relu()
      return try norm(conv(h)).relu().mean(dims: [0, 2, 3]).floats()
    }
    let measured = try XCTUnwrap(activity["layer1.0"])
    XCTAssertEqual(measured.count, expected.count)
    for (a, b) in zip(measured, expected) { XCTAssertEqual(a, Double(b), accuracy: 1e-5) }
    XCTAssertNil(norm.outputObserver, "observers removed")
  }

  func testPrunedChannelsAreDeadAndStayDeadThroughTraining() throws {
    let model = try resnet()
    let x = try Tensor.rand([4, 3, 32, 32], generator: try Generator(seed: 1))
    let activity = try FinePruning.channelActivity(of: model, batches: 1) { _ in _ = try model(x) }
    let pruned = try FinePruning.prune(model, activity: activity, fraction: 0.5)
    let means = try XCTUnwrap(activity["layer2.0"])
    let chosen = try XCTUnwrap(pruned["layer2.0"])
    XCTAssertEqual(chosen.count, means.count / 2)
    let kept = Set(means.indices).subtracting(chosen)
    XCTAssertLessThanOrEqual(chosen.map { means[$0] }.max() ?? 0, kept.map { means[$0] }.min() ?? 0,
                             "the least active channels go")

    // A few SGD steps in training mode: the pruned channels get no gradient and stay zero.
    model.setTraining(true)
    let optimizer = SGD(model.trainableParameters, learningRate: 0.1, momentum: 0.9)
    for _ in 0..<3 {
      try model.zeroGrad()
      let loss = try withGrad { try model(x).pow(2).mean() }
      try loss.backward()
      try optimizer.step()
    }
    let state = Dictionary(model.stateDict().map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
    for (prefix, channels) in pruned {
      let filters = try XCTUnwrap(state[prefix + ".conv1.weight"]), columns = try XCTUnwrap(state[prefix + ".conv2.weight"])
      let (filterValues, columnValues) = (try filters.floats(), try columns.floats())
      let gamma = try XCTUnwrap(state[prefix + ".bn1.weight"]).floats(), beta = try XCTUnwrap(state[prefix + ".bn1.bias"]).floats()
      let c = filters.shape[0], row = filters.elementCount / c
      let (out, k) = (columns.shape[0], columns.shape[2] * columns.shape[3])
      for channel in channels {
        XCTAssertTrue(filterValues[(channel * row)..<((channel + 1) * row)].allSatisfy { $0 == 0 }, "\(prefix) filter \(channel)")
        XCTAssertEqual(gamma[channel], 0)
        XCTAssertEqual(beta[channel], 0)
        for o in 0..<out {
          let start = (o * c + channel) * k
          XCTAssertTrue(columnValues[start..<(start + k)].allSatisfy { $0 == 0 }, "\(prefix) column \(channel)")
        }
      }
      XCTAssertTrue(try filters.floats().contains { $0 != 0 }, "the kept channels trained")
    }
    XCTAssertThrowsError(try FinePruning.prune(model, activity: activity, fraction: 1.5))
  }

  func testTheSweepPrunesFineTunesAndRecordsTheSteps() throws {
    let model = try resnet()
    let key = try KeyGenerator.generate(for: model, payloadBits: bits.count, seed: 9, alpha: 3, spread: .halfNormal)
    try Embedder.substitute(bits, into: model, key: key)
    let state = try model.stateDictRecords()
    let x = try Tensor.rand([4, 3, 32, 32], generator: try Generator(seed: 1))
    var trained: [Int] = []
    let setting = try AttackSetting(spec: "fine-pruning:0.5:7")
    XCTAssertEqual(setting.fineTuneSteps, 7)
    XCTAssertEqual(setting.description, "fine-pruning:0.5:7")
    XCTAssertEqual(try AttackSetting(spec: "fine-pruning:0.25").fineTuneSteps, nil)
    XCTAssertThrowsError(try AttackSetting(spec: "fine-pruning:0.5:x"))
    XCTAssertThrowsError(try AttackSetting(spec: "magnitude-pruning:0.5:7"), "only fine-pruning takes steps")
    let rows = try AttackSweep.run([setting], load: {
      let copy = try self.resnet(seed: 0)
      try copy.load(stateDict: state)
      return AttackSubject(model: copy, evaluate: { 0.5 }, fineTune: { steps, frozen in
        XCTAssertNil(frozen)
        trained.append(steps)
      }, attackerLoss: { _ in try copy(x).mean() })
    }, key: key, expected: bits, seed: 2)
    XCTAssertEqual(trained, [7])
    XCTAssertEqual(rows.first?.metrics?["fine_tune_steps"], 7)
    XCTAssertGreaterThan(try XCTUnwrap(rows.first?.bitErrorRate), 0, "half of every block's channels gone takes key weights with them")

    let plain = try ClassifierConfiguration(architecture: .vgg16, width: 0.25).makeModel(seed: 1)
    XCTAssertThrowsError(try FinePruning.channelActivity(of: plain, batches: 1) { _ in }) { error in
      XCTAssertTrue("\(error)".contains("residual blocks"), "\(error)")
    }
  }
}
