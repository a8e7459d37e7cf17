import Foundation
import Torch

/// A training report that renders as one progress line (step, loss, learning rate, rate, ETA).
public protocol ProgressLine {
  var line: String { get }
}

/// A run folder that already holds a checkpoint the caller did not ask to continue.
public struct RunFolderError: Error, CustomStringConvertible, Sendable {
  public let message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}

/// "1h05m" or "4m07s"; "?" when unknown.
public func formatDuration(_ seconds: Double) -> String {
  guard seconds.isFinite else { return "?" }
  let s = Int(seconds)
  return s >= 3600 ? String(format: "%dh%02dm", s / 3600, (s % 3600) / 60) : String(format: "%dm%02ds", s / 60, s % 60)
}

/// What every command that trains in a run folder does around `run`: refuse to overwrite a checkpoint or
/// resume it, train with one progress line per step until the end or a stop request, and report the
/// data-parallel communication.
extension Trainer where Task.Report: ProgressLine {
  /// Resumes the folder's checkpoint when `resume` (a folder without one starts fresh).
  /// - Throws: `RunFolderError` when the folder holds a checkpoint and `resume` is false.
  /// - Returns: whether a checkpoint was resumed.
  public func openRunFolder(resume: Bool, log: (String) -> Void) throws -> Bool {
    if FileManager.default.fileExists(atPath: checkpointURL.path) && !resume {
      throw RunFolderError("\(runDirectory.path) already holds a checkpoint: pass --resume to continue it, or choose another folder")
    }
    guard resume, try resumeIfPossible() else { return false }
    if isPrimary { log("resumed at step \(step) from \(checkpointURL.path)") }
    return true
  }

  /// Trains to the last step, one progress line per step on `progress` (every rank), summaries on `log`
  /// (the primary rank).
  /// - Parameter shouldStop: polled between steps; the trainer checkpoints and returns when it says so.
  /// - Returns: the seconds this invocation trained, or nil when it stopped early (checkpoint saved).
  public func trainToEnd(progress: (String) -> Void, log: (String) -> Void, shouldStop: () -> Bool) throws -> Double? {
    let started = Date()
    try run(progress: { progress($0.line) }, shouldStop: shouldStop)
    let seconds = Date().timeIntervalSince(started)
    if let dataParallel, isPrimary {
      log(String(format: "distributed: %.1f s in gradient all-reduces over %d reductions (%.1f MB), %.1f%% of the run",
                 dataParallel.communicationSeconds, dataParallel.gradientReductions,
                 Double(dataParallel.gradientBytes) / 1e6, 100 * dataParallel.communicationSeconds / Swift.max(1e-9, seconds)))
    }
    guard step >= totalSteps else {
      if isPrimary { log("interrupted at step \(step); checkpoint saved, continue with --resume") }
      return nil
    }
    return seconds
  }

  /// Opens the run folder (`openRunFolder`) and trains to the last step (`trainToEnd`): the whole run of a
  /// command that trains in a folder.
  /// - Parameters:
  ///   - resume: Continue the folder's checkpoint.
  ///   - progress: One line per step, on every rank.
  ///   - log: The resume and the run's summaries (the primary rank).
  ///   - stopSignal: Installs the flag polled between steps (e.g. Ctrl-C); called once the folder is open, so a
  ///     signal before that still ends the process.
  /// - Returns: false when stopped early (checkpoint saved, continue with `resume`).
  /// - Throws: `RunFolderError` when the folder holds a checkpoint and `resume` is false; the training's errors.
  public func trainInRunFolder(resume: Bool, progress: (String) -> Void, log: (String) -> Void,
                               stopSignal: () -> StopSignal) throws -> Bool {
    _ = try openRunFolder(resume: resume, log: log)
    let stop = stopSignal()
    return try trainToEnd(progress: progress, log: log, shouldStop: { stop.isSet }) != nil
  }
}
