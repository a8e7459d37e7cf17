import Foundation
import Torch
import XCTest

@testable import Vision

final class ModelTests: XCTestCase {
  func names(_ model: any Module) -> [String] { model.stateDict().map(\.name) }

  func output(_ model: any Layer, batch: Int = 2, channels: Int = 3, size: Int = 32) throws -> Tensor {
    model.setTraining(false)
    let x = try Tensor.randn([batch, channels, size, size], generator: Generator(seed: 1))
    return try withNoGrad { try model(x) }
  }

  func testVGG16Names() throws {
    let model = try VGG(width: 0.0625, classCount: 10, generator: Generator(seed: 0))
    XCTAssertEqual(try output(model).shape, [2, 10])
    let n = names(model)
    // 13 conv layers (conv, bn, relu) + 5 pools: the last conv is features.40, its bn features.41.
    for name in ["features.0.weight", "features.0.bias", "features.1.running_var", "features.1.num_batches_tracked",
                 "features.7.weight", "features.40.weight", "features.41.bias", "classifier.0.weight",
                 "classifier.3.weight", "classifier.6.bias"] {
      XCTAssertTrue(n.contains(name), name)
    }
    XCTAssertFalse(n.contains("features.43.weight"))
    XCTAssertEqual(model.classifier[6].parameters.first?.tensor.shape, [10, 32])
  }

  func testResNet18NamesAndShape() throws {
    let model = try ResNet(width: 0.125, classCount: 7, generator: Generator(seed: 0))
    XCTAssertEqual(try output(model, batch: 3).shape, [3, 7])
    let n = names(model)
    XCTAssertEqual(Array(n.prefix(3)), ["conv1.weight", "bn1.weight", "bn1.bias"])
    for name in ["layer1.0.conv1.weight", "layer1.1.bn2.running_mean", "layer2.0.downsample.0.weight",
                 "layer2.0.downsample.1.weight", "layer4.1.conv2.weight", "fc.weight", "fc.bias"] {
      XCTAssertTrue(n.contains(name), name)
    }
    XCTAssertFalse(n.contains("layer1.0.downsample.0.weight"), "layer1 keeps its width and stride")
    XCTAssertEqual(n.filter { $0.hasSuffix(".weight") && $0.contains("conv") }.count, 17)
    // CIFAR stem: 3x3 conv.
    XCTAssertEqual(model.conv1.weight.shape, [8, 3, 3, 3])
  }

  func testMobileNetV3Small() throws {
    let model = try MobileNetV3(variant: .small, width: 0.25, classCount: 10, generator: Generator(seed: 0))
    XCTAssertEqual(try output(model).shape, [2, 10])
    let n = names(model)
    XCTAssertEqual(model.features.count, 13)
    for name in ["features.0.0.weight", "features.0.1.running_mean", "features.1.block.0.0.weight",
                 "features.1.block.1.fc1.weight", "features.1.block.1.fc2.bias", "features.1.block.2.0.weight",
                 "features.2.block.0.0.weight", "features.4.block.2.fc1.weight", "features.12.0.weight",
                 "classifier.0.weight", "classifier.3.bias"] {
      XCTAssertTrue(n.contains(name), name)
    }
  }

  func testMobileNetV3Large() throws {
    let model = try MobileNetV3(variant: .large, width: 0.25, classCount: 10, generator: Generator(seed: 0))
    XCTAssertEqual(try output(model, batch: 1).shape, [1, 10])
    let n = names(model)
    XCTAssertEqual(model.features.count, 17)
    // The first block does not expand (16 -> 16), so its depthwise conv is block.0.
    XCTAssertTrue(n.contains("features.1.block.0.0.weight"))
    XCTAssertFalse(n.contains("features.1.block.3.0.weight"))
    XCTAssertTrue(n.contains("features.4.block.2.fc1.weight"))
    XCTAssertTrue(n.contains("features.16.1.weight"))
  }

  func testMobileNetChannelRoundingMatchesTorchvision() {
    XCTAssertEqual(Width.divisible(16), 16)
    XCTAssertEqual(Width.divisible(16 * 0.25), 8)
    XCTAssertEqual(Width.divisible(72 * 0.25), 24)  // 18 -> 16 would be >10% low
    XCTAssertEqual(Width.divisible(960 / 4), 240)
  }

  func testSwinTinyNamesShapeAndShiftMask() throws {
    let model = try SwinTransformer(width: 0.25, depths: [2, 2, 2, 2], classCount: 10, generator: Generator(seed: 0))
    XCTAssertEqual(try output(model).shape, [2, 10])
    let n = names(model)
    XCTAssertEqual(Array(n.prefix(4)), ["features.0.0.weight", "features.0.0.bias", "features.0.2.weight", "features.0.2.bias"])
    for name in ["features.1.0.norm1.weight", "features.1.0.attn.relative_position_bias_table",
                 "features.1.0.attn.relative_position_index", "features.1.0.attn.qkv.weight",
                 "features.1.1.attn.proj.bias", "features.1.0.mlp.0.weight", "features.1.0.mlp.3.bias",
                 "features.2.reduction.weight", "features.2.norm.weight", "features.7.1.norm2.bias", "norm.weight",
                 "head.weight"] {
      XCTAssertTrue(n.contains(name), name)
    }
    let attention = try XCTUnwrap(model.features.children[1].module.children[0].module.children.first { $0.name == "attn" })
    let table = try XCTUnwrap(attention.module.parameters.first).tensor
    XCTAssertEqual(table.shape, [49, 3])
    // Relative position index: (0,0) vs itself is the centre of the 7x7 table.
    XCTAssertEqual(ShiftedWindowAttention.relativePositionIndices(4)[0], 24)
    XCTAssertEqual(Set(ShiftedWindowAttention.relativePositionIndices(4)).count, 49)
    // 8x8 map, window 4, shift 2: the top-left window is one region, the others are split.
    let mask = ShiftedWindowAttention.attentionMask(height: 8, width: 8, window: 4, shift: (2, 2))
    XCTAssertEqual(mask.count, 4 * 16 * 16)
    XCTAssertTrue(mask[0..<256].allSatisfy { $0 == 0 })
    XCTAssertEqual(mask[(3 * 256)..<(4 * 256)].filter { $0 == -100 }.count, 256 - 4 * 16)
  }

  func testShiftedWindowsKeepTokensApart() throws {
    // A shifted block's output at a token must not depend on tokens of another region.
    let attention = try ShiftedWindowAttention(dimension: 6, heads: 2, windowSize: 4, shiftSize: 2, generator: Generator(seed: 2))
    let x = try Tensor.randn([1, 8, 8, 6], generator: Generator(seed: 3))
    let y = try withNoGrad { try attention(x) }
    // Token (0,0) and token (7,7) wrap into the same window after the shift but are different regions.
    let changed = try x.clone()
    try withNoGrad { try changed.narrow(1, start: 7, length: 1).narrow(2, start: 7, length: 1).add_(5) }
    let y2 = try withNoGrad { try attention(changed) }
    let before = try y.select(1, 0).select(1, 0).floats(), after = try y2.select(1, 0).select(1, 0).floats()
    for (a, b) in zip(before, after) { XCTAssertEqual(a, b, accuracy: 1e-5) }
    XCTAssertEqual(y.shape, [1, 8, 8, 6])
  }

  func testConfigurationBuildsEveryArchitecture() throws {
    for architecture in ClassifierArchitecture.allCases {
      let configuration = ClassifierConfiguration(
        architecture: architecture, width: 0.125, classCount: 10, inputChannels: 1,
        depths: architecture == .swinT ? [1, 1] : (architecture == .resnet18 ? [1, 1, 1, 1] : nil))
      let model = try configuration.makeModel(seed: 4)
      XCTAssertEqual(try output(model, batch: 1, channels: 1).shape, [1, 10], architecture.rawValue)
      let again = try configuration.makeModel(seed: 4)
      XCTAssertEqual(try model.stateDict().first?.tensor.bytes(), try again.stateDict().first?.tensor.bytes())
    }
    assertThrowsVisionError(.invalidArgument, containing: "width") {
      try ClassifierConfiguration(architecture: .vgg16, width: 0).makeModel(seed: 0)
    }
  }
}
