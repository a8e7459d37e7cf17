import Foundation
import Torch
import Vision
import Watermarking

/// The segmentation side of an attack sweep: fresh copies of the marked
/// DeepLabV3, test mIoU as the task metric, and the attacker's fine-tuning
/// (SGD lr 1e-3, momentum 0.9, batches of 8 augmented CamVid training
/// images in a seeded order, no masks except the attacker's own key) and
/// loss (the same batches) for the key-interception fine-tuning.
struct SegmentationAttackTask: AttackTask {
  let url: URL
  let metadata: [String: String]
  let normalization: Normalization
  let test: SegmentationDataset
  let training: SegmentationDataset
  let seed: UInt64
  var metricName: String { "mIoU" }

  /// - Parameter data: the CamVid folder (nil: its usual place).
  init(modelFile: URL, data: String?, evalLimit: Int?, seed: UInt64) throws {
    url = modelFile
    let reference = try SegmentationFile.load(from: url)
    metadata = reference.metadata
    normalization = reference.normalization
    let directory = data.map { URL(fileURLWithPath: $0) } ?? CamVid.defaultDirectory
    var test = try CamVid.load(directory: directory, split: .test)
    if let evalLimit { test = try test.prefix(evalLimit) }
    self.test = test
    training = try CamVid.load(directory: directory, split: .train)
    self.seed = seed
  }

  func load() throws -> AttackSubject {
    let file = try SegmentationFile.load(from: url)
    let model = file.model
    let sampler = try self.sampler
    let test = self.test, normalization = file.normalization
    return AttackSubject(
      model: model,
      evaluate: { try SegmentationEvaluation.evaluate(model, on: test, normalization: normalization).meanIoU },
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
