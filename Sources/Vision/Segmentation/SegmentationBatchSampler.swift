import Torch

/// One segmentation batch as plain Swift arrays (it crosses from the batch
/// thread; `Tensor` is not Sendable).
public struct SegmentationHostBatch: Sendable, Equatable {
  /// Normalised pixels, NCHW.
  public var pixels: [Float]
  /// Class id per pixel, NHW; void pixels are `SegmentationDataset.ignoreLabel`.
  public var labels: [Int64]
  public var channels: Int
  public var height: Int
  public var width: Int
  /// The dataset indices of the images, in batch order.
  public var indices: [Int]

  public var count: Int { indices.count }

  /// Images [B, C, H, W] float32 and labels [B, H, W] int64.
  public func tensors() throws -> (images: Tensor, labels: Tensor) {
    (try Tensor(pixels, shape: [count, channels, height, width]), try Tensor(labels, shape: [count, height, width]))
  }
}

/// Draws segmentation batches the way `BatchSampler` draws classification
/// batches: training batch `s` is a pure function of (seed, s) - the epoch's
/// order from (seed, epoch), scale/crop/flip from (seed, s) - so a resumed
/// run sees exactly the batches of an uninterrupted one; the last partial
/// batch of an epoch is dropped. Evaluation batches cover the set in order,
/// unaugmented, at full size.
///
/// Data parallel: like `BatchSampler`, each rank draws its `shard` of a
/// global batch of `batchSize x shard.count` images, with the augmentation
/// one process would draw for those slots.
public struct SegmentationBatchSampler: TrainingBatchSource, PlannedBatchSampler {
  public let dataset: SegmentationDataset
  public let plan: BatchPlan
  public let normalization: Normalization
  public let augmentation: SegmentationAugmentation

  public init(dataset: SegmentationDataset, batchSize: Int, normalization: Normalization,
              augmentation: SegmentationAugmentation = .none, seed: UInt64 = 0, shard: DataShard = .whole) throws {
    plan = try BatchPlan(count: dataset.count, batchSize: batchSize, shard: shard, seed: seed)
    try normalization.check(channels: dataset.channels)
    self.dataset = dataset
    self.normalization = normalization
    self.augmentation = augmentation
  }

  public func trainingBatch(step: Int, order: [Int]) -> SegmentationHostBatch {
    var (indices, rng) = plan.trainingSlots(
      step: step, order: order, skip: augmentation.isIdentity ? nil : { augmentation.skip(using: &$0) })
    return makeBatch(indices, augmentation: augmentation, rng: &rng)
  }

  /// The training batch of global step `step`.
  public func trainingBatch(step: Int) -> SegmentationHostBatch {
    trainingBatch(step: step, order: order(epoch: step / stepsPerEpoch))
  }

  /// Evaluation batch `index` (dataset order, no augmentation).
  public func evaluationBatch(_ index: Int) -> SegmentationHostBatch {
    var rng = SplitMix64(seed: 0)
    return makeBatch(plan.evaluationIndices(index), augmentation: .none, rng: &rng)
  }

  private func makeBatch(_ indices: [Int], augmentation: SegmentationAugmentation, rng: inout SplitMix64)
    -> SegmentationHostBatch
  {
    let c = dataset.channels
    let (h, w) = augmentation.outputSize(height: dataset.height, width: dataset.width)
    let plane = h * w
    var pixels = [Float](repeating: 0, count: indices.count * c * plane)
    var labels = [Int64](repeating: 0, count: indices.count * plane)
    let scale = normalization.std.map { 1 / (255 * $0) }
    let shift = zip(normalization.mean, normalization.std).map { -$0 / $1 }
    for (slot, index) in indices.enumerated() {
      let raw: [Float], map: [UInt8]
      if augmentation.isIdentity {
        raw = dataset.image(at: index).map(Float.init)
        map = Array(dataset.labelMap(at: index))
      } else {
        (raw, map) = augmentation.apply(
          image: dataset.image(at: index), labels: dataset.labelMap(at: index), channels: c, height: dataset.height,
          width: dataset.width, using: &rng)
      }
      for channel in 0..<c {
        let a = scale[channel], b = shift[channel]
        let offset = (slot * c + channel) * plane
        for p in 0..<plane { pixels[offset + p] = raw[channel * plane + p] * a + b }
      }
      for p in 0..<plane { labels[slot * plane + p] = Int64(map[p]) }
    }
    return SegmentationHostBatch(pixels: pixels, labels: labels, channels: c, height: h, width: w, indices: indices)
  }
}
