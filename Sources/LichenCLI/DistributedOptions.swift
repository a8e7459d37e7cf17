import ArgumentParser
import Foundation
import Torch

/// Data-parallel options of every training command (train, distill, classify
/// train, watermark embed). Without them, or with the `LICHEN_*` variables
/// `lichen launch` sets absent, training runs in one process as before.
struct DistributedOptions: ParsableArguments {
  @Option(help: "Processes in the data-parallel job (default: $LICHEN_WORLD_SIZE, else 1). Each trains --batch-size items per step.")
  var worldSize: Int?
  @Option(help: "This process's rank, 0 ..< world size; rank 0 writes checkpoints and logs (default: $LICHEN_RANK).")
  var rank: Int?
  @Option(help: "HOST:PORT where rank 0 serves the rendezvous store, or file:PATH of a store file every rank sees (default: $LICHEN_MASTER).")
  var master: String?
  @Option(help: "Seconds a rank waits for the others (rendezvous, each collective) before failing and naming the ranks that did not answer.")
  var distTimeout = 120.0
  @Option(help: "Network interface of the Gloo transport (default: loopback for a 127.x master, else the interface of this host's name).")
  var distInterface: String?

  func validate() throws {
    guard distTimeout > 0 else { throw ValidationError("--dist-timeout must be positive") }
  }

  /// The job's configuration, or nil for a single process.
  func configuration() throws -> DistributedConfiguration? {
    let fromEnvironment = try DistributedConfiguration.fromEnvironment(timeout: distTimeout, interface: distInterface)
    do {
      return try DistributedConfiguration.resolve(
        worldSize: worldSize, rank: rank, master: master, environment: fromEnvironment, timeout: distTimeout,
        interface: distInterface)
    } catch let error as TorchError {
      throw ValidationError(error.message)
    }
  }

  /// Joins the job (blocks until every rank is there), or nil for a single process.
  func connect() throws -> DataParallel? {
    try configuration().map { try DataParallel.join($0, log: say) }
  }
}
