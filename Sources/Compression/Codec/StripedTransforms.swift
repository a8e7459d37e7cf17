import Foundation
import Imaging
import Torch

/// Runs g_a and g_s over horizontal stripes, so a large image's peak memory
/// grows with its width, not its area.
///
/// Both transforms are four 5x5 stride-2 (transposed) convolutions with
/// pointwise GDN between them, so a latent row sees a bounded band of pixel
/// rows. Each stripe is computed with `haloRows` latent rows of real context
/// above and below (the zero padding of a cut stripe reaches 2 latent rows
/// into g_a's output and 23 pixel rows, under 2 latent rows, into g_s's), and
/// only its own rows are kept: the result is whole-image processing's.
/// Decoders never depend on it: the entropy parameters come from z_hat alone.
public struct StripedTransforms: Sendable {
  /// Total stride of g_a (and of g_s's upsampling).
  public static let stride = 16
  /// Latent rows of context on each side of a stripe.
  public var haloRows = 2
  /// Latent rows each stripe produces (g_a) or consumes (g_s).
  public var latentRowsPerStripe: Int

  /// Stripes sized so one holds about `pixelBudget` pixels of a `width`-wide image.
  public init(width: Int, pixelBudget: Int = StripedTransforms.defaultPixelBudget) {
    let rows = pixelBudget / Swift.max(1, width) / Self.stride
    latentRowsPerStripe = Swift.max(1, rows)
  }

  public init(latentRowsPerStripe: Int, haloRows: Int = 2) {
    self.latentRowsPerStripe = Swift.max(1, latentRowsPerStripe)
    self.haloRows = haloRows
  }

  /// Pixels per stripe by default: a stripe of N=128 activations then stays
  /// well under a gigabyte (g_a's first layer output is 2M/4 x 128 floats).
  public static let defaultPixelBudget = 2 << 20

  /// Images up to this many (padded) pixels are coded in one piece, as
  /// they always were; larger ones in stripes.
  public static let wholeImageLimit = 4 << 20

  /// y = g_a(x) for the padded image whose rows `rows(start, count)` returns
  /// as [1, 3, count, paddedWidth] tensors (start and count multiples of 16).
  public func analyze(_ transform: Sequential, paddedHeight: Int,
                      rows: (_ start: Int, _ count: Int) throws -> Tensor) throws -> Tensor {
    let latentHeight = paddedHeight / Self.stride
    var pieces: [Tensor] = []
    try withNoGrad {
      for first in Swift.stride(from: 0, to: latentHeight, by: latentRowsPerStripe) {
        let last = Swift.min(latentHeight, first + latentRowsPerStripe)
        let from = Swift.max(0, first - haloRows), to = Swift.min(latentHeight, last + haloRows)
        let x = try rows(from * Self.stride, (to - from) * Self.stride)
        let y = try transform(x.channelsLast()).contiguous()
        pieces.append(try y.narrow(2, start: first - from, length: last - first).contiguous())
      }
    }
    return pieces.count == 1 ? pieces[0] : try Tensor.cat(pieces, dim: 2)
  }

  /// Runs g_s over `yHat` ([1, M, h, w]) stripe by stripe, handing each
  /// stripe's pixels ([1, 3, rows, 16 w], clamped to [0, 1]) and its first
  /// pixel row to `consume`, top to bottom.
  public func synthesize(_ transform: Sequential, yHat: Tensor,
                         consume: (_ pixels: Tensor, _ firstRow: Int) throws -> Void) throws {
    let (_, _, latentHeight, _) = try yHat.size4("y_hat")
    try withNoGrad {
      for first in Swift.stride(from: 0, to: latentHeight, by: latentRowsPerStripe) {
        let last = Swift.min(latentHeight, first + latentRowsPerStripe)
        let from = Swift.max(0, first - haloRows), to = Swift.min(latentHeight, last + haloRows)
        let x = try transform(yHat.narrow(2, start: from, length: to - from).contiguous())
        let own = try x.narrow(2, start: (first - from) * Self.stride, length: (last - first) * Self.stride)
        try consume(try own.clamp(min: 0, max: 1).contiguous(), first * Self.stride)
      }
    }
  }
}

extension RGBImage {
  /// Rows `start ..< start + count` of this image padded to `paddedWidth` x
  /// `paddedHeight` by replicating the last column and row (what
  /// `padded(toMultipleOf:mode: .replicate)` makes), as a [1, 3, count, paddedWidth] tensor.
  public func paddedRowsTensor(start: Int, count: Int, paddedWidth: Int) throws -> Tensor {
    var values = [Float](repeating: 0, count: 3 * count * paddedWidth)
    pixels.withUnsafeBufferPointer { source in
      values.withUnsafeMutableBufferPointer { target in
        for c in 0..<3 {
          for r in 0..<count {
            let y = Swift.min(start + r, height - 1)
            let from = (c * height + y) * width, to = (c * count + r) * paddedWidth
            for x in 0..<width { target[to + x] = source[from + x] }
            let edge = source[from + width - 1]
            for x in width..<paddedWidth { target[to + x] = edge }
          }
        }
      }
    }
    return try Tensor(values, shape: [1, 3, count, paddedWidth])
  }
}
