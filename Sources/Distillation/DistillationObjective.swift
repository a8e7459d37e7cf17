import Compression
import Torch

/// The distillation loss of the companion study (arXiv 2509.10366):
///
///     a * MSE(y_s, y_t) + b * MSE(x̂_s, x̂_t) + c * (lambda * 255^2 * D + R) [+ d * MSE(z_s, z_t)]
///
/// Teacher targets come from the frozen teacher in evaluation mode (rounded
/// latents, as it codes for real); the student trains with noise as usual.
/// The z term compares the student's hyper-latent with the teacher's kept
/// channels, so it needs equal N or a channel-selection start.
public struct DistillationObjective: TrainingObjective {
  public struct Weights: Codable, Sendable, Equatable {
    public var latent: Double
    public var reconstruction: Double
    public var rateDistortion: Double
    public var hyperLatent: Double
    /// The companion study's defaults: 0.2, 0.2, 0.4 and no z term.
    public static let standard = Weights(latent: 0.2, reconstruction: 0.2, rateDistortion: 0.4, hyperLatent: 0)
    public init(latent: Double, reconstruction: Double, rateDistortion: Double, hyperLatent: Double) {
      self.latent = latent
      self.reconstruction = reconstruction
      self.rateDistortion = rateDistortion
      self.hyperLatent = hyperLatent
    }

    /// The weights as a model file records them.
    public var description: String {
      "latent=\(latent) reconstruction=\(reconstruction) rate-distortion=\(rateDistortion) hyper-latent=\(hyperLatent)"
    }
  }

  public let teacher: ScaleHyperprior
  public let weights: Weights
  public let lambda: Double
  let zChannels: Tensor?

  public init(teacher: ScaleHyperprior, studentN: Int, weights: Weights, lambda: Double, zChannels: [Int]?) throws {
    teacher.setTraining(false)
    self.teacher = teacher
    self.weights = weights
    self.lambda = lambda
    if weights.hyperLatent != 0 {
      if let zChannels, zChannels.count == studentN {
        self.zChannels = try Tensor(zChannels.map(Int64.init))
      } else if studentN == teacher.n {
        self.zChannels = nil
      } else {
        throw DistillationError("the z term (d > 0) needs --init select or a student as wide as the teacher (N=\(teacher.n))")
      }
    } else {
      self.zChannels = nil
    }
  }

  public func terms(model: any CompressionModel, batch: Tensor, quantization: QuantizationMode) throws -> RDLoss.Terms {
    guard model is ScaleHyperprior else { throw DistillationError("the student must be a ScaleHyperprior") }
    let student = try model.forward(batch, mode: quantization)
    let rd = try RDLoss(lambda: lambda)(student, target: batch)
    var loss = try rd.loss * weights.rateDistortion
    // Without a teacher term (a same-start control) the teacher is not run at all.
    guard weights.latent != 0 || weights.reconstruction != 0 || weights.hyperLatent != 0 else {
      return RDLoss.Terms(loss: loss, mse: rd.mse, bpp: rd.bpp)
    }
    let target = try withNoGrad { try teacher.forward(batch, mode: .dequantize) }
    if weights.latent != 0 { loss = try loss + Loss.mse(student.y, target.y) * weights.latent }
    if weights.reconstruction != 0 {
      loss = try loss + Loss.mse(student.reconstruction, target.reconstruction) * weights.reconstruction
    }
    if weights.hyperLatent != 0, let zs = student.z, let zt = target.z {
      let selected = try zChannels.map { try zt.indexSelect(1, $0) } ?? zt
      loss = try loss + Loss.mse(zs, selected) * weights.hyperLatent
    }
    return RDLoss.Terms(loss: loss, mse: rd.mse, bpp: rd.bpp)
  }
}
