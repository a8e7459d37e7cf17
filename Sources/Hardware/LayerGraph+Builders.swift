import CodecFormat
import IntegerCodec
import IntegerEngine

/// Building a `LayerGraph`: from a float model's configuration (shapes and
/// MACs from `ArchitectureShapes`, bits from a quantization scheme) or from an integer
/// model (shapes and MACs from the integer layers, bits read off the actual
/// weight magnitudes and activation ranges). Resolutions are padded to
/// multiples of 64 like the codec pads images.
extension LayerGraph {
  /// Bits of the Gaussian scale index (64 tables).
  static let scaleIndexBits = 6
  /// Scale thresholds of the Gaussian conditional (64-entry scale table).
  static let defaultScaleThresholds = 63
  /// GDN normalization-table index bits used when a float model is planned (IntGDN's default).
  static let defaultTableIndexBits = 6

  /// A float model of this configuration with bits from `scheme`: only the shapes matter, and they follow
  /// from the architecture and its sizes (`ArchitectureShapes`), so no weights are needed.
  public static func build(
    configuration: ModelConfiguration, source: String, scheme: QuantizationScheme, resolution: Resolution, part: PipelinePart
  ) throws -> LayerGraph {
    let padded = resolution.padded(to: sizeMultiple)
    let layers = try ArchitectureShapes.layers(of: configuration, width: padded.width, height: padded.height)
    // Stages per transform, ReLUs fused into the layer before them.
    var transforms: [String: [HardwareStage]] = [:]
    var order: [String] = []
    for layer in layers {
      guard let dot = layer.name.firstIndex(of: ".") else { throw HardwareError("layer \(layer.name) has no transform prefix") }
      let t = String(layer.name[..<dot])
      if transforms[t] == nil { transforms[t] = []; order.append(t) }
      if layer.kind == .activation || layer.kind == .leakyActivation {
        guard var last = transforms[t]?.popLast() else { throw HardwareError("\(layer.name): an activation with no layer before it") }
        if layer.kind == .activation { last.fusedReLU = true } else { last.fusedLeakyReLU = true }
        transforms[t]?.append(last)
        continue
      }
      let kind: HardwareStage.Kind
      switch layer.kind {
      case .convolution: kind = .convolution
      case .transposedConvolution: kind = .transposed
      case .gdn: kind = .gdn
      case .inverseGDN: kind = .igdn
      case .activation, .leakyActivation: continue
      }
      guard layer.inputShape.count == 3, layer.outputShape.count == 3 else { throw HardwareError("\(layer.name): unexpected shape") }
      let k = layer.kernel, s = layer.stride
      let padding = kind == .convolution || kind == .transposed ? k / 2 : 0
      let outputPadding = kind == .transposed ? s - 1 : 0
      let stage = HardwareStage(
        name: layer.name, transform: t, kind: kind, inChannels: layer.inputShape[0], outChannels: layer.outputShape[0],
        kernel: k, stride: s, padding: padding, outputPadding: outputPadding, inputHeight: layer.inputShape[1],
        inputWidth: layer.inputShape[2], outputHeight: layer.outputShape[1], outputWidth: layer.outputShape[2],
        weightBits: 0, inputBits: 0, outputBits: 0, fusedReLU: false, macs: layer.macs,
        simplifiedGDN: configuration.gdnVariant == .simplified,
        tableEntries: kind == .gdn || kind == .igdn ? tableEntries(simplified: configuration.gdnVariant == .simplified,
                                                                    inverse: kind == .igdn) : 0)
      try checkGeometry(stage)
      transforms[t]?.append(stage)
    }
    let descriptors = order.flatMap { t in
      (transforms[t] ?? []).map { s in
        LayerDescriptor(name: s.name, transform: t,
                        kind: s.kind == .convolution ? .convolution : s.kind == .transposed ? .transposed : .gdn)
      }
    }
    let bits = try scheme.resolve(layers: descriptors)
    for t in order {
      guard var list = transforms[t] else { continue }
      for i in list.indices {
        guard let b = bits[list[i].name] else { throw HardwareError("no bits for \(list[i].name)") }
        list[i].weightBits = b.weights
        // A fused ReLU leaves 0...2^(a-1)-1: a-1 bits unsigned, as the integer engine stores it.
        list[i].outputBits = list[i].fusedReLU ? b.activations - 1 : b.activations
      }
      transforms[t] = list
    }
    // The last synthesis layer requantizes straight to 0..255 whatever the scheme.
    if var gs = transforms["g_s"], !gs.isEmpty {
      gs[gs.count - 1].outputBits = 8
      transforms["g_s"] = gs
    }
    let yBits = transforms["g_a"]?.last?.outputBits ?? 8
    let zBits = transforms["h_a"]?.last?.outputBits ?? 8
    let means = configuration.architecture == .meanScaleHyperprior
    // h_a reads |y| (one bit less; y itself with means); g_s reads y symbols, taken at the latent's width (an upper
    // bound), or y_hat = symbol + mean at the same width.
    chainInputBits(&transforms, firstInputs: ["g_a": 8, "h_a": means ? yBits : Swift.max(1, yBits - 1), "h_s": zBits, "g_s": yBits])
    var index: HardwareStage? = nil
    if let hs = transforms["h_s"]?.last {
      index = scaleIndexStage(after: hs, thresholds: defaultScaleThresholds, thresholdBits: hs.outputBits,
                              scales: means ? configuration.m : hs.outChannels)
    }
    return LayerGraph(
      model: source, bitsSource: "scheme", scheme: scheme.specification, n: configuration.n, m: configuration.m,
      gdnVariant: configuration.gdnVariant.rawValue, part: part, requested: resolution, padded: padded,
      stages: try nonEmpty(select(part: part, transforms: transforms, scaleIndex: index), part: part, source: source))
  }

  /// An integer model: bits from its weights and activation ranges.
  public static func build(
    integer model: IntegerHyperprior, configuration: ModelConfiguration, source: String, scheme: String?,
    resolution: Resolution, part: PipelinePart
  ) throws -> LayerGraph {
    let padded = resolution.padded(to: sizeMultiple)
    let yBound = model.analysis.layers.last.map { rangeOf($0) }.map { Swift.max(-Int64($0.lower), Int64($0.upper)) } ?? 255
    // h_a reads |y| (y itself with means); g_s reads the y symbols (y_hat = symbol + mean with means).
    let inputs: [(String, IntegerTransform, Int, Int, Int)] = [
      ("g_a", model.analysis, padded.height, padded.width, 8),
      ("h_a", model.hyperAnalysis, padded.height / 16, padded.width / 16,
       model.hyperAnalysisReadsMagnitude ? unsignedBits(yBound) : signedBits(yBound)),
      ("h_s", model.hyperSynthesis, padded.height / 64, padded.width / 64, rangeBits(model.zHatRange)),
      ("g_s", model.synthesis, padded.height / 16, padded.width / 16, rangeBits(model.yHatRange)),
    ]
    var transforms: [String: [HardwareStage]] = [:]
    for (t, transform, h0, w0, bits0) in inputs {
      var (h, w, inBits) = (h0, w0, bits0)
      var list: [HardwareStage] = []
      let names = stateDictNames(t, transform)
      for (position, layer) in transform.layers.enumerated() {
        let cost = layer.macs(height: h, width: w)
        var stage: HardwareStage
        switch layer {
        case .convolution(let c):
          let relu = fusedReLU(t, position: position, transform)
          let maxWeight = c.weights.map { Swift.abs(Int64($0)) }.max() ?? 0
          stage = HardwareStage(
            name: names[position], transform: t, kind: c.kind == .convolution ? .convolution : .transposed,
            inChannels: c.inChannels, outChannels: c.outChannels, kernel: c.kernel, stride: c.stride, padding: c.padding,
            outputPadding: c.outputPadding, inputHeight: h, inputWidth: w, outputHeight: cost.height, outputWidth: cost.width,
            weightBits: signedBits(maxWeight), inputBits: inBits, outputBits: rangeBits(c.outputRange), fusedReLU: relu,
            macs: cost.macs)
          if c.negativeSlope != nil { stage.fusedLeakyReLU = true }
        case .gdn(let g):
          stage = HardwareStage(
            name: names[position], transform: t, kind: g.inverse ? .igdn : .gdn, inChannels: g.channels,
            outChannels: g.channels, kernel: 1, stride: 1, padding: 0, outputPadding: 0, inputHeight: h, inputWidth: w,
            outputHeight: h, outputWidth: w, weightBits: unsignedBits(g.gamma.max() ?? 0), inputBits: inBits,
            outputBits: rangeBits(g.outputRange), fusedReLU: false, macs: cost.macs, simplifiedGDN: g.kind == .simplified,
            tableEntries: g.table?.entries.count ?? 0)
        }
        try checkGeometry(stage)
        list.append(stage)
        (h, w, inBits) = (cost.height, cost.width, stage.outputBits)
      }
      transforms[t] = list
    }
    var indexStage: HardwareStage? = nil
    if let hs = transforms["h_s"]?.last {
      indexStage = scaleIndexStage(after: hs, thresholds: model.scaleThresholds.count,
                                   thresholdBits: signedBits(model.scaleThresholds.map { Swift.abs($0) }.max() ?? 0),
                                   scales: model.predictsMeans ? hs.outChannels / 2 : hs.outChannels)
    }
    return LayerGraph(
      model: source, bitsSource: "integer", scheme: scheme, n: configuration.n, m: configuration.m,
      gdnVariant: configuration.gdnVariant.rawValue, part: part, requested: resolution, padded: padded,
      stages: try nonEmpty(select(part: part, transforms: transforms, scaleIndex: indexStage), part: part, source: source))
  }

  // MARK: helpers

  /// Whether integer layer `position` of transform `t` ends in a ReLU (its output range starts at 0; the
  /// last g_s layer's 0..255 clamp is not a ReLU).
  static func fusedReLU(_ t: String, position: Int, _ transform: IntegerTransform) -> Bool {
    guard case .convolution(let c) = transform.layers[position] else { return false }
    return c.outputRange.lower == 0 && !(t == "g_s" && position == transform.layers.count - 1)
  }

  /// State-dict names of an integer transform's layers ("h_a.0", "h_a.2", "h_a.4": a fused ReLU or LeakyReLU takes
  /// an index).
  public static func stateDictNames(_ t: String, _ transform: IntegerTransform) -> [String] {
    var index = 0
    return transform.layers.indices.map { position in
      var activation = fusedReLU(t, position: position, transform)
      if case .convolution(let c) = transform.layers[position], c.negativeSlope != nil { activation = true }
      defer { index += activation ? 2 : 1 }
      return "\(t).\(index)"
    }
  }

  static func nonEmpty(_ stages: [HardwareStage], part: PipelinePart, source: String) throws -> [HardwareStage] {
    guard !stages.isEmpty else { throw HardwareError("\(source) has no stages for the \(part.rawValue)") }
    return stages
  }

  static func tableEntries(simplified: Bool, inverse: Bool) -> Int {
    let segments = 1 << defaultTableIndexBits
    switch (simplified, inverse) {
    case (false, _): return 3 * segments + 1
    case (true, false): return segments + 1
    case (true, true): return 0
    }
  }

  /// The scale-index stage reading h_s's output; `scales` of its channels are scales (all but the means).
  static func scaleIndexStage(after hs: HardwareStage, thresholds: Int, thresholdBits: Int, scales: Int) -> HardwareStage {
    HardwareStage(
      name: "scale_index", transform: "entropy", kind: .scaleIndex, inChannels: hs.outChannels, outChannels: scales,
      kernel: 1, stride: 1, padding: 0, outputPadding: 0, inputHeight: hs.outputHeight, inputWidth: hs.outputWidth,
      outputHeight: hs.outputHeight, outputWidth: hs.outputWidth, weightBits: thresholdBits, inputBits: hs.outputBits,
      outputBits: scaleIndexBits, fusedReLU: false, macs: 0, tableEntries: thresholds)
  }

  /// Each stage's input bits are the previous stage's output bits; the first stage of a transform gets `firstInputs`.
  static func chainInputBits(_ transforms: inout [String: [HardwareStage]], firstInputs: [String: Int]) {
    for (t, var list) in transforms {
      var bits = firstInputs[t] ?? 8
      for i in list.indices {
        list[i].inputBits = bits
        bits = list[i].outputBits
      }
      transforms[t] = list
    }
  }

  static func checkGeometry(_ s: HardwareStage) throws {
    guard s.inChannels > 0, s.outChannels > 0, s.kernel > 0, s.stride > 0, s.outputHeight > 0, s.outputWidth > 0,
      s.inputHeight > 0, s.inputWidth > 0
    else { throw HardwareError("stage \(s.name) has an empty shape (\(s.inputHeight)x\(s.inputWidth) -> \(s.outputHeight)x\(s.outputWidth))") }
  }

  static func rangeOf(_ layer: IntegerLayer) -> ActivationRange {
    switch layer {
    case .convolution(let c): return c.outputRange
    case .gdn(let g): return g.outputRange
    }
  }

  /// Bits of a two's-complement number holding -v...v.
  static func signedBits(_ magnitude: Int64) -> Int { magnitude <= 0 ? 1 : 64 - magnitude.leadingZeroBitCount + 1 }
  /// Bits of an unsigned number holding 0...v.
  static func unsignedBits(_ v: Int64) -> Int { v <= 0 ? 1 : 64 - v.leadingZeroBitCount }
  /// Bits of an activation range: unsigned when it never goes below 0.
  static func rangeBits(_ r: ActivationRange) -> Int {
    r.lower >= 0 ? unsignedBits(Int64(r.upper)) : signedBits(Swift.max(-Int64(r.lower), Int64(r.upper)))
  }
}
