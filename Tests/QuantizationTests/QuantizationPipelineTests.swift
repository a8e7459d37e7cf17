import Compression
import Foundation
import Imaging
import LichenSerialization
import Torch
import XCTest

@testable import Quantization

/// The whole `lichen quantize` path with quantization-aware fine-tuning, on a tiny model and PNGs on disk.
final class QuantizationPipelineTests: XCTestCase {
  /// The fine-tuned float weights are kept beside the QAT run, loadable as a model that records what it came
  /// from, so other schemes can be measured on the same weights.
  func testFineTuningKeepsTheFineTunedFloatModel() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lichen-qat-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: folder) }
    let photos = folder.appendingPathComponent("photos")
    try FileManager.default.createDirectory(at: photos, withIntermediateDirectories: true)
    for index in 0..<4 {
      let png = try PNGEncoder.encode(try QuantizationTests.image(width: 64, height: 64, phase: index))
      try Data(png).write(to: photos.appendingPathComponent("p\(index).png"))
    }
    let model = try QuantizationTests.tinyModel()
    let configuration = ModelConfiguration(architecture: .scaleHyperprior, n: 8, m: 12, gdnVariant: .standard)
    let before = try XCTUnwrap(model.analysis[0] as? Conv2d).weight.floats()
    let loaded = LoadedModel(model: model, configuration: configuration,
                             metadata: [MetadataKey.lambda: "0.01", MetadataKey.steps: "100"], source: "tiny",
                             weightsHash: 1)
    let run = folder.appendingPathComponent("q-qat")
    let pipeline = try QuantizationPipeline(
      scheme: "int8-s16", calibration: "max", calibrationFolder: photos, calibrationCount: 2, equalization: 0,
      tableIndexBits: 6, tableFractionBits: 16,
      fineTuning: .init(steps: 2, data: photos, runFolder: run, lambda: nil, learningRate: 1e-3, batchSize: 2, crop: 64))
    let result = try pipeline.run(loaded, source: "q.safetensors", log: { _ in }) { trainer in
      _ = try trainer.openRunFolder(resume: false, log: { _ in })
      return try trainer.trainToEnd(progress: { _ in }, log: { _ in }, shouldStop: { false }) != nil
    }
    XCTAssertNotNil(result)

    let saved = try ModelStore.load(file: run.appendingPathComponent("model.safetensors"))
    XCTAssertEqual(saved.configuration.n, 8)
    XCTAssertEqual(saved.metadata[MetadataKey.steps], "102")
    XCTAssertEqual(saved.metadata[MetadataKey.runSteps], "2")
    XCTAssertEqual(saved.metadata[MetadataKey.initialModel], "tiny")
    XCTAssertEqual(saved.metadata[MetadataKey.lambda], "0.01")
    let savedModel = try XCTUnwrap(saved.model as? ScaleHyperprior)
    let after = try XCTUnwrap(savedModel.analysis[0] as? Conv2d).weight.floats()
    // What was saved is the fine-tuned model, not the starting one.
    XCTAssertEqual(after, try XCTUnwrap(model.analysis[0] as? Conv2d).weight.floats())
    XCTAssertNotEqual(after, before)
  }
}
