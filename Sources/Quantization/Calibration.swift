import Compression
import Imaging
import Torch

/// How an activation's clipping range is chosen from calibration data.
public enum CalibrationMethod: Equatable, Sendable, CustomStringConvertible {
  /// The largest |x| seen.
  case max
  /// The given percentile of |x| (e.g. 99.99).
  case percentile(Double)
  /// The clip that minimises the mean squared quantization error on the samples.
  case mse

  public init(parsing text: String) throws {
    switch text {
    case "max": self = .max
    case "mse": self = .mse
    default:
      if text.hasPrefix("percentile:"), let p = Double(text.dropFirst("percentile:".count)), p > 0, p <= 100 {
        self = .percentile(p)
      } else {
        throw QuantizationError("calibration method '\(text)' is not one of max, mse, percentile:<0-100>")
      }
    }
  }

  public var description: String {
    switch self {
    case .max: return "max"
    case .mse: return "mse"
    case .percentile(let p): return "percentile:\(p)"
    }
  }
}

/// |x| statistics of one quantization point over the calibration images.
public struct ActivationStatistics: Sendable {
  public var maxAbs: Float = 0
  /// The largest |x| of each channel (what channel equalization balances).
  public var channelMaxAbs: [Float] = []
  /// A strided subsample of |x| (every value for small tensors).
  public var samples: [Float] = []

  /// Takes in one NCHW activation.
  mutating func observe(_ activation: Tensor, sampleBudget: Int) throws {
    let values = try activation.floats()
    let step = Swift.max(1, values.count / sampleBudget)
    var i = 0
    while i < values.count {
      samples.append(Swift.abs(values[i]))
      i += step
    }
    for v in values { maxAbs = Swift.max(maxAbs, Swift.abs(v)) }
    let channels = try activation.abs().max(dims: [0, 2, 3]).floats()
    channelMaxAbs = channelMaxAbs.isEmpty ? channels : zip(channelMaxAbs, channels).map { Swift.max($0, $1) }
  }

  /// The clipping value for a signed `bits`-bit quantizer.
  public func clip(method: CalibrationMethod, bits: Int) -> Double {
    let top = Double(maxAbs)
    guard top > 0 else { return 1 }
    switch method {
    case .max:
      return top
    case .percentile(let p):
      let sorted = samples.sorted()
      let index = Swift.min(sorted.count - 1, Int((p / 100 * Double(sorted.count - 1)).rounded()))
      return Swift.max(Double(sorted[index]), top * 1e-3)
    case .mse:
      let levels = Double((1 << (bits - 1)) - 1)
      var best = (clip: top, error: Double.infinity)
      for k in stride(from: 100, through: 10, by: -2) {
        let clip = top * Double(k) / 100
        let step = clip / levels
        var error = 0.0
        for v in samples {
          let x = Double(v)
          let q = x >= clip ? clip : (x / step).rounded() * step
          error += (x - q) * (x - q)
        }
        if error < best.error { best = (clip, error) }
      }
      return best.clip
    }
  }
}

/// Activation statistics of every quantization point of a hyperprior:
/// each stage's output (after its ReLU), plus "z_hat" (the dequantized
/// hyper-latent); for the mean-scale hyperprior, h_s's last stage is observed
/// as its scales (under the stage's name) and "means" separately, since they
/// get separate grids.
public struct CalibrationStatistics: Sendable {
  public var points: [String: ActivationStatistics] = [:]
  public var imageCount = 0

  /// Runs the float model stage by stage on each image (sides multiples of 64), on one thread: a
  /// multi-threaded convolution sums in another order, moves a maximum in its last bits and with it
  /// a requantizer's multiplier, so the same command would write a different integer model.
  public static func collect(
    model: any HyperpriorModel, images: [RGBImage], samplesPerImage: Int = 16_384,
    progress: (Int) -> Void = { _ in }
  ) throws -> CalibrationStatistics {
    guard !images.isEmpty else { throw QuantizationError("no calibration images") }
    let stages = try HyperpriorStages(model)
    var stats = CalibrationStatistics()
    func observe(_ name: String, _ t: Tensor) throws {
      try stats.points[name, default: ActivationStatistics()].observe(t, sampleBudget: samplesPerImage)
    }
    try Torch.withThreads(1) { try withNoGrad {
      for (i, image) in images.enumerated() {
        let (padded, _) = try image.padded(toMultipleOf: 64, mode: .replicate)
        let y = try HyperpriorStages.run(stages.analysis, padded.tensor(), observe: observe)
        let z = try HyperpriorStages.run(stages.hyperAnalysis, model.hyperAnalysisReadsMagnitude ? y.abs() : y,
                                         observe: observe)
        let medians = try model.entropyBottleneck.medians().reshape([1, z.shape[1], 1, 1])
        let zHat = try (z - medians).round() + medians
        try observe("z_hat", zHat)
        let last = stages.hyperSynthesis.last?.descriptor.name
        var means: Tensor?
        _ = try HyperpriorStages.run(stages.hyperSynthesis, zHat) { name, output in
          guard model.predictsMeans, name == last else { return try observe(name, output) }
          let m = output.shape[1] / 2
          try observe(name, output.narrow(1, start: 0, length: m))
          let predicted = try output.narrow(1, start: m, length: m)
          try observe(HyperpriorStages.meansPoint, predicted)
          means = predicted
        }
        let yHat = try means.map { try (y - $0).round() + $0 } ?? y.round()
        _ = try HyperpriorStages.run(stages.synthesis, yHat, observe: observe)
        stats.imageCount += 1
        progress(i + 1)
      }
    } }
    return stats
  }

  func point(_ name: String) throws -> ActivationStatistics {
    guard let p = points[name] else { throw QuantizationError("no calibration statistics for \(name)") }
    return p
  }
}
