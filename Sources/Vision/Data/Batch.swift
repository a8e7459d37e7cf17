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
public struct BatchSampler: Sendable {
  public let dataset: ClassificationDataset
  /// Images per batch on this shard.
  public let batchSize: Int
  public let shard: DataShard
  public let normalization: Normalization
  public let augmentation: Augmentation
  public let seed: UInt64

  public init(
    dataset: ClassificationDataset, batchSize: Int, normalization: Normalization,
    augmentation: Augmentation = .none, seed: UInt64 = 0, shard: DataShard = .whole
  ) throws {
    guard batchSize > 0 else { throw VisionError(.invalidArgument, "batch size must be positive, got \(batchSize)") }
    guard dataset.count > 0 else { throw VisionError(.invalidArgument, "the dataset is empty") }
    guard shard.count == 1 || dataset.count >= batchSize * shard.count else {
      throw VisionError(
        .invalidArgument,
        "\(dataset.count) images cannot fill one global batch of \(batchSize) x \(shard.count) ranks")
    }
    self.shard = shard
    try normalization.check(channels: dataset.channels)
    self.dataset = dataset
    self.batchSize = batchSize
    self.normalization = normalization
    self.augmentation = augmentation
    self.seed = seed
  }

  /// Images in one training step across all shards.
  public var globalBatchSize: Int { batchSize * shard.count }

  /// Full training batches per epoch (at least one: a dataset smaller than
  /// the batch size gives one short batch).
  public var stepsPerEpoch: Int { Swift.max(1, dataset.count / globalBatchSize) }

  /// Batches that cover the dataset once in order, the last possibly short.
  public var evaluationBatchCount: Int { (dataset.count + batchSize - 1) / batchSize }

  /// The shuffled image order of one epoch.
  public func order(epoch: Int) -> [Int] {
    var rng = SeededGenerator(seed: seed, stream: RandomStream.epochOrder.rawValue, step: epoch)
    return rng.permutation(dataset.count)
  }

  /// The training batch of global step `step` (epoch order supplied by the
  /// caller, who caches it across the steps of an epoch).
  public func trainingBatch(step: Int, order: [Int]) -> HostBatch {
    let position = step % stepsPerEpoch
    let global = Array(order[(position * globalBatchSize)..<Swift.min(order.count, (position + 1) * globalBatchSize)])
    var rng = SeededGenerator(seed: seed, stream: RandomStream.augmentation.rawValue, step: step)
    let mine = shard.slots(perShard: batchSize).clamped(to: 0..<global.count)
    // The global batch's earlier slots draw their augmentation first: skip those draws.
    for _ in 0..<mine.lowerBound where !augmentation.isIdentity { augmentation.skip(using: &rng) }
    return makeBatch(Array(global[mine]), augment: true, rng: &rng)
  }

  /// The training batch of global step `step`.
  public func trainingBatch(step: Int) -> HostBatch {
    trainingBatch(step: step, order: order(epoch: step / stepsPerEpoch))
  }

  /// Evaluation batch `index` (images in dataset order, no augmentation).
  public func evaluationBatch(_ index: Int) -> HostBatch {
    let start = index * batchSize
    var rng = SeededGenerator(seed: 0)
    return makeBatch(Array(start..<Swift.min(dataset.count, start + batchSize)), augment: false, rng: &rng)
  }

  private func makeBatch(_ indices: [Int], augment: Bool, rng: inout SeededGenerator) -> HostBatch {
    let c = dataset.channels, h = dataset.height, w = dataset.width, plane = h * w
    var pixels = [Float](repeating: 0, count: indices.count * c * plane)
    let scale = normalization.std.map { 1 / (255 * $0) }
    let shift = zip(normalization.mean, normalization.std).map { -$0 / $1 }
    pixels.withUnsafeMutableBufferPointer { out in
      for (slot, index) in indices.enumerated() {
        let source = dataset.image(at: index)
        let bytes = augment && !augmentation.isIdentity
          ? augmentation.apply(source, channels: c, height: h, width: w, using: &rng)[...] : source
        var i = bytes.startIndex
        for channel in 0..<c {
          let a = scale[channel], b = shift[channel]
          let offset = (slot * c + channel) * plane
          for p in 0..<plane {
            out[offset + p] = Float(bytes[i]) * a + b
            i += 1
          }
        }
      }
    }
    return HostBatch(
      pixels: pixels, labels: indices.map { Int64(dataset.labels[$0]) }, channels: c, height: h, width: w,
      indices: indices)
  }
}
