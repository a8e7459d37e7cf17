import Torch

/// Everything needed to rebuild a DeepLabV3 (not its weights); stored in
/// model files and checkpoints.
public struct SegmentationConfiguration: Codable, Sendable, Equatable {
  /// Basic blocks per backbone stage: [2, 2, 2, 2] is ResNet18, [3, 4, 6, 3] ResNet34.
  public var backboneDepths: [Int]
  /// Multiplies the backbone's channel counts (64...512 at 1) and, unless
  /// `headChannels` is set, the head's 256.
  public var width: Double
  public var classCount: Int
  public var inputChannels: Int
  /// 8 (last two stages dilated, torchvision's choice) or 16 (last stage only).
  public var outputStride: Int
  /// The ASPP's atrous rates; nil: torchvision's [12, 24, 36] at output stride 8, halved at 16.
  public var atrousRates: [Int]?
  /// Channels of the ASPP branches and the head; nil: 256 x width.
  public var headChannels: Int?
  /// Dropout after the ASPP projection (torchvision: 0.5).
  public var dropout: Double

  public init(backboneDepths: [Int] = [2, 2, 2, 2], width: Double = 1, classCount: Int = CamVid.classNames.count,
              inputChannels: Int = 3, outputStride: Int = 8, atrousRates: [Int]? = nil, headChannels: Int? = nil,
              dropout: Double = 0.5) {
    self.backboneDepths = backboneDepths
    self.width = width
    self.classCount = classCount
    self.inputChannels = inputChannels
    self.outputStride = outputStride
    self.atrousRates = atrousRates
    self.headChannels = headChannels
    self.dropout = dropout
  }

  public var resolvedAtrousRates: [Int] { atrousRates ?? (outputStride == 8 ? [12, 24, 36] : [6, 12, 18]) }
  public var resolvedHeadChannels: Int { headChannels ?? Width.scaled(256, width, minimum: 8) }

  /// A freshly initialised model; the same seed gives the same weights.
  public func makeModel(seed: UInt64) throws -> DeepLabV3 {
    guard width > 0, width <= 4 else { throw VisionError(.invalidArgument, "width \(width) must be in (0, 4]") }
    guard classCount > 1 else { throw VisionError(.invalidArgument, "need at least two classes, got \(classCount)") }
    guard inputChannels > 0 else { throw VisionError(.invalidArgument, "input channels must be positive") }
    if let headChannels, headChannels <= 0 { throw VisionError(.invalidArgument, "head channels must be positive") }
    return try DeepLabV3(configuration: self, generator: try Generator(seed: seed))
  }
}
