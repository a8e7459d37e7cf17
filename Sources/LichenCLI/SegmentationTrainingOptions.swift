import ArgumentParser
import Foundation
import Torch
import Vision

/// Every option of a segmentation training run, shared by `segment train` and `segment embed`.
struct SegmentationTrainingOptions: ParsableArguments {
  @Option(help: "CamVid folder.") var data = CamVid.defaultDirectory.path
  @Option(help: "Width multiplier of the backbone (64...512 channels at 1) and the head (256 at 1).") var width = 1.0
  @Option(help: "Basic blocks per backbone stage (2,2,2,2 = ResNet18; 3,4,6,3 = ResNet34).") var depths = "2,2,2,2"
  @Option(help: "Output stride of the backbone: 8 (layer3 and layer4 dilated) or 16 (layer4).") var outputStride = 8
  @Option(help: "ASPP atrous rates (default: 12,24,36 at output stride 8, 6,12,18 at 16, as torchvision).")
  var atrousRates: String?
  @Option(help: "Channels of the ASPP and head (default: 256 x width).") var headChannels: Int?
  @Option(help: "Dropout after the ASPP projection.") var dropout = 0.5
  @Option(help: "Epochs.") var epochs = 30
  @Option(help: "Stop after this many steps.") var maxSteps: Int?
  @Option(help: "Batch size (at least 2).") var batchSize = 8
  @Option(help: "sgd | adamw.") var optimizer: ClassifierOptimizer = .sgd
  @Option(help: "Peak learning rate (default: 0.01 for sgd, 1e-3 for adamw).") var lr: Double?
  @Option(help: "SGD momentum.") var momentum = 0.9
  @Option(help: "Weight decay (default: 1e-4 for sgd, 0.01 for adamw).") var weightDecay: Double?
  @Option(help: "constant | cosine | poly.") var schedule: ClassifierSchedule = .poly
  @Option(help: "Gradient-norm clip (0: off).") var clipNorm = 0.0
  @Option(help: "Decay of a moving average of the weights (e.g. 0.999), evaluated and saved instead of the raw weights (default: off).")
  var emaDecay: Double?
  @Flag(help: "Experimental: bfloat16 autocast for the forward pass (convolutions and linear layers in bfloat16, weights and gradients in float32). Not for WaterMAS marks: at rho 0.05 its sharpness term is at bfloat16's rounding level.")
  var bf16 = false
  @Flag(help: "Channels-last (NHWC) batches: oneDNN's convolutions skip a reorder per layer (ResNet18 on CIFAR-10: 1.16x the steps per second, 2x with --bf16).")
  var channelsLast = false
  @Option(help: "Smallest random scale.") var minScale = 0.5
  @Option(help: "Largest random scale.") var maxScale = 2.0
  @Option(help: "Training crop as HEIGHTxWIDTH (default: the image size, 96x128).") var crop: String?
  @Flag(inversion: .prefixedNo, help: "Random scale, crop and horizontal flip.") var augment = true
  @Option(help: "Use only the first N training images.") var limit: Int?
  @Option(help: "Split evaluated after training: val | test.") var evalSplit: CamVid.Split = .test
  @Option(help: "Evaluate on only the first N images of that split.") var evalLimit: Int?
  @Option(help: "Seed of weights, data order, augmentation and dropout.") var seed: UInt64 = 0
  @Option(help: "Checkpoint every K steps.") var checkpointEvery = 100
  @Option(help: "Run folder (checkpoint.safetensors, log.csv, model.safetensors, eval.json).") var out: String
  @Flag(help: "Continue from the run folder's checkpoint.") var resume = false

  func validate() throws {
    guard width > 0, epochs > 0, batchSize >= 2, checkpointEvery > 0 else {
      throw ValidationError("--width, --epochs and --checkpoint-every must be positive and --batch-size at least 2")
    }
    guard [ClassifierSchedule.constant, .cosine, .poly].contains(schedule) else {
      throw ValidationError("--schedule must be constant, cosine or poly")
    }
    _ = try parseList(depths, "--depths")
    if let atrousRates { _ = try parseList(atrousRates, "--atrous-rates") }
    _ = try cropSize()
  }

  func cropSize() throws -> (height: Int, width: Int)? {
    guard let crop else { return nil }
    let parts = crop.lowercased().split(separator: "x").compactMap { Int($0) }
    guard parts.count == 2, parts.allSatisfy({ $0 > 0 }) else { throw ValidationError("--crop takes HEIGHTxWIDTH, got '\(crop)'") }
    return (parts[0], parts[1])
  }

  /// The data, configuration and trainer of a run (resumed when asked), on one rank of
  /// `dataParallel` when given.
  func makeSession(dataParallel: DataParallel? = nil) throws -> SegmentationRun {
    try SegmentationRun.open(
      directory: URL(fileURLWithPath: data), limit: limit, runDirectory: URL(fileURLWithPath: out), resume: resume,
      dataParallel: dataParallel, log: say
    ) { training in
      let crop = try cropSize()
      return SegmentationTrainingConfig(
        model: SegmentationConfiguration(
          backboneDepths: try parseList(depths, "--depths"), width: width, classCount: training.classCount,
          inputChannels: training.channels, outputStride: outputStride,
          atrousRates: try atrousRates.map { try parseList($0, "--atrous-rates") }, headChannels: headChannels,
          dropout: dropout),
        augmentation: augment
          ? try SegmentationAugmentation(minimumScale: minScale, maximumScale: maxScale, cropHeight: crop?.height,
                                         cropWidth: crop?.width)
          : .none,
        epochs: epochs, maximumSteps: maxSteps, batchSize: batchSize, optimizer: optimizer, learningRate: lr,
        momentum: momentum, weightDecay: weightDecay, schedule: schedule, clipNorm: clipNorm, emaDecay: emaDecay,
        bfloat16Autocast: bf16, channelsLast: channelsLast, seed: seed, checkpointEvery: checkpointEvery)
    }
  }

  /// Trains `run` with progress lines and Ctrl-C checkpointing, saves the model and evaluates it.
  /// Returns the evaluation, or nil when interrupted.
  @discardableResult
  func train(_ run: SegmentationRun, extraMetadata: [String: String] = [:]) throws -> SegmentationEvaluation? {
    let interrupted = InterruptFlag.install()
    return try run.train(evaluationSplit: evalSplit, evaluationLimit: evalLimit, metadata: extraMetadata,
                         progress: say, log: say, shouldStop: { interrupted.isSet })
  }
}
