/// The smallest FIFO depth on every edge that keeps the pipeline's
/// steady-state throughput: the timing recurrence is cheap, so it is rerun
/// with smaller depths. Throughput is monotone in every depth (a deeper FIFO
/// only relaxes constraints of a max-plus recurrence), so a binary search per
/// edge is exact; edges are searched in pipeline order with the later ones
/// still ample, and the last search checks the final configuration.
public struct FIFODepths: Codable, Sendable, Equatable {
  /// FIFO rows per edge (on top of the consumer's line buffer).
  public var fifoRows: [Int]
  /// Steady-state cycles per frame with these depths.
  public var cyclesPerFrame: Int
  /// Steady-state cycles per frame with ample FIFOs (a whole frame of rows on every edge).
  public var ampleCyclesPerFrame: Int
}

public enum FIFODepthSearch {
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
    var rows = ampleRows(stages)
    guard let ample = cycles(stages, fifoRows: rows, frames: frames) else {
      throw HardwareError("the pipeline deadlocks even with a whole frame of FIFO rows per edge")
    }
    for e in rows.indices {
      var low = 0, high = rows[e]
      while low < high {
        let mid = (low + high) / 2
        var trial = rows
        trial[e] = mid
        if let c = cycles(stages, fifoRows: trial, frames: frames), c <= ample { high = mid } else { low = mid + 1 }
      }
      rows[e] = low
    }
    return FIFODepths(fifoRows: rows, cyclesPerFrame: cycles(stages, fifoRows: rows, frames: frames) ?? ample, ampleCyclesPerFrame: ample)
  }
}
