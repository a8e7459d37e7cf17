/// # Imaging
///
/// The pixel boundary of Lichen: everything the codec needs to get images in
/// and out of files and to judge reconstructions, with no dependency on the
/// neural-network runtime.
///
/// - ``RGBImage``: a 3-channel image stored planar (CHW) as `Float` in
///   `[0, 1]`, the layout the codec's networks consume, plus the bit depth of
///   the samples it was made from.
/// - ``PNGDecoder`` / ``PNGEncoder``: PNG I/O through libpng (8/16-bit; gray,
///   gray+alpha, RGB, RGBA and palette in; 8/16-bit RGB out). Alpha is
///   dropped with a warning; files are written atomically.
/// - ``RGBImage/padded(toMultipleOf:mode:)`` and
///   ``RGBImage/cropped(width:height:)``: pad to the network's stride and
///   crop back.
/// - ``ImageMetrics``: PSNR and MS-SSIM, MS-SSIM computed exactly as the
///   `pytorch-msssim` package used by CompressAI.
///
/// Every failure is reported as an ``ImagingError``. The library never
/// prints.
///
/// (This file holds the module overview and ``ImageLimits``; no type is
/// named `Imaging`, so `Imaging.RGBImage` stays a valid qualified name.)

/// Size limits applied to every image the module creates or decodes.
public enum ImageLimits {
  /// Largest accepted width or height, in pixels.
  public static let maxDimension = 65_535
  /// Largest accepted pixel count (width * height), 2^28.
  public static let maxPixelCount = 1 << 28
}
