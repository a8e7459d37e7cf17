import Foundation
import Torch
import Vision
import Watermarking
import XCTest

/// `lichen watermark align-key`: the key gains the owner's channel signatures.
final class KeyAlignmentTests: XCTestCase {
  func testAlignedKeyCarriesTheModelsSignatures() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lichen-align-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let configuration = ClassifierConfiguration(architecture: .resnet18, width: 0.25, depths: [1, 1, 1, 1])
    let model = try configuration.makeModel(seed: 4)
    let key = try KeyGenerator.generate(for: model, payloadBits: 16, seed: 9)
    let modelFile = dir.appendingPathComponent("model.safetensors")
    try ClassifierFile.save(model, configuration: configuration, normalization: .cifar10,
                            classNames: (0..<10).map { "c\($0)" }, to: modelFile)
    let keyFile = dir.appendingPathComponent("key.json")
    try key.write(to: keyFile)
    XCTAssertNil(key.alignment)
    let aligned = try WatermarkKey.aligned(keyPath: keyFile.path, modelPath: modelFile.path)
    let saved = try ClassifierFile.load(from: modelFile).model
    XCTAssertEqual(aligned.alignment, try ChannelPermutation.signatures(of: saved, seed: key.seed))
    XCTAssertEqual(aligned.positions, key.positions)
    XCTAssertThrowsError(try WatermarkKey.aligned(keyPath: keyFile.path, modelPath: dir.appendingPathComponent("no").path)) {
      XCTAssertTrue("\($0)".contains("model file not found"), "\($0)")
    }
  }
}
