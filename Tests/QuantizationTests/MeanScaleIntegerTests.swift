import CodecFormat
import Compression
import Foundation
import Imaging
import IntegerEngine
import LichenSerialization
import Torch
import XCTest

@testable import IntegerCodec
@testable import Quantization

/// The mean-scale hyperprior in the integer engine: h_a on y, LeakyReLUs fused into h_a and h_s, means on their
/// own grid, y coded as round(y - mean); bit-exact across threads, in files, and close to the float codec.
final class MeanScaleIntegerTests: XCTestCase {
  static let configuration = ModelConfiguration(architecture: .meanScaleHyperprior, n: 8, m: 12, gdnVariant: .standard)

  static func model(seed: UInt64 = 3) throws -> MeanScaleHyperprior {
    let model = try MeanScaleHyperprior(n: 8, m: 12, seed: seed)
    try model.update()
    model.setTraining(false)
    return model
  }

  static func integerFile(_ scheme: String, for model: MeanScaleHyperprior) throws -> IntegerModelFile {
    let calib = try (0..<3).map { try QuantizationTests.image(width: 64, height: 64, phase: $0) }
    let stats = try CalibrationStatistics.collect(model: model, images: calib)
    XCTAssertNotNil(stats.points[HyperpriorStages.meansPoint])
    let (integer, layers) = try IntegerConverter.convert(model, scheme: try QuantizationScheme(scheme), statistics: stats)
    XCTAssertEqual(layers.filter { $0.leakyReLU == true }.map(\.name), ["h_a.0", "h_a.2", "h_s.0", "h_s.2"])
    XCTAssertTrue(integer.predictsMeans)
    XCTAssertFalse(integer.hyperAnalysisReadsMagnitude)
    return try IntegerModelFile(model: integer, configuration: configuration, metadata: [:], source: "tiny-mean-scale")
  }

  func testIntegerMeanScaleCodecTracksTheFloatCodec() throws {
    let model = try Self.model()
    let image = try QuantizationTests.image(width: 128, height: 64, phase: 5)
    let loaded = LoadedModel(model: model, configuration: Self.configuration, source: "tiny",
                             weightsHash: try ModelStore.weightsHash(model))
    let floatCodec = ImageCodec(loaded)
    let floatBytes = try floatCodec.compress(image)
    let reference = try floatCodec.decompress(floatBytes)
    for (scheme, psnr) in [("int16", 40.0), ("hybrid", 34.0)] {
      let integer = IntegerImageCodec(try Self.integerFile(scheme, for: model))
      let bytes = try integer.compress(image)
      XCTAssertEqual(try Bitstream(decoding: bytes).architecture, Architecture.meanScaleHyperprior)
      let decoded = try integer.decompress(bytes)
      XCTAssertGreaterThan(try ImageMetrics.psnr(reference, decoded), psnr, scheme)
      // The means are used: the rate stays near the float codec's (coding y - mean, not y).
      XCTAssertLessThan(Double(bytes.count), 1.25 * Double(floatBytes.count) + 64, scheme)
    }
  }

  func testFilesRoundTripAndCodeIdenticallyOnAnyThreadCount() throws {
    let file = try Self.integerFile("hybrid", for: try Self.model(seed: 5))
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lichen-ms-int-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let url = dir.appendingPathComponent("tiny.safetensors")
    try file.save(to: url)
    let loaded = try IntegerModelFile.load(from: url)
    XCTAssertEqual(loaded.model, file.model)
    XCTAssertEqual(loaded.weightsHash, file.weightsHash)
    XCTAssertEqual(loaded.configuration.architecture, .meanScaleHyperprior)
    let image = try QuantizationTests.image(width: 192, height: 128, phase: 2)
    let one = try IntegerImageCodec(file, threads: 1).compress(image)
    XCTAssertEqual(try IntegerImageCodec(loaded, threads: 2).compress(image), one)
    XCTAssertEqual(try IntegerImageCodec(loaded, threads: 2).decompress(one), try IntegerImageCodec(file).decompress(one))
  }

  /// A structure and an architecture that disagree about the mean path are refused with the reason.
  func testMeanPathAndArchitectureMustAgree() throws {
    let file = try Self.integerFile("int8", for: try Self.model())
    let (contents, _) = try IntegerModelFuzzTests.contents(file)
    var scaleNamed = contents
    scaleNamed.metadata[MetadataKey.architecture] = Architecture.scaleHyperprior.rawValue
    XCTAssertThrowsError(try IntegerModelFile.load(scaleNamed, origin: "x")) { error in
      XCTAssertTrue("\(error)".contains("has a mean prediction it cannot use"), "\(error)")
    }
    var factorized = contents
    factorized.metadata[MetadataKey.architecture] = Architecture.factorizedPrior.rawValue
    XCTAssertThrowsError(try IntegerModelFile.load(factorized, origin: "x")) { error in
      XCTAssertTrue("\(error)".contains("not a hyperprior"), "\(error)")
    }
    let (scaleContents, _) = try IntegerModelFuzzTests.contents(try QuantizationTests.integerFile("int8").0)
    var meanNamed = scaleContents
    meanNamed.metadata[MetadataKey.architecture] = Architecture.meanScaleHyperprior.rawValue
    XCTAssertThrowsError(try IntegerModelFile.load(meanNamed, origin: "x")) { error in
      XCTAssertTrue("\(error)".contains("lacks the mean prediction it needs"), "\(error)")
    }
  }
}
