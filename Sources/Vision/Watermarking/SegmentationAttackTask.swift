import Foundation
import Torch
import Watermarking

/// The segmentation side of an attack sweep: fresh copies of the marked
/// DeepLabV3, test mIoU as the task metric, and the attacker's fine-tuning
/// (SGD lr 1e-3, momentum 0.9, batches of 8 augmented CamVid training
/// images in a seeded order, no masks except the attacker's own key) and
/// loss (the same batches) for the key-interception fine-tuning.
public struct SegmentationAttackTask: AttackTask {
  public let url: URL
  public let metadata: [String: String]
  let normalization: Normalization
  let test: SegmentationDataset
  let training: SegmentationDataset
  let seed: UInt64
  public var metric: TaskMetric { .meanIoU }

  /// - Parameter data: the CamVid folder (nil: its usual place).
  public init(modelFile: URL, data: URL?, evalLimit: Int?, seed: UInt64) throws {
    url = modelFile
    let reference = try SegmentationFile.load(from: url)
    metadata = reference.metadata
    normalization = reference.normalization
    let directory = data ?? CamVid.defaultDirectory
    var test = try CamVid.load(directory: directory, split: .test)
    if let evalLimit { test = try test.prefix(evalLimit) }
    self.test = test
    training = try CamVid.load(directory: directory, split: .train)
    self.seed = seed
  }

  public func load() throws -> AttackSubject {
    let file = try SegmentationFile.load(from: url)
    let model = file.model
    let sampler = try self.sampler
    let test = self.test, normalization = file.normalization
    return AttackSubject(
      model: model,
      evaluate: { try SegmentationEvaluation.evaluate(model, on: test, normalization: normalization).meanIoU },
      metric: .meanIoU,
      fineTune: { steps, frozen in try fineTune(model, sampler: sampler, steps: steps, freezing: frozen) },
      attackerLoss: { step in
        let (images, labels) = try sampler.trainingBatch(step: step).tensors()
        return try SegmentationTask.loss(model(images), labels)
      })
  }

  var sampler: SegmentationBatchSampler {
    get throws {
      try SegmentationBatchSampler(
        dataset: training, batchSize: 8, normalization: normalization, augmentation: try SegmentationAugmentation(),
        seed: seed)
    }
  }

  func fineTune(_ model: DeepLabV3, sampler: SegmentationBatchSampler, steps: Int, freezing attackerKey: WatermarkKey?)
    throws
  {
    let task = FineTuningTask(model: model, steps: steps,
                              optimizer: .sgd(learningRate: 1e-3, momentum: 0.9, weightDecay: 0, nesterov: false)) { step in
      let (images, labels) = try sampler.trainingBatch(step: step).tensors()
      return try SegmentationTask.loss(model(images), labels)
    }
    try Trainer.fineTune(task) { trainer in
      if let attackerKey { try Embedder.freeze(model, key: attackerKey, in: trainer.parameterOptimizer) }
    }
  }
}

/// The attack task of a marked Vision model file, told by its metadata.
public enum VisionAttackTask {
  /// A segmentation model (`segment embed`) or a classifier (`watermark embed`).
  /// - Parameter data: the dataset folder (nil: the usual place of the model's dataset).
  public static func forModelFile(_ url: URL, data: URL?, evalLimit: Int?, seed: UInt64) throws -> any AttackTask {
    if SegmentationFile.isSegmentationModel(try SafeTensors.readMetadata(from: url)) {
      return try SegmentationAttackTask(modelFile: url, data: data, evalLimit: evalLimit, seed: seed)
    }
    return try ClassifierAttackTask(modelFile: url, data: data, evalLimit: evalLimit, seed: seed)
  }

  /// The model of a classifier or segmentation file, without its data (evaluation mode).
  public static func model(from url: URL) throws -> any Module {
    if SegmentationFile.isSegmentationModel(try SafeTensors.readMetadata(from: url)) {
      return try SegmentationFile.load(from: url).model
    }
    return try ClassifierFile.load(from: url).model
  }
}
