import Torch
import XCTest

/// The metadata keys are an on-disk format: every committed model file and checkpoint uses these
/// strings, so a constant whose value changes must fail here.
final class MetadataKeyTests: XCTestCase {
  func testKeysHaveTheirOnDiskValues() {
    let expected: [(key: String, onDisk: String)] = [
      (MetadataKey.format, "lichen.format"),
      (MetadataKey.architecture, "lichen.architecture"),
      (MetadataKey.n, "lichen.N"),
      (MetadataKey.m, "lichen.M"),
      (MetadataKey.gdn, "lichen.gdn"),
      (MetadataKey.lambda, "lambda"),
      (MetadataKey.steps, "steps"),
      (MetadataKey.runSteps, "run_steps"),
      (MetadataKey.initialModel, "init"),
      (MetadataKey.initialSteps, "init_steps"),
      (MetadataKey.roundDecoderInputs, "round_decoder_inputs"),
      (MetadataKey.emaDecay, "ema_decay"),
      (MetadataKey.precision, "precision"),
      (MetadataKey.quality, "quality"),
      (MetadataKey.kodak, "kodak"),
      (MetadataKey.teacher, "teacher"),
      (MetadataKey.teacherWeightsHash, "teacher_weights_hash"),
      (MetadataKey.teacherSteps, "teacher_steps"),
      (MetadataKey.distillation, "distillation"),
      (MetadataKey.variant, "variant"),
      (MetadataKey.watermark, "watermark"),
      (MetadataKey.watermarkMethod, "watermark-method"),
      (MetadataKey.integerStructure, "lichen.integer"),
      (MetadataKey.scheme, "lichen.scheme"),
      (MetadataKey.calibration, "lichen.calibration"),
      (MetadataKey.qatSteps, "lichen.qat-steps"),
      (MetadataKey.floatModel, "lichen.float-model"),
      (MetadataKey.floatHash, "lichen.float-hash"),
      (MetadataKey.classifierConfiguration, "lichen.classifier.configuration"),
      (MetadataKey.classifierNormalization, "lichen.classifier.normalization"),
      (MetadataKey.segmentationConfiguration, "lichen.segmentation.configuration"),
      (MetadataKey.segmentationNormalization, "lichen.segmentation.normalization"),
      (MetadataKey.visionArchitecture, "architecture"),
      (MetadataKey.backboneDepths, "backbone_depths"),
      (MetadataKey.width, "width"),
      (MetadataKey.classes, "classes"),
      (MetadataKey.dataset, "dataset"),
      (MetadataKey.trainSeconds, "train_seconds"),
      (MetadataKey.step, "step"),
      (MetadataKey.trainingConfiguration, "config"),
      (MetadataKey.lineage, "lineage"),
      (MetadataKey.plateau, "plateau"),
      (MetadataKey.mainOptimizerSteps, "main_steps"),
      (MetadataKey.auxiliaryOptimizerSteps, "aux_steps"),
      (MetadataKey.adamSteps, "adam_steps"),
      (MetadataKey.worldSize, "world_size"),
      (MetadataKey.cpuSeconds, "cpu_seconds"),
    ]
    for (key, onDisk) in expected { XCTAssertEqual(key, onDisk) }
    XCTAssertEqual(Set(expected.map(\.key)).count, expected.count, "two metadata keys share an on-disk string")
    XCTAssertEqual(DataParallel.worldSizeKey, "world_size")
  }
}
