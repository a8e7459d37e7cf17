/// The packed two-product MAC: two signed products `a * w1` and `a * w2`
/// that share the operand `a`, computed with ONE multiplier (the int8
/// packing of Xilinx WP486, "Deep Learning with INT8 Optimization on Xilinx
/// Devices"). The weights are packed into one operand, `(w1 << 18) + w2`
/// (27 bits at 8-bit weights: the DSP48E2 pre-adder port), `a` goes to the
/// 18-bit port, and
///
///     P = a * ((w1 << 18) + w2) = (a * w1) * 2^18 + a * w2
///
/// Summed over the beats of a group, P = H * 2^18 + L with H = sum(a * w1)
/// and L = sum(a * w2). While L fits the signed 18-bit low field (-2^17 <= L
/// < 2^17) it is that field sign-extended, and H is the field above it plus
/// one when L is negative (bit 17 set): the negative low sum borrowed one
/// from the upper field. Both sums are then exact.
///
/// The bound fixes how many beats a group may accumulate before extraction.
/// The largest product is min * min = 2^(AB+WB-2) (the most negative one is
/// smaller in magnitude), so L stays in range while
/// beats * 2^(AB+WB-2) <= 2^17 - 1, i.e. beats <= 2^(19-AB-WB) - 1: 7 beats
/// of 8x8 products (7 * 2^14 < 2^17, while 8 * 2^14 = 2^17 reads back as
/// -2^17). H obeys the same bound, so both sums have at most 18 bits and the
/// accumulator at most 36 (the DSP48E2's 48-bit P register holds it).
public struct PackedMACConfig: Sendable, Equatable, Codable {
  public var activationBits: Int
  public var weightBits: Int
  /// Beats a group may accumulate before extraction (1...maxExactBeats).
  public var beats: Int

  /// `beats` nil: the most that stays exact.
  public init(activationBits: Int = 8, weightBits: Int = 8, beats: Int? = nil) throws {
    self.activationBits = activationBits
    self.weightBits = weightBits
    guard (2...8).contains(activationBits), (2...8).contains(weightBits) else {
      throw RTLError("packed MAC activation and weight bits must be 2...8 (the packed weights must fit the DSP48E2's "
        + "27-bit port), got a\(activationBits) w\(weightBits)")
    }
    let most = Self.maxExactBeats(activationBits: activationBits, weightBits: weightBits)
    self.beats = beats ?? most
    guard self.beats >= 1 else { throw RTLError("packed MAC beats per group must be at least 1, got \(self.beats)") }
    guard self.beats <= most else {
      let e = activationBits + weightBits - 2
      throw RTLError("packed MAC: \(self.beats) beats of \(activationBits)x\(weightBits)-bit products can reach "
        + "\(self.beats << e) in the 18-bit low field (exact up to \(most) beats: \(most) * 2^\(e) < 2^17)")
    }
  }

  /// Width of the low field: the spacing of the two products in the packed operand.
  public static let fieldBits = 18

  /// The longest group whose low-field sum stays in signed 18-bit range:
  /// beats * 2^(AB+WB-2) <= 2^17 - 1.
  public static func maxExactBeats(activationBits: Int, weightBits: Int) -> Int {
    ((1 << (fieldBits - 1)) - 1) >> (activationBits + weightBits - 2)
  }

  /// "8x8": activation bits x weight bits.
  public var laneClass: String { "\(activationBits)x\(weightBits)" }
  /// The packed operand (w1 << 18) + w2: 27 bits at 8-bit weights.
  var packedBits: Int { weightBits + Self.fieldBits + 1 }
  var productBits: Int { activationBits + packedBits }
  /// The largest |sum| of a group: beats * 2^(AB+WB-2).
  var largestSum: Int { beats << (activationBits + weightBits - 2) }
  /// Bits of each output sum.
  public var sumBits: Int { RTLMath.bitLength(largestSum) + 1 }
  /// Bits of the packed accumulator: |H * 2^18 + L| <= largestSum * (2^18 + 1).
  public var accumulatorBits: Int { RTLMath.bitLength(largestSum * ((1 << Self.fieldBits) + 1)) + 1 }

  /// From a beat with `in_last` to `out_valid`: input, pre-adder, product, accumulator, extraction registers.
  public static let latency = 5
  public static let moduleName = "lichen_packed_mac"
}

enum PackedMACVerilog {
  static func source(_ c: PackedMACConfig) -> String {
    """
    // lichen_packed_mac: two signed products sharing the operand a, a*w1 and a*w2, with ONE
    // multiplier (the DSP48E2 int8 packing of Xilinx WP486):
    //   P = a * ((w1 << 18) + w2) = (a*w1) * 2^18 + a*w2, summed over the beats of a group;
    //   sum2 = P[17:0] sign-extended, sum1 = (P >>> 18) + P[17] (the low sum's borrow put back).
    // Exact while every group has at most BEATS beats (BEATS * 2^(AB+WB-2) < 2^17).
    // in_valid = 0 cycles are ignored; in_last ends a group (the next beat starts a new one).
    // out_valid/sum1/sum2 follow the last beat by 5 cycles; y = {sum2, sum1} (for the testbench).
    module lichen_packed_mac #(
      parameter AB = \(c.activationBits),
      parameter WB = \(c.weightBits),
      parameter BEATS = \(c.beats),
      parameter SB = \(c.sumBits),
      parameter ACCW = \(c.accumulatorBits)
    ) (
      input  wire clk,
      input  wire in_valid,
      input  wire in_last,
      input  wire signed [AB-1:0] a,
      input  wire signed [WB-1:0] w1,
      input  wire signed [WB-1:0] w2,
      output reg  out_valid,
      output reg  signed [SB-1:0] sum1,
      output reg  signed [SB-1:0] sum2,
      output wire [2*SB-1:0] y
    );
      localparam F = \(PackedMACConfig.fieldBits);
      localparam KW = WB + F + 1;   // packed operand: 27 bits at WB = 8 (the pre-adder port)
      localparam PW = AB + KW;      // the one product
      // power-up values (FPGA flip-flop init): no beat in flight, the first beat starts a group
      reg v1 = 1'b0, v2 = 1'b0, v3 = 1'b0, done = 1'b0;
      reg fresh = 1'b1;
      reg l1, l2, l3;
      reg signed [AB-1:0] a1, a2;
      reg signed [WB-1:0] x1, z1;
      reg signed [KW-1:0] k2;
      reg signed [PW-1:0] m3;
      reg signed [ACCW-1:0] acc;
      // stage 2: pre-adder, (w1 << F) + w2 sign-extended
      wire signed [KW-1:0] packed_w = {x1[WB-1], x1, {F{1'b0}}} + {{(KW-WB){z1[WB-1]}}, z1};
      // stage 3: the single multiply (signed AB x KW)
      wire signed [PW-1:0] prod = a2 * k2;
      // extraction: the upper field plus the low field's sign (its borrow)
      wire [ACCW-F-1:0] high = acc[ACCW-1:F] + acc[F-1];
      always @(posedge clk) begin
        v1 <= in_valid; l1 <= in_last; a1 <= a; x1 <= w1; z1 <= w2;
        v2 <= v1; l2 <= l1; a2 <= a1; k2 <= packed_w;
        v3 <= v2; l3 <= l2; m3 <= prod;
        if (v3) begin
          acc <= fresh ? m3 : acc + m3;
          fresh <= l3;
        end
        done <= v3 & l3;
        out_valid <= done;
        sum1 <= high[SB-1:0];
        sum2 <= acc[SB-1:0];
      end
      assign y = {sum2, sum1};
    endmodule

    """
  }
}
