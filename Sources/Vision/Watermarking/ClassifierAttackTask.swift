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
      },
      distill: { steps in try distill(into: model, configuration: file.configuration, steps: steps) })
  }

  /// The attacker's distillation: a fresh network (seeded, same configuration) trained on the marked
  /// model's temperature-softened outputs over the attacker's augmented batches (labels unused),
  /// SGD with Nesterov momentum and a cosine decay, then copied into `model`.
  func distill(into model: any Layer, configuration: ClassifierConfiguration, steps: Int) throws {
    let sampler = try self.sampler
    let student = try configuration.makeModel(seed: seed &+ 0xD15)
    model.setTraining(false)
    let task = FineTuningTask(model: student, steps: steps, optimizer: Self.distillationOptimizer, cosineDecay: true) { step in
      let (images, _) = try sampler.trainingBatch(step: step).tensors()
      let target = try withNoGrad { try model(images) }
      return try Loss.distillation(student(images), target, temperature: Self.distillationTemperature)
    }
    try Trainer.fineTune(task)
    try model.load(stateDict: try student.stateDictRecords(), matching: .strict)
  }

  /// Hinton et al.'s usual temperature for CIFAR-sized class counts.
  static let distillationTemperature = 4.0
  /// A from-scratch CIFAR recipe: SGD 0.05, Nesterov momentum 0.9, weight decay 5e-4.
  static let distillationOptimizer = OptimizerSettings.sgd(learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4, nesterov: true)

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
