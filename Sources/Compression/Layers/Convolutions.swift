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
