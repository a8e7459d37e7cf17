import Foundation

/// The datasets Vision knows by name, with how each is loaded and normalised.
public enum StandardDataset: String, Codable, Sendable, CaseIterable {
  case cifar10
  /// Zero-padded from 28x28 to 32x32 on load, so every CIFAR-sized model fits.
  case fashionMNIST = "fashion-mnist"

  public enum Split: String, Codable, Sendable, CaseIterable {
    case train, test
  }

  public var normalization: Normalization {
    switch self {
    case .cifar10: return .cifar10
    case .fashionMNIST: return .fashionMNIST
    }
  }

  public var channels: Int { self == .cifar10 ? 3 : 1 }

  /// Where the data usually is, when the caller names no directory.
  public var defaultDirectory: URL {
    switch self {
    case .cifar10: return URL(fileURLWithPath: "../shared/data/cifar10")  // beside the repository, from its root
    case .fashionMNIST: return FashionMNIST.defaultDirectory
    }
  }

  /// Loads a split as 32x32 images.
  public func load(directory: URL, split: Split) throws -> ClassificationDataset {
    switch self {
    case .cifar10:
      return try CIFAR10.load(directory: directory, split: split == .train ? .train : .test)
    case .fashionMNIST:
      return try FashionMNIST.load(directory: directory, split: split == .train ? .train : .test).zeroPadded(to: 32)
    }
  }
}
