import ArgumentParser
import Foundation
import Torch

/// `lichen launch --nproc N -- lichen train ...`: starts N local ranks of a
/// training command, each with `LICHEN_WORLD_SIZE`, `LICHEN_RANK` and
/// `LICHEN_MASTER` set (the training commands read them), and waits for all.
/// When one rank fails, the others get `--grace` seconds to notice and stop
/// on their own (they name the failed rank), then are terminated. Ctrl-C or
/// SIGTERM reaches every rank, which checkpoint and stop after the same step.
struct Launch: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Start N local ranks of a training command (data-parallel on this machine).",
    discussion: """
      Example: lichen launch --nproc 2 -- lichen train --threads 1 --data photos --out runs/q4
      Each rank trains --batch-size items per step; rank 0 writes the run folder. For several
      machines, start the command on each with --world-size, --rank and --master instead.
      """)

  @Option(help: "Ranks to start.") var nproc: Int
  @Option(help: "Address the ranks meet at (rank 0 serves the store there).") var masterAddress = "127.0.0.1"
  @Option(help: "Port of the rendezvous store (0: a free port).") var masterPort = 0
  @Option(help: "Seconds the other ranks get to stop on their own after one fails, before they are terminated.")
  var grace = 30.0
  @Argument(parsing: .captureForPassthrough, help: "The command, after --: lichen train|distill|classify train|watermark embed ...")
  var command: [String] = []

  func validate() throws {
    guard nproc >= 1 else { throw ValidationError("--nproc must be at least 1") }
    guard (0...65535).contains(masterPort) else { throw ValidationError("--master-port must be in 0...65535") }
    guard grace >= 0 else { throw ValidationError("--grace must not be negative") }
  }

  func run() throws {
    var arguments = command.first == "--" ? Array(command.dropFirst()) : command
    guard let program = arguments.first else { throw ValidationError("give the command to run after --") }
    arguments.removeFirst()
    let executable = program == "lichen" ? (Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0]))
      : URL(fileURLWithPath: program)
    let port = masterPort == 0 ? try freeLoopbackPort() : masterPort
    let master = masterAddress.contains(":") ? "[\(masterAddress)]:\(port)" : "\(masterAddress):\(port)"
    FileHandle.standardError.write(Data("launch: \(nproc) ranks of \(executable.lastPathComponent) meeting at \(master)\n".utf8))

    var ranks: [Process] = []
    for rank in 0..<nproc {
      let process = Process()
      process.executableURL = executable
      process.arguments = arguments
      var environment = ProcessInfo.processInfo.environment
      environment[DistributedConfiguration.worldSizeVariable] = String(nproc)
      environment[DistributedConfiguration.rankVariable] = String(rank)
      environment[DistributedConfiguration.masterVariable] = master
      process.environment = environment
      do {
        try process.run()
      } catch {
        ranks.forEach { $0.terminate() }
        throw ValidationError("cannot start \(executable.path): \(error.localizedDescription)")
      }
      ranks.append(process)
    }
    let forwarding = forwardSignals(to: ranks)
    defer { forwarding.forEach { $0.cancel() } }

    // A rank stopped by Ctrl-C exits 130 after the checkpoint every rank agreed on: not a failure.
    func failed(_ process: Process) -> Bool {
      !process.isRunning && process.terminationStatus != 0 && process.terminationStatus != ExitCode.interrupted.rawValue
    }
    var failure: (rank: Int, status: Int32)?
    var failedAt: Date?
    while ranks.contains(where: \.isRunning) {
      Thread.sleep(forTimeInterval: 0.1)
      if failure == nil, let rank = ranks.indices.first(where: { failed(ranks[$0]) }) {
        failure = (rank, ranks[rank].terminationStatus)
        failedAt = Date()
        FileHandle.standardError.write(Data(
          "launch: rank \(rank) exited with status \(ranks[rank].terminationStatus); the others have \(Int(grace)) s to stop\n".utf8))
      }
      if let failedAt, Date().timeIntervalSince(failedAt) > grace {
        for (rank, process) in ranks.enumerated() where process.isRunning {
          FileHandle.standardError.write(Data("launch: terminating rank \(rank)\n".utf8))
          process.terminate()
        }
        self.wait(for: ranks, seconds: 10)
        for process in ranks where process.isRunning { kill(process.processIdentifier, SIGKILL) }
        break
      }
    }
    if let (rank, status) = failure ?? ranks.indices.first(where: { failed(ranks[$0]) }).map({ ($0, ranks[$0].terminationStatus) }) {
      FileHandle.standardError.write(Data("launch: failed: rank \(rank) exited with status \(status)\n".utf8))
      throw ExitCode(status == 0 ? 1 : status)
    }
    if ranks.contains(where: { $0.terminationStatus == ExitCode.interrupted.rawValue }) { throw ExitCode.interrupted }
  }

  private func wait(for ranks: [Process], seconds: Double) {
    let deadline = Date().addingTimeInterval(seconds)
    while ranks.contains(where: \.isRunning), Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
  }

  /// SIGINT / SIGTERM sent to the launcher go to every rank (Ctrl-C in a
  /// terminal reaches them directly too; a rank takes repeated signals as one).
  private func forwardSignals(to ranks: [Process]) -> [DispatchSourceSignal] {
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
