/// Verilog for one convolution processing-element array: PI input lanes x PO
/// output lanes of signed multipliers with per-output accumulators, followed
/// by one requantizer per output lane. This is the inner product of
/// `IntConvolution` (a patch row of PI activations times a PI x PO weight
/// block per cycle, summed over the dot product, plus the Int64 bias, then
/// `FixedPointScale` and the output range), so an array computes exactly
/// what the integer engine computes for PO output channels of one pixel.
public struct PEArrayConfig: Sendable, Equatable, Codable {
  /// Input lanes (activations per cycle).
  public var inputLanes: Int
  /// Output lanes (output channels per dot product).
  public var outputLanes: Int
  public var activationBits: Int
  public var weightBits: Int
  /// Accumulator bits; a dot product of L beats is exact while L * PI * 2^(a+w-2) < 2^(acc-1).
  public var accumulatorBits: Int
  /// Bias bits (the engine's bias is Int64; 64 keeps its wrap-around add exactly).
  public var biasBits: Int
  /// Signed shift bits of the requantizer (8 covers FixedPointScale's -32...120).
  public var shiftBits: Int
  /// Output activation bits (the clamp range must fit them).
  public var outputBits: Int
  /// A LeakyReLU unit after each requantizer (`lichen_leaky`, the mean-scale hyperprior's h_a and h_s); nil or
  /// false for none.
  public var leakyReLU: Bool?

  public init(inputLanes: Int = 4, outputLanes: Int = 4, activationBits: Int = 8, weightBits: Int = 8,
              accumulatorBits: Int? = nil, biasBits: Int? = nil, shiftBits: Int = 8, outputBits: Int? = nil,
              leakyReLU: Bool = false) throws {
    self.inputLanes = inputLanes
    self.outputLanes = outputLanes
    self.activationBits = activationBits
    self.weightBits = weightBits
    let acc = accumulatorBits ?? Swift.min(64, activationBits + weightBits + 16)
    self.accumulatorBits = acc
    self.biasBits = biasBits ?? acc
    self.shiftBits = shiftBits
    self.outputBits = outputBits ?? activationBits
    self.leakyReLU = leakyReLU ? true : nil
    try validate()
  }

  func validate() throws {
    guard (1...64).contains(inputLanes), (1...64).contains(outputLanes) else {
      throw RTLError("PE array lanes must be 1...64, got PI \(inputLanes) x PO \(outputLanes)")
    }
    guard (2...16).contains(activationBits), (2...16).contains(weightBits), (2...16).contains(outputBits) else {
      throw RTLError("activation, weight and output bits must be 2...16 (the engine's values are Int16), got a\(activationBits) w\(weightBits) o\(outputBits)")
    }
    guard accumulatorBits >= productBits + 1, accumulatorBits <= 64 else {
      throw RTLError("accumulator of \(accumulatorBits) bits: needs \(productBits + 1)...64 for \(activationBits)x\(weightBits)-bit products")
    }
    guard accumulatorBits >= laneSumBits else {
      throw RTLError("accumulator of \(accumulatorBits) bits is narrower than one cycle's sum of \(inputLanes) products (\(laneSumBits) bits)")
    }
    guard (2...64).contains(biasBits) else { throw RTLError("bias bits must be 2...64, got \(biasBits)") }
    guard (2...12).contains(shiftBits) else { throw RTLError("shift bits must be 2...12, got \(shiftBits)") }
    guard !hasLeakyReLU || shiftBits >= 8 else {
      throw RTLError("a LeakyReLU's slope (below 1, e.g. 0.01 = m / 2^37) needs 8 or more shift bits, got \(shiftBits)")
    }
  }

  public var lanes: Int { inputLanes * outputLanes }
  /// "16x8": activation bits x weight bits, the planner's lane classes.
  public var laneClass: String { "\(activationBits)x\(weightBits)" }
  var productBits: Int { activationBits + weightBits }
  /// One cycle's sum of PI products.
  var laneSumBits: Int { productBits + RTLMath.bitLength(inputLanes - 1) }
  /// acc + bias: one bit more than the wider operand, or 64 (wrapping exactly like Int64 &+).
  var valueBits: Int { Swift.min(64, Swift.max(accumulatorBits, biasBits) + 1) }

  /// The longest dot product (beats of PI products) the accumulator holds exactly.
  public var maxBeats: Int {
    let largestProduct = 1.0 * Double(1 << (productBits - 2))
    let limit = (RTLMath.pow2(accumulatorBits - 1) - 1) / (Double(inputLanes) * largestProduct)
    return Swift.max(1, Int(Swift.min(limit, 1e9)))
  }

  /// Pipeline depth from a beat with `in_last` to the `param_strobe` cycle.
  public static let macLatency = 3
  /// From the last beat to `out_valid`: the MAC, the requantizer and, with `leakyReLU`, the LeakyReLU unit.
  public var latency: Int { Self.macLatency + RequantizerVerilog.latency + (hasLeakyReLU ? LeakyReLUVerilog.latency : 0) }
  var hasLeakyReLU: Bool { leakyReLU ?? false }
  public static let macModuleName = "lichen_pe_mac"
  public static let arrayModuleName = "lichen_pe_array"
}

enum RTLMath {
  /// Bits needed to hold v >= 0 (0 for 0).
  static func bitLength(_ v: Int) -> Int { v <= 0 ? 0 : Int.bitWidth - v.leadingZeroBitCount }
  static func pow2(_ e: Int) -> Double { var v = 1.0; for _ in 0..<e { v *= 2 }; return v }
}

enum PEArrayVerilog {
  /// lichen_pe_mac, lichen_requant and lichen_pe_array with this configuration as parameter defaults.
  static func source(_ c: PEArrayConfig) -> String {
    macModule(c) + RequantizerVerilog.source + (c.hasLeakyReLU ? LeakyReLUVerilog.source : "") + arrayModule(c)
  }

  static func macModule(_ c: PEArrayConfig) -> String {
    """
    // lichen_pe_mac: PI x PO signed multipliers, per-output adder chain and accumulator.
    // Beat: act (PI lanes, lane i at [i*AB +: AB]) times wgt (weight (i, o) at [(o*PI + i)*WB +: WB]).
    // in_first starts a dot product, in_last ends it; in_valid = 0 cycles are ignored.
    // acc_valid is high for one cycle, 3 cycles after the last beat, while acc holds the sums.
    module lichen_pe_mac #(
      parameter PI = \(c.inputLanes),
      parameter PO = \(c.outputLanes),
      parameter AB = \(c.activationBits),
      parameter WB = \(c.weightBits),
      parameter SUMW = \(c.laneSumBits),
      parameter ACCW = \(c.accumulatorBits)
    ) (
      input  wire clk,
      input  wire in_valid,
      input  wire in_first,
      input  wire in_last,
      input  wire [PI*AB-1:0] act,
      input  wire [PI*PO*WB-1:0] wgt,
      output reg  acc_valid,
      output wire [PO*ACCW-1:0] acc
    );
      localparam MW = AB + WB;
      reg v1, f1, l1, v2, f2, l2;
      genvar go, gi;
      generate
        for (go = 0; go < PO; go = go + 1) begin : out_lane
          wire [(PI+1)*SUMW-1:0] chain;
          assign chain[SUMW-1:0] = {SUMW{1'b0}};
          for (gi = 0; gi < PI; gi = gi + 1) begin : in_lane
            wire signed [AB-1:0] a = act[gi*AB +: AB];
            wire signed [WB-1:0] w = wgt[(go*PI + gi)*WB +: WB];
            reg signed [MW-1:0] p;
            always @(posedge clk) p <= a * w;
            wire signed [SUMW-1:0] prev = chain[gi*SUMW +: SUMW];
            wire signed [SUMW-1:0] next = prev + p;
            assign chain[(gi+1)*SUMW +: SUMW] = next;
          end
          reg signed [SUMW-1:0] s;
          reg signed [ACCW-1:0] total;
          always @(posedge clk) begin
            s <= chain[PI*SUMW +: SUMW];
            if (v2) total <= f2 ? s : total + s;
          end
          assign acc[go*ACCW +: ACCW] = total;
        end
      endgenerate
      always @(posedge clk) begin
        v1 <= in_valid; f1 <= in_first; l1 <= in_last;
        v2 <= v1; f2 <= f1; l2 <= l1;
        acc_valid <= v2 & l2;
      end
    endmodule


    """
  }

  static func arrayModule(_ c: PEArrayConfig) -> String {
    let leaky = c.hasLeakyReLU
    let leakyComment = leaky
      ? "\n// Each lane's requantized value then goes through lichen_leaky: with leaky high, a negative value\n"
        + "// is scaled by slope_mult / 2^slope_shift (layer constants), as the engine's fused LeakyReLU."
      : ""
    let leakyPorts = leaky
      ? "  input  wire leaky,\n  input  wire [30:0] slope_mult,\n  input  wire signed [SW-1:0] slope_shift,\n" : ""
    // Without the LeakyReLU each requantizer drives the output lane; with it, the lane's lichen_leaky does.
    let requantOutputs = leaky ? ".out_valid(requantized_valid[go]), .y(requantized[go*OB +: OB])"
      : ".out_valid(lane_valid[go]), .y(y[go*OB +: OB])"
    let leakyWires = leaky ? "  wire [PO*OB-1:0] requantized;\n  wire [PO-1:0] requantized_valid;\n" : ""
    let leakyUnit = leaky
      ? """
              lichen_leaky #(.SW(SW), .OB(OB)) slope (
                .clk(clk), .in_valid(requantized_valid[go]), .enable(leaky), .x(requantized[go*OB +: OB]),
                .mult(slope_mult), .shift(slope_shift), .out_valid(lane_valid[go]), .y(y[go*OB +: OB]));

        """
      : ""
    return """

    // lichen_pe_array: lichen_pe_mac plus one lichen_requant per output lane.
    // bias/mult/shift (per output lane) are sampled while param_strobe is high
    // (3 cycles after the last beat: the stage controller reads them from the
    // per-channel constants in time). lower/upper/relu are layer constants.
    // out_valid/y follow param_strobe by \(c.latency - PEArrayConfig.macLatency) cycles (\(c.latency) after the last beat).\(leakyComment)
    module lichen_pe_array #(
      parameter PI = \(c.inputLanes),
      parameter PO = \(c.outputLanes),
      parameter AB = \(c.activationBits),
      parameter WB = \(c.weightBits),
      parameter SUMW = \(c.laneSumBits),
      parameter ACCW = \(c.accumulatorBits),
      parameter BIASW = \(c.biasBits),
      parameter VW = \(c.valueBits),
      parameter SW = \(c.shiftBits),
      parameter OB = \(c.outputBits)
    ) (
      input  wire clk,
      input  wire in_valid,
      input  wire in_first,
      input  wire in_last,
      input  wire [PI*AB-1:0] act,
      input  wire [PI*PO*WB-1:0] wgt,
      output wire param_strobe,
      input  wire [PO*BIASW-1:0] bias,
      input  wire [PO*31-1:0] mult,
      input  wire [PO*SW-1:0] shift,
      input  wire signed [OB-1:0] lower,
      input  wire signed [OB-1:0] upper,
      input  wire relu,
    \(leakyPorts)  output wire out_valid,
      output wire [PO*OB-1:0] y
    );
      wire [PO*ACCW-1:0] acc;
      wire [PO-1:0] lane_valid;
    \(leakyWires)  // fused ReLU: the lower end of the range becomes max(lower, 0) (ActivationRange.rectified)
      wire signed [OB-1:0] low = (relu && lower < 0) ? {OB{1'b0}} : lower;
      lichen_pe_mac #(.PI(PI), .PO(PO), .AB(AB), .WB(WB), .SUMW(SUMW), .ACCW(ACCW)) mac (
        .clk(clk), .in_valid(in_valid), .in_first(in_first), .in_last(in_last), .act(act), .wgt(wgt),
        .acc_valid(param_strobe), .acc(acc));
      genvar go;
      generate
        for (go = 0; go < PO; go = go + 1) begin : rq
          lichen_requant #(.ACCW(ACCW), .BIASW(BIASW), .VW(VW), .SW(SW), .OB(OB)) unit (
            .clk(clk), .in_valid(param_strobe), .acc(acc[go*ACCW +: ACCW]), .bias(bias[go*BIASW +: BIASW]),
            .mult(mult[go*31 +: 31]), .shift(shift[go*SW +: SW]), .lower(low), .upper(upper),
            \(requantOutputs));
    \(leakyUnit)    end
      endgenerate
      assign out_valid = lane_valid[0];
    endmodule

    """
  }
}
