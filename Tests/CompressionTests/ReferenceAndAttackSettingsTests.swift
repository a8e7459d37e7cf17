import Foundation
import Imaging
import Torch
import Watermarking
import XCTest

@testable import Compression

/// `lichen decompress --reference` and the settings `lichen watermark evaluate-codec` sweeps.
final class ReferenceAndAttackSettingsTests: XCTestCase {
  func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("lichen-reference-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
  }

  func testComparisonAgainstTheReferencePNG() throws {
    let dir = try temporaryDirectory()
    let image = try CodecTests.testImage(width: 64, height: 48)
    let path = dir.appendingPathComponent("ref.png").path
    try PNGEncoder.write(image, toFile: path)
    let decoded = try PNGDecoder.read(fromFile: path).image
    let line = try Evaluator.comparison(decoded: decoded, codedBytes: 384, referencePath: path)
    XCTAssertEqual(line, "1.0000 bpp, PSNR inf dB, MS-SSIM - against \(path)")
    let other = try CodecTests.testImage(width: 32, height: 48)
    XCTAssertThrowsError(try Evaluator.comparison(decoded: other, codedBytes: 1, referencePath: path)) {
      XCTAssertTrue("\($0)".contains("reference is 64x48, decoded image is 32x48"), "\($0)")
    }
  }

  func testSettingsLeaveOutTrainingAttacksWithoutAttackPhotos() throws {
    let dir = try temporaryDirectory()
    let model = try ScaleHyperprior(n: 8, m: 12)
    try model.update()
    let file = dir.appendingPathComponent("m.safetensors")
    try ModelStore.save(model, config: ModelConfiguration(architecture: .scaleHyperprior, n: 8, m: 12), to: file)
    let photos = dir.appendingPathComponent("photos")
    try FileManager.default.createDirectory(at: photos, withIntermediateDirectories: true)
    try PNGEncoder.write(try CodecTests.testImage(width: 64, height: 64), toFile: photos.appendingPathComponent("a.png").path)
    func task(attackData: URL?) throws -> CodecAttackTask {
      try CodecAttackTask(modelFile: file, evaluation: photos, evalLimit: 1, attackData: attackData, crop: 64, batchSize: 1,
                          learningRate: 1e-4, lambda: nil, seed: 0)
    }
    let standard = AttackSweep.standardSettings(fineTuneSteps: [5], keyFineTuneSteps: [2], keyFineTuneLearningRate: 0.01)
    let without = try task(attackData: nil)
    XCTAssertEqual(without.metric, .psnr)
    let (kept, skipped) = try without.settings(attacks: nil, fineTuneSteps: [5], keyFineTuneSteps: [2],
                                               keyFineTuneLearningRate: 0.01)
    XCTAssertEqual(kept, standard.filter { !$0.trainsTheModel })
    XCTAssertEqual(skipped, standard.filter(\.trainsTheModel).count)
    XCTAssertGreaterThan(skipped, 0)
    let with = try task(attackData: photos)
    XCTAssertEqual(try with.settings(attacks: nil, fineTuneSteps: [5], keyFineTuneSteps: [2],
                                     keyFineTuneLearningRate: 0.01).settings, standard)
    let listed = try with.settings(attacks: "gaussian-noise:0.1", fineTuneSteps: [], keyFineTuneSteps: [],
                                   keyFineTuneLearningRate: 0.01)
    XCTAssertEqual(listed.settings, [AttackSetting(.none, 0), AttackSetting(.gaussianNoise, 0.1)])
    XCTAssertEqual(listed.skipped, 0)
  }
}

/// The line `lichen compress --refine-steps` prints.
final class RefinementSummaryTests: XCTestCase {
  func testSummary() {
    let report = LatentRefinement.Report(
      initial: .init(loss: 0.52, bpp: 0.65125, mse: 0.001), refined: .init(loss: 0.51, bpp: 0.64, mse: 0.0005), bestStep: 42)
    XCTAssertEqual(report.summary, "refined latents: loss 0.52000 -> 0.51000 (step 42), estimated 0.6512 -> 0.6400 bpp, "
      + "30.00 -> 33.01 dB")
  }
}
