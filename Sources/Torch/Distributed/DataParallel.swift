import Foundation

/// Data-parallel training over a Gloo process group, PyTorch DDP's recipe
/// without its Python: rank 0's parameters and buffers are broadcast once
/// at the start, every rank runs forward/backward on its own shard of each
/// global batch, and gradients are averaged (flattened into buckets of at
/// most `bucketBytes`, summed, divided by the world size) before the
/// optimizer step, so all ranks keep identical weights. Only rank 0 writes
/// checkpoints, logs and progress (the trainers check `isPrimary`).
///
/// Failures: when a collective fails (a peer closed its connection, or
/// `timeout` passed), the ranks still alive hold a roll call in the store
/// and the error names the ranks that did not answer, with the last
/// collective every rank finished; when the store itself is gone, rank 0
/// (its server) is named.
public final class DataParallel {
  public let configuration: DistributedConfiguration
  public let group: ProcessGroup
  public var rank: Int { configuration.rank }
  public var worldSize: Int { configuration.worldSize }
  public var isPrimary: Bool { rank == 0 }
  public var shard: DataShard { DataShard(index: rank, count: worldSize) }
  /// Largest gradient bucket in bytes (PyTorch DDP's default, 25 MiB).
  public var bucketBytes = 25 << 20
  /// Seconds spent in gradient all-reduces (including waiting for slower ranks).
  public private(set) var communicationSeconds = 0.0
  /// Gradient all-reduces done and bytes sent through them (per rank).
  public private(set) var gradientReductions = 0
  public private(set) var gradientBytes = 0

  /// Meets the other ranks: rank 0 serves the store at the master address,
  /// every rank joins the Gloo group (waits up to the configuration's timeout).
  public convenience init(_ configuration: DistributedConfiguration) throws {
    // A peer that dies mid-send must surface as Gloo's EPIPE error, not kill
    // this rank with SIGPIPE (Python ignores SIGPIPE at start-up for the same reason).
    signal(SIGPIPE, SIG_IGN)
    let store = try configuration.storeFile.map {
      try Store.file(path: $0, worldSize: configuration.worldSize, timeout: configuration.timeout)
    } ?? Store.tcp(
      host: configuration.masterHost, port: configuration.masterPort, worldSize: configuration.worldSize,
      isServer: configuration.rank == 0, timeout: configuration.timeout)
    let hostname = configuration.interface == nil && configuration.isLoopback ? "127.0.0.1" : nil
    let group = try ProcessGroup(
      store: store, rank: configuration.rank, worldSize: configuration.worldSize, interface: configuration.interface,
      hostname: hostname, timeout: configuration.timeout)
    try self.init(group: group, configuration: configuration)
  }

  /// Joins the job `configuration` describes (`init(_:)`: blocks until every rank is there) and says so on rank 0.
  /// - Parameter log: "distributed: N ranks met at MASTER (Gloo); this is rank 0", on rank 0 only.
  /// - Throws: `TorchError` when the store or the group cannot be set up in time.
  public static func join(_ configuration: DistributedConfiguration, log: (String) -> Void) throws -> DataParallel {
    let group = try DataParallel(configuration)
    if group.isPrimary {
      log("distributed: \(configuration.worldSize) ranks met at \(configuration.master) (Gloo); this is rank 0")
    }
    return group
  }

  /// Wraps a group that already exists (tests, file stores).
  public init(group: ProcessGroup, configuration: DistributedConfiguration) throws {
    guard group.rank == configuration.rank, group.worldSize == configuration.worldSize else {
      throw TorchError(.distributed, "the process group is rank \(group.rank) of \(group.worldSize), the configuration "
        + "rank \(configuration.rank) of \(configuration.worldSize)")
    }
    self.group = group
    self.configuration = configuration
  }

  // MARK: - Training collectives

  /// Gives every rank rank 0's parameters and buffers (call once before training).
  public func broadcastState(of module: any Module) throws {
    try collective("broadcast of the initial weights", step: -1) {
      try broadcastFlat(module.stateDict().map(\.tensor), from: 0)
    }
  }

  /// Averages the gradients of `parameters` across the ranks, in place, and
  /// the per-rank `statistics` (losses, a stop flag...) with them in the same
  /// collective; returns the averaged statistics. A parameter without a
  /// gradient on every rank keeps none; one with a gradient on some ranks
  /// gets the average with zeros for the others.
  @discardableResult
  public func averageGradients(_ parameters: [Tensor], statistics: [Double] = [], step: Int) throws -> [Double] {
    let start = Date()
    defer {
      communicationSeconds += Date().timeIntervalSince(start)
      gradientReductions += 1
    }
    return try collective("all-reduce of gradients", step: step) {
      try withNoGrad {
        var averagedStatistics = statistics
        let buckets = Self.buckets(parameters, maxBytes: bucketBytes)
        for (index, bucket) in buckets.enumerated() {
          let carriesStatistics = index == buckets.count - 1
          let gradients = bucket.map { $0.grad }
          var pieces = try zip(bucket, gradients).map { p, g in try (g ?? Tensor.zeros(p.shape, dtype: p.dtype)).flatten() }
          let present = gradients.map { $0 == nil ? 0.0 : 1.0 }
          let dtype = bucket[0].dtype
          pieces.append(try Tensor(present, shape: [present.count]).to(dtype))
          if carriesStatistics, !statistics.isEmpty {
            pieces.append(try Tensor(statistics, shape: [statistics.count]).to(dtype))
          }
          let flat = try Tensor.cat(pieces)
          gradientBytes += flat.elementCount * dtype.byteSize
          try group.allReduce([flat])
          try flat.mul_(1 / Double(worldSize))
          var offset = 0
          var absent: [(parameter: Tensor, average: Tensor)] = []
          for (p, g) in zip(bucket, gradients) {
            let averaged = try flat.narrow(0, start: offset, length: p.elementCount).reshape(p.shape)
            offset += p.elementCount
            if let g { try g.copy_(averaged) } else { absent.append((p, averaged)) }
          }
          let flags = try flat.narrow(0, start: offset, length: bucket.count).to(.float64).scalars(as: Double.self)
          offset += bucket.count
          for (i, p) in bucket.enumerated() where gradients[i] == nil && flags[i] > 0 {
            if let entry = absent.first(where: { $0.parameter === p }) { try p.setGrad(try entry.average.clone()) }
          }
          if carriesStatistics, !statistics.isEmpty {
            averagedStatistics = try flat.narrow(0, start: offset, length: statistics.count).to(.float64)
              .scalars(as: Double.self)
          }
        }
        if buckets.isEmpty, !statistics.isEmpty { averagedStatistics = try mean(statistics, step: step) }
        return averagedStatistics
      }
    }
  }

  /// Sums `values` across the ranks (float64; e.g. validation totals).
  public func sum(_ values: [Double], step: Int, what: String = "all-reduce of statistics") throws -> [Double] {
    guard !values.isEmpty else { return [] }
    return try collective(what, step: step) {
      let t = try Tensor(values, shape: [values.count])
      try group.allReduce([t])
      return try t.scalars(as: Double.self)
    }
  }

  /// The mean of `values` across the ranks.
  public func mean(_ values: [Double], step: Int) throws -> [Double] {
    try sum(values, step: step, what: "all-reduce of statistics").map { $0 / Double(worldSize) }
  }

  /// True on every rank when any rank asks to stop (Ctrl-C on one machine stops all at the same step).
  public func agree(stop: Bool, step: Int) throws -> Bool {
    try sum([stop ? 1 : 0], step: step, what: "stop agreement")[0] > 0
  }

  /// Rank 0's file at `url` (read by rank 0 only) on every rank, or nil on
  /// every rank when rank 0 has none: how ranks on other machines resume
  /// from the checkpoint rank 0 wrote.
  public func shareFile(at url: URL, step: Int = -1) throws -> Data? {
    try collective("sharing of \(url.lastPathComponent)", step: step) {
      var bytes: [UInt8] = []
      if isPrimary, FileManager.default.fileExists(atPath: url.path) {
        bytes = [UInt8](try Data(contentsOf: url))
      }
      let length = try Tensor([Int64(isPrimary && FileManager.default.fileExists(atPath: url.path) ? bytes.count : -1)],
                              shape: [1])
      try group.broadcast([length], from: 0)
      let count = Int(try length.scalars(as: Int64.self)[0])
      guard count >= 0 else { return nil }
      guard count > 0 else { return Data() }
      let buffer = isPrimary
        ? try bytes.withUnsafeBytes { try Tensor(bytes: $0, shape: [count], dtype: .uint8) }
        : try Tensor.zeros([count], dtype: .uint8)
      try group.broadcast([buffer], from: 0)
      return Data(try buffer.bytes())
    }
  }

  public func barrier(step: Int = -1) throws { try collective("barrier", step: step) { try group.barrier() } }

  // MARK: - Buckets

  /// Consecutive parameters of one dtype, each bucket at most `maxBytes` (a
  /// larger tensor gets a bucket of its own). The same on every rank.
  static func buckets(_ parameters: [Tensor], maxBytes: Int) -> [[Tensor]] {
    var buckets: [[Tensor]] = []
    var current: [Tensor] = []
    var bytes = 0
    for p in parameters {
      let size = p.elementCount * p.dtype.byteSize
      if let first = current.first, first.dtype != p.dtype || bytes + size > maxBytes {
        buckets.append(current)
        current = []
        bytes = 0
      }
      current.append(p)
      bytes += size
    }
    if !current.isEmpty { buckets.append(current) }
    return buckets
  }

  /// Broadcasts tensors flattened per dtype, then copies the values back.
  func broadcastFlat(_ tensors: [Tensor], from root: Int) throws {
    try withNoGrad {
      for dtype in Set(tensors.map(\.dtype)).sorted(by: { $0.rawValue < $1.rawValue }) {
        let members = tensors.filter { $0.dtype == dtype }
        let flat = try Tensor.cat(try members.map { try $0.flatten() })
        try group.broadcast([flat], from: root)
        var offset = 0
        for t in members {
          try t.copy_(try flat.narrow(0, start: offset, length: t.elementCount).reshape(t.shape))
          offset += t.elementCount
        }
      }
    }
  }

  // MARK: - Failure diagnosis

  /// The last collective this rank finished, which every rank took part in:
  /// what a rank that does not answer the roll call was last seen doing.
  private var lastFinished: (what: String, step: Int)?

  private static func place(_ what: String, _ step: Int) -> String { step >= 0 ? "\(what) at step \(step)" : what }

  /// Runs one collective; when it fails, diagnoses the failure and gives
  /// the group up (`ProcessGroup.abandon()`: the job is over).
  ///
  /// No store traffic on the way: a request is several socket writes, and a
  /// rank stopped between two of them blocks the store's server (on rank 0)
  /// until that rank resumes, so the store is used only to meet and in a
  /// failure's roll call.
  func collective<T>(_ what: String, step: Int, _ body: () throws -> T) throws -> T {
    do {
      let result = try body()
      lastFinished = (what, step)
      return result
    } catch let error as TorchError where error.kind != .distributed {
      let diagnosis = diagnose(error, what: what, step: step)
      group.abandon()
      throw diagnosis
    } catch {
      group.abandon()
      throw error
    }
  }

  /// Names the ranks that did not answer a roll call after `failure`; when
  /// all answer, says where each was (ranks in different collectives mean
  /// they called them in different orders).
  func diagnose(_ failure: TorchError, what: String, step: Int) -> TorchError {
    let prefix = "rank \(rank): \(Self.place(what, step)) failed"
    let store = group.store
    let rollCall = "lichen/rollcall/"
    let window = Swift.min(10, Swift.max(2, configuration.timeout / 4))
    do {
      try store.setTimeout(window)
      try store.set(rollCall + String(rank), string: "\(step)\t\(what)")
      let deadline = Date().addingTimeInterval(window)
      var missing: [Int] = []
      repeat {
        missing = try (0..<worldSize).filter { try !store.contains([rollCall + String($0)]) }
        if missing.isEmpty { break }
        Thread.sleep(forTimeInterval: 0.1)
      } while Date() < deadline
      guard !missing.isEmpty else {
        let places = try (0..<worldSize).map { r -> String in
          let parts = try store.string(rollCall + String(r)).split(separator: "\t", maxSplits: 1).map(String.init)
          return Self.place(parts.count > 1 ? parts[1] : "?", parts.first.flatMap(Int.init) ?? -1)
        }
        let disagreement = Set(places).count > 1
          ? "; the ranks were in different collectives (" + places.enumerated().map { "rank \($0): \($1)" }
            .joined(separator: ", ") + ")"
          : ""
        return TorchError(
          .distributed, "\(prefix): every rank is alive but the transport failed\(disagreement): \(failure.message)")
      }
      let seen = lastFinished.map { "last seen finishing the \(Self.place($0.what, $0.step))" }
        ?? "no collective finished yet"
      let described = missing.map { "rank \($0) did not answer (dead or hung; \(seen))" }
      return TorchError(.distributed, "\(prefix): \(described.joined(separator: "; ")) [\(failure.message)]")
    } catch {
      if rank == 0 {
        return TorchError(.distributed, "\(prefix): the store failed too (\(error)) [\(failure.message)]")
      }
      if configuration.storeFile != nil {
        return TorchError(.distributed, "\(prefix): the store file \(configuration.master) failed (\(error)) [\(failure.message)]")
      }
      return TorchError(
        .distributed, "\(prefix): rank 0, which serves the rendezvous store at \(configuration.master), is unreachable "
          + "(dead or hung) [\(failure.message)]")
    }
  }
}
