import XCTest

@testable import Watermarking

final class InsertionSettingsInitTests: XCTestCase {
  func testFullInitializerSetsEveryField() {
    let settings = InsertionSettings(
      code: .repetition(copies: 3), keySeed: 9, alpha: 2, absoluteMagnitude: 0.5, magnitudes: .halfNormal, rho: 0.1,
      sharpness: 0.5, sharpnessTarget: 0.2, replicas: 2, replicaNoise: 0.02, replicaStep: 0.3, coupling: 1e-5)
    var expected = InsertionSettings()
    expected.code = .repetition(copies: 3)
    expected.keySeed = 9
    expected.alpha = 2
    expected.absoluteMagnitude = 0.5
    expected.magnitudes = .halfNormal
    expected.rho = 0.1
    expected.sharpness = 0.5
    expected.sharpnessTarget = 0.2
    expected.replicas = 2
    expected.replicaNoise = 0.02
    expected.replicaStep = 0.3
    expected.coupling = 1e-5
    XCTAssertEqual(settings, expected)
  }
}
