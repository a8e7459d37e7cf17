import Foundation
import XCTest

@testable import Training

final class StopSignalAndSmokeTests: XCTestCase {
  func testSmokeCheckLowersTheLoss() throws {
    let (first, last, seconds) = try SmokeCheck.run(steps: 20, seed: 0)
    XCTAssertLessThan(last, first)
    XCTAssertGreaterThanOrEqual(seconds, 0)
    XCTAssertEqual(try SmokeCheck.run(steps: 0, seed: 0).first, 0)
  }

  /// A signal sets the one flag every caller shares and runs the latest notice. The delivery itself is not
  /// raised here: every test shares this process, and a launcher test's own SIGTERM sources take delivery on
  /// Linux; the check scripts interrupt real runs with SIGINT (scripts/check-segmentation.sh).
  func testSignalSetsTheSharedFlag() throws {
    final class Count: @unchecked Sendable {
      let lock = NSLock()
      var value = 0
    }
    let count = Count()
    let first = StopSignal.install { }
    let flag = StopSignal.install {
      count.lock.lock()
      count.value += 1
      count.lock.unlock()
    }
    defer { flag.reset() }
    XCTAssertTrue(first === flag)
    XCTAssertFalse(flag.isSet)
    flag.deliver()
    XCTAssertTrue(flag.isSet)
    count.lock.lock()
    XCTAssertEqual(count.value, 1, "only the latest notice runs")
    count.lock.unlock()
  }
}
