import Torch

/// Mixup (Zhang, Cisse, Dauphin, Lopez-Paz 2018) and CutMix (Yun et al. 2019) on a training batch.
/// Each step draws one weight lambda ~ Beta(alpha, alpha) and a permutation that gives every image a
/// partner: mixup blends the whole images, lambda x own + (1 - lambda) x partner; CutMix pastes a box
/// of the partner covering 1 - lambda of the image (centre uniform, clipped at the borders, lambda
/// then recomputed from the box actually pasted). The loss is lambda x CE(own label) + (1 - lambda) x
/// CE(partner's label). Regularizes networks that overfit small training sets, vision transformers
/// above all; the draws are functions of (seed, step, shard), so resumed runs mix the same way.
public struct BatchMixing: Codable, Sendable, Equatable {
  /// Beta concentration of mixup's weight (1 in the paper's CIFAR-10 runs); nil: no mixup.
  public var mixupAlpha: Double?
  /// Beta concentration of CutMix's area (1 in the paper); nil: no CutMix. With both set, each step
  /// picks one of the two at even odds.
  public var cutMixAlpha: Double?

  public init(mixupAlpha: Double? = nil, cutMixAlpha: Double? = nil) {
    self.mixupAlpha = mixupAlpha
    self.cutMixAlpha = cutMixAlpha
  }

  /// Throws unless every alpha given is positive and finite, and at least one is given.
  public func validate() throws {
    guard mixupAlpha != nil || cutMixAlpha != nil else {
      throw VisionError(.invalidArgument, "batch mixing needs a mixup or a CutMix alpha")
    }
    for (name, alpha) in [("mixup", mixupAlpha), ("CutMix", cutMixAlpha)] {
      if let alpha, !(alpha > 0 && alpha.isFinite) {
        throw VisionError(.invalidArgument, "the \(name) alpha must be positive and finite, got \(alpha)")
      }
    }
  }

  /// One step's mixing of a batch.
  public struct Draw: Sendable, Equatable {
    /// Mixup blends whole images; CutMix replaces these rows and columns with the partner's.
    public enum Kind: Sendable, Equatable {
      case mixup
      case cutMix(rows: Range<Int>, columns: Range<Int>)
    }
    public var kind: Kind
    /// The weight of each image's own label (for CutMix, the fraction of its own pixels kept).
    public var lambda: Double
    /// `partner[i]`: the image mixed into image i.
    public var partner: [Int]
  }

  /// The draw for a batch of `count` images of `height` x `width` pixels.
  public func draw(count: Int, height: Int, width: Int, using rng: inout SplitMix64) -> Draw {
    let isCutMix = mixupAlpha != nil && cutMixAlpha != nil ? rng.next() & 1 == 1 : cutMixAlpha != nil
    let alpha = (isCutMix ? cutMixAlpha : mixupAlpha) ?? 1  // validated: the chosen one is set
    let lambda = rng.beta(alpha, alpha)
    let partner = rng.permutation(count)
    guard isCutMix else { return Draw(kind: .mixup, lambda: lambda, partner: partner) }
    // The box of Yun et al.'s reference code: sides sqrt(1 - lambda) of the image's, centred on a
    // uniformly drawn pixel and clipped, so the pasted area can be smaller than 1 - lambda.
    let side = (1 - lambda).squareRoot()
    let boxHeight = Int(Double(height) * side), boxWidth = Int(Double(width) * side)
    let centreRow = rng.below(height), centreColumn = rng.below(width)
    let rows = Swift.max(0, centreRow - boxHeight / 2)..<Swift.min(height, centreRow + boxHeight / 2)
    let columns = Swift.max(0, centreColumn - boxWidth / 2)..<Swift.min(width, centreColumn + boxWidth / 2)
    let kept = 1 - Double(rows.count * columns.count) / Double(height * width)
    return Draw(kind: .cutMix(rows: rows, columns: columns), lambda: kept, partner: partner)
  }
}

extension BatchMixing.Draw {
  /// `images` [N, C, H, W] mixed with their partners.
  public func mix(_ images: Tensor) throws -> Tensor {
    let partners = try images.indexSelect(0, partnerIndex())
    switch kind {
    case .mixup:
      return try images * lambda + partners * (1 - lambda)
    case .cutMix(let rows, let columns):
      let (_, _, height, width) = try images.size4("batch")
      var box = [Float](repeating: 0, count: height * width)
      for row in rows { for column in columns { box[row * width + column] = 1 } }
      let mask = try Tensor(box, shape: [1, 1, height, width]).to(images.dtype)
      return try images * (1 - mask) + partners * mask
    }
  }

  /// The partners' labels, in batch order.
  public func partnerLabels(_ labels: Tensor) throws -> Tensor { try labels.indexSelect(0, partnerIndex()) }

  /// lambda x `loss`(own labels) + (1 - lambda) x `loss`(partners' labels).
  public func mixedLoss(_ logits: Tensor, _ labels: Tensor, _ loss: (Tensor, Tensor) throws -> Tensor) throws -> Tensor {
    try loss(logits, labels) * lambda + loss(logits, partnerLabels(labels)) * (1 - lambda)
  }

  private func partnerIndex() throws -> Tensor { try Tensor(partner.map(Int64.init), shape: [partner.count]) }
}
