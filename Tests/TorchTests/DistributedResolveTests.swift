import Foundation
import XCTest

@testable import Torch

/// `--world-size`, `--rank` and `--master` over the `LICHEN_*` environment.
final class DistributedResolveTests: XCTestCase {
  func resolve(_ size: Int?, _ rank: Int?, _ master: String?,
               environment: DistributedConfiguration? = nil) throws -> DistributedConfiguration? {
    try DistributedConfiguration.resolve(worldSize: size, rank: rank, master: master, environment: environment,
                                         timeout: 30, interface: nil)
  }

  func testSingleProcessGivenValuesAndTheEnvironment() throws {
    XCTAssertNil(try resolve(nil, nil, nil))
    XCTAssertNil(try resolve(1, 0, nil))
    let given = try XCTUnwrap(try resolve(2, 1, "127.0.0.1:29500"))
    XCTAssertEqual(given.worldSize, 2)
    XCTAssertEqual(given.rank, 1)
    XCTAssertEqual(given.master, "127.0.0.1:29500")
    XCTAssertEqual(given.timeout, 30)
    let environment = try DistributedConfiguration(worldSize: 4, rank: 3, master: "h:1")
    let fromEnvironment = try XCTUnwrap(try resolve(nil, nil, nil, environment: environment))
    XCTAssertEqual(fromEnvironment.worldSize, 4)
    XCTAssertEqual(fromEnvironment.rank, 3)
    XCTAssertEqual(try resolve(nil, 2, "x:9", environment: environment)?.master, "x:9")
  }

  func testMissingRankOrMasterAndBadValuesAreErrors() {
    XCTAssertThrowsError(try resolve(2, nil, "h:1")) {
      XCTAssertEqual(($0 as? TorchError)?.message, "--world-size 2 needs --rank (or LICHEN_RANK)")
    }
    XCTAssertThrowsError(try resolve(2, 0, nil)) {
      XCTAssertEqual(($0 as? TorchError)?.message, "--world-size 2 needs --master HOST:PORT (or LICHEN_MASTER)")
    }
    XCTAssertThrowsError(try resolve(2, 5, "h:1"))
  }

  func testLaunchedRanksMeetAtTheMasterAddress() throws {
    let here = try ProcessRanks(program: "lichen", arguments: ["train"], worldSize: 2, masterAddress: "::1",
                                masterPort: 29500, grace: 1)
    XCTAssertEqual(here.master, "[::1]:29500")
    XCTAssertEqual(here.executable, Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0]))
    let other = try ProcessRanks(program: "/bin/true", arguments: [], worldSize: 1, masterAddress: "127.0.0.1",
                                 masterPort: 0, grace: 1)
    XCTAssertEqual(other.executable.path, "/bin/true")
    XCTAssertTrue(other.master.hasPrefix("127.0.0.1:"))
    XCTAssertGreaterThan(Int(other.master.split(separator: ":").last ?? "") ?? 0, 0)
  }
}
