import CodecFormat
import Foundation
import Imaging
import IntegerEngine

/// The cycle-level pipeline simulator (`lichen fpga simulate`): checks that
/// a plan and an integer model describe the same pipeline, streams an image
/// through it with the integer engine's arithmetic (PipelineValues), times
/// several frames through the planned stages (PipelineTiming), searches the
/// smallest FIFO depths (FIFODepthSearch) and explains the gap to the
/// planner in a `SimulationReport`.
public struct SimulationOptions: Sendable {
  public var frames: Int
  /// FIFO rows on every edge (an override); nil: the plan's per-stage depths, rounded up to whole rows.
  public var fifoRows: Int?
  public var paced: Bool
  public var searchDepths: Bool
  public var threads: Int

  public init(frames: Int = FIFODepthSearch.defaultFrames, fifoRows: Int? = nil, paced: Bool = false, searchDepths: Bool = true, threads: Int = 1) {
    self.frames = frames
    self.fifoRows = fifoRows
    self.paced = paced
    self.searchDepths = searchDepths
    self.threads = threads
  }
}

public enum PipelineSimulator {
  /// The plan's stages with their row schedules and cycles per row step (plan cycles / steps, exact).
  public static func timedStages(_ plan: Plan) throws -> [TimedStage] {
    try plan.stages.map { planned in
      let schedule = try RowSchedule(planned.stage)
      guard planned.cycles % schedule.steps == 0 else {
        throw HardwareError("stage \(planned.stage.name): \(planned.cycles) cycles are not a whole number per row step (\(schedule.steps) steps)")
      }
      return TimedStage(name: planned.stage.name, schedule: schedule, cyclesPerStep: planned.cycles / schedule.steps)
    }
  }

  /// Throws unless `model` has exactly the plan's stages (names, kinds, channels, kernels, strides, sizes).
  public static func checkModel(_ model: IntegerHyperprior, configuration: ModelConfiguration, source: String, plan: Plan) throws {
    let graph = try LayerGraph.build(integer: model, configuration: configuration, source: source,
                                     scheme: nil, resolution: plan.padded, part: plan.part)
    func geometry(_ s: HardwareStage) -> [Int] {
      [s.inChannels, s.outChannels, s.kernel, s.stride, s.padding, s.outputPadding, s.inputHeight, s.inputWidth, s.outputHeight,
       s.outputWidth]
    }
    let planned = plan.stages.map(\.stage)
    guard graph.stages.map(\.name) == planned.map(\.name) else {
      throw HardwareError("the model \(source) has stages \(graph.stages.map(\.name).joined(separator: " ")) but the plan "
        + "(made from \(plan.model)) has \(planned.map(\.name).joined(separator: " "))")
    }
    for (a, b) in zip(graph.stages, planned) where a.kind != b.kind || geometry(a) != geometry(b) {
      throw HardwareError("stage \(a.name): the model \(source) has \(a.shapeSummary) \(a.inputHeight)x\(a.inputWidth)"
        + " -> \(a.outputHeight)x\(a.outputWidth), the plan \(b.shapeSummary) \(b.inputHeight)x\(b.inputWidth) -> \(b.outputHeight)x\(b.outputWidth)")
    }
  }

  /// The codec's input for `image`: padded (replicated edges) to multiples of 64, 0...255, CHW.
  /// Throws when the padded size is not the plan's.
  public static func pixels(_ image: RGBImage, plan: Plan, name: String) throws -> IntTensor {
    let (padded, _) = try image.padded(toMultipleOf: LayerGraph.sizeMultiple, mode: .replicate)
    guard padded.width == plan.padded.width, padded.height == plan.padded.height else {
      throw HardwareError("\(name) is \(image.width)x\(image.height) (padded \(padded.width)x\(padded.height)) but the plan is for "
        + "\(plan.requested) (padded \(plan.padded)); plan again with --resolution \(image.width)x\(image.height)")
    }
    return try IntTensor(channels: 3, height: padded.height, width: padded.width,
                         values: padded.pixels.map { Int16(RGBImage.quantize8($0)) })
  }

  /// Simulates `plan`; values only when `model` and `pixels` are given.
  public static func simulate(plan: Plan, model: IntegerHyperprior?, pixels: IntTensor?, imageName: String?,
                              options: SimulationOptions) throws -> SimulationReport {
    guard options.frames >= 1, options.frames <= 1000 else { throw HardwareError("--frames must be in 1...1000, got \(options.frames)") }
    let stages = try timedStages(plan)
    if let depth = options.fifoRows, depth < 0 { throw HardwareError("FIFO depth must be >= 0 rows, got \(depth)") }
    // Edge i (stage i -> i+1) holds the consumer's line buffer plus stage i's output FIFO.
    let planRows = plan.stageFIFORows.dropLast()
    let fifo = options.fifoRows.map { [Int](repeating: $0, count: Swift.max(0, stages.count - 1)) }
      ?? planRows.map { Int($0.rounded(.up)) }
    var notes: [String] = []
    if options.fifoRows == nil && zip(fifo, planRows).contains(where: { Double($0) != $1 }) {
      notes.append("the plan's fractional FIFO depths are rounded up to whole rows: the simulator hands over whole rows")
    }
    let depthText = options.fifoRows.map { "\($0) FIFO row\($0 == 1 ? "" : "s") per edge" }
      ?? "the plan's \(plan.fifoDepths ?? "uniform") FIFO depths (\(fifo.map(String.init).joined(separator: ",")) rows)"

    // Timing first: it is cheap, and a deadlock stops the run before the values are computed.
    let timingStart = Date()
    let capacities = FIFODepthSearch.capacities(stages, fifoRows: fifo)
    let minimal = options.searchDepths ? try FIFODepthSearch.search(stages, frames: options.frames) : nil
    let timing: TimingResult
    do {
      timing = try PipelineTiming.run(stages, capacities: capacities, frames: options.frames,
                                      source: options.paced ? .paced(period: plan.cyclesPerFrame) : .free)
    } catch let error as HardwareError {
      let hint = minimal.map { m in
        " With \(depthText) the pipeline cannot run; the smallest depths that run at full "
          + "throughput are \(m.fifoRows.map(String.init).joined(separator: ",")) rows (edge by edge): rerun with --fifo-rows \(m.fifoRows.max() ?? 1)"
          + " (or plan with the default --fifo-rows auto, which costs exactly these depths)."
      } ?? ""
      throw HardwareError(error.message + "." + hint)
    }
    let timingSeconds = Date().timeIntervalSince(timingStart)

    // Values.
    var valueRun: PipelineValueRun? = nil
    let valueStart = Date()
    if let model, let pixels {
      let schedules = Dictionary(uniqueKeysWithValues: stages.map { ($0.name, $0.schedule) })
      guard PipelineValues.stageNames(model, part: plan.part) == stages.map(\.name) else {
        throw HardwareError("the model's \(plan.part.rawValue) stages do not match the plan's")
      }
      valueRun = try PipelineValues.run(model, part: plan.part, schedules: schedules, pixels: pixels, threads: options.threads)
    }
    let valueSeconds = Date().timeIntervalSince(valueStart)

    let steady = timing.steadyCyclesPerFrame
    let latency = timing.frameCompletions.first ?? 0
    let gap = Double(steady - plan.cyclesPerFrame) / Double(Swift.max(1, plan.cyclesPerFrame)) * 100
    let latencyGap = Double(latency - plan.latencyCycles) / Double(Swift.max(1, plan.latencyCycles)) * 100
    let reportStages = zip(stages, zip(plan.stages, timing.stages)).map { t, pair in
      SimulationReport.Stage(
        name: t.name, shape: pair.0.stage.shapeSummary, rowSteps: t.schedule.steps, cyclesPerStep: t.cyclesPerStep,
        busyCycles: pair.1.busyCycles, utilization: Double(pair.1.busyCycles) / Double(Swift.max(1, steady * options.frames)),
        inputStallCycles: pair.1.inputStallCycles, backPressureStallCycles: pair.1.backPressureStallCycles)
    }
    var edges: [SimulationReport.Edge] = []
    for i in 1..<stages.count {
      let line = stages[i].schedule.lineBufferRows
      let e = timing.edges[i - 1]
      edges.append(SimulationReport.Edge(
        from: stages[i - 1].name, to: stages[i].name, lineBufferRows: line, fifoRows: fifo[i - 1], capacityRows: e.capacityRows,
        windowRows: stages[i].schedule.windowRows, maxOccupancyRows: e.maxOccupancyRows,
        maxFIFORows: Swift.max(0, e.maxOccupancyRows - line), minimalFIFORows: minimal?.fifoRows[i - 1]))
    }
    if options.fifoRows == nil, let minimal, zip(minimal.fifoRows, fifo).contains(where: { $0 > $1 }) {
      notes.append("the plan's FIFO depths (\(fifo.map(String.init).joined(separator: ","))) are below the ones found here "
        + "(\(minimal.fifoRows.map(String.init).joined(separator: ","))): plan again with the default --fifo-rows auto")
    }
    notes += explain(plan: plan, stages: stages, timing: timing, steady: steady, minimal: minimal, depthText: depthText,
                     paced: options.paced)
    return SimulationReport(
      format: SimulationReport.currentFormat, model: plan.model, board: plan.board.name, part: plan.part, clockMHz: plan.clockMHz,
      resolution: plan.padded, image: imageName, frames: options.frames, source: options.paced ? "paced" : "free",
      bitIdentical: valueRun?.bitIdentical, comparisons: valueRun?.comparisons ?? [], cyclesPerFrame: steady,
      plannedCyclesPerFrame: plan.cyclesPerFrame, cycleGapPercent: gap, frameCompletions: timing.frameCompletions,
      latencyCycles: latency, plannedLatencyCycles: plan.latencyCycles, latencyGapPercent: latencyGap,
      fps: plan.clockMHz * 1e6 / Double(Swift.max(1, steady)), plannedFPS: plan.fps, stages: reportStages, edges: edges,
      minimalDepths: minimal, notes: notes, valueSeconds: valueSeconds, timingSeconds: timingSeconds)
  }

  /// Why the simulated cycles differ from the planner's, in words.
  static func explain(plan: Plan, stages: [TimedStage], timing: TimingResult, steady: Int, minimal: FIFODepths?, depthText: String,
                      paced: Bool) -> [String] {
    var notes: [String] = []
    let gap = steady - plan.cyclesPerFrame
    if gap == 0 {
      notes.append("the steady state runs at the planner's bottleneck (\(plan.bottleneck)): it never stalls once the pipeline is full")
    } else if gap > 0 {
      var line = "\(gap) cycles per frame over the planner: with \(depthText) and whole-row hand-off, "
        + "stages wait on each other (stalls above); the planner assumes the bottleneck never waits"
      if let minimal {
        line += ". With the smallest depths found (\(minimal.fifoRows.map(String.init).joined(separator: ",")) rows) the pipeline runs at "
          + "\(minimal.cyclesPerFrame) cycles per frame (\(String(format: "%+.2f", Double(minimal.cyclesPerFrame - plan.cyclesPerFrame) / Double(plan.cyclesPerFrame) * 100))%); "
          + "plan with the default --fifo-rows auto to cost that buffering"
      }
      notes.append(line)
    } else {
      notes.append("faster than the planner by \(-gap) cycles per frame: impossible for a bottleneck that never idles; report this")
    }
    if let minimal, minimal.ampleCyclesPerFrame != plan.cyclesPerFrame {
      notes.append("even with ample FIFOs the pipeline runs at \(minimal.ampleCyclesPerFrame) cycles per frame, not the planner's \(plan.cyclesPerFrame): frame boundaries cost the bottleneck idle time")
    }
    notes.append("latency: the planner counts each stage's fill as its first input rows arriving at the frame rate plus one row of work; "
      + (paced ? "here rows arrive from a camera at the planned frame rate"
               : "here the first frame enters from memory as fast as the first stages take it, so upstream stages fill faster than the frame rate"))
    return notes
  }
}

