import ArgumentParser
import Foundation
import Training

/// The process's stop flag (`StopSignal`): Ctrl-C or SIGTERM lets long work checkpoint and stop after the current
/// step, and says so on standard error.
enum InterruptFlag {
  static func install() -> StopSignal {
    StopSignal.install { FileHandle.standardError.write(Data("\nstopping after this step (checkpointing)...\n".utf8)) }
  }
}

extension ExitCode {
  /// Work stopped by Ctrl-C / SIGTERM after checkpointing: 130 (128 + SIGINT),
  /// as shells report it, so a script that chains runs stops instead of going on.
  static let interrupted = ExitCode(130)
}
