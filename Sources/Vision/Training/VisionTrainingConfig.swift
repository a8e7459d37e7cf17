import Foundation
import Torch

/// What the classifier and segmentation configurations share as training runs.
public protocol VisionTrainingConfig: Codable, Equatable, Sendable {
  var epochs: Int { get set }
  var maximumSteps: Int? { get set }
  var optimizer: ClassifierOptimizer { get }
  var learningRate: Double { get }
  var momentum: Double { get }
  var nesterov: Bool { get }
  var weightDecay: Double { get }
  var clipNorm: Double { get }
  var emaDecay: Double? { get }
  var bfloat16Autocast: Bool? { get }
  var channelsLast: Bool? { get }
  var seed: UInt64 { get }
  var checkpointEvery: Int { get }
}

extension VisionTrainingConfig {
  /// The trainer's optimizer for this configuration.
  var optimizerSettings: OptimizerSettings {
    switch optimizer {
    case .sgd: return .sgd(learningRate: learningRate, momentum: momentum, weightDecay: weightDecay, nesterov: nesterov)
    case .adamw: return .adamW(learningRate: learningRate, weightDecay: weightDecay)
    }
  }

  /// This (checkpointed) configuration with the run length of `current`: a run may be extended
  /// by more epochs or steps and nothing else.
  func extended(like current: Self) -> Self {
    var copy = self
    copy.epochs = current.epochs
    copy.maximumSteps = current.maximumSteps
    return copy
  }
}

extension ClassifierTrainingConfig: VisionTrainingConfig {}
extension SegmentationTrainingConfig: VisionTrainingConfig {}

/// What classification and segmentation training share as `TrainingTask`s: a configuration that
/// names the optimizer and its schedule, batches from a background `BatchProducer` over a
/// sampler, dropout masks drawn per step (and rank), and the Vision errors.
public protocol VisionTask: TrainingTask where Configuration: VisionTrainingConfig {
  associatedtype Sampler: TrainingBatchSource where Sampler.Batch == Batch
  var config: Configuration { get }
  var sampler: Sampler { get }
  var schedule: any LearningRateSchedule { get }
  var dropouts: [Dropout] { get }
}

extension VisionTask {
  public var configuration: Configuration { config }
  public var optimizer: OptimizerSettings { config.optimizerSettings }
  public var stepsPerEpoch: Int? { sampler.stepsPerEpoch }
  public var checkpointEvery: Int { config.checkpointEvery }
  public var clipNorm: Double { config.clipNorm }
  public var averageDecay: Double? { config.emaDecay }
  public var autocast: DType? { config.bfloat16Autocast == true ? .bfloat16 : nil }

  public func canResume(from saved: Configuration) -> Bool { saved.extended(like: config) == config }
  public func learningRate(at step: Int) -> Double { schedule.learningRate(at: step) }

  public func batches(for steps: Range<Int>) -> BatchFeed<Batch> {
    let producer = BatchProducer(sampler: sampler, steps: steps)
    return BatchFeed(next: { producer.next() }, cancel: { producer.cancel() })
  }

  public func checkpointError(_ message: String, source: URL) -> Error {
    VisionError(.incompatibleModel, source: source.path, message)
  }

  public func divergenceError(_ message: String) -> Error { VisionError(.invalidArgument, message) }

  /// The step loss of a network trained on the cross-entropy of its logits: every evaluation reseeds
  /// the dropout masks alike (`dropoutReseeder`) and runs `network` on `images` (channels-last with
  /// `config.channelsLast`); the one statistic, `accuracy`, reads the first evaluation's logits.
  func crossEntropyStepLoss(
    step: Int, shard: DataShard, network: any Layer, images: Tensor, labels: Tensor,
    loss: @escaping (Tensor, Tensor) throws -> Tensor, accuracy: @escaping (Tensor, Tensor) throws -> Double
  ) -> StepLoss {
    let reseedDropout = dropoutReseeder(step: step, shard: shard)
    let channelsLast = config.channelsLast == true
    var input: Tensor?  // the batch in the network's layout, made once for every evaluation of the step
    var firstLogits: Tensor?
    return StepLoss(
      evaluate: {
        try reseedDropout()
        if input == nil { input = channelsLast ? try images.channelsLast() : images }
        let logits = try network(input ?? images)
        if firstLogits == nil { firstLogits = logits }
        return try loss(logits, labels)
      },
      statistics: {
        guard let logits = firstLogits else { return [0] }
        return [try withNoGrad { try accuracy(logits, labels) }]
      })
  }

  /// Reseeds every dropout layer for one evaluation of step `step`'s loss on shard `shard`: every
  /// evaluation (WaterMAS and the replicas evaluate the loss more than once) draws the same masks,
  /// so their difference is the weights', not the masks'.
  func dropoutReseeder(step: Int, shard: DataShard) -> () throws -> Void {
    var rng = SplitMix64(seed: config.seed, stream: RandomStream.dropout.rawValue, step: step * shard.count + shard.index)
    let seeds = dropouts.map { _ in rng.next() }
    let layers = dropouts
    return { for (dropout, seed) in zip(layers, seeds) { try dropout.generator.reseed(seed) } }
  }
}

extension Trainer where Task: VisionTask {
  public var config: Task.Configuration { task.config }
  public var sampler: Task.Sampler { task.sampler }
  public var stepsPerEpoch: Int { task.sampler.stepsPerEpoch }

  /// `extra` with what every saved vision model records of its training: the steps, the precision and,
  /// with a weight average, its decay.
  func savedMetadata(_ extra: [String: String]) -> [String: String] {
    var metadata = extra
    metadata[MetadataKey.steps] = String(step)
    metadata[MetadataKey.precision] = task.autocast == .bfloat16 ? "bfloat16-autocast" : "float32"
    if let decay = config.emaDecay { metadata[MetadataKey.emaDecay] = String(decay) }
    return metadata
  }
}
