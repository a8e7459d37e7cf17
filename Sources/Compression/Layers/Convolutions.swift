import Torch

/// The codec's convolution shapes, as CompressAI's `conv` / `deconv` helpers:
/// "same" padding k/2, and for transposed convolutions output padding
/// stride - 1 so each stage exactly doubles the size.
enum CodecConvolution {
  static func conv(_ input: Int, _ output: Int, kernel: Int = 5, stride: Int = 2, generator: Generator) throws -> Conv2d {
    try Conv2d(input, output, kernelSize: kernel, stride: stride, padding: kernel / 2, generator: generator)
  }

  static func deconv(_ input: Int, _ output: Int, kernel: Int = 5, stride: Int = 2, generator: Generator) throws
    -> ConvTranspose2d
  {
    try ConvTranspose2d(input, output, kernelSize: kernel, stride: stride, padding: kernel / 2,
                        outputPadding: stride - 1, generator: generator)
  }
}

/// The Balle-2018 transforms both model families share (one builder, so a
/// change to g_a or g_s reaches every model).
enum BalleTransforms {
  /// g_a: conv5x5/2 -> GDN -> conv -> GDN -> conv -> GDN -> conv (N, N, N, M channels).
  static func analysis(n: Int, m: Int, gdn: GDN.Variant, generator g: Generator) throws -> Sequential {
    typealias C = CodecConvolution
    return Sequential([
      try C.conv(3, n, generator: g), try GDN(channels: n, variant: gdn),
      try C.conv(n, n, generator: g), try GDN(channels: n, variant: gdn),
      try C.conv(n, n, generator: g), try GDN(channels: n, variant: gdn),
      try C.conv(n, m, generator: g),
    ])
  }

  /// g_s: the mirror of g_a with transposed convolutions and inverse GDN.
  static func synthesis(n: Int, m: Int, gdn: GDN.Variant, generator g: Generator) throws -> Sequential {
    typealias C = CodecConvolution
    return Sequential([
      try C.deconv(m, n, generator: g), try GDN(channels: n, inverse: true, variant: gdn),
      try C.deconv(n, n, generator: g), try GDN(channels: n, inverse: true, variant: gdn),
      try C.deconv(n, n, generator: g), try GDN(channels: n, inverse: true, variant: gdn),
      try C.deconv(n, 3, generator: g),
    ])
  }
}
