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

  /// SIGTERM sets the one flag every caller shares and runs the latest notice; the process goes on.
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
    XCTAssertTrue(first === flag)
    XCTAssertFalse(flag.isSet)
    raise(SIGTERM)
    let deadline = Date().addingTimeInterval(5)
    while !flag.isSet, Date() < deadline { usleep(10_000) }
    XCTAssertTrue(flag.isSet)
    while Date() < deadline {
      count.lock.lock()
      defer { count.lock.unlock() }
      if count.value == 1 { break }
    }
    count.lock.lock()
    XCTAssertEqual(count.value, 1)
    count.lock.unlock()
  }
}
