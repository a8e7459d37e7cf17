import Foundation
import Torch
import XCTest

@testable import Vision
@testable import Watermarking

/// `lichen watermark check-manifest`: every entry measured again, then recorded or compared with its claims.
final class ManifestVerificationTests: XCTestCase {
  func testVerifyComparesOrRecordsEveryEntry() throws {
    let folder = try temporaryDirectory(self)
    let data = folder.appendingPathComponent("data")
    try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
    try Data(try CIFAR10.encode(try syntheticDataset(count: 8))).write(to: data.appendingPathComponent("data_batch_1.bin"))
    try Data(try CIFAR10.encode(try syntheticDataset(count: 6))).write(to: data.appendingPathComponent("test_batch.bin"))
    let configuration = ClassifierConfiguration(architecture: .resnet18, width: 0.125, depths: [1, 1, 1, 1])
    try ClassifierFile.save(try configuration.makeModel(seed: 1), configuration: configuration, normalization: .cifar10,
                            classNames: CIFAR10.classNames, extraMetadata: [MetadataKey.dataset: "cifar10"],
                            to: folder.appendingPathComponent("m.safetensors"))
    let entry = VerificationManifest.Entry(name: "plain", modelFile: "m.safetensors", keyFile: nil, message: nil,
                                           method: nil, testMetric: 0.123, attacks: [:])
    var manifest = VerificationManifest(attackSeed: 0, command: "test", entries: [entry])
    var checks: [VerificationManifest.Check] = []
    let failures = try manifest.verify(folder: folder, data: data, tolerance: 0, record: false,
                                       onRecorded: { _, _, _ in XCTFail("not recording") }, onCheck: { checks.append($0) })
    XCTAssertEqual(checks.map(\.what), ["test metric"])
    XCTAssertEqual(failures, 1, "accuracy on 6 images is a multiple of 1/6")
    XCTAssertEqual(try manifest.verify(folder: folder, data: data, tolerance: 1, record: false, onRecorded: { _, _, _ in },
                                       onCheck: { _ in }), 0)
    var recorded: [String] = []
    XCTAssertEqual(try manifest.verify(folder: folder, data: data, tolerance: 0, record: true,
                                       onRecorded: { entry, metric, _ in recorded.append("\(entry.name) \(metric.rawValue)") },
                                       onCheck: { _ in XCTFail("not comparing") }), 0)
    XCTAssertEqual(recorded, ["plain accuracy"])
    XCTAssertEqual(manifest.entries[0].testMetric, Double(checks[0].measured) ?? -1, accuracy: 1e-4)
  }
}
