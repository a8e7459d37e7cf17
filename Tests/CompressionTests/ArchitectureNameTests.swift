import CodecFormat
import XCTest

/// The names a user gives `--model`: the short ones and CompressAI's, nothing else.
final class ArchitectureNameTests: XCTestCase {
  func testShortAndCompressAINamesParse() {
    for architecture in Architecture.allCases { XCTAssertEqual(Architecture(name: architecture.rawValue), architecture) }
    XCTAssertEqual(Architecture(name: "hyperprior"), .scaleHyperprior)
    XCTAssertEqual(Architecture(name: "mean-scale"), .meanScaleHyperprior)
    XCTAssertEqual(Architecture(name: "factorized"), .factorizedPrior)
    for bad in ["", "Hyperprior", "mbt2018", "scale"] { XCTAssertNil(Architecture(name: bad), bad) }
  }
}
