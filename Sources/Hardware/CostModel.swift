/// The documented cost model (docs/fpga.md): cycles per frame of a stage at a
/// parallelism, and the DSP/BRAM/URAM/LUT/FF it needs.
///
/// A stage's parallelism is (pi, po, pk, pp): input-channel, output-channel,
/// kernel-column and output-pixel unrolls (divisors of Cin, Cout, k and the
/// row width); lanes = pi*po*pk*pp multipliers. The pp pixels of a row share
/// each weight read (weight reuse), so pixel parallelism trades multipliers
/// for weight-memory ports: resources are no longer a function of lanes
/// alone, and the planner searches the resource trade-off exactly
/// (Planner). With pp = 1 every resource is nondecreasing in lanes.
public struct Parallelism: Codable, Sendable, Hashable, CustomStringConvertible {
  public var pi: Int
  public var po: Int
  public var pk: Int
  /// Adjacent output pixels of a row computed together (input pixels for a transposed convolution), each
  /// weight read once for all of them.
  public var pp: Int

  public init(pi: Int, po: Int, pk: Int, pp: Int = 1) {
    self.pi = pi
    self.po = po
    self.pk = pk
    self.pp = pp
  }

  enum CodingKeys: String, CodingKey { case pi, po, pk, pp }

  /// Plans written before pixel parallelism have no `pp` (1).
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    pi = try c.decode(Int.self, forKey: .pi)
    po = try c.decode(Int.self, forKey: .po)
    pk = try c.decode(Int.self, forKey: .pk)
    pp = try c.decodeIfPresent(Int.self, forKey: .pp) ?? 1
  }

  public var lanes: Int { pi * po * pk * pp }
  public var description: String { "\(pi)x\(po)x\(pk)x\(pp)" }
}

/// Where the weights live on chip (one policy for the whole design).
public enum WeightMemory: String, Codable, Sendable, CaseIterable {
  case bram
  /// UltraRAM (boards that have it); line buffers and FIFOs stay in BRAM.
  case uram
}

/// The resources of one stage and where they go.
public struct StageCost: Codable, Sendable, Equatable {
  public var resources: ResourceVector
  /// DSP slices per multiplier lane (0.5: two 8-bit products per DSP48E2).
  public var dspPerLane: Double
  /// Weights and per-channel constants, bits.
  public var weightMemoryBits: Int
  /// BRAM36 (or URAM) blocks holding them: enough for capacity and for `lanes` weights per cycle.
  public var weightBlocks: Int
  public var lineBufferBits: Int
  public var lineBufferBlocks: Int
  public var fifoBits: Int
  public var fifoBlocks: Int
  /// Requantizers (convolutions), normalizers (GDN) or index units (scale index) the output rate needs.
  public var outputUnits: Int
  /// GDN squarers (x_j^2 once per input element).
  public var squarers: Int
}

public struct CostModel: Sendable {
  /// Bits of one BRAM36.
  public static let bram36Bits = 36 * 1024
  /// Bits one BRAM36 delivers per cycle (512 x 72 simple dual port: one 72-bit read while the other port writes).
  public static let bram36ReadBits = 72
  /// Bits of one URAM288 (4096 x 72).
  public static let uramBits = 288 * 1024
  public static let uramReadBits = 72
  /// Bias (32), multiplier (31) and shift (6) of one output channel.
  public static let perChannelConstantBits = 69

  public var board: Board
  public var unitCosts: UnitCosts
  /// Depth of each stage's output FIFO in output rows (stages not in `stageFIFORows`).
  public var fifoRows: Double
  /// Per-stage output FIFO depths by stage name (the planner's `--fifo-rows auto`), overriding `fifoRows`.
  public var stageFIFORows: [String: Double]
  public var weightMemory: WeightMemory

  public init(board: Board, unitCosts: UnitCosts, fifoRows: Double = 1, stageFIFORows: [String: Double] = [:],
              weightMemory: WeightMemory = .bram) {
    self.board = board
    self.unitCosts = unitCosts
    self.fifoRows = fifoRows
    self.stageFIFORows = stageFIFORows
    self.weightMemory = weightMemory
  }

  /// The output FIFO rows costed for `stage`.
  public func fifoRows(for stage: HardwareStage) -> Double { stageFIFORows[stage.name] ?? fifoRows }

  // MARK: parallelism and cycles

  static func divisors(_ n: Int) -> [Int] { n <= 0 ? [1] : (1...n).filter { n % $0 == 0 } }

  /// Most output pixels of a row a stage computes at once: beyond this the partial sums and pixel
  /// registers grow faster than the weight ports they save.
  public static let maxPixelsPerCycle = 16

  /// The pixels a row step sweeps: output pixels of a row (input pixels for a transposed convolution).
  public static func rowPixels(_ stage: HardwareStage) -> Int {
    stage.kind == .transposed ? stage.inputWidth : stage.outputWidth
  }

  /// Every parallelism the stage can take (pp divides the row, so every row takes the same cycles).
  public func parallelisms(of stage: HardwareStage) -> [Parallelism] {
    let pixels = Self.divisors(Self.rowPixels(stage)).filter { $0 <= Self.maxPixelsPerCycle }
    switch stage.kind {
    case .scaleIndex:
      return Self.divisors(stage.outChannels).map { Parallelism(pi: 1, po: $0, pk: 1) }
    case .gdn, .igdn:
      var result: [Parallelism] = []
      for pi in Self.divisors(stage.inChannels) {
        for po in Self.divisors(stage.outChannels) {
          for pp in pixels { result.append(Parallelism(pi: pi, po: po, pk: 1, pp: pp)) }
        }
      }
      return result
    case .convolution, .transposed:
      var result: [Parallelism] = []
      for pi in Self.divisors(stage.inChannels) {
        for po in Self.divisors(stage.outChannels) {
          for pk in Self.divisors(stage.kernel) {
            for pp in pixels { result.append(Parallelism(pi: pi, po: po, pk: pk, pp: pp)) }
          }
        }
      }
      return result
    }
  }

  /// Cycles per frame of `stage` at parallelism `p`.
  public static func cycles(_ stage: HardwareStage, _ p: Parallelism) -> Int {
    let k = stage.kernel
    let columns = (k + p.pk - 1) / p.pk
    let cin = stage.inChannels / p.pi, cout = stage.outChannels / p.po
    let rowSteps = ceilDiv(rowPixels(stage), p.pp)
    switch stage.kind {
    case .convolution:
      return stage.outputHeight * rowSteps * columns * k * cin * cout
    case .transposed:
      // Every input pixel meets the whole k x k kernel (its taps spread over the stride^2 output phases).
      return stage.inputHeight * rowSteps * k * columns * cin * cout
    case .gdn, .igdn:
      return stage.outputHeight * rowSteps * cin * cout
    case .scaleIndex:
      return stage.outputHeight * rowSteps * cout
    }
  }

  // MARK: DSPs per product

  /// Half-DSPs per product of signed operands of `a` and `b` bits on `kind`:
  /// 1 (both <= 8 bits on a DSP48E2 sharing one operand: two products per slice),
  /// 2 (fits the 18 x 27 (E2) or 18 x 25 (E1) multiplier), 4 (the wider operand split in two),
  /// 8 (both split).
  public static func dspHalvesPerProduct(_ a: Int, _ b: Int, kind: Board.DSPKind, packable: Bool) -> Int {
    let small = Swift.min(a, b), large = Swift.max(a, b)
    let wide = kind == .dsp48e2 ? 27 : 25
    if packable && kind == .dsp48e2 && large <= 8 { return 1 }
    if small <= 18 && large <= wide { return 2 }
    if small <= 18 && large <= 2 * wide - 1 { return 4 }
    return 8
  }

  /// Operand widths of a lane's product as the DSP sees them (signed).
  static func laneOperands(_ stage: HardwareStage) -> (Int, Int) {
    switch stage.kind {
    case .convolution, .transposed:
      return (stage.inputBits, stage.weightBits)
    case .gdn, .igdn:
      // gamma is unsigned (+1 bit signed); the pool sums gamma * x^2 (2a-2 bits + sign) or gamma * |x|.
      let pooled = stage.simplifiedGDN ? stage.inputBits : 2 * stage.inputBits - 1
      return (stage.weightBits + 1, pooled)
    case .scaleIndex:
      return (0, 0)
    }
  }

  public func dspPerLane(_ stage: HardwareStage) -> Double {
    guard stage.kind != .scaleIndex else { return 0 }
    let (a, b) = Self.laneOperands(stage)
    return Double(Self.dspHalvesPerProduct(a, b, kind: board.dspKind, packable: !stage.isGDN)) / 2
  }

  // MARK: resources

  static func ceilDiv(_ a: Int, _ b: Int) -> Int { b <= 0 ? 0 : (a + b - 1) / b }

  /// The resources of `stage` with `lanes` multiplier lanes and no pixel parallelism.
  public func cost(_ stage: HardwareStage, lanes: Int) -> StageCost { cost(stage, Parallelism(pi: lanes, po: 1, pk: 1)) }

  /// The resources of `stage` at parallelism `p`.
  public func cost(_ stage: HardwareStage, _ p: Parallelism) -> StageCost {
    let lanes = p.lanes
    let u = unitCosts
    let k = stage.kernel
    var dsp = 0.0, lut = u.stageControl.lut, ff = u.stageControl.ff, bram = 0.0
    var units = 0, squarers = 0
    switch stage.kind {
    case .convolution, .transposed:
      let (a, b) = Self.laneOperands(stage)
      let halves = Self.dspHalvesPerProduct(a, b, kind: board.dspKind, packable: true)
      if halves == 1 {
        // Two products share a DSP48E2 only when they share an operand: the po x pp products of one
        // (input channel, kernel column) group share its activation along po and its weight along pp, and
        // a snake through that grid pairs all but one of an odd count.
        dsp += Double(p.pi * p.pk * Self.ceilDiv(p.po * p.pp, 2))
      } else {
        dsp += Double(Self.ceilDiv(lanes * halves, 2))
      }
      let lane = u.lane(activationBits: stage.inputBits, weightBits: stage.weightBits)
      lut += Double(lanes) * lane.lut
      ff += Double(lanes) * lane.ff
      // Partial sums of the Cout outputs of the pp current pixels (32-bit, LUT RAM at about 32 bits per LUT).
      lut += Double(stage.outChannels * p.pp)
      // Outputs per cycle = (outH*outW*Cout) / cycles = lanes * outPixels / (k^2 * Cin * workPixels).
      let workPixels = stage.kind == .convolution ? stage.outputHeight * stage.outputWidth : stage.inputHeight * stage.inputWidth
      units = Self.ceilDiv(lanes * stage.outputHeight * stage.outputWidth, k * k * stage.inChannels * workPixels)
      dsp += Double(units) * u.requantizer.dsp
      lut += Double(units) * u.requantizer.lut
      ff += Double(units) * u.requantizer.ff
      bram += Double(units) * u.requantizer.bram36
      if stage.fusedLeakyReLU == true {
        // A fused LeakyReLU scales negative outputs by a constant after each requantizer (lichen_leaky).
        dsp += Double(units) * u.leakyReLUUnit.dsp
        lut += Double(units) * u.leakyReLUUnit.lut
        ff += Double(units) * u.leakyReLUUnit.ff
      }
    case .gdn, .igdn:
      let (a, b) = Self.laneOperands(stage)
      dsp += Double(Self.ceilDiv(lanes * Self.dspHalvesPerProduct(a, b, kind: board.dspKind, packable: false), 2))
      let lane = u.lane(activationBits: stage.inputBits, weightBits: stage.weightBits)
      lut += Double(lanes) * lane.lut
      ff += Double(lanes) * lane.ff
      // A pixel takes (C/pi)*(C/po) cycles and yields C outputs: lanes / C outputs (and input squares) per cycle.
      units = Self.ceilDiv(lanes, stage.outChannels)
      dsp += Double(units) * u.gdnNormalizer.dsp
      lut += Double(units) * u.gdnNormalizer.lut
      ff += Double(units) * u.gdnNormalizer.ff
      bram += Double(units) * u.gdnNormalizer.bram36
      if !stage.simplifiedGDN {
        squarers = Self.ceilDiv(lanes, stage.inChannels)
        dsp += Double(squarers * Self.dspHalvesPerProduct(stage.inputBits, stage.inputBits, kind: board.dspKind, packable: false)) / 2
      }
      // Double-buffered pixel vectors (x and its squares) of the pp pixels in registers.
      ff += Double(p.pp * stage.inChannels * (2 * stage.inputBits + (stage.simplifiedGDN ? 0 : 2 * stage.inputBits)))
    case .scaleIndex:
      units = lanes
      lut += Double(lanes) * u.scaleIndexUnit.lut
      ff += Double(lanes) * u.scaleIndexUnit.ff
      dsp += Double(lanes) * u.scaleIndexUnit.dsp
    }
    // Weights (and per-channel constants) on chip, read lanes / pp weights per cycle (each one serves pp pixels).
    var weightBits = 0, readBits = 0
    switch stage.kind {
    case .convolution, .transposed:
      weightBits = stage.weightCount * stage.weightBits + stage.outChannels * Self.perChannelConstantBits
      readBits = lanes / p.pp * stage.weightBits
    case .gdn, .igdn:
      weightBits = stage.weightCount * stage.weightBits + stage.outChannels * (32 + 37)
      readBits = lanes / p.pp * stage.weightBits
    case .scaleIndex:
      weightBits = 0  // thresholds sit in each unit's LUT ROM
    }
    let (capacity, port) = weightMemory == .uram ? (Self.uramBits, Self.uramReadBits) : (Self.bram36Bits, Self.bram36ReadBits)
    let weightBlocks = weightBits == 0 ? 0 : Swift.max(Self.ceilDiv(weightBits, capacity), Self.ceilDiv(readBits, port))
    // Line buffers: rows of input kept for the k x k window.
    var lineBits = 0, lineRead = 0
    switch stage.kind {
    case .convolution where k > 1:
      lineBits = (k - 1) * stage.inputWidth * stage.inChannels * stage.inputBits
    case .transposed:
      // Phase decomposition: an output row pair needs ceil(k/stride) input rows; all but the current one are buffered.
      lineBits = Swift.max(0, (k + stage.stride - 1) / stage.stride - 1) * stage.inputWidth * stage.inChannels * stage.inputBits
    default: break
    }
    if lineBits > 0 {
      // The output-channel groups are the innermost loop: a vector of pi x span inputs is held in registers
      // for Cout/po cycles, so the line buffer delivers pi*span*po/Cout values per cycle. span = pk columns
      // for one pixel; pp neighbours at stride s overlap in (pp-1)*s + pk columns (a transposed
      // convolution's pp input pixels are pp distinct columns).
      let span = stage.kind == .convolution ? Swift.min(p.pp * p.pk, (p.pp - 1) * stage.stride + p.pk) : p.pp * p.pk
      lineRead = Self.ceilDiv(p.pi * span * p.po * stage.inputBits, stage.outChannels)
    }
    let lineBlocks = lineBits == 0 ? 0 : Swift.max(Self.ceilDiv(lineBits, Self.bram36Bits), Self.ceilDiv(lineRead, Self.bram36ReadBits))
    let fifoBits = Int((fifoRows(for: stage) * Double(stage.outputWidth)).rounded(.up)) * stage.outChannels * stage.outputBits
    let fifoBlocks = Self.ceilDiv(fifoBits, Self.bram36Bits)
    var resources = ResourceVector(
      dsp: Int(dsp.rounded(.up)), bram36: Int(bram.rounded(.up)) + lineBlocks + fifoBlocks, uram: 0,
      lut: Int(lut.rounded(.up)), ff: Int(ff.rounded(.up)))
    if weightMemory == .uram { resources.uram += weightBlocks } else { resources.bram36 += weightBlocks }
    return StageCost(
      resources: resources, dspPerLane: dspPerLane(stage), weightMemoryBits: weightBits, weightBlocks: weightBlocks,
      lineBufferBits: lineBits, lineBufferBlocks: lineBlocks, fifoBits: fifoBits, fifoBlocks: fifoBlocks,
      outputUnits: units, squarers: squarers)
  }

  // MARK: latency

  /// Input rows a stage must have before it can emit its first output row (or row pair, transposed).
  public static func rowsBeforeFirstOutput(_ stage: HardwareStage) -> Int {
    switch stage.kind {
    case .convolution: return Swift.max(1, stage.kernel - stage.padding)
    case .transposed: return Swift.max(1, (stage.kernel - 1 - stage.padding) / stage.stride + 1)
    case .gdn, .igdn, .scaleIndex: return 1
    }
  }

  /// Estimated fill of one stage in a pipeline whose frame takes `frameCycles`: waiting for the
  /// rows of input it needs (arriving at the frame rate), then computing its first output row.
  public static func fillCycles(_ stage: HardwareStage, stageCycles: Int, frameCycles: Int) -> Int {
    let rowsIn = stage.inputHeight
    let wait = rowsBeforeFirstOutput(stage) * ceilDiv(frameCycles, rowsIn)
    let rowSteps = stage.kind == .transposed ? stage.inputHeight : stage.outputHeight
    return wait + ceilDiv(stageCycles, rowSteps)
  }
}
