import Foundation
import Torch

/// Encoder-side latent refinement (Campos, Meierhans, Djelouah, Schroers
/// 2019, "Content adaptive optimization for neural image compression"; the
/// straight-through variant in Yang, Bamler, Mandt 2020, "Improving inference
/// for neural image compression").
///
/// The analysis transform is trained to be good on average over all images,
/// so the latents it gives one image are not the best that image could have.
/// Starting from them, Adam steps on the latents themselves lower that image's
/// own rate-distortion loss with the decoder held fixed. The bitstream format
/// and the decoder do not change; only encoding gets slower.
///
/// The loss is the one the real bitstream pays: latents rounded exactly as
/// `compress` rounds them, the likelihoods the coder's tables approximate, and
/// the clamped reconstruction compared on the image's own pixels (not the
/// padding). Rounding passes the gradient straight through. Because every step
/// evaluates the exact loss of the latents it starts from, refinement keeps
/// the best latents it visited, so its loss is never above the analysis
/// transform's.
public struct LatentRefinement: Sendable, Equatable {
  /// Adam steps (each one synthesis forward and backward at full resolution).
  public var steps: Int
  /// Adam's initial learning rate, in latent units (one quantization bin is 1);
  /// it anneals to zero over the steps by a cosine.
  public var learningRate: Double
  /// The trade-off of the loss `lambda * 255^2 * MSE + bpp`: the model's own
  /// training lambda, so the refined point stays on the model's RD curve.
  public var lambda: Double

  /// Peak memory per padded pixel, measured for N=128, M=192 (kodim01,
  /// 768x512: 1.10 GB; a 192x128 crop: 0.28 GB): the autograd graph keeps the
  /// synthesis activations of the whole image, about 2.2 kB a pixel.
  public static let bytesPerPixel = 2_300.0
  /// The default memory budget: three quarters of this machine's memory.
  public static var defaultMemoryLimit: Double { Double(ProcessInfo.processInfo.physicalMemory) * 0.75 }

  public static let defaultSteps = 60
  public static let defaultLearningRate = 0.004

  public init(steps: Int = defaultSteps, learningRate: Double = defaultLearningRate, lambda: Double) throws {
    guard steps >= 0 else { throw CodecError.invalidInput("refinement steps must be >= 0, got \(steps)") }
    guard learningRate > 0, learningRate.isFinite else {
      throw CodecError.invalidInput("refinement learning rate must be positive, got \(learningRate)")
    }
    guard lambda > 0, lambda.isFinite else { throw CodecError.invalidInput("refinement lambda must be positive, got \(lambda)") }
    self.steps = steps
    self.learningRate = learningRate
    self.lambda = lambda
  }

  /// One line for reports: what the encoder did.
  public var summary: String {
    String(format: "latent refinement: %d Adam steps, lr %g (cosine), lambda %g", steps, learningRate, lambda)
  }

  /// The loss terms of one set of latents.
  public struct Point: Sendable, Equatable {
    public var loss: Double
    public var bpp: Double
    public var mse: Double
    public var psnr: Double { Compression.psnr(mse: mse) }
  }

  /// What refinement did to one image.
  public struct Report: Sendable {
    /// The analysis transform's latents.
    public var initial: Point
    /// The latents kept (the lowest loss visited).
    public var refined: Point
    /// The step whose latents were kept (0: the analysis transform's).
    public var bestStep: Int
  }

  /// Refined latents of `x` (NCHW, already padded to the model's multiple);
  /// `height` x `width` is the image's own top-left region, the only part the
  /// distortion counts. `progress` sees each step's point.
  public func refine(
    _ model: any CompressionModel, image x: Tensor, height: Int, width: Int,
    memoryLimit: Double = defaultMemoryLimit, progress: ((_ step: Int, _ point: Point) -> Void)? = nil
  ) throws -> (latents: [Tensor], report: Report) {
    let (n, _, paddedHeight, paddedWidth) = try x.size4("refinement input")
    guard height > 0, width > 0, height <= paddedHeight, width <= paddedWidth else {
      throw CodecError.invalidInput("image region \(width)x\(height) does not fit the \(paddedWidth)x\(paddedHeight) input")
    }
    // Refuse up front rather than be killed for memory halfway.
    let need = Double(n * paddedHeight * paddedWidth) * Self.bytesPerPixel
    guard need <= memoryLimit else {
      throw CodecError.invalidInput(String(
        format: "latent refinement of a %dx%d image needs about %.2f GB (it keeps the synthesis activations of the "
          + "whole image), over the %.2f GB allowed; encode it without refinement or in smaller pieces",
        width, height, need / 1e9, memoryLimit / 1e9))
    }
    let target = try x.narrow(2, start: 0, length: height).narrow(3, start: 0, length: width)
    let pixels = n * height * width
    let start = try withNoGrad { try model.analyze(x) }
    let latents = try start.map { try $0.contiguous().clone().requiringGrad() }
    let optimizer = Adam(latents, learningRate: learningRate)
    let schedule = CosineSchedule(base: learningRate, period: steps)

    func evaluate() throws -> (loss: Tensor, point: Point) {
      let result = try model.synthesize(latents: latents, mode: .straightThrough)
      let reconstruction = try result.reconstruction.clamp(min: 0, max: 1)
        .narrow(2, start: 0, length: height).narrow(3, start: 0, length: width)
      let mse = try Loss.mse(reconstruction, target)
      let bpp = try result.bitsPerPixel(pixels: pixels)
      let loss = try mse * (lambda * 255 * 255) + bpp
      return (loss, Point(loss: try loss.item(), bpp: try bpp.item(), mse: try mse.item()))
    }

    return try model.withFrozenParameters {
      var best = start  // analyze's own tensors: the steps move only their clones
      var initial: Point?
      var bestPoint: Point?
      var bestStep = 0
      for step in 0...steps {
        let last = step == steps
        let (loss, point) = try last ? withNoGrad(evaluate) : withGrad(evaluate)
        guard point.loss.isFinite else {
          throw CodecError.invalidInput("latent refinement diverged at step \(step) (loss \(point.loss)); lower the learning rate")
        }
        progress?(step, point)
        if initial == nil { initial = point }
        if point.loss < bestPoint?.loss ?? .infinity {
          bestPoint = point
          bestStep = step
          if step > 0 { best = try withNoGrad { try latents.map { try $0.detach().clone() } } }
        }
        if last { break }
        for latent in latents { try latent.zeroGrad() }
        try loss.backward()
        optimizer.groups[0].learningRate = schedule.learningRate(at: step)
        try optimizer.step()
      }
      guard let initial, let bestPoint else { throw CodecError.invalidInput("latent refinement evaluated nothing") }
      return (best, Report(initial: initial, refined: bestPoint, bestStep: bestStep))
    }
  }
}

extension Module {
  /// Runs `body` with every parameter's gradient off (restored after, also on
  /// throw): refinement differentiates with respect to the latents only, and
  /// weight gradients would cost as much again.
  func withFrozenParameters<R>(_ body: () throws -> R) throws -> R {
    let trainable = namedParameters().map(\.tensor).filter(\.requiresGrad)
    for p in trainable { try p.requiringGrad(false) }
    let result = Result { try body() }
    for p in trainable { try p.requiringGrad(true) }
    return try result.get()
  }
}

extension LatentRefinement.Report {
  /// One line on what refinement did to an image: "refined latents: loss 0.52000 -> 0.51000 (step 42), estimated
  /// 0.6512 -> 0.6400 bpp, 32.10 -> 32.20 dB".
  public var summary: String {
    String(format: "refined latents: loss %.5f -> %.5f (step %d), estimated %.4f -> %.4f bpp, %.2f -> %.2f dB",
           initial.loss, refined.loss, bestStep, initial.bpp, refined.bpp, initial.psnr, refined.psnr)
  }
}
