import Compression
import Foundation
import Imaging
import IntegerEngine
import Torch
import XCTest

@testable import IntegerCodec
@testable import Quantization

final class QuantizationTests: XCTestCase {
  static func tinyModel(seed: UInt64 = 3, gdn: GDN.Variant = .standard) throws -> ScaleHyperprior {
    let model = try ScaleHyperprior(n: 8, m: 12, gdnVariant: gdn, seed: seed)
    try model.update()
    model.setTraining(false)
    return model
  }

  static func image(width: Int, height: Int, phase: Int = 0) throws -> RGBImage {
    var pixels = [Float](repeating: 0, count: 3 * width * height)
    for c in 0..<3 { for y in 0..<height { for x in 0..<width {
      pixels[(c * height + y) * width + x] = Float((x * (c + 1) + y * 3 + (x * y + phase) % 7) % 256) / 255
    } } }
    return try RGBImage(width: width, height: height, pixels: pixels)
  }

  static func integerFile(_ scheme: String = "int16", seed: UInt64 = 3, gdn: GDN.Variant = .standard) throws
    -> (IntegerModelFile, ScaleHyperprior)
  {
    let model = try tinyModel(seed: seed, gdn: gdn)
    return (try integerFile(scheme, for: model, gdn: gdn), model)
  }

  static func integerFile(_ scheme: String, for model: ScaleHyperprior, gdn: GDN.Variant = .standard) throws
    -> IntegerModelFile
  {
    let calib = try (0..<3).map { try image(width: 64, height: 64, phase: $0) }
    let stats = try CalibrationStatistics.collect(model: model, images: calib)
    let (integer, _) = try IntegerConverter.convert(model, scheme: try QuantizationScheme(scheme), statistics: stats)
    let config = ModelConfiguration(architecture: .scaleHyperprior, n: 8, m: 12, gdnVariant: gdn)
    return try IntegerModelFile(model: integer, configuration: config, metadata: [:], source: "tiny-int")
  }

  /// Calibration runs on one thread whatever the caller's count, so `lichen quantize --threads N` writes
  /// the same integer model for every N.
  func testCalibrationDoesNotDependOnTheThreadCount() throws {
    let model = try ScaleHyperprior(n: 32, m: 48, seed: 5)
    try model.update()
    model.setTraining(false)
    let calib = try (0..<2).map { try Self.image(width: 192, height: 128, phase: $0) }
    let counts = [1, 2]
    let collected = try counts.map { count in
      try Torch.withThreads(count) { try CalibrationStatistics.collect(model: model, images: calib) }
    }
    XCTAssertEqual(collected[0].points.keys.sorted(), collected[1].points.keys.sorted())
    for (name, point) in collected[0].points {
      XCTAssertEqual(point.maxAbs, collected[1].points[name]?.maxAbs, name)
      let other = collected[1].points[name]?.samples ?? []
      XCTAssertTrue(point.samples == other, "\(name): \(zip(point.samples, other).filter { $0 != $1 }.count) samples differ")
    }
  }

  /// A GDN channel whose gammas are all tiny next to its beta needed, at the
  /// gammas' own step, an integer beta beyond Int64: quantizing the q4 of
  /// 2026-11-25 trapped. Now the step coarsens and the integer codec still tracks the float one.
  func testGDNChannelWithTinyGammasConvertsAndTracksTheFloatCodec() throws {
    let model = try Self.tinyModel()
    let gdn = try XCTUnwrap(model.analysis[1] as? GDN)
    try withNoGrad {
      let row = try gdn.gamma.narrow(0, start: 0, length: 1)
      try row.copy_(try gdn.gammaReparam.initial(Tensor.ones(row.shape) * 1e-13))
    }
    let gamma = try gdn.effectiveParameters().gamma.narrow(0, start: 0, length: 1).floats()
    XCTAssertTrue(gamma.allSatisfy { $0 > 0 && $0 < 1e-12 }, "\(gamma)")
    for scheme in ["int16", "hybrid"] {
      let file = try Self.integerFile(scheme, for: model)
      let image = try Self.image(width: 128, height: 64, phase: 5)
      let integer = IntegerImageCodec(file)
      let decoded = try integer.decompress(try integer.compress(image))
      let loaded = LoadedModel(model: model, configuration: file.configuration, source: "tiny",
                               weightsHash: try ModelStore.weightsHash(model))
      let reference = try ImageCodec(loaded).decompress(try ImageCodec(loaded).compress(image))
      XCTAssertGreaterThan(try ImageMetrics.psnr(reference, decoded), 38, scheme)
    }
  }

  func testOutOfRangeValuesAreErrorsNotTraps() throws {
    XCTAssertEqual(try IntegerConverter.integer(-12, "x"), -12)
    for bad in [Double.nan, .infinity, 1e30, -1e19] {
      XCTAssertThrowsError(try IntegerConverter.integer(bad, "the bias")) { error in
        XCTAssertTrue("\(error)".contains("the bias"), "\(error)")
      }
    }
  }

  func testSchemeGrammarAndErrors() throws {
    let layers = try HyperpriorStages(try Self.tinyModel()).descriptors
    XCTAssertEqual(layers.count, 20)
    let bits = try QuantizationScheme("int8,gdn:w16a16,g_a.6:a16").resolve(layers: layers)
    XCTAssertEqual(bits["g_a.0"], .init(weights: 8, activations: 8))
    XCTAssertEqual(bits["g_s.3"], .init(weights: 16, activations: 16))
    XCTAssertEqual(bits["g_a.6"], .init(weights: 8, activations: 16))
    for preset in QuantizationScheme.presets { XCTAssertNoThrow(try QuantizationScheme(preset.name).resolve(layers: layers)) }
    for bad in ["", "int7", "*:w17a8", "*:x8", "*:w8a", "g_a", "*:"] {
      XCTAssertThrowsError(try QuantizationScheme(bad), bad)
    }
    XCTAssertThrowsError(try QuantizationScheme("*:w8a8,nope:w4").resolve(layers: layers)) { error in
      XCTAssertTrue("\(error)".contains("matches no layer"))
    }
    XCTAssertThrowsError(try QuantizationScheme("conv:w8a8").resolve(layers: layers)) { error in
      XCTAssertTrue("\(error)".contains("does not cover layer g_a.1"), "\(error)")
    }
    XCTAssertThrowsError(try CalibrationMethod(parsing: "median"))
    XCTAssertEqual(try CalibrationMethod(parsing: "percentile:99.9"), .percentile(99.9))
  }

  func testIntegerCodecTracksTheFloatCodec() throws {
    for gdn in GDN.Variant.allCases {
      try checkIntegerTracksFloat(gdn: gdn)
    }
  }

  func checkIntegerTracksFloat(gdn: GDN.Variant) throws {
    let (file, model) = try Self.integerFile("int16", gdn: gdn)
    let image = try Self.image(width: 128, height: 64, phase: 5)
    let integer = IntegerImageCodec(file)
    let decoded = try integer.decompress(try integer.compress(image))
    let loaded = LoadedModel(model: model, configuration: file.configuration, source: "tiny",
                             weightsHash: try ModelStore.weightsHash(model))
    let floatCodec = ImageCodec(loaded)
    let reference = try floatCodec.decompress(try floatCodec.compress(image))
    // 16-bit integer arithmetic reproduces the float codec's reconstruction closely.
    XCTAssertGreaterThan(try ImageMetrics.psnr(reference, decoded), 40, "\(gdn) GDN")
  }

  func testQuantizationAwareObjectiveTrainsTheFloatWeights() throws {
    let model = try Self.tinyModel()
    let calib = try (0..<2).map { try Self.image(width: 64, height: 64, phase: $0) }
    let stats = try CalibrationStatistics.collect(model: model, images: calib)
    let objective = try FakeQuantizedRDLoss(model: model, scheme: try QuantizationScheme("int8"), statistics: stats,
                                            method: .mse, lambda: 0.01)
    model.setTraining(true)
    let batch = try Tensor.rand([2, 3, 64, 64], generator: Generator(seed: 2))
    let terms = try objective.terms(model: model, batch: batch, noise: try Generator(seed: 3))
    XCTAssertTrue(try terms.loss.item().isFinite)
    try terms.loss.backward()
    // Straight-through rounding lets gradients reach the first convolution and a GDN.
    let firstConv = try XCTUnwrap(model.analysis[0] as? Conv2d)
    XCTAssertGreaterThan(try XCTUnwrap(firstConv.weight.grad).abs().sum().item(), 0)
    let gdn = try XCTUnwrap(model.synthesis[1] as? GDN)
    XCTAssertGreaterThan(try XCTUnwrap(gdn.gamma.grad).abs().sum().item(), 0)
  }

  func testDecodingIsIdenticalAcrossThreadCountsAndReloads() throws {
    let (file, _) = try Self.integerFile("hybrid")
    let image = try Self.image(width: 130, height: 70, phase: 1)
    let bytes = try IntegerImageCodec(file, threads: 1).compress(image)
    XCTAssertEqual(try IntegerImageCodec(file, threads: 3).compress(image), bytes)
    let one = try IntegerImageCodec(file, threads: 1).decompress(bytes)
    XCTAssertEqual(try IntegerImageCodec(file, threads: 2).decompress(bytes), one)
    XCTAssertEqual(one.width, 130)
    XCTAssertEqual(one.height, 70)

    let url = FileManager.default.temporaryDirectory.appendingPathComponent("lichen-int-\(UUID()).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try file.save(to: url)
    XCTAssertTrue(IntegerModelFile.isIntegerModel(at: url))
    let reloaded = try IntegerModelFile.load(from: url)
    XCTAssertEqual(reloaded.weightsHash, file.weightsHash)
    XCTAssertEqual(reloaded.model, file.model)
    XCTAssertEqual(try IntegerImageCodec(reloaded, threads: 2).decompress(bytes), one)
  }

  func testWrongModelAndCorruptStreamsAreErrors() throws {
    let (file, _) = try Self.integerFile("int8")
    let (other, _) = try Self.integerFile("int8", seed: 4)
    let bytes = try IntegerImageCodec(file).compress(try Self.image(width: 64, height: 64))
    XCTAssertThrowsError(try IntegerImageCodec(other).decompress(bytes)) { error in
      XCTAssertTrue("\(error)".contains("another model"), "\(error)")
    }
    XCTAssertThrowsError(try IntegerImageCodec(file).decompress(Array(bytes.prefix(bytes.count / 2))))
    var rng = SplitMix64(seed: 11)
    for _ in 0..<200 {
      var mutated = bytes
      mutated[rng.below(mutated.count)] ^= UInt8(1 << rng.below(8))
      _ = try? IntegerImageCodec(file).decompress(mutated)  // an error or an image, never a crash
    }
  }

  /// The header names the model (docs/format.md, decoding step 5): an edited
  /// N, M or GDN code, checksum resealed, is refused by the integer decoder as by the float one.
  func testEditedHeaderFieldsAreRefused() throws {
    let (file, _) = try Self.integerFile("int8")
    let bytes = try IntegerImageCodec(file).compress(try Self.image(width: 64, height: 64))
    XCTAssertNoThrow(try IntegerImageCodec(file).decompress(bytes))
    // Offsets: magic 0..<4, version 4, architecture 5, GDN 6, N 7..<9, M 9..<11 (little-endian).
    for (offset, value, field) in [(6, UInt8(1), "GDN"), (7, UInt8(bytes[7] ^ 1), "N"), (9, UInt8(bytes[9] ^ 2), "M")] {
      var edited = bytes
      edited[offset] = value
      let body = edited.prefix(edited.count - 4)
      let crc = CRC32.checksum(body)
      edited.replaceSubrange((edited.count - 4)..., with: (0..<4).map { UInt8(truncatingIfNeeded: crc >> (8 * $0)) })
      XCTAssertThrowsError(try IntegerImageCodec(file).decompress(edited), "edited \(field)") { error in
        XCTAssertTrue("\(error)".contains("not by the loaded model"), "\(field): \(error)")
      }
    }
  }

  func testFloatModelFileIsNotAnIntegerModel() throws {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("lichen-float-\(UUID()).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    let model = try Self.tinyModel()
    try ModelStore.save(model, config: ModelConfiguration(architecture: .scaleHyperprior, n: 8, m: 12), to: url)
    XCTAssertFalse(IntegerModelFile.isIntegerModel(at: url))
    XCTAssertThrowsError(try IntegerModelFile.load(from: url)) { error in
      XCTAssertTrue("\(error)".contains("not an integer model"), "\(error)")
    }
  }

  func testEmptyCalibrationIsAnError() throws {
    XCTAssertThrowsError(try CalibrationStatistics.collect(model: try Self.tinyModel(), images: []))
  }
}
