import ArgumentParser
import Dispatch
import Foundation

/// Set when the user presses Ctrl-C (SIGINT) or the process gets SIGTERM, so
/// long work can checkpoint and stop cleanly instead of dying mid-write.
///
/// One flag per process: the signal sources are created once (a second set
/// of sources for the same signal silently takes delivery away from the
/// first on Linux), and every caller of `install()` shares the flag, so a
/// sweep that runs several trainings stops after the current step of the
/// current one.
final class InterruptFlag: @unchecked Sendable {
  private let lock = NSLock()
  private var flag = false
  private var sources: [DispatchSourceSignal] = []

  var isSet: Bool {
    lock.lock()
    defer { lock.unlock() }
    return flag
  }

  private static let shared: InterruptFlag = {
    let result = InterruptFlag()
    for sig in [SIGINT, SIGTERM] {
      signal(sig, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
      source.setEventHandler {
        result.lock.lock()
        result.flag = true
        result.lock.unlock()
        FileHandle.standardError.write(Data("\nstopping after this step (checkpointing)...\n".utf8))
      }
      source.resume()
      result.sources.append(source)
    }
    return result
  }()

  /// The process's flag (installed on first use).
  static func install() -> InterruptFlag { shared }
}

extension ExitCode {
  /// Work stopped by Ctrl-C / SIGTERM after checkpointing: 130 (128 + SIGINT),
  /// as shells report it, so a script that chains runs stops instead of going on.
  static let interrupted = ExitCode(130)
}
