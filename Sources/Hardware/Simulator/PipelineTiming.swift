/// The cycle timing of a planned pipeline, row step by row step, for several
/// frames streamed back to back.
///
/// Each stage runs its row steps in order, each taking the plan's cycles per
/// step (within a step the PE array's schedule is fixed: every pixel costs
/// the same cycles, so a row is a constant). A step starts at the latest of:
/// the stage finishing its previous step; the upstream stage finishing the
/// step that writes the last input row the window needs; and (back-pressure)
/// the downstream edge having room for the rows the step writes, i.e. the
/// consumer having finished the step after which enough rows are released.
/// An edge (line buffer + FIFO) holds whole rows: a producer reserves a row
/// slot when it starts the step that writes it, the consumer releases it when
/// it finishes its last step that reads it. Under that row-granular hand-off
/// the recurrence is exact: start and finish cycles are the design's, not an
/// estimate. A configuration in which no stage can take its next step is a
/// deadlock and is reported as one (with who waits for what), never a hang.
public struct TimedStage: Sendable {
  public var name: String
  public var schedule: RowSchedule
  public var cyclesPerStep: Int

  public init(name: String, schedule: RowSchedule, cyclesPerStep: Int) {
    self.name = name
    self.schedule = schedule
    self.cyclesPerStep = cyclesPerStep
  }
}

/// Where the first stage's input rows come from.
public enum FrameSource: Sendable, Equatable {
  /// From memory, as fast as the first stage takes them.
  case free
  /// A camera: row r of frame f arrives at f*period + ceil((r+1)*period/height).
  case paced(period: Int)
}

public struct TimingResult: Sendable, Equatable {
  public struct Stage: Sendable, Equatable {
    public var busyCycles: Int
    /// Cycles between steps spent waiting for input rows (the first frame's fill included).
    public var inputStallCycles: Int
    /// Cycles between steps spent waiting for room downstream.
    public var backPressureStallCycles: Int
    public var firstStart: Int
    public var lastFinish: Int
  }

  public struct Edge: Sendable, Equatable {
    public var capacityRows: Int
    /// Most rows held at once (reserved by the producer, not yet released by the consumer).
    public var maxOccupancyRows: Int
  }

  public var stages: [Stage]
  /// Edges between consecutive stages (stage i-1 -> stage i at index i-1).
  public var edges: [Edge]
  /// Cycle at which the last stage finished each frame.
  public var frameCompletions: [Int]

  /// The interval between the last two frame completions (the first frame's latency with one frame).
  public var steadyCyclesPerFrame: Int {
    frameCompletions.count >= 2 ? frameCompletions[frameCompletions.count - 1] - frameCompletions[frameCompletions.count - 2]
      : frameCompletions.first ?? 0
  }
}

public enum PipelineTiming {
  /// Times `frames` frames through `stages` with `capacities[i]` rows on the edge into stage i+1.
  /// Throws a `HardwareError` describing the deadlock when the pipeline cannot finish.
  public static func run(_ stages: [TimedStage], capacities: [Int], frames: Int, source: FrameSource = .free) throws -> TimingResult {
    let count = stages.count
    guard count > 0, frames > 0 else { throw HardwareError("nothing to time (\(count) stages, \(frames) frames)") }
    guard capacities.count == count - 1 else { throw HardwareError("\(capacities.count) edge capacities for \(count) stages") }
    for i in 1..<count {
      guard stages[i - 1].schedule.outputHeight == stages[i].schedule.inputHeight else {
        throw HardwareError("\(stages[i - 1].name) writes \(stages[i - 1].schedule.outputHeight) rows but \(stages[i].name) reads \(stages[i].schedule.inputHeight)")
      }
    }
    let schedules = stages.map(\.schedule)
    let totals = schedules.map { $0.steps * frames }
    // producing[i][t]: the step of stage i after which output rows [0, t) exist; freeing[i][t]: the step of
    // stage i after which input rows [0, t) are released.
    let producing = schedules.map { s in firstStep(reaching: s.outputHeight, s.steps) { s.outEnd[$0] } }
    let freeing = schedules.map { s in firstStep(reaching: s.inputHeight, s.steps) { s.freedEnd(after: $0) } }
    var start = totals.map { [Int](repeating: 0, count: $0) }
    var finish = start
    var next = [Int](repeating: 0, count: count)
    var result = stages.map { _ in TimingResult.Stage(busyCycles: 0, inputStallCycles: 0, backPressureStallCycles: 0, firstStart: 0, lastFinish: 0) }

    /// Cycle at which step g of stage i has its input (nil: the producing step is not timed yet).
    func inputReady(_ i: Int, _ g: Int) -> Int? {
      let s = schedules[i]
      let f = g / s.steps, need = s.needEnd[g % s.steps]
      guard need > 0 else { return 0 }
      if i == 0 {
        switch source {
        case .free: return 0
        case .paced(let period): return f * period + (need * period + s.inputHeight - 1) / s.inputHeight
        }
      }
      let m = f * schedules[i - 1].steps + producing[i - 1][need]
      return next[i - 1] > m ? finish[i - 1][m] : nil
    }
    /// Cycle at which the edge out of stage i has room for step g's rows (nil: the releasing step is not timed yet).
    func spaceReady(_ i: Int, _ g: Int) -> Int? {
      guard i + 1 < count else { return 0 }
      let s = schedules[i], h = s.outputHeight
      let required = (g / s.steps) * h + s.outEnd[g % s.steps] - capacities[i]
      guard required > 0 else { return 0 }
      let frame = (required - 1) / h
      let c = frame * schedules[i + 1].steps + freeing[i + 1][required - frame * h]
      guard c < totals[i + 1] else { return nil }
      return next[i + 1] > c ? finish[i + 1][c] : nil
    }

    while true {
      var progress = false, done = true
      for i in 0..<count {
        let d = stages[i].cyclesPerStep
        while next[i] < totals[i] {
          let g = next[i]
          guard let input = inputReady(i, g), let space = spaceReady(i, g) else { break }
          let previous = g > 0 ? finish[i][g - 1] : 0
          let begin = Swift.max(previous, input, space)
          if begin > previous {
            if begin == input { result[i].inputStallCycles += begin - previous } else { result[i].backPressureStallCycles += begin - previous }
          }
          start[i][g] = begin
          finish[i][g] = begin + d
          result[i].busyCycles += d
          next[i] += 1
          progress = true
        }
        if next[i] < totals[i] { done = false }
      }
      if done { break }
      if !progress {
        // Edges where the consumer waits for input while its producer waits for room on that same edge.
        let waits = (0..<count).map { i in
          next[i] < totals[i] ? (input: inputReady(i, next[i]) == nil, space: spaceReady(i, next[i]) == nil) : (input: false, space: false)
        }
        let edges = (1..<count).filter { waits[$0].input && waits[$0 - 1].space }
        throw deadlock(stages, capacities: capacities, next: next, frames: frames, edges: edges)
      }
    }
    for i in 0..<count {
      result[i].firstStart = start[i].first ?? 0
      result[i].lastFinish = finish[i].last ?? 0
    }
    let last = schedules[count - 1]
    let completions = (0..<frames).map { finish[count - 1][($0 + 1) * last.steps - 1] }
    var edges: [TimingResult.Edge] = []
    for i in 1..<count {
      edges.append(TimingResult.Edge(capacityRows: capacities[i - 1],
                                     maxOccupancyRows: maxOccupancy(producer: schedules[i - 1], starts: start[i - 1],
                                                                    consumer: schedules[i], finishes: finish[i])))
    }
    return TimingResult(stages: result, edges: edges, frameCompletions: completions)
  }

  /// table[t] (t in 1...height) = the first step n whose value(n) >= t; table[0] = 0.
  static func firstStep(reaching height: Int, _ steps: Int, _ value: (Int) -> Int) -> [Int] {
    var table = [Int](repeating: 0, count: height + 1)
    var n = 0
    for t in stride(from: 1, through: height, by: 1) {
      while n < steps - 1 && value(n) < t { n += 1 }
      table[t] = n
    }
    return table
  }

  /// The most rows an edge held: reservations at the producer's step starts, releases at the consumer's step finishes.
  static func maxOccupancy(producer: RowSchedule, starts: [Int], consumer: RowSchedule, finishes: [Int]) -> Int {
    var events: [(time: Int, delta: Int)] = []
    events.reserveCapacity(starts.count + finishes.count)
    for (g, t) in starts.enumerated() { events.append((t, producer.outputRows(of: g % producer.steps).count)) }
    var released = 0
    for (g, t) in finishes.enumerated() {
      let total = (g / consumer.steps) * consumer.inputHeight + consumer.freedEnd(after: g % consumer.steps)
      if total > released { events.append((t, released - total)) }
      released = Swift.max(released, total)
    }
    // Releases before reservations at the same cycle (a slot freed at t can be taken at t).
    events.sort { $0.time != $1.time ? $0.time < $1.time : $0.delta < $1.delta }
    var held = 0, most = 0
    for e in events {
      held += e.delta
      most = Swift.max(most, held)
    }
    return most
  }

  static func deadlock(_ stages: [TimedStage], capacities: [Int], next: [Int], frames: Int, edges: [Int]) -> HardwareError {
    var lines: [String] = []
    for i in edges {
      let s = stages[i].schedule
      let n = next[i] % s.steps
      let written = stages[i - 1].schedule.outputRows(of: next[i - 1] % stages[i - 1].schedule.steps).count
      lines.append("\(stages[i].name) waits before row step \(n) of frame \(next[i] / s.steps) for a row \(stages[i - 1].name) cannot write: "
        + "the edge holds \(capacities[i - 1]) rows (line buffer \(s.lineBufferRows) + FIFO \(capacities[i - 1] - s.lineBufferRows)), "
        + "the window needs \(s.needEnd[n] - s.keepFrom[n]) rows at once and "
        + "\(stages[i - 1].name) writes \(written) row\(written == 1 ? "" : "s") per step")
    }
    if lines.isEmpty {
      lines = stages.indices.filter { next[$0] < stages[$0].schedule.steps * frames }.map { "\(stages[$0].name) is stuck" }
    }
    return HardwareError("deadlock: no stage can take its next row step. " + lines.joined(separator: "; "))
  }
}
