import Torch

/// ResNet with basic blocks (He et al. 2016), CIFAR stem: a 3x3 stride-1
/// `conv1` and no max-pool, so 32x32 inputs reach `layer4` at 4x4. Names
/// follow torchvision's `resnet18`: `conv1`, `bn1`, `layer1.0.conv1`,
/// `layer2.0.downsample.0`, `fc`.
public final class ResNet: Layer {
  public let conv1: Conv2d
  public let bn1: BatchNorm2d
  public let layers: [Sequential]
  public let fc: Linear
  public var isTraining = true

  /// - Parameters:
  ///   - blocks: basic blocks per stage: [2, 2, 2, 2] is ResNet18, [3, 4, 6, 3] ResNet34.
  ///   - width: multiplies every channel count (64, 128, 256, 512 at 1).
  public init(
    blocks: [Int] = [2, 2, 2, 2], width: Double = 1, classCount: Int = 10, inputChannels: Int = 3,
    generator: Generator
  ) throws {
    guard blocks.count == 4, blocks.allSatisfy({ $0 > 0 }) else {
      throw VisionError(.invalidArgument, "ResNet needs four positive block counts, got \(blocks)")
    }
    let widths = [64, 128, 256, 512].map { Width.scaled($0, width) }
    conv1 = try Conv2d(inputChannels, widths[0], kernelSize: 3, padding: 1, bias: false, generator: generator)
    try Initialize.kaimingFanOut(conv1, generator: generator)
    bn1 = try BatchNorm2d(widths[0])
    var stages: [Sequential] = []
    var channels = widths[0]
    for (stage, count) in blocks.enumerated() {
      var stageBlocks: [any Layer] = []
      for index in 0..<count {
        let stride = stage > 0 && index == 0 ? 2 : 1
        stageBlocks.append(try BasicBlock(channels, widths[stage], stride: stride, generator: generator))
        channels = widths[stage]
      }
      stages.append(Sequential(stageBlocks))
    }
    layers = stages
    fc = try Linear(channels, classCount, generator: generator)
  }

  public var children: [(name: String, module: any Module)] {
    [("conv1", conv1), ("bn1", bn1)] + layers.enumerated().map { ("layer\($0.offset + 1)", $0.element) } + [("fc", fc)]
  }

  public func callAsFunction(_ input: Tensor) throws -> Tensor {
    var x = try bn1(conv1(input)).relu()
    for stage in layers { x = try stage(x) }
    return try fc(x.adaptiveAvgPool2d(1, 1).flatten(from: 1))
  }
}

/// Two 3x3 convs with a shortcut; a 1x1 conv + BN (`downsample`) projects
/// the shortcut when the stride or the width changes. `dilation` gives each
/// conv's dilation (padding follows, so the size is kept): DeepLab's
/// backbone replaces the stride of its last stages by dilation, the first
/// block of such a stage keeping the previous dilation in its first conv.
final class BasicBlock: Layer {
  let conv1: Conv2d, bn1: BatchNorm2d, conv2: Conv2d, bn2: BatchNorm2d
  let downsample: Sequential?
  var isTraining = true

  init(_ inChannels: Int, _ outChannels: Int, stride: Int, dilation: (Int, Int) = (1, 1), generator: Generator) throws {
    conv1 = try Conv2d(
      inChannels, outChannels, kernelSize: 3, stride: stride, padding: dilation.0, dilation: dilation.0, bias: false,
      generator: generator)
    bn1 = try BatchNorm2d(outChannels)
    conv2 = try Conv2d(
      outChannels, outChannels, kernelSize: 3, padding: dilation.1, dilation: dilation.1, bias: false, generator: generator)
    bn2 = try BatchNorm2d(outChannels)
    for conv in [conv1, conv2] { try Initialize.kaimingFanOut(conv, generator: generator) }
    if stride != 1 || inChannels != outChannels {
      let projection = try Conv2d(inChannels, outChannels, kernelSize: 1, stride: stride, bias: false, generator: generator)
      try Initialize.kaimingFanOut(projection, generator: generator)
      downsample = Sequential([projection, try BatchNorm2d(outChannels)])
    } else {
      downsample = nil
    }
  }

  var children: [(name: String, module: any Module)] {
    [("conv1", conv1), ("bn1", bn1), ("conv2", conv2), ("bn2", bn2)] + (downsample.map { [("downsample", $0)] } ?? [])
  }

  func callAsFunction(_ input: Tensor) throws -> Tensor {
    let out = try bn2(conv2(bn1(conv1(input)).relu()))
    let shortcut = try downsample.map { try $0(input) } ?? input
    return try (out + shortcut).relu()
  }
}
