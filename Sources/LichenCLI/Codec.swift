import ArgumentParser
import Compression
import Foundation
import Imaging
import Quantization
import Torch

/// `lichen compress IN.png -o OUT.lic`.
struct Compress: GlobalOptionsCommand {
  static let configuration = CommandConfiguration(abstract: "Compress a PNG image to a .lic bitstream.")

  @OptionGroup var global: GlobalOptions
  @OptionGroup var modelOptions: ModelOptions
  @OptionGroup var refinementOptions: RefinementOptions
  @Argument(help: "Input PNG.") var input: String
  @Option(name: .shortAndLong, help: "Output .lic file (default: input with .lic).") var output: String?

  func run() throws {
    let chosen = try refinementOptions.apply(to: modelOptions.codec(needsFloat: refinementOptions.isOn))
    let read = try PNGDecoder.read(fromFile: input)
    for warning in read.warnings { FileHandle.standardError.write(Data("warning: \(input): \(warning)\n".utf8)) }
    let coded = try chosen.compressTimed(read.image)
    if let report = coded.refinement { print(report.summary) }
    let out = output ?? (input as NSString).deletingPathExtension + ".lic"
    try FileIO.writeAtomically(coded.bytes, to: out)
    print(String(format: "%@: %dx%d -> %@, %d bytes, %.4f bpp, encode %.3f s (model %@)", input, read.image.width,
                 read.image.height, out, coded.bytes.count, coded.bitsPerPixel, coded.seconds, chosen.source))
  }
}

/// `lichen decompress IN.lic -o OUT.png`.
struct Decompress: GlobalOptionsCommand {
  static let configuration = CommandConfiguration(abstract: "Decompress a .lic bitstream to a PNG image.")

  @OptionGroup var global: GlobalOptions
  @Option(help: "Registry name or path, float or integer model (default: the bundled model whose weights made the file).")
  var model: String?
  @Option(help: ArgumentHelp(Engine.help)) var engine: Engine = .auto
  @Argument(help: "Input .lic file.") var input: String
  @Option(name: .shortAndLong, help: "Output PNG (default: input with .png).") var output: String?
  @Option(help: "Original PNG: also print PSNR and MS-SSIM of the result against it.") var reference: String?

  func run() throws {
    let bytes = try FileIO.readAll(path: input)
    let chosen = try CodecChoice.decoding(bytes, nameOrPath: model, engine: engine, threads: Torch.threads)
    let (image, seconds) = try chosen.decompressTimed(bytes)
    let out = output ?? (input as NSString).deletingPathExtension + ".png"
    try PNGEncoder.write(image, toFile: out)
    print(String(format: "%@ -> %@ (%dx%d), decode %.3f s (model %@)", input, out, image.width, image.height, seconds,
                 chosen.source))
    if let reference {
      print(try Evaluator.comparison(decoded: image, codedBytes: bytes.count, referencePath: reference))
    }
  }
}
