/// How ``RGBImage/padded(toMultipleOf:mode:)`` fills the added pixels.
public enum PaddingMode: Sendable, Equatable {
  /// Added pixels are 0 (black).
  case zero
  /// Added pixels copy the nearest edge pixel (last column / last row).
  /// Cheaper to code than a hard edge against black, so it is the default.
  case replicate
}

/// Pixels added on the right and at the bottom by padding. Images are never
/// padded on the left or top, so cropping back keeps the top-left corner.
public struct Padding: Sendable, Equatable {
  /// Columns added on the right.
  public var right: Int
  /// Rows added at the bottom.
  public var bottom: Int

  public init(right: Int, bottom: Int) {
    self.right = right
    self.bottom = bottom
  }

  /// No padding.
  public static let none = Padding(right: 0, bottom: 0)
}

extension RGBImage {
  /// Pads on the right and bottom so that both sides are multiples of
  /// `multiple` (64 by default: the total stride of the codec's analysis
  /// transform). Returns `self` unchanged with ``Padding/none`` when the
  /// sides already are multiples. Undo with ``cropped(width:height:)`` using
  /// the original size.
  ///
  /// - Precondition: `multiple > 0`.
  /// - Throws: ``ImagingError`` (`.unsupportedSize`) if the padded image
  ///   would exceed ``ImageLimits/maxDimension`` or ``ImageLimits/maxPixelCount``.
  public func padded(
    toMultipleOf multiple: Int = 64, mode: PaddingMode = .replicate
  ) throws(ImagingError) -> (image: RGBImage, padding: Padding) {
    precondition(multiple > 0, "padding multiple must be positive")
    let newWidth = (width + multiple - 1) / multiple * multiple
    let newHeight = (height + multiple - 1) / multiple * multiple
    let padding = Padding(right: newWidth - width, bottom: newHeight - height)
    if padding == .none {
      return (self, padding)
    }
    return (try padded(by: padding, mode: mode), padding)
  }

  /// Adds `padding.right` columns and `padding.bottom` rows, filled per
  /// `mode`.
  ///
  /// - Throws: ``ImagingError`` (`.invalidArgument`) for negative amounts,
  ///   (`.unsupportedSize`) if the result would be too large.
  public func padded(by padding: Padding, mode: PaddingMode = .replicate) throws(ImagingError) -> RGBImage {
    guard padding.right >= 0, padding.bottom >= 0 else {
      throw ImagingError(
        .invalidArgument, message: "padding amounts must be non-negative, got \(padding)")
    }
    let newWidth = width + padding.right
    let newHeight = height + padding.bottom
    var result = try RGBImage(width: newWidth, height: newHeight, bitDepth: bitDepth)
    let (srcPlane, dstPlane) = (planeCount, newWidth * newHeight)
    let (width, height) = (self.width, self.height)
    pixels.withUnsafeBufferPointer { src in
      result.withUnsafeMutablePixels { dst in
        for c in 0..<Self.channelCount {
          for y in 0..<newHeight {
            let srcY = min(y, height - 1)
            let dstRow = c * dstPlane + y * newWidth
            if y >= height && mode == .zero {
              continue  // already zero
            }
            let srcRow = c * srcPlane + srcY * width
            for x in 0..<width {
              dst[dstRow + x] = src[srcRow + x]
            }
            if mode == .replicate {
              let edge = src[srcRow + width - 1]
              for x in width..<newWidth {
                dst[dstRow + x] = edge
              }
            }
          }
        }
      }
    }
    return result
  }

  /// The top-left `width` x `height` region (the inverse of padding).
  ///
  /// - Throws: ``ImagingError`` (`.invalidArgument`) if the requested size is
  ///   empty or larger than the image.
  public func cropped(width newWidth: Int, height newHeight: Int) throws(ImagingError) -> RGBImage {
    guard newWidth > 0, newHeight > 0, newWidth <= width, newHeight <= height else {
      throw ImagingError(
        .invalidArgument,
        message: "cannot crop a \(width)x\(height) image to \(newWidth)x\(newHeight)")
    }
    if newWidth == width && newHeight == height {
      return self
    }
    var result = try RGBImage(width: newWidth, height: newHeight, bitDepth: bitDepth)
    let (srcPlane, dstPlane, width) = (planeCount, newWidth * newHeight, self.width)
    pixels.withUnsafeBufferPointer { src in
      result.withUnsafeMutablePixels { dst in
        for c in 0..<Self.channelCount {
          for y in 0..<newHeight {
            let srcRow = c * srcPlane + y * width
            let dstRow = c * dstPlane + y * newWidth
            for x in 0..<newWidth {
              dst[dstRow + x] = src[srcRow + x]
            }
          }
        }
      }
    }
    return result
  }
}
