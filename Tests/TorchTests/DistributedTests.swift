import Foundation
import XCTest

@testable import Torch

/// c10d through the shim: collectives, gradient averaging and failure
/// diagnosis, with the ranks as threads of this process on loopback.
final class DistributedTests: XCTestCase {
  override func setUp() {
    try? Torch.setThreads(1)
  }

  func testCollectivesAcrossTwoRanks() throws {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("lichen-share-\(UUID().uuidString)")
    try Data([1, 2, 3, 250]).write(to: file)
    defer { try? FileManager.default.removeItem(at: file) }
    try LocalRanks.run(worldSize: 2, timeout: 20) { dp in
      let r = Double(dp.rank)
      let t = try Tensor([Float(r + 1), Float(10 * r)], shape: [2])
      try dp.group.allReduce([t])
      XCTAssertEqual(try t.floats(), [3, 10])
      let m = try Tensor([Float(r + 1)], shape: [1])
      try dp.group.allReduce([m], .max)
      XCTAssertEqual(try m.floats(), [2])
      let b = try Tensor([Int64(dp.rank * 7)], shape: [1])
      try dp.group.broadcast([b], from: 1)
      XCTAssertEqual(try b.scalars(as: Int64.self), [7])
      let gathered = try dp.group.allGather(try Tensor([Float(r)], shape: [1]))
      XCTAssertEqual(try gathered.map { try $0.floats()[0] }, [0, 1])
      try dp.barrier()
      XCTAssertEqual(try dp.sum([r, 1], step: 0), [1, 2])
      XCTAssertEqual(try dp.mean([r], step: 0), [0.5])
      XCTAssertTrue(try dp.agree(stop: dp.rank == 1, step: 0))
      XCTAssertFalse(try dp.agree(stop: false, step: 0))
      // Rank 0's file reaches rank 1, which does not read its own copy.
      XCTAssertEqual(try dp.shareFile(at: dp.isPrimary ? file : file.appendingPathExtension("absent")), Data([1, 2, 3, 250]))
      XCTAssertNil(try dp.shareFile(at: file.appendingPathExtension("missing")))
    }
  }

  func testGradientAveragingWithBucketsAndMissingGradients() throws {
    try LocalRanks.run(worldSize: 2, timeout: 20) { dp in
      dp.bucketBytes = 12  // forces one bucket per tensor
      let r = Float(dp.rank)
      let a = try Tensor.zeros([2, 2]), b = try Tensor.zeros([3]), c = try Tensor.zeros([1]), d = try Tensor.zeros([2])
      try a.setGrad(try Tensor([1 + r, 2, 3, 4 * (1 + r)], shape: [2, 2]))
      try b.setGrad(try Tensor([r, r, r], shape: [3]))
      if dp.rank == 0 { try c.setGrad(try Tensor([Float(8)], shape: [1])) }  // only rank 0 has one
      let statistics = try dp.averageGradients([a, b, c, d], statistics: [Double(dp.rank), 4], step: 3)
      XCTAssertEqual(try a.grad?.floats(), [1.5, 2, 3, 6])
      XCTAssertEqual(try b.grad?.floats(), [0.5, 0.5, 0.5])
      XCTAssertEqual(try c.grad?.floats(), [4])
      XCTAssertNil(d.grad, "no rank had a gradient: none is made")
      XCTAssertEqual(statistics, [0.5, 4])
      XCTAssertEqual(dp.gradientReductions, 1)
      XCTAssertEqual(DataParallel.buckets([a, b, c, d], maxBytes: 12).map(\.count), [1, 1, 2])
      XCTAssertEqual(DataParallel.buckets([a, b, c, d], maxBytes: 1 << 20).count, 1)
    }
  }

  func testBroadcastStateMakesRanksIdentical() throws {
    try LocalRanks.run(worldSize: 2, timeout: 20) { dp in
      let module = try Sequential([try Linear(3, 2, generator: try Generator(seed: UInt64(dp.rank) + 1))])
      try dp.broadcastState(of: module)
      let values = try module.stateDict().flatMap { try $0.tensor.floats() }
      let reference = try Sequential([try Linear(3, 2, generator: try Generator(seed: 1))])
      XCTAssertEqual(values, try reference.stateDict().flatMap { try $0.tensor.floats() })
    }
  }

  func testDeadRankIsNamed() throws {
    let started = Date()
    XCTAssertThrowsError(
      try LocalRanks.run(worldSize: 2, timeout: 20) { dp in
        guard dp.rank == 0 else { return }  // rank 1 leaves: its connections close
        let t = try Tensor.zeros([4])
        try t.setGrad(try Tensor.ones([4]))
        try dp.averageGradients([t], step: 5)
      }
    ) { error in
      let message = "\(error)"
      XCTAssertTrue(message.contains("rank 0: all-reduce of gradients at step 5 failed"), message)
      XCTAssertTrue(message.contains("rank 1 did not answer"), message)
    }
    XCTAssertLessThan(Date().timeIntervalSince(started), 20, "a closed connection is noticed at once, not after the timeout")
  }

  func testHungRankIsNamedWithinTheTimeout() throws {
    let started = Date()
    XCTAssertThrowsError(
      // The group's timeout also bounds joining it: 1.5 s failed to join on a loaded CI machine.
      try LocalRanks.run(worldSize: 2, timeout: 4) { dp in
        try dp.barrier(step: 1)
        if dp.rank == 1 {
          Thread.sleep(forTimeInterval: 12)  // hangs while holding its connections open
          return
        }
        try dp.averageGradients([try Tensor.zeros([2])], step: 2)
      }
    ) { error in
      let message = "\(error)"
      XCTAssertTrue(message.contains("rank 1 did not answer"), message)
      XCTAssertTrue(message.contains("last seen finishing the barrier at step 1"), message)
    }
    // timeout 4 s + roll call 2 s; rank 1's sleep bounds the whole run at ~12 s
    XCTAssertLessThan(Date().timeIntervalSince(started), 20)
  }

  func testRanksInDifferentCollectivesAreShownWhereEachWas() throws {
    XCTAssertThrowsError(
      try LocalRanks.run(worldSize: 2, timeout: 3) { dp in
        try dp.barrier(step: 1)
        // A caller bug: the ranks disagree on the next collective.
        if dp.rank == 0 { try dp.barrier(step: 2) } else { _ = try dp.sum([1], step: 2) }
      }
    ) { error in
      let message = "\(error)"
      XCTAssertTrue(message.contains("every rank is alive"), message)
      XCTAssertTrue(message.contains("rank 0: barrier at step 2, rank 1: all-reduce of statistics at step 2"), message)
    }
  }

  func testRankZeroGoneNamesTheStoreHost() throws {
    XCTAssertThrowsError(
      try LocalRanks.run(worldSize: 2, timeout: 3) { dp in
        try dp.barrier()
        if dp.rank == 0 { return }  // rank 0 leaves and takes the store with it
        Thread.sleep(forTimeInterval: 0.5)
        _ = try dp.sum([1], step: 9)
      }
    ) { error in
      let message = "\(error)"
      XCTAssertTrue(message.contains("rank 1:"), message)
      XCTAssertTrue(message.contains("rank 0") && message.contains("did not answer") || message.contains("rank 0, which serves"),
                    message)
    }
  }

  func testConfigurationParsingAndErrors() throws {
    let c = try DistributedConfiguration(worldSize: 4, rank: 3, master: "10.0.0.2:29500")
    XCTAssertEqual(c.masterHost, "10.0.0.2")
    XCTAssertEqual(c.masterPort, 29500)
    XCTAssertFalse(c.isLoopback)
    XCTAssertEqual(try DistributedConfiguration(worldSize: 2, rank: 0, master: "[::1]:7000").masterHost, "::1")
    XCTAssertThrowsError(try DistributedConfiguration(worldSize: 2, rank: 2, master: "h:1"))
    XCTAssertThrowsError(try DistributedConfiguration(worldSize: 0, rank: 0, master: "h:1"))
    XCTAssertThrowsError(try DistributedConfiguration(worldSize: 2, rank: 0, master: "host"))
    XCTAssertThrowsError(try DistributedConfiguration(worldSize: 2, rank: 0, master: "host:99999"))
    XCTAssertNil(try DistributedConfiguration.fromEnvironment([:]))
    let env = try DistributedConfiguration.fromEnvironment(
      ["LICHEN_WORLD_SIZE": "2", "LICHEN_RANK": "1", "LICHEN_MASTER": "127.0.0.1:5000"])
    XCTAssertEqual(env?.rank, 1)
    XCTAssertEqual(env?.isLoopback, true)
    XCTAssertThrowsError(try DistributedConfiguration.fromEnvironment(["LICHEN_WORLD_SIZE": "2"]))
    XCTAssertEqual(DataShard(index: 1, count: 3).slots(perShard: 4), 4..<8)
  }

  func testFileStoreRendezvous() throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("lichen-store-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    let done = DispatchGroup()
    let results = Locked<[Int: Double]>([:])
    for rank in 0..<2 {
      done.enter()
      Thread {
        defer { done.leave() }
        do {
          let configuration = try DistributedConfiguration(worldSize: 2, rank: rank, master: "file:" + path, timeout: 20)
          XCTAssertEqual(configuration.storeFile, path)
          XCTAssertEqual(configuration.master, "file:" + path)
          let dp = try DataParallel(configuration)
          let total = try dp.sum([Double(rank + 1)], step: 0)[0]
          results.update { $0[rank] = total }
        } catch {
          XCTFail("rank \(rank): \(error)")
        }
      }.start()
    }
    done.wait()
    XCTAssertEqual(results.value, [0: 3, 1: 3])
  }

  func testUnreachableMasterIsAClearError() throws {
    let port = try freeLoopbackPort()
    let configuration = try DistributedConfiguration(worldSize: 2, rank: 1, master: "127.0.0.1:\(port)", timeout: 1)
    XCTAssertThrowsError(try DataParallel(configuration)) { error in
      XCTAssertTrue("\(error)".contains("cannot reach the rendezvous store at 127.0.0.1:\(port)"), "\(error)")
    }
  }
}
