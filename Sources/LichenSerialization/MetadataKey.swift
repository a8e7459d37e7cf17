/// The metadata keys Lichen writes into model and checkpoint files (safetensors `__metadata__`), in one
/// place so writers and readers cannot drift apart. Values are the on-disk strings: changing one breaks
/// every file already written.
public enum MetadataKey {
  // MARK: codec models (ModelStore)

  /// File format: "1" for a float codec model, "integer-<version>" for an integer model.
  public static let format = "lichen.format"
  /// Codec architecture (`Architecture` raw value, e.g. "bmshj2018-hyperprior").
  public static let architecture = "lichen.architecture"
  /// Codec channel count N of the main transforms.
  public static let n = "lichen.N"
  /// Codec latent channel count M.
  public static let m = "lichen.M"
  /// GDN variant of the codec (`GDN.Variant` raw value: "standard" or "simplified").
  public static let gdn = "lichen.gdn"
  /// Rate-distortion trade-off lambda the codec was trained at.
  public static let lambda = "lambda"
  /// Training steps of the whole history: the starting model's steps plus the last run's.
  public static let steps = "steps"
  /// Seed of the training run (weights, data order, augmentation) that made the model.
  public static let seed = "seed"
  /// Training steps of the last run alone.
  public static let runSteps = "run_steps"
  /// The model a run started from (`--init-from`), recorded in the run's lineage.
  public static let initialModel = "init"
  /// Training steps of the model a run started from.
  public static let initialSteps = "init_steps"
  /// "true" when the model was trained with rounded decoder inputs.
  public static let roundDecoderInputs = "round_decoder_inputs"
  /// Decay of the weight average the saved model is (`--ema-decay`).
  public static let emaDecay = "ema_decay"
  /// Arithmetic of the forward passes of the run that saved the model: "float32", or "bfloat16-autocast"
  /// (`--bf16`: convolutions in bfloat16, weights and gradients in float32). Absent in files written before
  /// it was recorded.
  public static let precision = "precision"
  /// Quality level of a bundled model ("q2" ... "q5").
  public static let quality = "quality"
  /// Measured Kodak rate-distortion summary, shown by `lichen models`.
  public static let kodak = "kodak"

  // MARK: distilled students

  /// Name of the teacher a student was distilled from (see `TeacherLink`).
  public static let teacher = "teacher"
  /// FNV-1a 64 hash of the teacher's weights, 16 hex digits.
  public static let teacherWeightsHash = "teacher_weights_hash"
  /// Training steps of the teacher.
  public static let teacherSteps = "teacher_steps"
  /// Distillation loss weights and initialization ("a=... b=... c=... d=... init=...").
  public static let distillation = "distillation"
  /// Variant of a distillation sweep the student belongs to.
  public static let variant = "variant"

  // MARK: watermarked models

  /// Watermark insertion, strength and code embedded in the model.
  public static let watermark = "watermark"
  /// Watermarking method (raw value) that embedded it.
  public static let watermarkMethod = "watermark-method"

  // MARK: integer models (IntegerModelFile)

  /// JSON structure of the integer model's layers and tables.
  public static let integerStructure = "lichen.integer"
  /// Quantization scheme specification the integer model was made with.
  public static let scheme = "lichen.scheme"
  /// Calibration method and image count of the quantization.
  public static let calibration = "lichen.calibration"
  /// Channel equalization across the GDNs before quantization (`ChannelEqualization`): its strength.
  public static let equalization = "lichen.equalization"
  /// Steps of quantization-aware fine-tuning, when there were any.
  public static let qatSteps = "lichen.qat-steps"
  /// The float model (registry name or path) the integer model was quantized from.
  public static let floatModel = "lichen.float-model"
  /// Weights hash of that float model, 16 hex digits.
  public static let floatHash = "lichen.float-hash"

  // MARK: vision models (ClassifierFile, SegmentationFile)

  /// JSON `ClassifierConfiguration` of a classifier file.
  public static let classifierConfiguration = "lichen.classifier.configuration"
  /// JSON `Normalization` of a classifier's inputs.
  public static let classifierNormalization = "lichen.classifier.normalization"
  /// JSON `SegmentationConfiguration` of a segmentation file.
  public static let segmentationConfiguration = "lichen.segmentation.configuration"
  /// JSON `Normalization` of a segmentation model's inputs.
  public static let segmentationNormalization = "lichen.segmentation.normalization"
  /// Vision model architecture name (e.g. a classifier's raw value or "deeplabv3"), for reading.
  public static let visionArchitecture = "architecture"
  /// Comma-separated block counts of a segmentation backbone, for reading.
  public static let backboneDepths = "backbone_depths"
  /// Width of a vision model, for reading.
  public static let width = "width"
  /// JSON array of the class names, in output order.
  public static let classes = "classes"
  /// Data set a vision model was trained on (`StandardDataset` raw value or "camvid").
  public static let dataset = "dataset"
  /// Seconds of training in the last run, one decimal.
  public static let trainSeconds = "train_seconds"

  // MARK: training checkpoints

  /// Step a checkpoint was written at.
  public static let step = "step"
  /// JSON training configuration a checkpoint was written with.
  public static let trainingConfiguration = "config"
  /// JSON lineage of a codec training run (e.g. `init`, `init_steps`).
  public static let lineage = "lineage"
  /// JSON state of a codec run's plateau learning-rate schedule.
  public static let plateau = "plateau"
  /// Step count of a codec checkpoint's main Adam optimizer.
  public static let mainOptimizerSteps = "main_steps"
  /// Step count of a codec checkpoint's auxiliary (quantile) Adam optimizer.
  public static let auxiliaryOptimizerSteps = "aux_steps"
  /// Step count of a vision checkpoint's Adam optimizer.
  public static let adamSteps = "adam_steps"
  /// Number of ranks that wrote a distributed checkpoint.
  public static let worldSize = "world_size"
  /// CPU seconds the run's training took up to a checkpoint, over every invocation (`Trainer.cpuSeconds`).
  public static let cpuSeconds = "cpu_seconds"
}
