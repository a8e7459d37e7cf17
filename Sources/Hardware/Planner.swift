/// The exact pipeline planner: minimise the slowest stage's cycles per frame
/// under every resource budget.
///
/// For a cycle target T each stage may take any parallelism whose cycles are
/// <= T. Pixel parallelism trades multipliers for weight ports, so no single
/// choice is cheapest in every resource; the planner keeps, per stage, the
/// options meeting T that no other option meeting T beats on every resource
/// (its Pareto set), and combines stages one by one keeping only the partial
/// sums that fit the budget (with the cheapest possible rest of the pipeline
/// added) and that no other partial sum beats on every resource. That keeps
/// every sum that could belong to a feasible design, so T is feasible iff a
/// sum survives: exact. Feasibility is monotone in T (an option meeting T
/// meets every larger target), and a binary search over the finite set of
/// achievable per-stage cycle counts finds the optimal T. At the optimal T the
/// planner takes each stage's option with the smallest sum of utilizations
/// (used / budget per resource) when those fit together, else the feasible
/// design with the smallest sum.
///
/// FIFO depths: with a uniform depth (`fifoRows` set) that is the whole
/// story. With `fifoRows == nil` (auto, the default) each stage's output FIFO
/// gets the smallest depth the simulator's `FIFODepthSearch` finds for the
/// candidate plan (no deadlock, the ample-buffer throughput): starting from
/// the depths without which nothing runs, plan with depths D, search the depths the plan needs, and if any exceeds D re-plan
/// with the element-wise maximum. D only grows and is bounded (a whole frame
/// per edge), so this stops; at the end the plan is the exact optimum for the
/// depths D it converged to and runs at its throughput with them. The plan
/// then stores (and costs) the depths its own parallelism needs, which are
/// <= D, so it still fits.
public struct PlannerOptions: Sendable, Equatable {
  /// Overrides the board's default clock.
  public var clockMHz: Double?
  /// Fraction of each resource the design may use (e.g. 0.9 leaves room for routing).
  public var maxUtilization: Double
  /// Output FIFO depth of every stage, in output rows; nil (auto): per stage, the smallest depth the
  /// simulator's depth search finds for the plan.
  public var fifoRows: Double?
  /// Where weights go; nil tries BRAM and (on boards with URAM) URAM and keeps the faster plan.
  public var weightMemory: WeightMemory?

  public init(clockMHz: Double? = nil, maxUtilization: Double = 1, fifoRows: Double? = nil, weightMemory: WeightMemory? = nil) {
    self.clockMHz = clockMHz
    self.maxUtilization = maxUtilization
    self.fifoRows = fifoRows
    self.weightMemory = weightMemory
  }

  /// Options with the FIFO depth as a command line gives it: "auto" (any case; the simulator's depth search) or
  /// a number of rows >= 0.
  /// - Returns: nil when `fifoRowsOrAuto` is neither.
  public init?(clockMHz: Double?, maxUtilization: Double, fifoRowsOrAuto text: String, weightMemory: WeightMemory?) {
    var rows: Double?
    if text.lowercased() != "auto" {
      guard let value = Double(text), value >= 0, value.isFinite else { return nil }
      rows = value
    }
    self.init(clockMHz: clockMHz, maxUtilization: maxUtilization, fifoRows: rows, weightMemory: weightMemory)
  }
}

public enum Planner {
  /// One option of a stage: a parallelism, its cycles per frame and its resources.
  struct Option {
    var parallelism: Parallelism
    var cycles: Int
    var resources: ResourceVector
  }

  /// Every option of one stage, sorted by resource total (then lanes, then parallelism), so that an option
  /// can only be dominated by one before it.
  struct StageOptions {
    var options: [Option]

    init(_ stage: HardwareStage, model: CostModel) {
      options = model.parallelisms(of: stage).map { p in
        Option(parallelism: p, cycles: CostModel.cycles(stage, p), resources: model.cost(stage, p).resources)
      }.sorted {
        ($0.resources.total, $0.parallelism.lanes, $0.parallelism.pp, $0.parallelism.pi, $0.parallelism.pk)
          < ($1.resources.total, $1.parallelism.lanes, $1.parallelism.pp, $1.parallelism.pi, $1.parallelism.pk)
      }
    }

    /// The fastest the stage can go.
    var fewestCycles: Int { options.map(\.cycles).min() ?? 0 }

    /// The options meeting `target` that no other option meeting it needs no more of every resource than
    /// (equal resources: the first kept).
    func efficient(meeting target: Int) -> [Option] {
      var kept: [Option] = []
      for o in options where o.cycles <= target {
        if !kept.contains(where: { $0.resources.fits(in: o.resources) }) { kept.append(o) }
      }
      return kept
    }
  }

  /// Largest number of partial designs the search keeps per stage; beyond it the search would no longer be
  /// fast, and it says so rather than guess.
  static let maxPartialDesigns = 20_000

  /// The feasible design for `target` with the smallest sum of utilizations, or nil when none fits.
  static func assignment(_ options: [StageOptions], target: Int, budget: ResourceVector) throws -> [Parallelism]? {
    let efficient = options.map { $0.efficient(meeting: target) }
    guard efficient.allSatisfy({ !$0.isEmpty }) else { return nil }
    // The cheapest rest of the pipeline after stage i, resource by resource (a lower bound for pruning).
    var rest = [ResourceVector](repeating: .zero, count: efficient.count + 1)
    for i in efficient.indices.reversed() {
      let cheapest = efficient[i].dropFirst().reduce(efficient[i][0].resources) { ResourceVector.minimum($0, $1.resources) }
      rest[i] = rest[i + 1] + cheapest
    }
    guard rest[0].fits(in: budget) else { return nil }
    func utilization(_ r: ResourceVector) -> Double {
      zip(r.values, budget.values).reduce(0) { $0 + ($1.1 > 0 ? Double($1.0) / Double($1.1) : 0) }
    }
    // Each stage's option with the smallest sum of utilizations: when they fit together, T is feasible
    // and that design is taken without the search (on roomy budgets the search keeps almost everything).
    let greedy = efficient.map { options in options.indices.min { utilization(options[$0].resources) < utilization(options[$1].resources) } ?? 0 }
    if zip(efficient, greedy).reduce(ResourceVector.zero, { $0 + $1.0[$1.1].resources }).fits(in: budget) {
      return zip(efficient, greedy).map { $0[$1].parallelism }
    }
    var partial: [(total: ResourceVector, choices: [Int])] = [(.zero, [])]
    for (i, stageOptions) in efficient.enumerated() {
      var grown: [(total: ResourceVector, choices: [Int])] = []
      for design in partial {
        for (j, option) in stageOptions.enumerated() {
          let total = design.total + option.resources
          if (total + rest[i + 1]).fits(in: budget) { grown.append((total, design.choices + [j])) }
        }
      }
      grown.sort { $0.total.total < $1.total.total }
      var kept: [(total: ResourceVector, choices: [Int])] = []
      for design in grown where !kept.contains(where: { $0.total.fits(in: design.total) }) {
        kept.append(design)
      }
      guard !kept.isEmpty else { return nil }
      guard kept.count <= maxPartialDesigns else {
        throw HardwareError("the planner's exact search holds \(kept.count) partial designs after stage \(i + 1) (limit \(maxPartialDesigns)); "
          + "plan a smaller part of the pipeline or a lower --max-utilization")
      }
      partial = kept
    }
    let best = partial.min { a, b in
      let (ua, ub) = (utilization(a.total), utilization(b.total))
      return ua != ub ? ua < ub : a.choices.lexicographicallyPrecedes(b.choices)
    }
    return best.map { design in zip(efficient, design.choices).map { $0[$1].parallelism } }
  }

  /// The optimal parallelism per stage under `budget`, or nil when even the slowest design does not fit.
  static func solve(_ stages: [HardwareStage], model: CostModel, budget: ResourceVector) throws -> [Parallelism]? {
    let options = stages.map { StageOptions($0, model: model) }
    // The optimum is the slowest stage's cycles, one of the achievable counts at or above every stage's fastest.
    let floor = options.map(\.fewestCycles).max() ?? 0
    let candidates = Array(Set(options.flatMap { $0.options.map(\.cycles) }.filter { $0 >= floor })).sorted()
    guard let slowest = candidates.last, try assignment(options, target: slowest, budget: budget) != nil else { return nil }
    var low = 0, high = candidates.count - 1
    while low < high {
      let mid = (low + high) / 2
      if try assignment(options, target: candidates[mid], budget: budget) != nil { high = mid } else { low = mid + 1 }
    }
    return try assignment(options, target: candidates[low], budget: budget)
  }

  /// Plans `graph` on `board`.
  public static func plan(_ graph: LayerGraph, board: Board, unitCosts: UnitCosts, options: PlannerOptions = .init()) throws -> Plan {
    guard options.maxUtilization > 0, options.maxUtilization <= 1 else {
      throw HardwareError("--max-utilization must be in (0, 1], got \(options.maxUtilization)")
    }
    if let rows = options.fifoRows {
      guard rows >= 0, rows.isFinite else { throw HardwareError("FIFO depth must be >= 0 rows, got \(rows)") }
    }
    let clock = options.clockMHz ?? board.clockMHz
    guard clock > 0, clock.isFinite else { throw HardwareError("clock must be positive, got \(clock) MHz") }
    if options.weightMemory == .uram && board.uram == 0 {
      throw HardwareError("\(board.name) has no URAM; weights can only go to BRAM")
    }
    let policies = options.weightMemory.map { [$0] } ?? (board.uram > 0 ? [.bram, .uram] : [.bram])
    let budget = board.resources.capped(at: options.maxUtilization)
    var best: (Plan, Int)? = nil
    var failures: [String] = []
    for policy in policies {
      var model = CostModel(board: board, unitCosts: unitCosts, fifoRows: options.fifoRows ?? 0, weightMemory: policy)
      let solved: [Parallelism]?
      if options.fifoRows == nil {
        (solved, model) = try solveWithAutoDepths(graph.stages, model: model, budget: budget)
      } else {
        solved = try solve(graph.stages, model: model, budget: budget)
      }
      guard let assignment = solved else {
        failures.append(shortfall(graph, model: model, budget: budget, cap: options.maxUtilization))
        continue
      }
      let plan = makePlan(graph, model: model, assignment: assignment, clock: clock, options: options, budget: budget)
      if best.map({ plan.cyclesPerFrame < $0.1 }) ?? true { best = (plan, plan.cyclesPerFrame) }
    }
    guard let (plan, _) = best else {
      throw HardwareError(
        "\(graph.model) (\(graph.part.rawValue), \(graph.padded)) does not fit \(board.name) even at minimum parallelism "
          + "(one multiplier lane per stage): " + failures.joined(separator: "; with weights in URAM: ")
          + ". Try a smaller N (lichen fpga dimension), a lower resolution, or a bigger board.")
    }
    return plan
  }

  /// The auto-depth fixed point (see `PlannerOptions`): the assignment (nil: does not fit) and the cost
  /// model holding the per-stage depths it is costed with (on failure, the depths of the last attempt).
  static func solveWithAutoDepths(_ stages: [HardwareStage], model: CostModel, budget: ResourceVector) throws
    -> ([Parallelism]?, CostModel)
  {
    var model = model
    func depthMap(_ rows: [Int]) -> [String: Double] {
      Dictionary(zip(stages.map(\.name), rows.map(Double.init)), uniquingKeysWith: { Swift.max($0, $1) })
    }
    // Start from the depths without which no plan runs (deadlock is a property of the row schedules alone).
    var depths = try FIFODepthSearch.stageDepths(stages, cycles: try stages.map { try RowSchedule($0).steps }, throughput: false)
    // Bounded: every round raises some depth and no depth exceeds a frame of rows plus a window.
    let rounds = stages.reduce(2) { $0 + $1.outputHeight + $1.kernel }
    for _ in 0..<rounds {
      model.stageFIFORows = depthMap(depths)
      guard let assignment = try solve(stages, model: model, budget: budget) else { return (nil, model) }
      let needed = try FIFODepthSearch.stageDepths(stages, cycles: zip(stages, assignment).map { CostModel.cycles($0, $1) })
      if zip(needed, depths).allSatisfy({ $0 <= $1 }) {
        model.stageFIFORows = depthMap(needed)
        return (assignment, model)
      }
      depths = zip(needed, depths).map { Swift.max($0, $1) }
    }
    throw HardwareError("the FIFO depths did not settle (planner bug): last depths \(depths)")
  }

  /// What does not fit at one lane per stage, and by how much.
  static func shortfall(_ graph: LayerGraph, model: CostModel, budget: ResourceVector, cap: Double) -> String {
    let costs = graph.stages.map { model.cost($0, lanes: 1) }
    let total = costs.reduce(ResourceVector.zero) { $0 + $1.resources }
    var parts: [String] = []
    let capText = cap < 1 ? " x \(Int((cap * 100).rounded()))% cap" : ""
    for (i, name) in ResourceVector.names.enumerated() where total.values[i] > budget.values[i] {
      var line = "\(name) needs \(total.values[i]), \(model.board.name) allows \(budget.values[i]) (of \(model.board.resources.values[i])\(capText)): short by \(total.values[i] - budget.values[i])"
      if name == "BRAM36" || name == "URAM" {
        let weights = costs.reduce(0) { $0 + $1.weightBlocks }
        let lines = costs.reduce(0) { $0 + $1.lineBufferBlocks }
        let fifos = costs.reduce(0) { $0 + $1.fifoBlocks }
        let mbit = Double(costs.reduce(0) { $0 + $1.weightMemoryBits }) / 1e6
        line += name == "URAM" ? " (weights \(weights) URAM, \(String(format: "%.1f", mbit)) Mbit)"
          : " (weights \(model.weightMemory == .bram ? weights : 0) = \(String(format: "%.1f", mbit)) Mbit, line buffers \(lines), FIFOs \(fifos))"
      }
      parts.append(line)
    }
    return parts.isEmpty ? "no single resource is short" : parts.joined(separator: "; ")
  }

  static func makePlan(_ graph: LayerGraph, model: CostModel, assignment: [Parallelism], clock: Double,
                       options: PlannerOptions, budget: ResourceVector) -> Plan {
    let board = model.board
    let cycles = zip(graph.stages, assignment).map { CostModel.cycles($0, $1) }
    let frame = cycles.max() ?? 1
    let bottleneckIndex = cycles.firstIndex(of: frame) ?? 0
    var stages: [PlannedStage] = []
    var totals = ResourceVector.zero
    var latency = frame
    var dspPerMAC = 0.0
    for (i, stage) in graph.stages.enumerated() {
      let p = assignment[i]
      let cost = model.cost(stage, p)
      let fill = CostModel.fillCycles(stage, stageCycles: cycles[i], frameCycles: frame)
      latency += fill
      totals += cost.resources
      dspPerMAC += Double(stage.macs) * cost.dspPerLane
      stages.append(PlannedStage(stage: stage, parallelism: p, lanes: p.lanes, cycles: cycles[i], cost: cost, fillCycles: fill,
                                 busy: Double(cycles[i]) / Double(frame), fifoRows: model.fifoRows(for: stage)))
    }
    let macs = graph.macs
    let fps = clock * 1e6 / Double(frame)
    let macStages = stages.filter { $0.stage.macs > 0 }
    let lanes = macStages.reduce(0) { $0 + $1.lanes }
    let averageDSPPerMAC = macs > 0 ? dspPerMAC / Double(macs) : 1
    let peak = Double(board.dsp) / Swift.max(averageDSPPerMAC, 1e-9)
    let packedPeak = Double(board.dsp) * (board.dspKind == .dsp48e2 ? 2 : 1)
    let achievedPerCycle = Double(macs) / Double(frame)
    let usage = ResourceVector.names.enumerated().map { i, name in
      ResourceUsage(resource: name, used: totals.values[i], available: board.resources.values[i], budget: budget.values[i],
                    utilization: board.resources.values[i] > 0 ? Double(totals.values[i]) / Double(board.resources.values[i]) : 0)
    }
    var notes: [String] = []
    if let note = graph.paddingNote { notes.append(note) }
    let fifoRows = stages.map { $0.fifoRows ?? model.fifoRows }
    if options.fifoRows == nil {
      let blocks = stages.reduce(0) { $0 + $1.cost.fifoBlocks }
      notes.append("FIFO depths (auto, rows per stage output, from the simulator's depth search on this plan): "
        + fifoRows.map { PlanReport.fmt($0) }.joined(separator: ",") + " = \(PlanReport.fmt(fifoRows.reduce(0, +))) rows, \(blocks) BRAM36")
    }
    notes.append("unit costs (LUT/FF per lane, requantizer, GDN normalizer): \(model.unitCosts.status)")
    if graph.part != .encoder && graph.stages.contains(where: { $0.transform == "g_s" }) {
      notes.append("the entropy decoder between the scale index and g_s runs on the CPU and is not modelled")
    }
    return Plan(
      format: Plan.currentFormat, model: graph.model, n: graph.n, m: graph.m, gdnVariant: graph.gdnVariant,
      bitsSource: graph.bitsSource, scheme: graph.scheme, board: board, clockMHz: clock, part: graph.part,
      requested: graph.requested, padded: graph.padded, maxUtilization: options.maxUtilization,
      fifoRows: options.fifoRows ?? (fifoRows.max() ?? 0), fifoDepths: options.fifoRows == nil ? "auto" : "uniform",
      weightMemory: model.weightMemory, unitCostsStatus: model.unitCosts.status, stages: stages,
      bottleneck: graph.stages[bottleneckIndex].name, cyclesPerFrame: frame, fps: fps, latencyCycles: latency,
      latencyMilliseconds: Double(latency) / (clock * 1e3), macsPerFrame: macs, lanes: lanes, totals: totals,
      utilization: usage, macEfficiency: achievedPerCycle / peak, peakMACsPerCycle: peak,
      efficiencyVsPackedPeak: achievedPerCycle / packedPeak,
      laneEfficiency: lanes > 0 ? achievedPerCycle / Double(lanes) : 0, notes: notes)
  }
}
