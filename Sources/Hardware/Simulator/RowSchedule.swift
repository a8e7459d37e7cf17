/// The row steps of one pipeline stage, from its `HardwareStage` geometry
/// alone: which input rows each step's window reads, when input rows may be
/// released, and which output rows it writes. The simulator's timing and
/// its line buffers both follow this schedule, so the values it computes are
/// the ones the timed hardware would see.
///
/// A step is one output row (convolution, GDN, scale index) or one input row
/// (transposed convolution: the stride's worth of output rows that input row
/// completes), as in the planner's cost model.
public struct RowSchedule: Sendable, Equatable {
  /// Row steps per frame.
  public var steps: Int
  public var inputHeight: Int
  public var outputHeight: Int
  /// Input rows (of the frame) each step's window reads, clipped to the frame.
  public var windows: [Range<Int>]
  /// Input rows [0, needEnd[n]) must have arrived before step n starts (prefix maximum of the windows).
  public var needEnd: [Int]
  /// Rows below keepFrom[n] are never read again from step n on (suffix minimum of the windows).
  public var keepFrom: [Int]
  /// Output rows [0, outEnd[n]) exist once step n has finished.
  public var outEnd: [Int]
  /// Rows of line buffer the planner costs for this stage ((k-1) for a convolution, ceil(k/s)-1 for a
  /// transposed one, 0 otherwise); the FIFO rows come on top.
  public var lineBufferRows: Int

  public init(_ stage: HardwareStage) throws {
    let hIn = stage.inputHeight, hOut = stage.outputHeight
    let k = stage.kernel, s = stage.stride, p = stage.padding
    guard hIn > 0, hOut > 0, k > 0, s > 0 else { throw HardwareError("stage \(stage.name) has an empty geometry") }
    func clip(_ low: Int, _ high: Int) -> Range<Int> { Swift.max(0, low)..<Swift.max(Swift.max(0, low), Swift.min(hIn, high)) }
    var windows: [Range<Int>] = []
    var outEnd: [Int] = []
    switch stage.kind {
    case .convolution:
      for r in 0..<hOut {
        windows.append(clip(r * s - p, r * s - p + k))
        outEnd.append(r + 1)
      }
      lineBufferRows = k > 1 ? k - 1 : 0
    case .transposed:
      // Step t completes output rows [t*hOut/hIn, (t+1)*hOut/hIn); output row oy reads the input rows i
      // with 0 <= oy + p - i*s < k.
      for t in 0..<hIn {
        let a = t * hOut / hIn, b = (t + 1) * hOut / hIn
        var low = Int.max, high = Int.min
        for oy in a..<b {
          let first = Self.ceilDiv(oy + p - k + 1, s), last = Self.floorDiv(oy + p, s)
          let window = clip(first, last + 1)
          guard !window.isEmpty else { continue }
          low = Swift.min(low, window.lowerBound)
          high = Swift.max(high, window.upperBound)
        }
        windows.append(low < high ? low..<high : clip(t, t + 1))
        outEnd.append(b)
      }
      lineBufferRows = Swift.max(0, (k + s - 1) / s - 1)
    case .gdn, .igdn, .scaleIndex:
      guard hIn == hOut else { throw HardwareError("stage \(stage.name): pointwise stage changes the height \(hIn) -> \(hOut)") }
      for r in 0..<hOut {
        windows.append(r..<(r + 1))
        outEnd.append(r + 1)
      }
      lineBufferRows = 0
    }
    guard let lastOut = outEnd.last, lastOut == hOut else { throw HardwareError("stage \(stage.name): steps do not cover the output") }
    steps = windows.count
    inputHeight = hIn
    outputHeight = hOut
    self.windows = windows
    self.outEnd = outEnd
    var need: [Int] = []
    var running = 0
    for w in windows {
      running = Swift.max(running, w.upperBound)
      need.append(running)
    }
    needEnd = need
    var keep = [Int](repeating: hIn, count: windows.count)
    var low = hIn
    for n in windows.indices.reversed() {
      low = Swift.min(low, windows[n].isEmpty ? hIn : windows[n].lowerBound)
      keep[n] = low
    }
    keepFrom = keep
  }

  /// Input rows that may be released once step n has finished (all of the frame after its last step).
  public func freedEnd(after n: Int) -> Int { n + 1 < steps ? keepFrom[n + 1] : inputHeight }

  /// Output rows step n writes.
  public func outputRows(of n: Int) -> Range<Int> { (n == 0 ? 0 : outEnd[n - 1])..<outEnd[n] }

  /// The most input rows any step needs held at once: an edge smaller than this deadlocks.
  public var windowRows: Int { zip(needEnd, keepFrom).map { $0 - $1 }.max() ?? 1 }

  static func ceilDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? (a + b - 1) / b : -((-a) / b) }
  static func floorDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }
}
