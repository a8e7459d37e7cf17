import Foundation
import Imaging
import Torch

/// Runs g_a and g_s tile by tile, so a large image's peak memory does not
/// grow with its area (only the latents and the picture itself do).
///
/// Both transforms are four 5x5 stride-2 (transposed) convolutions with
/// pointwise GDN between them, so a latent sees a bounded window of pixels.
/// Each tile is computed with `halo` latents of real context on every side
/// that has a neighbour, and only its own core is kept: the zero padding of
/// a cut tile reaches 2 latents into g_a's output and 23 pixels (under 2
/// latents) into g_s's, so a halo of 2 gives whole-image processing's
/// result (tested). Decoders never depend on it: the entropy parameters come
/// from z_hat alone.
public struct TiledTransforms: Sendable, Equatable {
  /// Total stride of g_a (and upsampling of g_s).
  public static let stride = 16
  /// Latents of context on each side of a tile.
  public var halo: Int
  /// Side of a tile's core, in latents (16 pixels each).
  public var tileSide: Int

  public init(tileSide: Int, halo: Int = 2) {
    self.tileSide = Swift.max(1, tileSide)
    self.halo = Swift.max(0, halo)
  }

  /// Tiles whose core holds about `pixelBudget` pixels.
  public init(pixelBudget: Int = TiledTransforms.defaultPixelBudget) {
    self.init(tileSide: Int(Double(pixelBudget).squareRoot()) / Self.stride)
  }

  /// Core pixels per tile: 1024 x 1024. g_s's transposed convolutions take
  /// about 0.8 kB per pixel they produce (measured), so a tile with its halo
  /// stays under a gigabyte, and the halo costs 13% more arithmetic.
  public static let defaultPixelBudget = 1 << 20

  /// Images up to this many padded pixels are coded whole, as they always
  /// were (Kodak, HD frames up to 1 Mpixel); larger ones in tiles.
  public static let wholeImageLimit = 1 << 20

  /// A tile: its core and the halo-extended window around it, in latents.
  struct Tile {
    var core: (x: Range<Int>, y: Range<Int>)
    var window: (x: Range<Int>, y: Range<Int>)
  }

  /// Tiles of a latent grid, row by row.
  func tiles(latentWidth: Int, latentHeight: Int) -> [[Tile]] {
    Swift.stride(from: 0, to: latentHeight, by: tileSide).map { y0 in
      let y1 = Swift.min(latentHeight, y0 + tileSide)
      return Swift.stride(from: 0, to: latentWidth, by: tileSide).map { x0 in
        let x1 = Swift.min(latentWidth, x0 + tileSide)
        return Tile(core: (x0..<x1, y0..<y1),
                    window: (Swift.max(0, x0 - halo)..<Swift.min(latentWidth, x1 + halo),
                             Swift.max(0, y0 - halo)..<Swift.min(latentHeight, y1 + halo)))
      }
    }
  }

  /// y = g_a(x) of a padded image whose pixel regions `region(x, y, width, height)`
  /// returns as [1, 3, height, width] tensors (all multiples of 16).
  public func analyze(_ transform: Sequential, paddedWidth: Int, paddedHeight: Int,
                      region: (_ x: Int, _ y: Int, _ width: Int, _ height: Int) throws -> Tensor) throws -> Tensor {
    let s = Self.stride
    return try withNoGrad {
      var rows: [Tensor] = []
      for tileRow in tiles(latentWidth: paddedWidth / s, latentHeight: paddedHeight / s) {
        var pieces: [Tensor] = []
        for tile in tileRow {
          let (wx, wy) = tile.window
          let x = try region(wx.lowerBound * s, wy.lowerBound * s, wx.count * s, wy.count * s)
          let y = try transform(x.channelsLast()).contiguous()
          pieces.append(try y.narrow(2, start: tile.core.y.lowerBound - wy.lowerBound, length: tile.core.y.count)
            .narrow(3, start: tile.core.x.lowerBound - wx.lowerBound, length: tile.core.x.count).contiguous())
        }
        rows.append(pieces.count == 1 ? pieces[0] : try Tensor.cat(pieces, dim: 3))
      }
      return rows.count == 1 ? rows[0] : try Tensor.cat(rows, dim: 2)
    }
  }

  /// Runs g_s over `yHat` ([1, M, h, w]) tile by tile, handing each tile's
  /// pixels ([1, 3, rows, columns], clamped to [0, 1]) and its top-left pixel to `consume`.
  public func synthesize(_ transform: Sequential, yHat: Tensor,
                         consume: (_ pixels: Tensor, _ x: Int, _ y: Int) throws -> Void) throws {
    let (_, _, latentHeight, latentWidth) = try yHat.size4("y_hat")
    let s = Self.stride
    try withNoGrad {
      for tile in tiles(latentWidth: latentWidth, latentHeight: latentHeight).joined() {
        let (wx, wy) = tile.window
        let window = try yHat.narrow(2, start: wy.lowerBound, length: wy.count)
          .narrow(3, start: wx.lowerBound, length: wx.count).contiguous()
        let x = try transform(window)
        let core = try x.narrow(2, start: (tile.core.y.lowerBound - wy.lowerBound) * s, length: tile.core.y.count * s)
          .narrow(3, start: (tile.core.x.lowerBound - wx.lowerBound) * s, length: tile.core.x.count * s)
        try consume(try core.clamp(min: 0, max: 1).contiguous(), tile.core.x.lowerBound * s, tile.core.y.lowerBound * s)
      }
    }
  }
}

extension RGBImage {
  /// The region at (`x`, `y`) of size `width` x `height` of this image padded
  /// on the right and bottom by replicating its last column and row (what
  /// `padded(toMultipleOf:mode: .replicate)` makes), as a [1, 3, height, width] tensor.
  public func paddedRegionTensor(x: Int, y: Int, width regionWidth: Int, height regionHeight: Int) throws -> Tensor {
    var values = [Float](repeating: 0, count: 3 * regionWidth * regionHeight)
    let columns = (0..<regionWidth).map { Swift.min(x + $0, width - 1) }
    pixels.withUnsafeBufferPointer { source in
      values.withUnsafeMutableBufferPointer { target in
        for c in 0..<3 {
          for r in 0..<regionHeight {
            let from = (c * height + Swift.min(y + r, height - 1)) * width, to = (c * regionHeight + r) * regionWidth
            for (i, column) in columns.enumerated() { target[to + i] = source[from + column] }
          }
        }
      }
    }
    return try Tensor(values, shape: [1, 3, regionHeight, regionWidth])
  }
}
