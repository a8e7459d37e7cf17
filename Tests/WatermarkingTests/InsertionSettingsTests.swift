import Foundation
import Torch
import Training
import XCTest

@testable import Watermarking

/// Marks written as one absolute value per layer (the WaterMAS authors' testbed) instead of std units.
final class InsertionSettingsTests: XCTestCase {
  func testAbsoluteMagnitudeIsWrittenAsIs() throws {
    let model = Sequential([try Linear(32, 32, generator: try Generator(seed: 1)), try Linear(32, 8, generator: try Generator(seed: 2))])
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("insertion-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    let trainer = try Trainer(task: FineTuningTask(model: model, steps: 1, optimizer: .adam(learningRate: 1e-3)) { _ in
      try model(Tensor.rand([2, 32], generator: try Generator(seed: 3))).square().mean()
    }, runDirectory: dir)
    var settings = InsertionSettings()
    settings.absoluteMagnitude = 0.75
    let bits = [true, false, true, true, false, true, false, false, true, true]
    let key = try WatermarkInsertion.key(for: bits, method: .substitution, settings: settings, training: trainer, resumed: false)
    let params = Dictionary(model.namedParameters().map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
    for (i, position) in key.positions.enumerated() {
      let value = try XCTUnwrap(params[position.layer]).floats()[position.index]
      XCTAssertEqual(abs(value), 0.75, accuracy: 1e-6)
      XCTAssertEqual(value > 0, try key.code.encode(bits)[i])
    }
    XCTAssertEqual(settings.record["absolute-magnitude"], "0.75")
    XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("key.json").path))
    settings.absoluteMagnitude = -1
    XCTAssertThrowsError(try WatermarkInsertion.key(for: bits, method: .substitution, settings: settings, training: trainer,
                                                    resumed: false))
    settings.absoluteMagnitude = 1
    XCTAssertThrowsError(try WatermarkInsertion.key(for: bits, method: .laplacian, settings: settings, training: trainer,
                                                    resumed: false))
  }
}
