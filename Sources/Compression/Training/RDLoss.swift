import Foundation
import Torch

/// The rate-distortion objective of the Balle models: lambda * 255^2 * MSE + bpp.
public struct RDLoss: Sendable {
  public var lambda: Double

  public init(lambda: Double) { self.lambda = lambda }

  public struct Terms {
    public var loss: Tensor
    public var mse: Tensor
    public var bpp: Tensor
  }

  public func callAsFunction(_ result: ForwardResult, target: Tensor) throws -> Terms {
    let (n, _, h, w) = try target.size4("target")
    let mse = try Loss.mse(result.reconstruction, target)
    let bpp = try result.bitsPerPixel(pixels: n * h * w)
    return Terms(loss: try mse * (lambda * 255 * 255) + bpp, mse: mse, bpp: bpp)
  }
}

/// PSNR in dB of a mean squared error on [0, 1] values.
public func psnr(mse: Double) -> Double { mse > 0 ? 10 * Foundation.log10(1 / mse) : .infinity }
