/// The smallest FIFO depth on every edge that keeps the pipeline's
/// steady-state throughput: the timing recurrence is cheap, so it is rerun
/// with smaller depths. Throughput is monotone in every depth (a deeper FIFO
/// only relaxes constraints of a max-plus recurrence), so a galloping search
/// per edge (0, 1, 2, 4, ... rows, then bisection) is exact; edges are
/// searched in pipeline order with the later ones still ample, and the last
/// search checks the final configuration. The planner (`--fifo-rows auto`)
/// calls the same search on its candidate plans, so a plan's per-edge
/// depths are the ones the simulator finds.
public struct FIFODepths: Codable, Sendable, Equatable {
  /// FIFO rows per edge (on top of the consumer's line buffer).
  public var fifoRows: [Int]
  /// Steady-state cycles per frame with these depths.
  public var cyclesPerFrame: Int
  /// Steady-state cycles per frame with ample FIFOs (a whole frame of rows on every edge).
  public var ampleCyclesPerFrame: Int
}

public enum FIFODepthSearch {
  /// Frames timed by the search unless told otherwise (the simulator's `--frames` default).
  public static let defaultFrames = 3

  /// Edge capacities: the consumer's line buffer rows plus the FIFO rows.
  public static func capacities(_ stages: [TimedStage], fifoRows: [Int]) -> [Int] {
    zip(stages.dropFirst(), fifoRows).map { $0.schedule.lineBufferRows + $1 }
  }

  /// Depths that hold a whole frame of the producer's rows: no back-pressure is left that buffering could remove.
  public static func ampleRows(_ stages: [TimedStage]) -> [Int] {
    zip(stages, stages.dropFirst()).map { $0.schedule.outputHeight + $1.schedule.windowRows }
  }

  /// Steady-state cycles per frame at `fifoRows`, or nil on deadlock.
  static func cycles(_ stages: [TimedStage], fifoRows: [Int], frames: Int) -> Int? {
    (try? PipelineTiming.run(stages, capacities: capacities(stages, fifoRows: fifoRows), frames: frames))?.steadyCyclesPerFrame
  }

  public static func search(_ stages: [TimedStage], frames: Int) throws -> FIFODepths {
    guard let ample = cycles(stages, fifoRows: ampleRows(stages), frames: frames) else {
      throw HardwareError("the pipeline deadlocks even with a whole frame of FIFO rows per edge")
    }
    let rows = minimize(stages, frames: frames) { c in c.map { $0 <= ample } ?? false }
    return FIFODepths(fifoRows: rows, cyclesPerFrame: cycles(stages, fifoRows: rows, frames: frames) ?? ample, ampleCyclesPerFrame: ample)
  }

  /// The smallest depths that merely do not deadlock (at any throughput). Whether a configuration
  /// deadlocks does not depend on the cycles per step, only on the row schedules.
  public static func deadlockFreeRows(_ stages: [TimedStage], frames: Int) throws -> [Int] {
    guard cycles(stages, fifoRows: ampleRows(stages), frames: frames) != nil else {
      throw HardwareError("the pipeline deadlocks even with a whole frame of FIFO rows per edge")
    }
    return minimize(stages, frames: frames) { $0 != nil }
  }

  /// Edge by edge in pipeline order (later edges ample), the smallest depth whose steady-state cycles
  /// (nil: deadlock) `accept`s; `accept` must hold for the ample depths and be monotone in every depth.
  static func minimize(_ stages: [TimedStage], frames: Int, accept: (Int?) -> Bool) -> [Int] {
    var rows = ampleRows(stages)
    for e in rows.indices {
      // rows[e] works (the configuration so far is accepted): gallop up from 0, then bisect.
      func works(_ depth: Int) -> Bool {
        var trial = rows
        trial[e] = depth
        return accept(cycles(stages, fifoRows: trial, frames: frames))
      }
      var low = 0, high = rows[e], probe = 0
      while probe < high {
        if works(probe) { high = probe; break }
        low = probe + 1
        probe = probe == 0 ? 1 : probe * 2
      }
      while low < high {
        let mid = (low + high) / 2
        if works(mid) { high = mid } else { low = mid + 1 }
      }
      rows[e] = low
    }
    return rows
  }

  /// The most rows one step of `schedule` writes: the output FIFO of a pipeline's last stage holds that
  /// much for the writer to memory (the timing lets that writer take rows without stalling).
  public static func sinkRows(_ schedule: RowSchedule) -> Int {
    (0..<schedule.steps).map { schedule.outputRows(of: $0).count }.max() ?? 1
  }

  /// Per-stage output FIFO rows for `stages` at `cycles` per frame each (the planner's `--fifo-rows auto`):
  /// the searched depth on every edge, `sinkRows` for the last stage. Throws when a stage's cycles are not
  /// a whole number per row step or the pipeline cannot run at all.
  /// With `throughput: false`, the smallest depths that do not deadlock (any cycles; the planner's starting point).
  public static func stageDepths(_ stages: [HardwareStage], cycles: [Int], frames: Int = defaultFrames, throughput: Bool = true) throws -> [Int] {
    guard stages.count == cycles.count, !stages.isEmpty else { throw HardwareError("\(cycles.count) cycle counts for \(stages.count) stages") }
    let timed = try zip(stages, cycles).map { stage, c in
      let schedule = try RowSchedule(stage)
      guard c > 0, c % schedule.steps == 0 else {
        throw HardwareError("stage \(stage.name): \(c) cycles are not a whole number per row step (\(schedule.steps) steps)")
      }
      return TimedStage(name: stage.name, schedule: schedule, cyclesPerStep: c / schedule.steps)
    }
    let edges = timed.count < 2 ? [] : throughput ? try search(timed, frames: frames).fifoRows : try deadlockFreeRows(timed, frames: frames)
    return edges + [sinkRows(timed[timed.count - 1].schedule)]
  }
}
