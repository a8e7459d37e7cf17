import Foundation
import XCTest

@testable import Compression
@testable import Quantization

/// `CodecChoice.evaluate` behind `lichen eval`, and the line each result prints as.
final class CodecChoiceEvaluationTests: XCTestCase {
  func testEvaluationCodesTheFirstImagesInOrder() throws {
    let (file, _) = try QuantizationTests.integerFile("int8")
    let choice = CodecChoice(integer: file, threads: 1)
    let set = ImageSet(images: try (0..<3).map { try QuantizationTests.image(width: 64, height: 64, phase: $0) },
                       names: ["a", "b", "c"])
    var seen: [String] = []
    let report = try choice.evaluate(set, dataset: "photos", limit: 2, threads: 1) { index, count, row in
      seen.append("\(index)/\(count) \(row.name)")
    }
    XCTAssertEqual(seen, ["0/2 a", "1/2 b"])
    XCTAssertEqual(report.images.map(\.name), ["a", "b"])
    XCTAssertEqual(report.model, choice.source)
    XCTAssertEqual(report.dataset, "photos")
    XCTAssertNil(report.encoder)
    XCTAssertNil(report.mean.estimatedBpp, "the integer engine has no likelihood estimate")
    XCTAssertEqual(try choice.evaluate(set, dataset: "photos", limit: nil, threads: 1) { _, _, _ in }.images.count, 3)
  }

  func testSummaryLine() {
    var row = ImageResult(name: "x", width: 4, height: 4, bytes: 10, bpp: 0.65, estimatedBpp: 0.64, psnr: 32.5,
                          msSSIM: 0.98, encodeSeconds: 0.5, decodeSeconds: 0.25)
    XCTAssertEqual(row.summary, "0.6500 bpp (est. 0.6400)  32.50 dB  MS-SSIM 0.9800  enc 0.50 s  dec 0.25 s")
    row.estimatedBpp = nil
    row.msSSIM = nil
    XCTAssertEqual(row.summary, "0.6500 bpp  32.50 dB  MS-SSIM -  enc 0.50 s  dec 0.25 s")
    row.estimatedBpp = .infinity
    XCTAssertEqual(row.summary, "0.6500 bpp  32.50 dB  MS-SSIM -  enc 0.50 s  dec 0.25 s")
  }

  /// `lichen compress` and `decompress` through the library: a timed encode with its rate, the codec a file's
  /// hash names, a timed decode.
  func testTimedRoundTripThroughTheCodecAFileNames() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lichen-choice-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let (file, _) = try QuantizationTests.integerFile("int8")
    let path = dir.appendingPathComponent("tiny.safetensors").path
    try file.save(to: URL(fileURLWithPath: path))
    let choice = try CodecChoice.named(path, engine: .auto, threads: 1)
    let image = try QuantizationTests.image(width: 64, height: 64, phase: 0)
    let coded = try choice.compressTimed(image)
    XCTAssertNil(coded.refinement)
    XCTAssertEqual(coded.bitsPerPixel, Double(coded.bytes.count * 8) / 4096)
    XCTAssertGreaterThanOrEqual(coded.seconds, 0)
    let decoding = try CodecChoice.decoding(coded.bytes, nameOrPath: path, engine: .auto, threads: 1)
    XCTAssertEqual(decoding.weightsHash, choice.weightsHash)
    let (decoded, seconds) = try decoding.decompressTimed(coded.bytes)
    XCTAssertEqual([decoded.width, decoded.height], [64, 64])
    XCTAssertGreaterThanOrEqual(seconds, 0)
    XCTAssertThrowsError(try CodecChoice.decoding([1, 2, 3], nameOrPath: path, engine: .auto, threads: 1))
  }

  func testPipelineFromCommandLineValues() throws {
    let folder = URL(fileURLWithPath: "/tmp/calib")
    let pipeline = try QuantizationPipeline(
      scheme: "int8", calibration: "mse", calibrationFolder: folder, calibrationCount: 4, equalization: 0.5,
      tableIndexBits: 5, tableFractionBits: 12, fineTuning: nil)
    XCTAssertEqual(pipeline.scheme.specification, try QuantizationScheme("int8").specification)
    XCTAssertEqual(pipeline.options.method, try CalibrationMethod(parsing: "mse"))
    XCTAssertEqual(pipeline.equalization, 0.5)
    XCTAssertEqual([pipeline.options.tableIndexBits, pipeline.options.tableFractionBits], [5, 12])
    XCTAssertNil(pipeline.fineTuning)
    XCTAssertThrowsError(try QuantizationPipeline(
      scheme: "int99", calibration: "max", calibrationFolder: folder, calibrationCount: 4, equalization: 0,
      tableIndexBits: 6, tableFractionBits: 16, fineTuning: nil))
    XCTAssertEqual(QuantizationPipeline.FineTuning.runFolder(besideOutput: "out/q4.safetensors").path,
                   URL(fileURLWithPath: "out/q4-qat").path)
  }
}
