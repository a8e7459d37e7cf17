import Foundation
import Torch

extension RDTrainingConfig {
  /// A run's configuration for `model` from a command line's values.
  /// - Parameters:
  ///   - roundsDecoderInputs, bfloat16Autocast: false leaves the field unset (off, as in checkpoints written before it
  ///     existed).
  ///   - learningRateMilestones: steps at which the learning rate is multiplied by `milestoneGamma`; empty: none (and
  ///     no gamma recorded).
  public init(
    model: ModelConfiguration, lambda: Double, batchSize: Int, cropSize: Int, steps: Int, learningRate: Double,
    validateEvery: Int, checkpointEvery: Int, seed: UInt64, roundsDecoderInputs: Bool, emaDecay: Double?,
    bfloat16Autocast: Bool, learningRateMilestones: [Int], milestoneGamma: Double
  ) {
    self.init()
    architecture = model.architecture
    n = model.n
    m = model.m
    gdnVariant = model.gdnVariant
    self.lambda = lambda
    self.batchSize = batchSize
    self.cropSize = cropSize
    self.steps = steps
    self.learningRate = learningRate
    self.validateEvery = validateEvery
    self.checkpointEvery = checkpointEvery
    self.seed = seed
    self.roundsDecoderInputs = roundsDecoderInputs ? true : nil
    self.emaDecay = emaDecay
    self.bfloat16Autocast = bfloat16Autocast ? true : nil
    if !learningRateMilestones.isEmpty {
      self.learningRateMilestones = learningRateMilestones
      self.milestoneGamma = milestoneGamma
    }
  }
}

extension ModelStore {
  /// Loads the weights of `nameOrPath` (a registry name or a model file of the same shape) into `model`, the start
  /// of a fine-tuning run.
  /// - Throws: what `load` throws (a missing or unreadable file), or the state-dict load's error when the weights
  ///   do not match `model`'s.
  /// - Returns: the run's lineage (`RDTrainer.lineage`): the starting model and the steps it was trained for, when
  ///   its file says.
  public static func startFineTuning(_ model: any CompressionModel, from nameOrPath: String) throws -> [String: String] {
    let initial = try load(nameOrPath)
    try model.load(stateDict: try initial.model.stateDictRecords(), matching: .strict)
    return lineage(of: initial, from: nameOrPath)
  }

  /// Starts `model` from the tensors of `nameOrPath` that it shares by name and shape, leaving the others at their
  /// initial values: a mean-scale hyperprior from a scale hyperprior (g_a, g_s, h_a and the factorized prior carry
  /// over; h_s, whose output doubles to scales and means, starts fresh). A simplified-GDN model from a standard-GDN
  /// one takes every tensor, the GDNs' as square roots (`GDN.approximate`).
  /// - Returns: the run's lineage (as `startFineTuning`) and the names of `model`'s entries that were not
  ///   transferred, sorted.
  /// - Throws: what `load` throws, or `CodecError.invalidModel` when no tensor transfers (an unrelated model).
  public static func startTransfer(_ model: any CompressionModel, from nameOrPath: String) throws
    -> (lineage: [String: String], untransferred: [String]) {
    let initial = try load(nameOrPath)
    let own = Dictionary(model.stateDict().map { ($0.name, $0.tensor.shape) }) { first, _ in first }
    let resizable = model.namedResizableBuffers()
    let shared = try initial.model.stateDictRecords().filter { name, record in
      guard let shape = own[name] else { return false }
      return shape == record.shape || resizable.contains(name)
    }
    guard shared.keys.contains(where: { !resizable.contains($0) }) else {
      throw CodecError.invalidModel("\(nameOrPath) shares no weights with a \(model.architecture.rawValue) model")
    }
    let report = try model.load(stateDict: shared, matching: .lenient)
    // Standard GDNs into simplified ones: their parameters carry over as square roots (GDN.approximate).
    func gdns(_ m: any CompressionModel) -> [GDN] {
      (m.analysisTransform.layers + m.synthesisTransform.layers).compactMap { $0 as? GDN }
    }
    for (source, target) in zip(gdns(initial.model), gdns(model))
    where source.variant != .simplified && target.variant == .simplified {
      try target.approximate(source)
    }
    return (lineage(of: initial, from: nameOrPath), report.missing.sorted())
  }

  /// Where a training run starts: `model`'s own initial values when `nameOrPath` is nil, else that model's
  /// weights, all of them (`startFineTuning`) or, with `transfer`, those the two share (`startTransfer`).
  /// - Returns: the run's lineage (empty for a fresh start) and, for a transfer, what starts fresh, grouped by
  ///   module ("h_s (6 tensors)"; "nothing" when every tensor carried over).
  /// - Throws: what `startFineTuning` or `startTransfer` throws.
  public static func start(_ model: any CompressionModel, from nameOrPath: String?, transfer: Bool) throws
    -> (lineage: [String: String], fresh: String?) {
    guard let nameOrPath else { return ([:], nil) }
    guard transfer else { return (try startFineTuning(model, from: nameOrPath), nil) }
    let start = try startTransfer(model, from: nameOrPath)
    return (start.lineage, moduleSummary(start.untransferred))
  }

  /// "h_s.0.weight, h_s.0.bias, ..." grouped by module: "h_s (6 tensors)"; "nothing" for no names.
  static func moduleSummary(_ names: [String]) -> String {
    guard !names.isEmpty else { return "nothing" }
    var counts: [(String, Int)] = []
    for name in names {
      let module = name.split(separator: ".").first.map(String.init) ?? name
      if let last = counts.last, last.0 == module { counts[counts.count - 1].1 += 1 } else { counts.append((module, 1)) }
    }
    return counts.map { "\($0.0) (\($0.1) tensor\($0.1 == 1 ? "" : "s"))" }.joined(separator: ", ")
  }

  private static func lineage(of initial: LoadedModel, from nameOrPath: String) -> [String: String] {
    var lineage = [MetadataKey.initialModel: nameOrPath]
    lineage[MetadataKey.initialSteps] = initial.metadata[MetadataKey.steps]
    return lineage
  }
}

extension Trainer where Task == RDTask {
  /// Saves the trained codec as OUT/model.safetensors: the averaged weights with `emaDecay`, quantiles fitted to the
  /// density's tails and tables built for them, with `metadata`, the lineage, lambda and the steps recorded ("steps"
  /// counts the starting model's steps plus this run's).
  /// - Parameters:
  ///   - fitsQuantiles: false keeps the trained quantiles, e.g. when the same model is converted afterwards and
  ///     must code as it trained.
  ///   - log: the quantile fit and the file written.
  /// - Returns: the model file.
  @discardableResult
  public func saveFinalModel(configuration: ModelConfiguration, metadata: [String: String], fitsQuantiles: Bool = true,
                             log: (String) -> Void) throws -> URL {
    let modelURL = runDirectory.appendingPathComponent("model.safetensors")
    var meta = metadata.merging(lineage) { given, _ in given }
    meta[MetadataKey.lambda] = String(config.lambda)
    meta[MetadataKey.steps] = String(step + (meta[MetadataKey.initialSteps].flatMap { Int($0) } ?? 0))
    meta[MetadataKey.runSteps] = String(step)
    if config.roundsDecoderInputs == true { meta[MetadataKey.roundDecoderInputs] = "true" }
    if let decay = config.emaDecay { meta[MetadataKey.emaDecay] = String(decay) }
    meta[MetadataKey.precision] = config.bfloat16Autocast == true ? "bfloat16-autocast" : "float32"
    try withAveragedWeights {
      if fitsQuantiles { log("\(try model.fitQuantiles())") }
      try model.update()
      try ModelStore.save(model, config: configuration, metadata: meta, to: modelURL)
    }
    log("wrote \(modelURL.path)")
    return modelURL
  }
}
