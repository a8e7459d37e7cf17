import Torch

/// Which images each batch holds, for both vision samplers: training step `s` takes this shard's
/// slots of the `s`-th global batch of its epoch's shuffled order (a function of (seed, epoch)),
/// and its augmentation generator is drawn from (seed, s) and advanced past the draws of the
/// global batch's earlier slots, so N ranks see what one process of the global batch would.
/// Evaluation batches cover the dataset in order.
public struct BatchPlan: Sendable {
  /// Images in the dataset.
  public let count: Int
  /// Images per batch on this shard.
  public let batchSize: Int
  public let shard: DataShard
  public let seed: UInt64

  /// - Throws: `VisionError` for a batch size that is not positive, an empty dataset, or a dataset
  ///   that cannot fill one global batch across several shards.
  public init(count: Int, batchSize: Int, shard: DataShard, seed: UInt64) throws {
    guard batchSize > 0 else { throw VisionError(.invalidArgument, "batch size must be positive, got \(batchSize)") }
    guard count > 0 else { throw VisionError(.invalidArgument, "the dataset is empty") }
    guard shard.count == 1 || count >= batchSize * shard.count else {
      throw VisionError(.invalidArgument, "\(count) images cannot fill one global batch of \(batchSize) x \(shard.count) ranks")
    }
    (self.count, self.batchSize, self.shard, self.seed) = (count, batchSize, shard, seed)
  }

  /// Images in one training step across all shards.
  public var globalBatchSize: Int { batchSize * shard.count }

  /// Full training batches per epoch (at least one: a dataset smaller than the batch size gives
  /// one short batch; otherwise the last partial batch is dropped).
  public var stepsPerEpoch: Int { Swift.max(1, count / globalBatchSize) }

  /// Batches that cover the dataset once in order, the last possibly short.
  public var evaluationBatchCount: Int { (count + batchSize - 1) / batchSize }

  /// The shuffled image order of one epoch.
  public func order(epoch: Int) -> [Int] {
    var rng = SplitMix64(seed: seed, stream: RandomStream.epochOrder.rawValue, step: epoch)
    return rng.permutation(count)
  }

  /// This shard's images of training step `step` (given its epoch's `order`) and the augmentation
  /// generator for the first of them.
  /// - Parameter skip: consumes one image's augmentation draws (nil: the augmentation draws nothing).
  func trainingSlots(step: Int, order: [Int], skip: ((inout SplitMix64) -> Void)?) -> (indices: [Int], rng: SplitMix64) {
    let position = step % stepsPerEpoch
    let global = Array(order[(position * globalBatchSize)..<Swift.min(order.count, (position + 1) * globalBatchSize)])
    var rng = SplitMix64(seed: seed, stream: RandomStream.augmentation.rawValue, step: step)
    let mine = shard.slots(perShard: batchSize).clamped(to: 0..<global.count)
    if let skip { for _ in 0..<mine.lowerBound { skip(&rng) } }
    return (Array(global[mine]), rng)
  }

  /// The images of evaluation batch `index`, in dataset order.
  func evaluationIndices(_ index: Int) -> [Int] {
    let start = index * batchSize
    return Array(start..<Swift.min(count, start + batchSize))
  }
}

/// A sampler that draws its batches by a `BatchPlan`.
public protocol PlannedBatchSampler {
  var plan: BatchPlan { get }
}

extension PlannedBatchSampler {
  /// Images per batch on this shard.
  public var batchSize: Int { plan.batchSize }
  public var shard: DataShard { plan.shard }
  public var seed: UInt64 { plan.seed }
  /// Images in one training step across all shards.
  public var globalBatchSize: Int { plan.globalBatchSize }
  /// Full training batches per epoch.
  public var stepsPerEpoch: Int { plan.stepsPerEpoch }
  /// Batches that cover the dataset once in order, the last possibly short.
  public var evaluationBatchCount: Int { plan.evaluationBatchCount }
  /// The shuffled image order of one epoch.
  public func order(epoch: Int) -> [Int] { plan.order(epoch: epoch) }
}
