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
    let floatBytes = try floatCodec.compress(image)
    for scheme in schemes {
      let (integer, _) = try IntegerConverter.convert(model, scheme: try QuantizationScheme(scheme), statistics: stats)
      let file = try IntegerModelFile(model: integer, configuration: loaded.configuration, metadata: [:], source: scheme)
      let codec = IntegerImageCodec(file, threads: threads)
      let pixels = try IntTensor(channels: 3, height: padded.height, width: padded.width,
                                 values: padded.pixels.map { Int16(RGBImage.quantize8($0)) })
      let yInt = try integer.analysis(pixels, threads: threads)
      let symbols = try IntTensor(channels: yInt.channels, height: yInt.height, width: yInt.width,
                                  values: yInt.values.map { integer.ySymbolRange.clamp(integer.yToSymbols.apply(Int64($0))) })
      // Each integer case is timed alternately with its float peer (pairedMedianSeconds).
      let (analysis, floatAnalysis) = try pairedMedianSeconds(repeats: repeats, { _ = try integer.analysis(pixels, threads: threads) },
                                                             { _ = try withNoGrad { try model.analysis(x) } })
      let (synthesis, floatSynthesis) = try pairedMedianSeconds(repeats: repeats, { _ = try integer.synthesis(symbols, threads: threads) },
                                                               { _ = try withNoGrad { try model.synthesis(yHat) } })
      let (encode, floatEncode) = try pairedMedianSeconds(repeats: repeats, { _ = try codec.compress(image) },
                                                         { _ = try floatCodec.compress(image) })
      let bytes = try codec.compress(image)
      let (decode, floatDecode) = try pairedMedianSeconds(repeats: repeats, { _ = try codec.decompress(bytes) },
                                                         { _ = try floatCodec.decompress(floatBytes) })
      // The codec streams g_a and g_s band by band (line buffers); against the same transforms on whole tensors.
      let band = IntegerHyperprior.bandPixelRows
      let (streamedAnalysis, wholeAnalysis) = try pairedMedianSeconds(repeats: repeats, {
        try integer.analysis.stream(channels: 3, height: pixels.height, width: pixels.width, bandRows: band / 16,
                                    threads: threads, source: { try pixels.rows($0) }, sink: { _, _ in })
      }, { _ = try integer.analysis(pixels, threads: threads) })
      let (streamedSynthesis, wholeSynthesis) = try pairedMedianSeconds(repeats: repeats, {
        try integer.synthesis.stream(channels: symbols.channels, height: symbols.height, width: symbols.width, bandRows: band,
                                     threads: threads, source: { try symbols.rows($0) }, sink: { _, _ in })
      }, { _ = try integer.synthesis(symbols, threads: threads) })
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
      try layerRecords(scheme: scheme, transforms: [("g_a", integer.analysis, pixels), ("g_s", integer.synthesis, symbols)],
                       threads: threads, repeats: repeats, note: note)
      for (name, value, whole) in [("g_a", streamedAnalysis, wholeAnalysis), ("g_s", streamedSynthesis, wholeSynthesis)] {
        BenchRecord(suite: "integer", case: "\(scheme) \(name) streamed \(loaded.source) kodim01", value: value, unit: "s",
                    peer: "lichen-integer-whole-tensor", peerValue: whole, ratio: value / whole, threads: threads,
                    note: "\(note); kernels \(IntegerKernels.summary); bands of \(band) image rows").printLine()
      }
    }
  }

  /// The machine's multiply-accumulate peak for 16-bit products, as an estimate: threads (at most the cores)
  /// x the clock /proc/cpuinfo reports x 64 (two 512-bit vpdpwssd a cycle, 16 lanes x 2 products each);
  /// 32 on the AVX2 path (two 256-bit vpmaddwd). Nil when the clock is unknown or the path is the portable one.
  static func peakGMACs(threads: Int) -> (value: Double, description: String)? {
    guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
      let line = info.split(separator: "\n").first(where: { $0.hasPrefix("cpu MHz") }),
      let mhz = line.split(separator: ":").last.flatMap({ Double($0.trimmingCharacters(in: .whitespaces)) })
    else { return nil }
    let perCycle: Double
    switch IntegerKernels.path {
    case .avx512vnni: perCycle = 64
    case .avx2: perCycle = 32
    case .fallback: return nil
    }
    let cores = Double(min(threads, ProcessInfo.processInfo.activeProcessorCount))
    return (cores * mhz / 1000 * perCycle,
            String(format: "%.0f cores x %.2f GHz x %.0f MACs/cycle", cores, mhz / 1000, perCycle))
  }

  /// One record per layer of each transform, whole tensors: GMAC/s, and the share of the peak estimate.
  static func layerRecords(scheme: String, transforms: [(String, IntegerTransform, IntTensor)], threads: Int, repeats: Int,
                           note: String) throws {
    let peak = peakGMACs(threads: threads)
    for (name, transform, input) in transforms {
      var x = input
      for (index, layer) in transform.layers.enumerated() {
        let seconds = try medianSeconds(repeats: repeats) { _ = try layer(x, threads: threads) }
        let macs = Double(layer.macs(height: x.height, width: x.width).macs)
        let kind: String
        switch layer {
        case .convolution(let c): kind = "\(c.kind == .transposed ? "transposed" : "convolution") \(c.inChannels)->\(c.outChannels) k\(c.kernel) s\(c.stride)"
        case .gdn(let g): kind = "\(g.inverse ? "IGDN" : "GDN") \(g.channels)"
        }
        let gmacs = macs / seconds / 1e9
        BenchRecord(suite: "integer", case: "\(scheme) layer \(name).\(index) \(kind) kodim01", value: gmacs, unit: "GMAC/s",
                    peer: peak.map { _ in "int16-mac-peak-estimate" }, peerValue: peak?.value,
                    ratio: peak.map { gmacs / $0.value }, threads: threads,
                    note: [note, "kernels \(IntegerKernels.summary)", String(format: "%.4f s, %.3f GMAC", seconds, macs / 1e9),
                           peak.map { "peak: \($0.description)" } ?? ""].filter { !$0.isEmpty }.joined(separator: "; "))
          .printLine()
        x = try layer(x, threads: threads)
      }
    }
  }
}
