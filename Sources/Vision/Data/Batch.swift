import Torch

/// One batch as plain Swift arrays, so it can cross threads (`Tensor` is not
/// Sendable); `tensors()` turns it into model input on the consumer side.
public struct HostBatch: Sendable, Equatable {
  /// Normalised pixels, NCHW.
  public var pixels: [Float]
  public var labels: [Int64]
  public var channels: Int
  public var height: Int
  public var width: Int
  /// The dataset indices of the images, in batch order.
  public var indices: [Int]

  public var count: Int { labels.count }

  /// Images [B, C, H, W] float32 and labels [B] int64.
  public func tensors() throws -> (images: Tensor, labels: Tensor) {
    (try Tensor(pixels, shape: [count, channels, height, width]), try Tensor(labels, shape: [count]))
  }
}

/// Draws batches from a dataset: for training, a deterministic function of
/// (seed, step) - shuffled anew each epoch, augmented, last partial batch
/// dropped; for evaluation, the images in order without augmentation.
/// In data-parallel training each rank's sampler has the same seed and its
/// own `shard`: a training step's global batch holds `batchSize x
/// shard.count` images and this sampler returns the shard's `batchSize` of
/// them, augmented exactly as one sampler of the global batch size would.
public struct BatchSampler: Sendable, PlannedBatchSampler {
  public let dataset: ClassificationDataset
  public let plan: BatchPlan
  public let normalization: Normalization
  public let augmentation: Augmentation

  public init(
    dataset: ClassificationDataset, batchSize: Int, normalization: Normalization,
    augmentation: Augmentation = .none, seed: UInt64 = 0, shard: DataShard = .whole
  ) throws {
    plan = try BatchPlan(count: dataset.count, batchSize: batchSize, shard: shard, seed: seed)
    try normalization.check(channels: dataset.channels)
    self.dataset = dataset
    self.normalization = normalization
    self.augmentation = augmentation
  }

  /// The training batch of global step `step` (epoch order supplied by the
  /// caller, who caches it across the steps of an epoch).
  public func trainingBatch(step: Int, order: [Int]) -> HostBatch {
    var (indices, rng) = plan.trainingSlots(
      step: step, order: order, skip: augmentation.isIdentity ? nil : { augmentation.skip(using: &$0) })
    return makeBatch(indices, augment: true, rng: &rng)
  }

  /// The training batch of global step `step`.
  public func trainingBatch(step: Int) -> HostBatch {
    trainingBatch(step: step, order: order(epoch: step / stepsPerEpoch))
  }

  /// Evaluation batch `index` (images in dataset order, no augmentation).
  public func evaluationBatch(_ index: Int) -> HostBatch {
    var rng = SeededGenerator(seed: 0)
    return makeBatch(plan.evaluationIndices(index), augment: false, rng: &rng)
  }

  private func makeBatch(_ indices: [Int], augment: Bool, rng: inout SeededGenerator) -> HostBatch {
    let c = dataset.channels, h = dataset.height, w = dataset.width, plane = h * w
    var pixels = [Float](repeating: 0, count: indices.count * c * plane)
    let scale = normalization.std.map { 1 / (255 * $0) }
    let shift = zip(normalization.mean, normalization.std).map { -$0 / $1 }
    pixels.withUnsafeMutableBufferPointer { out in
      for (slot, index) in indices.enumerated() {
        let source = dataset.image(at: index)
        var hole: Augmentation.Hole?
        var bytes = source
        if augment, !augmentation.isIdentity {
          let augmented = augmentation.apply(source, channels: c, height: h, width: w, using: &rng)
          bytes = augmented.pixels[...]
          hole = augmented.hole
        }
        var i = bytes.startIndex
        for channel in 0..<c {
          let a = scale[channel], b = shift[channel]
          let offset = (slot * c + channel) * plane
          for p in 0..<plane {
            out[offset + p] = Float(bytes[i]) * a + b
            i += 1
          }
          if let hole {
            for y in hole.rows { for x in hole.columns { out[offset + y * w + x] = 0 } }
          }
        }
      }
    }
    return HostBatch(
      pixels: pixels, labels: indices.map { Int64(dataset.labels[$0]) }, channels: c, height: h, width: w,
      indices: indices)
  }
}
