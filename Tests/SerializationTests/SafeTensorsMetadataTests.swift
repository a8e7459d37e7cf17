import Foundation
import Torch
import XCTest

final class SafeTensorsMetadataTests: XCTestCase {
  func testMetadataIsReadFromTheHeaderAlone() throws {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("lichen-meta-\(UUID()).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    let record = try TensorRecord(float32: [1, 2, 3], shape: [3])
    try SafeTensors.write(["w": record], metadata: ["lichen.format": "x", "n": "3"], to: url)
    XCTAssertEqual(try SafeTensors.readMetadata(from: url), ["lichen.format": "x", "n": "3"])
    // A file cut inside its header is an error, not a partial map.
    let bytes = try Data(contentsOf: url)
    try bytes.prefix(20).write(to: url)
    XCTAssertThrowsError(try SafeTensors.readMetadata(from: url))
  }
}
