import Foundation
import Torch
import Vision

/// A prepared training run a watermark can be inserted into, whatever the
/// task: the model, the optimizer whose masks freeze the mark, the hook that
/// replaces the backward pass, and the run folder. `watermark embed`
/// (classifiers), `segment embed` and `watermark tradeoff` share the
/// insertion code through it.
protocol MarkableRun {
  var markedModel: any Module { get }
  var parameterOptimizer: any Optimizer { get }
  /// The training seed (the replica baseline draws its noise from it and the step).
  var seed: UInt64 { get }
  /// Reads the trainer's current step without keeping the trainer alive.
  var currentStep: () -> Int { get }
  /// Whether this process writes files (rank 0, or not distributed).
  var isPrimary: Bool { get }
  var runURL: URL { get }
  /// Whether the run continues from a checkpoint.
  var resumed: Bool { get }
  /// Installs the training step's backward pass.
  func setBackward(_ backward: @escaping (_ loss: () throws -> Tensor) throws -> Double)
}

extension ClassifierSession: MarkableRun {
  var markedModel: any Module { trainer.model }
  var parameterOptimizer: any Optimizer { trainer.parameterOptimizer }
  var seed: UInt64 { trainer.config.seed }
  var currentStep: () -> Int { { [weak trainer] in trainer?.step ?? 0 } }
  var isPrimary: Bool { trainer.isPrimary }
  func setBackward(_ backward: @escaping (_ loss: () throws -> Tensor) throws -> Double) { trainer.backward = backward }
}

extension SegmentationSession: MarkableRun {
  var markedModel: any Module { trainer.model }
  var parameterOptimizer: any Optimizer { trainer.parameterOptimizer }
  var seed: UInt64 { trainer.config.seed }
  var currentStep: () -> Int { { [weak trainer] in trainer?.step ?? 0 } }
  var isPrimary: Bool { true }
  func setBackward(_ backward: @escaping (_ loss: () throws -> Tensor) throws -> Double) { trainer.backward = backward }
}
