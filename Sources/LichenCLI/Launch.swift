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
    let ranks = try ProcessRanks(program: program, arguments: arguments, worldSize: nproc, masterAddress: masterAddress,
                                 masterPort: masterPort, grace: grace)
    let launchLog: (String) -> Void = { FileHandle.standardError.write(Data("launch: \($0)\n".utf8)) }
    launchLog("\(nproc) ranks of \(ranks.executable.lastPathComponent) meeting at \(ranks.master)")
    switch try ranks.run(log: launchLog) {
    case .finished: return
    case .interrupted: throw ExitCode.interrupted
    case .failed(let rank, let status):
      launchLog("failed: rank \(rank) exited with status \(status)")
      throw ExitCode(status == 0 ? 1 : status)
    }
  }
}
