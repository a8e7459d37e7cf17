import Foundation

/// Where a rank sits in a data-parallel job and how it meets the others:
/// `--world-size W --rank R --master HOST:PORT` on each machine, or the
/// `LICHEN_WORLD_SIZE` / `LICHEN_RANK` / `LICHEN_MASTER` variables that
/// `lichen launch` sets. Rank 0 serves the rendezvous store at HOST:PORT;
/// a master `file:PATH` meets through a store file on storage every rank
/// sees instead (no server; the Gloo transport then binds to the host name's address).
public struct DistributedConfiguration: Sendable, Equatable {
  public var worldSize: Int
  public var rank: Int
  public var masterHost: String
  public var masterPort: Int
  /// The shared store file when the master is `file:PATH` (then host and port are unused).
  public var storeFile: String?
  /// Seconds a collective (or the rendezvous) may wait for the other ranks
  /// before this rank gives up and names the ranks that did not answer.
  public var timeout: Double
  /// Network interface for the Gloo transport; nil: chosen from the master address.
  public var interface: String?

  public init(worldSize: Int, rank: Int, master: String, timeout: Double = 120, interface: String? = nil) throws {
    guard worldSize >= 1 else { throw TorchError(.distributed, "world size must be at least 1, got \(worldSize)") }
    guard (0..<worldSize).contains(rank) else {
      throw TorchError(.distributed, "rank \(rank) is not in 0...\(worldSize - 1) (world size \(worldSize))")
    }
    guard timeout > 0 else { throw TorchError(.distributed, "the timeout must be positive, got \(timeout)") }
    if master.hasPrefix("file:") {
      let path = String(master.dropFirst(5))
      guard !path.isEmpty else { throw TorchError(.distributed, "master '\(master)' names no file") }
      storeFile = path
    }
    let (host, port) = storeFile == nil ? try Self.parse(master: master) : ("localhost", 1)
    self.worldSize = worldSize
    self.rank = rank
    self.masterHost = host
    self.masterPort = port
    self.timeout = timeout
    self.interface = interface
  }

  /// "HOST:PORT" (IPv6 as "[::1]:PORT").
  static func parse(master: String) throws -> (host: String, port: Int) {
    guard let colon = master.lastIndex(of: ":") else {
      throw TorchError(.distributed, "master address '\(master)' is not HOST:PORT")
    }
    var host = String(master[..<colon])
    if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
    guard !host.isEmpty, let port = Int(master[master.index(after: colon)...]), (1...65535).contains(port) else {
      throw TorchError(.distributed, "master address '\(master)' is not HOST:PORT with a port in 1...65535")
    }
    return (host, port)
  }

  public var master: String {
    if let storeFile { return "file:" + storeFile }
    return masterHost.contains(":") ? "[\(masterHost)]:\(masterPort)" : "\(masterHost):\(masterPort)"
  }

  /// The master is this machine's loopback: every rank runs here, so the
  /// transport binds to loopback too.
  public var isLoopback: Bool {
    storeFile == nil && (masterHost == "localhost" || masterHost == "::1" || masterHost.hasPrefix("127."))
  }

  /// Environment variables `lichen launch` gives each rank.
  public static let worldSizeVariable = "LICHEN_WORLD_SIZE"
  public static let rankVariable = "LICHEN_RANK"
  public static let masterVariable = "LICHEN_MASTER"

  /// The configuration the environment describes, or nil when it names none.
  public static func fromEnvironment(
    _ environment: [String: String] = ProcessInfo.processInfo.environment, timeout: Double = 120,
    interface: String? = nil
  ) throws -> DistributedConfiguration? {
    guard let sizeText = environment[worldSizeVariable] else { return nil }
    guard let size = Int(sizeText), let rankText = environment[rankVariable], let rank = Int(rankText),
      let master = environment[masterVariable]
    else {
      throw TorchError(
        .distributed, "\(worldSizeVariable) is set, so \(rankVariable) (an integer) and \(masterVariable) must be too")
    }
    return try DistributedConfiguration(worldSize: size, rank: rank, master: master, timeout: timeout,
                                        interface: interface)
  }
}

/// Which part of each global batch a rank trains on: shard `index` of
/// `count` takes slots index*B ..< (index+1)*B of a batch of count*B items,
/// so W ranks with batch B see exactly the items one process with batch W*B
/// would see, split disjointly.
public struct DataShard: Sendable, Equatable, Codable {
  public var index: Int
  public var count: Int

  public init(index: Int, count: Int) {
    self.index = index
    self.count = count
  }

  public static let whole = DataShard(index: 0, count: 1)

  /// The slots this shard takes of a global batch of `count * perShard` items.
  public func slots(perShard: Int) -> Range<Int> { (index * perShard)..<((index + 1) * perShard) }
}

extension DistributedConfiguration {
  /// The job a command line describes: each value given, else the environment's configuration (`fromEnvironment`).
  /// - Parameters:
  ///   - worldSize, rank, master: `--world-size`, `--rank`, `--master`; nil: from `environment`.
  ///   - environment: what the `LICHEN_*` variables describe, if anything.
  /// - Throws: `TorchError` when a job of several ranks lacks its rank or master, or a value is invalid.
  /// - Returns: the configuration, or nil for a single process (world size 1, rank 0).
  public static func resolve(worldSize: Int?, rank: Int?, master: String?, environment: DistributedConfiguration?,
                             timeout: Double, interface: String?) throws -> DistributedConfiguration? {
    let size = worldSize ?? environment?.worldSize ?? 1
    if size == 1, rank ?? 0 == 0 { return nil }
    guard let rank = rank ?? environment?.rank else {
      throw TorchError(.distributed, "--world-size \(size) needs --rank (or \(rankVariable))")
    }
    guard let master = master ?? environment?.master else {
      throw TorchError(.distributed, "--world-size \(size) needs --master HOST:PORT (or \(masterVariable))")
    }
    return try DistributedConfiguration(worldSize: size, rank: rank, master: master, timeout: timeout,
                                        interface: interface)
  }
}
