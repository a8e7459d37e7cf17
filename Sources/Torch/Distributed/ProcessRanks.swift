import Foundation

/// Runs the ranks of a data-parallel job as processes on this machine (what `lichen launch` does): each rank
/// gets `LICHEN_WORLD_SIZE`, `LICHEN_RANK` and `LICHEN_MASTER`. When one rank fails, the others get `grace`
/// seconds to notice and stop on their own (they name the failed rank), then are terminated. SIGINT and SIGTERM
/// sent to this process reach every rank, which checkpoint and stop after the same step.
public struct ProcessRanks {
  /// How a job ended.
  public enum Outcome: Equatable, Sendable {
    case finished
    /// Stopped on request (every rank that stopped exited with `interruptedStatus`, after its checkpoint).
    case interrupted
    case failed(rank: Int, status: Int32)
  }

  /// The exit status of a rank stopped by Ctrl-C after its checkpoint: not a failure.
  public static let interruptedStatus: Int32 = 130

  public var executable: URL
  public var arguments: [String]
  public var worldSize: Int
  /// HOST:PORT where rank 0 serves the rendezvous store.
  public var master: String
  /// Seconds the other ranks get to stop on their own after one fails.
  public var grace: Double

  public init(executable: URL, arguments: [String], worldSize: Int, master: String, grace: Double) {
    self.executable = executable
    self.arguments = arguments
    self.worldSize = worldSize
    self.master = master
    self.grace = grace
  }

  /// Starts every rank and waits for all of them.
  /// - Parameter log: what the launcher says (a rank's failure, the ranks it terminates).
  public func run(log: (String) -> Void) throws -> Outcome {
    var ranks: [Process] = []
    for rank in 0..<worldSize {
      let process = Process()
      process.executableURL = executable
      process.arguments = arguments
      var environment = ProcessInfo.processInfo.environment
      environment[DistributedConfiguration.worldSizeVariable] = String(worldSize)
      environment[DistributedConfiguration.rankVariable] = String(rank)
      environment[DistributedConfiguration.masterVariable] = master
      process.environment = environment
      do {
        try process.run()
      } catch {
        ranks.forEach { $0.terminate() }
        throw TorchError(.distributed, "cannot start \(executable.path): \(error.localizedDescription)")
      }
      ranks.append(process)
    }
    let forwarding = Self.forwardSignals(to: ranks)
    defer { forwarding.forEach { $0.cancel() } }

    func failed(_ process: Process) -> Bool {
      !process.isRunning && process.terminationStatus != 0 && process.terminationStatus != Self.interruptedStatus
    }
    var failure: (rank: Int, status: Int32)?
    var failedAt: Date?
    while ranks.contains(where: \.isRunning) {
      Thread.sleep(forTimeInterval: 0.1)
      if failure == nil, let rank = ranks.indices.first(where: { failed(ranks[$0]) }) {
        failure = (rank, ranks[rank].terminationStatus)
        failedAt = Date()
        log("rank \(rank) exited with status \(ranks[rank].terminationStatus); the others have \(Int(grace)) s to stop")
      }
      if let failedAt, Date().timeIntervalSince(failedAt) > grace {
        for (rank, process) in ranks.enumerated() where process.isRunning {
          log("terminating rank \(rank)")
          process.terminate()
        }
        let deadline = Date().addingTimeInterval(10)
        while ranks.contains(where: \.isRunning), Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        for process in ranks where process.isRunning { kill(process.processIdentifier, SIGKILL) }
        break
      }
    }
    if let (rank, status) = failure ?? ranks.indices.first(where: { failed(ranks[$0]) }).map({ ($0, ranks[$0].terminationStatus) }) {
      return .failed(rank: rank, status: status)
    }
    return ranks.contains { $0.terminationStatus == Self.interruptedStatus } ? .interrupted : .finished
  }

  /// SIGINT / SIGTERM sent to the launcher go to every rank (Ctrl-C in a terminal reaches them directly too;
  /// a rank takes repeated signals as one).
  static func forwardSignals(to ranks: [Process]) -> [DispatchSourceSignal] {
    let pids = ranks.map(\.processIdentifier)
    return [SIGINT, SIGTERM].map { sig in
      signal(sig, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
      source.setEventHandler { for pid in pids { kill(pid, sig) } }
      source.resume()
      return source
    }
  }
}

extension ProcessRanks {
  /// The ranks of `program` meeting at `address`:`port` (IPv6 addresses bracketed).
  /// - Parameters:
  ///   - program: "lichen" for this executable, else the path of the program to start.
  ///   - port: the rendezvous store's port; 0: a free loopback port.
  /// - Throws: `TorchError` when no free port can be found.
  public init(program: String, arguments: [String], worldSize: Int, masterAddress address: String, masterPort port: Int,
              grace: Double) throws {
    let executable = program == "lichen" ? (Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0]))
      : URL(fileURLWithPath: program)
    let port = port == 0 ? try freeLoopbackPort() : port
    self.init(executable: executable, arguments: arguments, worldSize: worldSize,
              master: address.contains(":") ? "[\(address)]:\(port)" : "\(address):\(port)", grace: grace)
  }
}
