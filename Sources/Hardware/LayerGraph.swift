/// The stages of a codec as a hardware pipeline sees them: one stage per
/// convolution, transposed convolution, GDN/IGDN and the Gaussian
/// scale-index step (ReLUs are fused into the layer before them), with
/// shapes at a given (padded) resolution, MACs and operand bit widths.
/// Built from an integer model (bits read off the integer layers) or from a
/// float model plus a quantization scheme (LayerGraph+Builders.swift).

/// Which half of the codec is put on the FPGA.
public enum PipelinePart: String, Codable, Sendable, CaseIterable {
  /// g_a, h_a, h_s and the scale index (the encoder needs the scales to code y).
  case encoder
  /// h_s, the scale index and g_s (the entropy decoder between them runs on the CPU).
  case decoder
  /// Every stage once.
  case full
}

/// A frame size in pixels.
public struct Resolution: Codable, Sendable, Equatable, CustomStringConvertible {
  public var width: Int
  public var height: Int

  public init(width: Int, height: Int) {
    self.width = width
    self.height = height
  }

  /// "1280x720" (also "1280X720", "1280*720").
  public init(parsing text: String) throws {
    let parts = text.lowercased().split(whereSeparator: { $0 == "x" || $0 == "*" })
    guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]), w > 0, h > 0, w <= 1 << 16, h <= 1 << 16 else {
      throw HardwareError("resolution '\(text)' is not WIDTHxHEIGHT with positive sides (e.g. 1280x720)")
    }
    self.init(width: w, height: h)
  }

  public var description: String { "\(width)x\(height)" }
  public var pixels: Int { width * height }

  /// Rounded up to multiples of `multiple`, as the codec pads its input (replicated edges).
  public func padded(to multiple: Int) -> Resolution {
    Resolution(width: (width + multiple - 1) / multiple * multiple, height: (height + multiple - 1) / multiple * multiple)
  }
}

/// One pipeline stage.
public struct HardwareStage: Codable, Sendable, Equatable {
  public enum Kind: String, Codable, Sendable, CaseIterable {
    case convolution, transposed, gdn
    /// Inverse GDN (g_s).
    case igdn
    /// Gaussian scale index: compare each h_s scale output against the scale thresholds (the mean-scale
  /// hyperprior's means, h_s's last M channels, pass through: to the CPU's entropy coder in the encoder, to the
  /// adder before g_s in the decoder).
    case scaleIndex
  }

  /// State-dict name ("g_a.0", "h_s.4"); "scale_index" for the scale-index stage.
  public var name: String
  /// "g_a", "h_a", "h_s", "g_s" or "entropy".
  public var transform: String
  public var kind: Kind
  public var inChannels: Int
  public var outChannels: Int
  public var kernel: Int
  public var stride: Int
  public var padding: Int
  public var outputPadding: Int
  public var inputHeight: Int
  public var inputWidth: Int
  public var outputHeight: Int
  public var outputWidth: Int
  /// Weight bits (GDN: gamma bits, unsigned; scale index: threshold bits).
  public var weightBits: Int
  /// Bits of the input activations (the previous stage's output, or the pixels / |y| / z_hat / y symbols).
  public var inputBits: Int
  /// Bits of the output activations.
  public var outputBits: Int
  public var fusedReLU: Bool
  /// A LeakyReLU after the requantizer (the mean-scale hyperprior's h_a and h_s): negative outputs are scaled by a
  /// constant, one more multiplier per output unit. Absent (nil) for none, as in plans written before it existed.
  public var fusedLeakyReLU: Bool?
  /// Multiply-accumulates per frame (0 for the scale index, which compares).
  public var macs: Int
  /// GDN: the simplified form (|x| instead of x^2, no square root).
  public var simplifiedGDN: Bool
  /// GDN: entries of the normalization table; scale index: number of thresholds.
  public var tableEntries: Int

  public init(
    name: String, transform: String, kind: Kind, inChannels: Int, outChannels: Int, kernel: Int, stride: Int, padding: Int,
    outputPadding: Int, inputHeight: Int, inputWidth: Int, outputHeight: Int, outputWidth: Int, weightBits: Int,
    inputBits: Int, outputBits: Int, fusedReLU: Bool, macs: Int, simplifiedGDN: Bool = false, tableEntries: Int = 0
  ) {
    self.name = name
    self.transform = transform
    self.kind = kind
    self.inChannels = inChannels
    self.outChannels = outChannels
    self.kernel = kernel
    self.stride = stride
    self.padding = padding
    self.outputPadding = outputPadding
    self.inputHeight = inputHeight
    self.inputWidth = inputWidth
    self.outputHeight = outputHeight
    self.outputWidth = outputWidth
    self.weightBits = weightBits
    self.inputBits = inputBits
    self.outputBits = outputBits
    self.fusedReLU = fusedReLU
    self.macs = macs
    self.simplifiedGDN = simplifiedGDN
    self.tableEntries = tableEntries
  }

  /// Weights (GDN: gamma entries; scale index: thresholds).
  public var weightCount: Int {
    switch kind {
    case .convolution, .transposed: return inChannels * outChannels * kernel * kernel
    case .gdn, .igdn: return inChannels * outChannels
    case .scaleIndex: return tableEntries
    }
  }

  public var isGDN: Bool { kind == .gdn || kind == .igdn }

  /// "conv 3->128 k5/2", for tables.
  public var shapeSummary: String {
    switch kind {
    case .convolution: return "conv \(inChannels)->\(outChannels) k\(kernel)/\(stride)"
    case .transposed: return "deconv \(inChannels)->\(outChannels) k\(kernel)/\(stride)"
    case .gdn: return "\(simplifiedGDN ? "sGDN" : "GDN") \(inChannels)"
    case .igdn: return "\(simplifiedGDN ? "sIGDN" : "IGDN") \(inChannels)"
    case .scaleIndex: return inChannels == outChannels ? "scale index \(inChannels)" : "scale index \(outChannels) + means \(inChannels - outChannels)"
    }
  }
}

/// The stages of one part of a codec at one resolution.
public struct LayerGraph: Codable, Sendable, Equatable {
  /// The spatial factor the codec needs: four stride-2 layers in g_a and two in h_a.
  public static let sizeMultiple = 64

  /// Where the model came from (registry name or path).
  public var model: String
  /// "integer" (bits read off an integer model) or "scheme" (bits from a quantization scheme).
  public var bitsSource: String
  /// The scheme, when the bits come from one (or when the integer model records it).
  public var scheme: String?
  public var n: Int
  public var m: Int
  public var gdnVariant: String
  public var part: PipelinePart
  public var requested: Resolution
  /// The size the codec runs at: `requested` rounded up to multiples of 64.
  public var padded: Resolution
  public var stages: [HardwareStage]

  public init(model: String, bitsSource: String, scheme: String?, n: Int, m: Int, gdnVariant: String, part: PipelinePart,
              requested: Resolution, padded: Resolution, stages: [HardwareStage]) {
    self.model = model
    self.bitsSource = bitsSource
    self.scheme = scheme
    self.n = n
    self.m = m
    self.gdnVariant = gdnVariant
    self.part = part
    self.requested = requested
    self.padded = padded
    self.stages = stages
  }

  public var macs: Int { stages.reduce(0) { $0 + $1.macs } }

  /// The note printed when the resolution was padded; nil when it was not.
  public var paddingNote: String? {
    guard requested != padded else { return nil }
    let extra = Double(padded.pixels - requested.pixels) / Double(requested.pixels) * 100
    return "\(requested) is not a multiple of \(Self.sizeMultiple) on both sides; the codec pads it to \(padded) "
      + "(replicated edges), so the pipeline processes \(padded) (\(String(format: "%.1f", extra))% more pixels)"
  }

  /// The stages of `part`, in pipeline order, from per-transform stage lists and the scale-index stage.
  static func select(part: PipelinePart, transforms: [String: [HardwareStage]], scaleIndex: HardwareStage?) -> [HardwareStage] {
    func t(_ name: String) -> [HardwareStage] { transforms[name] ?? [] }
    let index = scaleIndex.map { [$0] } ?? []
    switch part {
    case .encoder: return t("g_a") + t("h_a") + t("h_s") + index
    case .decoder: return t("h_s") + index + t("g_s")
    case .full: return t("g_a") + t("h_a") + t("h_s") + index + t("g_s")
    }
  }
}
