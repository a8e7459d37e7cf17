import Compression
import Foundation
import Imaging
import IntegerEngine
import Quantization
import Torch

/// `lichen-bench integer`: the integer engine against the float libtorch path
/// on the same model (the bundled default, quantized here), same image
/// (kodim01) and threads: analysis and synthesis transforms, full encode and
/// decode, in seconds and MACs per second; ratio = integer / float time.
enum IntegerSuite {
  static let photos = repositoryRoot.appendingPathComponent("../shared/data/photos-train").standardized

  static func run(threads: Int, repeats: Int, schemes: [String]) throws {
    try Torch.setThreads(threads)
    let image: RGBImage
    var note = "kodim01"
    if FileManager.default.fileExists(atPath: CodecSuite.kodim01.path) {
      image = try PNGDecoder.read(fromFile: CodecSuite.kodim01.path).image
    } else {
      note = "synthetic 768x512 (../shared/data/kodak missing)"
      image = try RGBImage(width: 768, height: 512, pixels: (0..<(3 * 768 * 512)).map { Float($0 % 251) / 250 })
    }
    let loaded = try ModelStore.load(ModelRegistry.defaultName)
    guard let model = loaded.model as? ScaleHyperprior else { throw QuantizationError("default model is not a hyperprior") }
    model.setTraining(false)
    let calibration = FileManager.default.fileExists(atPath: photos.path)
      ? try ImageSet.load(directory: photos, limit: 8).images : [image]
    let stats = try CalibrationStatistics.collect(model: model, images: calibration)
    let (padded, _) = try image.padded(toMultipleOf: 64)
    let x = try padded.tensor()
    let floatCodec = ImageCodec(loaded)
    let y = try withNoGrad { try model.analysis(x) }
    let yHat = try y.round()
    let floatAnalysis = try medianSeconds(repeats: repeats) { _ = try withNoGrad { try model.analysis(x) } }
    let floatSynthesis = try medianSeconds(repeats: repeats) { _ = try withNoGrad { try model.synthesis(yHat) } }
    let floatEncode = try medianSeconds(repeats: repeats) { _ = try floatCodec.compress(image) }
    let floatBytes = try floatCodec.compress(image)
    let floatDecode = try medianSeconds(repeats: repeats) { _ = try floatCodec.decompress(floatBytes) }

    for scheme in schemes {
      let (integer, _) = try IntegerConverter.convert(model, scheme: try QuantizationScheme(scheme), statistics: stats)
      let file = try IntegerModelFile(model: integer, configuration: loaded.configuration, metadata: [:], source: scheme)
      let codec = IntegerImageCodec(file, threads: threads)
      let pixels = try IntTensor(channels: 3, height: padded.height, width: padded.width,
                                 values: padded.pixels.map { Int16(RGBImage.quantize8($0)) })
      let yInt = try integer.analysis(pixels, threads: threads)
      let symbols = try IntTensor(channels: yInt.channels, height: yInt.height, width: yInt.width,
                                  values: yInt.values.map { integer.ySymbolRange.clamp(integer.yToSymbols.apply(Int64($0))) })
      let analysis = try medianSeconds(repeats: repeats) { _ = try integer.analysis(pixels, threads: threads) }
      let synthesis = try medianSeconds(repeats: repeats) { _ = try integer.synthesis(symbols, threads: threads) }
      let encode = try medianSeconds(repeats: repeats) { _ = try codec.compress(image) }
      let bytes = try codec.compress(image)
      let decode = try medianSeconds(repeats: repeats) { _ = try codec.decompress(bytes) }
      let macs = integer.macs(height: padded.height, width: padded.width)
      let analysisMACs = Double(macs.analysis), synthesisMACs = Double(macs.synthesis)
      let rows: [(String, Double, Double, String)] = [
        ("g_a", analysis, floatAnalysis, String(format: "%.2f GMAC/s integer, %.2f GMAC/s float", analysisMACs / analysis / 1e9, analysisMACs / floatAnalysis / 1e9)),
        ("g_s", synthesis, floatSynthesis, String(format: "%.2f GMAC/s integer, %.2f GMAC/s float", synthesisMACs / synthesis / 1e9, synthesisMACs / floatSynthesis / 1e9)),
        ("encode", encode, floatEncode, "\(bytes.count) bytes integer, \(floatBytes.count) float"),
        ("decode", decode, floatDecode, ""),
      ]
      for (name, value, peer, extra) in rows {
        BenchRecord(suite: "integer", case: "\(scheme) \(name) \(loaded.source) kodim01", value: value, unit: "s",
                    peer: "lichen-float-libtorch", peerValue: peer, ratio: value / peer, threads: threads,
                    note: [note, "kernels \(IntegerKernels.summary)", extra].filter { !$0.isEmpty }
                      .joined(separator: "; ")).printLine()
      }
    }
  }
}
