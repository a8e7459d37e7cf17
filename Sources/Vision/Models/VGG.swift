import Torch

/// VGG with batch norm (Simonyan & Zisserman 2015), CIFAR-sized: the five
/// max-pools take 32x32 to 1x1, so the classifier reads 512 features
/// instead of 512x7x7. Names follow torchvision's `vgg16_bn`: `features.N`
/// (conv, bn, relu per layer, a pool per "M") and `classifier.0/3/6`.
public final class VGG: Layer {
  /// Layer configurations (numbers are conv widths, nil is a max-pool).
  public enum Depth: Int, Codable, Sendable, CaseIterable {
    case vgg11 = 11, vgg13 = 13, vgg16 = 16, vgg19 = 19

    var configuration: [Int?] {
      switch self {
      case .vgg11: return [64, nil, 128, nil, 256, 256, nil, 512, 512, nil, 512, 512, nil]
      case .vgg13: return [64, 64, nil, 128, 128, nil, 256, 256, nil, 512, 512, nil, 512, 512, nil]
      case .vgg16: return [64, 64, nil, 128, 128, nil, 256, 256, 256, nil, 512, 512, 512, nil, 512, 512, 512, nil]
      case .vgg19:
        return [64, 64, nil, 128, 128, nil, 256, 256, 256, 256, nil, 512, 512, 512, 512, nil, 512, 512, 512, 512, nil]
      }
    }
  }

  public let features: Sequential
  public let classifier: Sequential
  public var isTraining = true

  /// - Parameters:
  ///   - width: multiplies every channel count (0.25 gives 16...128 channels).
  ///   - dropout: probability of the two classifier dropouts (torchvision: 0.5).
  public init(
    depth: Depth = .vgg16, width: Double = 1, classCount: Int = 10, inputChannels: Int = 3, dropout: Double = 0.5,
    generator: Generator
  ) throws {
    var layers: [any Layer] = []
    var channels = inputChannels
    for entry in depth.configuration {
      guard let planes = entry else {
        layers.append(MaxPool())
        continue
      }
      let out = Width.scaled(planes, width)
      let conv = try Conv2d(channels, out, kernelSize: 3, padding: 1, generator: generator)
      try Initialize.kaimingFanOut(conv, generator: generator)
      layers += [conv, try BatchNorm2d(out), Activation(.relu)]
      channels = out
    }
    features = Sequential(layers)
    let hidden = Width.scaled(512, width)
    let fc1 = try Linear(channels, hidden, generator: generator)
    let fc2 = try Linear(hidden, hidden, generator: generator)
    let fc3 = try Linear(hidden, classCount, generator: generator)
    // The linears keep PyTorch's default init rather than torchvision's
    // N(0, 0.01): with 512w instead of 4096 hidden units, N(0, 0.01) shrinks
    // the logits' gradient so much that a narrow VGG stays at chance for
    // an epoch (measured: 10% after 78 steps at width 0.25).
    classifier = Sequential([
      fc1, Activation(.relu), try Dropout(dropout), fc2, Activation(.relu), try Dropout(dropout), fc3,
    ])
  }

  public var children: [(name: String, module: any Module)] { [("features", features), ("classifier", classifier)] }

  public func callAsFunction(_ input: Tensor) throws -> Tensor {
    // Adaptive pooling keeps inputs larger than 32x32 working; at 32x32 it is the identity.
    try classifier(features(input).adaptiveAvgPool2d(1, 1).flatten(from: 1))
  }

  /// 2x2 max-pool with stride 2 (parameter-free slot in `features`).
  final class MaxPool: Layer {
    var isTraining = true
    func callAsFunction(_ input: Tensor) throws -> Tensor { try input.maxPool2d(kernel: 2, stride: 2) }
  }
}
