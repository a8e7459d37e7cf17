import Torch

/// DeepLabV3 (Chen et al. 2017, "Rethinking Atrous Convolution") in
/// torchvision's layout: `backbone` (a ResNet without its pool and `fc`,
/// stride replaced by dilation in the last stages) and `classifier` (the
/// DeepLabHead: ASPP, a 3x3 conv + BN + ReLU, a 1x1 conv to the classes);
/// the logits are upsampled bilinearly to the input size. State-dict names
/// are torchvision's `deeplabv3_resnet*` names without the auxiliary head:
/// `backbone.conv1.weight`, `backbone.layer4.0.conv1.weight`,
/// `classifier.0.convs.0.0.weight`, `classifier.0.convs.4.1.weight`
/// (pooling branch), `classifier.0.project.0.weight`, `classifier.1.weight`,
/// `classifier.4.weight`.
public final class DeepLabV3: Layer {
  public let backbone: DilatedResNet
  public let classifier: Sequential
  public var isTraining = true

  public init(configuration c: SegmentationConfiguration, generator: Generator) throws {
    backbone = try DilatedResNet(
      blocks: c.backboneDepths, width: c.width, inputChannels: c.inputChannels, outputStride: c.outputStride,
      generator: generator)
    let channels = c.resolvedHeadChannels
    let aspp = try ASPP(
      backbone.outputChannels, rates: c.resolvedAtrousRates, channels: channels, dropout: c.dropout, generator: generator)
    classifier = Sequential([
      aspp,
      try Conv2d(channels, channels, kernelSize: 3, padding: 1, bias: false, generator: generator),
      try BatchNorm2d(channels), Activation(.relu),
      try Conv2d(channels, c.classCount, kernelSize: 1, generator: generator),
    ])
  }

  public var children: [(name: String, module: any Module)] { [("backbone", backbone), ("classifier", classifier)] }

  /// Logits [N, classes, H, W] for images [N, C, H, W].
  public func callAsFunction(_ input: Tensor) throws -> Tensor {
    let shape = input.shape
    guard shape.count == 4 else { throw VisionError(.invalidArgument, "DeepLabV3 takes NCHW images, got \(shape)") }
    return try classifier(backbone(input)).upsampleBilinear(height: shape[2], width: shape[3])
  }
}

/// torchvision's ResNet stem (7x7 stride-2 conv, BN, ReLU, 3x3 stride-2 max
/// pool) and four stages of basic blocks, without pool and `fc`; the stride
/// of the last stage (output stride 16) or the last two (8) is replaced by
/// dilation (`replace_stride_with_dilation`). Names: `conv1`, `bn1`,
/// `layer1.0.conv1`, `layer3.0.downsample.0`, as torchvision's ResNet.
public final class DilatedResNet: Layer {
  public let conv1: Conv2d
  public let bn1: BatchNorm2d
  public let layers: [Sequential]
  public let outputChannels: Int
  public var isTraining = true

  public init(blocks: [Int], width: Double, inputChannels: Int, outputStride: Int, generator: Generator) throws {
    guard blocks.count == 4, blocks.allSatisfy({ $0 > 0 }) else {
      throw VisionError(.invalidArgument, "the ResNet backbone needs four positive block counts, got \(blocks)")
    }
    guard outputStride == 8 || outputStride == 16 else {
      throw VisionError(.invalidArgument, "output stride must be 8 or 16, got \(outputStride)")
    }
    let widths = [64, 128, 256, 512].map { Width.scaled($0, width) }
    conv1 = try Conv2d(inputChannels, widths[0], kernelSize: 7, stride: 2, padding: 3, bias: false, generator: generator)
    try Initialize.kaimingFanOut(conv1, generator: generator)
    bn1 = try BatchNorm2d(widths[0])
    // replace_stride_with_dilation: [false, true, true] at 8, [false, false, true] at 16.
    let dilate = outputStride == 8 ? [false, false, true, true] : [false, false, false, true]
    var stages: [Sequential] = []
    var channels = widths[0]
    var dilation = 1
    for (stage, count) in blocks.enumerated() {
      var stride = stage > 0 ? 2 : 1
      let previous = dilation
      if dilate[stage] {
        dilation *= stride
        stride = 1
      }
      var stageBlocks: [any Layer] = []
      for index in 0..<count {
        stageBlocks.append(
          try BasicBlock(
            channels, widths[stage], stride: index == 0 ? stride : 1,
            dilation: index == 0 ? (previous, dilation) : (dilation, dilation), generator: generator))
        channels = widths[stage]
      }
      stages.append(Sequential(stageBlocks))
    }
    layers = stages
    outputChannels = channels
  }

  public var children: [(name: String, module: any Module)] {
    [("conv1", conv1), ("bn1", bn1)] + layers.enumerated().map { ("layer\($0.offset + 1)", $0.element) }
  }

  public func callAsFunction(_ input: Tensor) throws -> Tensor {
    var x = try bn1(conv1(input)).relu().maxPool2d(kernel: 3, stride: 2, padding: 1)
    for stage in layers { x = try stage(x) }
    return x
  }
}

/// Atrous spatial pyramid pooling: a 1x1 branch, one 3x3 branch per rate,
/// an image-pooling branch (global average, 1x1 conv, BN, ReLU, broadcast
/// back), concatenated and projected by a 1x1 conv + BN + ReLU + dropout.
/// Names: `convs.0.0` (1x1), `convs.1.0`... (atrous), `convs.N.1` (pooling
/// conv), `project.0`.
final class ASPP: Layer {
  let convs: Sequential
  let project: Sequential
  var isTraining = true

  init(_ inChannels: Int, rates: [Int], channels: Int, dropout: Double, generator: Generator) throws {
    guard !rates.isEmpty, rates.allSatisfy({ $0 > 0 }) else {
      throw VisionError(.invalidArgument, "ASPP needs positive atrous rates, got \(rates)")
    }
    func branch(kernelSize: Int, dilation: Int) throws -> Sequential {
      Sequential([
        try Conv2d(inChannels, channels, kernelSize: kernelSize, padding: kernelSize == 1 ? 0 : dilation,
                   dilation: dilation, bias: false, generator: generator),
        try BatchNorm2d(channels), Activation(.relu),
      ])
    }
    var branches: [any Layer] = [try branch(kernelSize: 1, dilation: 1)]
    for rate in rates { branches.append(try branch(kernelSize: 3, dilation: rate)) }
    branches.append(try ASPPPooling(inChannels, channels, generator: generator))
    convs = Sequential(branches)
    project = Sequential([
      try Conv2d(channels * branches.count, channels, kernelSize: 1, bias: false, generator: generator),
      try BatchNorm2d(channels), Activation(.relu), try Dropout(dropout),
    ])
  }

  var children: [(name: String, module: any Module)] { [("convs", convs), ("project", project)] }

  func callAsFunction(_ input: Tensor) throws -> Tensor {
    let outputs = try convs.layers.map { try $0(input) }
    return try project(Tensor.cat(outputs, dim: 1))
  }
}

/// The image-pooling branch: children "0" (the pool, no weights), "1" conv,
/// "2" BN, "3" ReLU, as torchvision's `ASPPPooling` Sequential.
final class ASPPPooling: Layer {
  let conv: Conv2d
  let bn: BatchNorm2d
  var isTraining = true

  init(_ inChannels: Int, _ channels: Int, generator: Generator) throws {
    conv = try Conv2d(inChannels, channels, kernelSize: 1, bias: false, generator: generator)
    bn = try BatchNorm2d(channels)
  }

  var children: [(name: String, module: any Module)] { [("1", conv), ("2", bn)] }

  func callAsFunction(_ input: Tensor) throws -> Tensor {
    let shape = input.shape
    let pooled = try bn(conv(input.adaptiveAvgPool2d(1, 1))).relu()
    return try pooled.upsampleBilinear(height: shape[2], width: shape[3])
  }
}
