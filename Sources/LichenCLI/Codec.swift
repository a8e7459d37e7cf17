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
    let start = Date()
    let (bytes, refinement) = try chosen.float.map { try $0.compressReporting(read.image) }
      ?? (try chosen.compressor.compress(read.image), nil)
    if let report = refinement { print(report.summary) }
    let seconds = Date().timeIntervalSince(start)
    let out = output ?? (input as NSString).deletingPathExtension + ".lic"
    try FileIO.writeAtomically(bytes, to: out)
    let bpp = Double(bytes.count * 8) / Double(read.image.width * read.image.height)
    print(String(format: "%@: %dx%d -> %@, %d bytes, %.4f bpp, encode %.3f s (model %@)", input, read.image.width,
                 read.image.height, out, bytes.count, bpp, seconds, chosen.source))
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
    let header = try ImageCodec.peek(bytes)
    let chosen = try model.map {
      try CodecChoice.named($0, forFileWithHash: header.weightsHash, engine: engine, threads: Torch.threads)
    } ?? CodecChoice.bundled(madeFileWithHash: header.weightsHash, engine: engine, threads: Torch.threads)
    let start = Date()
    let image = try chosen.compressor.decompress(bytes)
    let seconds = Date().timeIntervalSince(start)
    let out = output ?? (input as NSString).deletingPathExtension + ".png"
    try PNGEncoder.write(image, toFile: out)
    print(String(format: "%@ -> %@ (%dx%d), decode %.3f s (model %@)", input, out, image.width, image.height, seconds,
                 chosen.source))
    if let reference {
      print(try Evaluator.comparison(decoded: image, codedBytes: bytes.count, referencePath: reference))
    }
  }
}
