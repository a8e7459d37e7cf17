import Torch

/// The classifier families Vision can build.
public enum ClassifierArchitecture: String, Codable, Sendable, CaseIterable {
  case vgg16
  case resnet18
  case mobileNetV3Small = "mobilenetv3-small"
  case mobileNetV3Large = "mobilenetv3-large"
  case swinT = "swin-t"
}

/// Everything needed to rebuild a classifier's structure (not its weights):
/// saved in model files and checkpoints so a file alone recreates its model.
public struct ClassifierConfiguration: Codable, Sendable, Equatable {
  public var architecture: ClassifierArchitecture
  /// Width multiplier (1 = the published channel counts).
  public var width: Double
  public var classCount: Int
  public var inputChannels: Int
  /// Blocks per stage, overriding the architecture's default (ResNet: 4
  /// stages, Swin: any number of stages with `heads` to match); nil keeps the
  /// published depth. VGG and MobileNetV3 ignore it.
  public var depths: [Int]?
  /// Attention heads per stage (Swin only); nil is [3, 6, 12, 24] cut to the stage count.
  public var heads: [Int]?

  public init(
    architecture: ClassifierArchitecture, width: Double = 1, classCount: Int = 10, inputChannels: Int = 3,
    depths: [Int]? = nil, heads: [Int]? = nil
  ) {
    self.architecture = architecture
    self.width = width
    self.classCount = classCount
    self.inputChannels = inputChannels
    self.depths = depths
    self.heads = heads
  }

  /// A freshly initialised model; the same seed gives the same weights.
  public func makeModel(seed: UInt64) throws -> any Layer {
    guard width > 0, width <= 4 else { throw VisionError(.invalidArgument, "width \(width) must be in (0, 4]") }
    guard classCount > 1 else { throw VisionError(.invalidArgument, "need at least two classes, got \(classCount)") }
    guard inputChannels > 0 else { throw VisionError(.invalidArgument, "input channels must be positive") }
    let generator = try Generator(seed: seed)
    switch architecture {
    case .vgg16:
      return try VGG(depth: .vgg16, width: width, classCount: classCount, inputChannels: inputChannels, generator: generator)
    case .resnet18:
      return try ResNet(
        blocks: depths ?? [2, 2, 2, 2], width: width, classCount: classCount, inputChannels: inputChannels,
        generator: generator)
    case .mobileNetV3Small, .mobileNetV3Large:
      return try MobileNetV3(
        variant: architecture == .mobileNetV3Small ? .small : .large, width: width, classCount: classCount,
        inputChannels: inputChannels, generator: generator)
    case .swinT:
      let stageDepths = depths ?? [2, 2, 6, 2]
      let defaultHeads = stageDepths.indices.map { 3 << $0 }
      return try SwinTransformer(
        width: width, depths: stageDepths, heads: heads ?? defaultHeads, classCount: classCount,
        inputChannels: inputChannels, generator: generator)
    }
  }
}
