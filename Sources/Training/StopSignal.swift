import Dispatch
import Foundation

/// Set when the process gets SIGINT (Ctrl-C) or SIGTERM, so long work can checkpoint and stop cleanly instead of
/// dying mid-write (`Trainer.trainToEnd(shouldStop:)` polls it between steps).
///
/// One flag per process: the signal sources are created once (a second set of sources for the same signal silently
/// takes delivery away from the first on Linux), and every caller of `install(notice:)` shares the flag, so a sweep
/// that runs several trainings stops after the current step of the current one.
public final class StopSignal: @unchecked Sendable {
  private let lock = NSLock()
  private var flag = false
  private var notice: (@Sendable () -> Void)?
  private var sources: [DispatchSourceSignal] = []

  /// Whether a signal has arrived.
  public var isSet: Bool {
    lock.lock()
    defer { lock.unlock() }
    return flag
  }

  private static let shared: StopSignal = {
    let result = StopSignal()
    for sig in [SIGINT, SIGTERM] {
      signal(sig, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
      source.setEventHandler { result.deliver() }
      source.resume()
      result.sources.append(source)
    }
    return result
  }()

  /// What a signal does: sets the flag, then runs the latest notice.
  func deliver() {
    lock.lock()
    flag = true
    let notice = self.notice
    lock.unlock()
    notice?()
  }

  /// Clears the flag (tests share one process with every other test).
  func reset() {
    lock.lock()
    flag = false
    lock.unlock()
  }

  /// The process's flag, its signal handlers installed on first use.
  /// - Parameter notice: runs on a background queue each time a signal arrives (the latest one given), e.g. to
  ///   tell the user the work stops after this step.
  public static func install(notice: @escaping @Sendable () -> Void) -> StopSignal {
    let flag = shared
    flag.lock.lock()
    flag.notice = notice
    flag.lock.unlock()
    return flag
  }
}
