import ArgumentParser
import Foundation
import Torch
import Vision

extension ClassifierArchitecture: ExpressibleByArgument {}
extension ClassifierOptimizer: ExpressibleByArgument {}
extension ClassifierSchedule: ExpressibleByArgument {}
extension StandardDataset: ExpressibleByArgument {}
extension StandardDataset.Split: ExpressibleByArgument {}

/// `lichen classify`: image classifiers (the models the watermarking work marks).
struct Classify: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Train and evaluate image classifiers (VGG16-BN, ResNet18, MobileNetV3, Swin-T) on CIFAR-10 / Fashion-MNIST.",
    subcommands: [ClassifyTrain.self, ClassifyEval.self, ClassifyExport.self])
}

/// `lichen classify train`: one run folder with checkpoint, log.csv, model.safetensors and eval.json.
struct ClassifyTrain: GlobalOptionsCommand {
  static let configuration = CommandConfiguration(
    commandName: "train", abstract: "Train a classifier (SGD/AdamW, schedules, checkpoint/resume, accuracy).")

  @OptionGroup var global: GlobalOptions
  @OptionGroup var options: ClassifierTrainingOptions
  @OptionGroup var distributed: DistributedOptions
  @Option(help: "Fine-tune this classifier file instead of training from scratch (e.g. the unmarked control of a `watermark embed --init-from` run: same file, options and seed).")
  var initFrom: String?

  func run() throws {
    let session = try options.makeSession(dataParallel: try distributed.connect())
    if let initFrom, !session.resumed { try InitialWeights.load(initFrom, into: session.trainer.model, log: say) }
    try options.train(session, extraMetadata: initFrom.map { [MetadataKey.initialModel: $0] } ?? [:])
  }
}

/// Every option of a classifier training run, shared by `classify train` and `watermark embed`.
struct ClassifierTrainingOptions: ParsableArguments {
  @Option(help: "Dataset folder (default: the dataset's usual place).") var data: String?
  @Option(help: "cifar10 | fashion-mnist.") var dataset: StandardDataset = .cifar10
  @Option(help: "vgg16 | resnet18 | mobilenetv3-small | mobilenetv3-large | swin-t.")
  var model: ClassifierArchitecture = .resnet18
  @Option(help: "Width multiplier (1 = published channel counts).") var width = 1.0
  @Option(help: "Blocks per stage, comma-separated (ResNet: 4 stages; Swin: heads double per stage).")
  var depths: String?
  @Option(help: "Epochs.") var epochs = 30
  @Option(help: "Stop after this many steps (tiny runs).") var maxSteps: Int?
  @Option(help: "Batch size.") var batchSize = 128
  @Option(help: "sgd | adamw.") var optimizer: ClassifierOptimizer = .sgd
  @Option(help: "Peak learning rate (default: 0.1 for sgd, 1e-3 for adamw).") var lr: Double?
  @Option(help: "SGD momentum.") var momentum = 0.9
  @Flag(inversion: .prefixedNo, help: "Nesterov momentum (SGD).") var nesterov = true
  @Option(help: "Weight decay (default: 5e-4 for sgd, 0.05 for adamw).") var weightDecay: Double?
  @Option(help: "constant | step | multistep | cosine | poly.") var schedule: ClassifierSchedule = .cosine
  @Option(help: "Epochs between decays (step schedule).") var stepSize = 30
  @Option(help: "Decay epochs, comma-separated (multistep schedule).") var milestones = ""
  @Option(help: "Decay factor (step, multistep).") var gamma = 0.1
  @Option(help: "Epochs of linear warm-up before the schedule (e.g. 5 for Swin-T with AdamW; default: none).")
  var warmupEpochs = 0
  @Option(help: "Label smoothing.") var labelSmoothing = 0.0
  @Option(help: "Gradient-norm clip (0: off).") var clipNorm = 0.0
  @Option(help: "Decay of a moving average of the weights (e.g. 0.999), evaluated and saved instead of the raw weights (default: off).")
  var emaDecay: Double?
  @Flag(help: "Experimental: bfloat16 autocast for the forward pass (convolutions and linear layers in bfloat16, weights and gradients in float32). Not for WaterMAS marks: at rho 0.05 its sharpness term is at bfloat16's rounding level.")
  var bf16 = false
  @Flag(help: "Channels-last (NHWC) batches: oneDNN's convolutions skip a reorder per layer (ResNet18 on CIFAR-10: 1.16x the steps per second, 2x with --bf16).")
  var channelsLast = false
  @Flag(inversion: .prefixedNo, help: "Random crop (4-pixel padding) and horizontal flip.") var augment = true
  @Option(help: "Cutout (DeVries & Taylor 2017): a random N x N square of each training image set to the mean (16 for CIFAR-10 in the paper; default 0: off).")
  var cutout = 0
  @Option(help: "Mixup (Zhang et al. 2018): blend each training image with a partner from its batch by a weight drawn from Beta(ALPHA, ALPHA) each step, and the two labels' losses alike (1 for CIFAR-10 in the paper; default: off).")
  var mixup: Double?
  @Option(help: "CutMix (Yun et al. 2019): paste a box of a partner image covering a Beta(ALPHA, ALPHA)-drawn share of each training image, the labels' losses weighted by area (1 in the paper; default: off). With --mixup, each step uses one of the two at even odds.")
  var cutmix: Double?
  @Option(help: "Use only the first N training images.") var limit: Int?
  @Option(help: "Evaluate on only the first N test images.") var evalLimit: Int?
  @Option(help: "Seed of weights, data order, augmentation and dropout.") var seed: UInt64 = 0
  @Option(help: "Checkpoint every K steps.") var checkpointEvery = 500
  @Option(help: "Run folder (checkpoint.safetensors, log.csv, model.safetensors, eval.json).") var out: String
  @Flag(help: "Continue from the run folder's checkpoint.") var resume = false

  func validate() throws {
    guard width > 0, epochs > 0, batchSize > 0, checkpointEvery > 0 else {
      throw ValidationError("--width, --epochs, --batch-size and --checkpoint-every must be positive")
    }
    guard cutout >= 0 else { throw ValidationError("--cutout must be 0 (off) or a side in pixels, not \(cutout)") }
    for (flag, alpha) in [("--mixup", mixup), ("--cutmix", cutmix)] {
      if let alpha, !(alpha > 0 && alpha.isFinite) { throw ValidationError("\(flag) must be a positive alpha, not \(alpha)") }
    }
    _ = try parseList(milestones, "--milestones")
    if let depths { _ = try parseList(depths, "--depths") }
  }

  /// The data, configuration and trainer of a run (resumed when asked) in `runDirectory` (default: --out), on
  /// one rank of `dataParallel` when given.
  func makeSession(dataParallel: DataParallel? = nil, runDirectory: URL? = nil) throws -> ClassifierRun {
    try ClassifierRun.open(
      dataset: dataset, directory: data.map { URL(fileURLWithPath: $0) }, limit: limit,
      runDirectory: runDirectory ?? URL(fileURLWithPath: out), resume: resume, dataParallel: dataParallel, log: say
    ) { training in
      ClassifierTrainingConfig(
        model: ClassifierConfiguration(
          architecture: model, width: width, classCount: training.classCount, inputChannels: training.channels,
          depths: try depths.map { try parseList($0, "--depths") }),
        normalization: dataset.normalization, epochs: epochs, maximumSteps: maxSteps, batchSize: batchSize,
        optimizer: optimizer, learningRate: lr, momentum: momentum, nesterov: nesterov, weightDecay: weightDecay,
        schedule: schedule, stepSizeEpochs: stepSize, milestones: try parseList(milestones, "--milestones"),
        gamma: gamma, warmupEpochs: warmupEpochs, labelSmoothing: labelSmoothing, clipNorm: clipNorm, emaDecay: emaDecay, bfloat16Autocast: bf16, channelsLast: channelsLast,
        augmentation: Augmentation(cropPadding: augment ? 4 : 0, horizontalFlip: augment, cutout: cutout),
        batchMixing: mixup == nil && cutmix == nil ? nil : BatchMixing(mixupAlpha: mixup, cutMixAlpha: cutmix),
        seed: seed, checkpointEvery: checkpointEvery)
    }
  }

  /// Trains `run` with progress lines and Ctrl-C checkpointing, saves the model and evaluates it.
  /// Returns the test evaluation, or nil when interrupted or without a test split.
  @discardableResult
  func train(_ run: ClassifierRun, extraMetadata: [String: String] = [:]) throws -> ClassifierEvaluation? {
    let interrupted = InterruptFlag.install()
    return try run.train(evaluationLimit: evalLimit, metadata: extraMetadata, progress: Lichen.progress, log: say,
                         shouldStop: { interrupted.isSet })
  }
}

/// `lichen classify eval`: accuracy, per-class accuracy and confusion matrix of a model file.
struct ClassifyEval: GlobalOptionsCommand {
  static let configuration = CommandConfiguration(commandName: "eval", abstract: "Evaluate a trained classifier.")

  @OptionGroup var global: GlobalOptions

  @Option(help: "A model.safetensors written by `lichen classify train`.") var modelFile: String
  @Option(help: "Dataset folder (default: the dataset's usual place).") var data: String?
  @Option(help: "cifar10 | fashion-mnist (default: the one the model was trained on).") var dataset: StandardDataset?
  @Option(help: "train | test.") var split: StandardDataset.Split = .test
  @Option(help: "Evaluate on only the first N images.") var limit: Int?
  @Option(help: "Batch size.") var batchSize = 256
  @Option(help: "Write the evaluation (accuracy, per-class accuracy, confusion matrix) here.") var json: String?

  func run() throws {
    let file = try ClassifierFile.load(from: URL(fileURLWithPath: modelFile))
    guard let kind = dataset ?? file.dataset else {
      throw ValidationError("the model file does not say its dataset; pass --dataset")
    }
    let images = try kind.load(directory: data.map { URL(fileURLWithPath: $0) }, split: split, limit: limit)
    guard file.accepts(images) else {
      throw ValidationError("\(kind.rawValue) does not match the model's input channels or classes")
    }
    let (evaluation, summary) = try file.evaluate(on: images, dataset: kind, split: split, batchSize: batchSize)
    say(summary)
    say(evaluation.text)
    try writeFile(json, log: say) { try evaluation.write(to: $0) }
  }
}

/// Parses "1,2,3" (empty gives []).
func parseList(_ text: String, _ option: String) throws -> [Int] {
  try text.split(separator: ",").map {
    guard let value = Int($0.trimmingCharacters(in: .whitespaces)), value >= 0 else {
      throw ValidationError("\(option) takes comma-separated non-negative integers, got '\(text)'")
    }
    return value
  }
}

/// Prints through the same unbuffered handle as the progress lines, so the
/// order on a pipe is the order of events.
func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

/// `say` on rank 0 of a distributed job (or a single process); silence on the other ranks.
func primarySay(_ isPrimary: Bool) -> (String) -> Void { { line in if isPrimary { say(line) } } }
