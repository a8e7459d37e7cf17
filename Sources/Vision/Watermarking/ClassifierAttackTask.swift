import Foundation
import Torch
import Watermarking

/// The classifier side of an attack sweep: fresh copies of the marked model,
/// test accuracy, the attacker's fine-tuning (plain SGD on the training
/// split, no masks except the attacker's own key) and the attacker's loss
/// for the key-interception fine-tuning (same batches, same seed).
public struct ClassifierAttackTask: AttackTask {
  public var metric: TaskMetric { .accuracy }
  public let url: URL
  let normalization: Normalization
  public let metadata: [String: String]
  let test: ClassificationDataset
  let training: ClassificationDataset
  let seed: UInt64

  /// - Parameter data: the dataset folder (nil: the usual place of the dataset the model file names).
  public init(modelFile: URL, data: URL?, evalLimit: Int?, seed: UInt64) throws {
    url = modelFile
    let reference = try ClassifierFile.load(from: url)
    normalization = reference.normalization
    metadata = reference.metadata
    let dataset = reference.metadata[MetadataKey.dataset].flatMap(StandardDataset.init(rawValue:)) ?? .cifar10
    let directory = data ?? dataset.defaultDirectory
    var test = try dataset.load(directory: directory, split: .test)
    if let evalLimit { test = try test.prefix(evalLimit) }
    self.test = test
    training = try dataset.load(directory: directory, split: .train)
    self.seed = seed
  }

  /// A fresh copy of the marked model, read from its file.
  public func load() throws -> AttackSubject {
    let file = try ClassifierFile.load(from: url)
    let sampler = try self.sampler
    let model = file.model
    return AttackSubject(
      model: model,
      evaluate: { try ClassifierEvaluation.evaluate(model, on: test, normalization: file.normalization).accuracy },
      fineTune: { steps, frozen in try fineTune(model, steps: steps, freezing: frozen) },
      attackerLoss: { step in
        let (images, labels) = try sampler.trainingBatch(step: step).tensors()
        return try Loss.crossEntropy(model(images), labels)
      })
  }

  /// The attacker's batches: the training split, augmented, in a seeded order.
  var sampler: BatchSampler {
    get throws {
      try BatchSampler(dataset: training, batchSize: 64, normalization: normalization, augmentation: .standard, seed: seed)
    }
  }

  func fineTune(_ model: any Layer, steps: Int, freezing attackerKey: WatermarkKey?) throws {
    let sampler = try self.sampler
    let task = FineTuningTask(model: model, steps: steps,
                              optimizer: .sgd(learningRate: 1e-3, momentum: 0.9, weightDecay: 0, nesterov: false)) { step in
      let (images, labels) = try sampler.trainingBatch(step: step).tensors()
      return try Loss.crossEntropy(model(images), labels)
    }
    try Trainer.fineTune(task) { trainer in
      if let attackerKey { try Embedder.freeze(model, key: attackerKey, in: trainer.parameterOptimizer) }
    }
  }
}
