/// Verilog for the requantizer, `FixedPointScale.apply` in hardware: the one
/// arithmetic step every layer ends with. It is shared by the PE array (one
/// per output lane, after the bias add) and the GDN unit (after x * f(P)), so
/// both inherit the same exactness argument:
///
///     v = acc + bias                      (VW bits, wrapping like Int64 &+ when VW = 64)
///     p = v * mult                        (exact: VW + 31 bits; mult is the 31-bit multiplier)
///     shift > 0:  r = (p + 2^(shift-1)) >>> shift   (shifts above PW + 1 give 0, as the exact value does)
///     shift <= 0: r = p << -shift         (|result| > 2^OB saturates by sign, like the Int64 saturation)
///     shift >= 128: r = p < 0 ? -1 : 0    (what FixedPointScale.wideRoundingShift returns there)
///     y = min(max(r, lower), upper)
///
/// Int64 saturation before the clamp never changes the clamped value, so the
/// hardware keeps the exact value in just enough bits instead. Latency 5
/// cycles (bias add, product, product register, shift, clamp), one result
/// per cycle.
enum RequantizerVerilog {
  static let moduleName = "lichen_requant"
  static let latency = 5

  static let source = """
    // lichen_requant: y = clamp(round_half_up((acc + bias) * mult / 2^shift), lower, upper),
    // bit-exact with IntegerEngine FixedPointScale.apply followed by ActivationRange.clamp.
    // Latency 5 cycles, one result per cycle. lower/upper are layer constants (held while busy).
    module lichen_requant #(
      parameter ACCW = 32,
      parameter BIASW = 32,
      parameter VW = 33,
      parameter SW = 8,
      parameter OB = 8
    ) (
      input  wire clk,
      input  wire in_valid,
      input  wire signed [ACCW-1:0] acc,
      input  wire signed [BIASW-1:0] bias,
      input  wire [30:0] mult,
      input  wire signed [SW-1:0] shift,
      input  wire signed [OB-1:0] lower,
      input  wire signed [OB-1:0] upper,
      output reg  out_valid,
      output reg  signed [OB-1:0] y
    );
      localparam PW = VW + 31;
      localparam RW = PW + 2;
      localparam LW = PW + OB + 1;
      localparam XW = (RW > LW ? RW : LW) + 1;
      reg v1, v2, v3, v4;
      reg signed [VW-1:0] val1;
      reg [30:0] m1;
      reg signed [SW-1:0] s1, s2, s3;
      reg signed [PW-1:0] p2, p3;
      reg signed [XW-1:0] r4;
      // stage 1: bias
      wire signed [VW-1:0] sum0 = acc + bias;
      // stage 2: exact product
      wire signed [31:0] m1s = {1'b0, m1};
      wire signed [PW-1:0] prod = val1 * m1s;
      // stage 4: rounding right shift or saturating left shift
      wire right = s3 > 0;
      wire [SW:0] rs_raw = s3;
      wire [SW:0] rs = (rs_raw > PW + 1) ? PW + 1 : rs_raw;
      wire signed [SW:0] s3x = s3;
      wire [SW:0] ls = -s3x;
      wire signed [RW-1:0] rbit = {{(RW-1){1'b0}}, 1'b1} << (rs - 1);
      wire signed [RW-1:0] rsum = p3 + rbit;
      wire signed [RW-1:0] rshifted = rsum >>> rs;
      wire signed [LW-1:0] lshifted = p3 <<< ls;
      wire lbig = (p3 != 0) && (ls > OB);
      wire signed [XW-1:0] satval = p3[PW-1] ? -(1 <<< (OB + 1)) : (1 <<< (OB + 1));
      wire huge = s3 >= 128;
      wire signed [XW-1:0] r = huge ? (p3[PW-1] ? -1 : 0) : (right ? rshifted : (lbig ? satval : lshifted));
      // stage 5: clamp (max with lower first, then min with upper, as ActivationRange.clamp)
      wire signed [XW-1:0] t = (r4 < lower) ? lower : r4;
      wire signed [XW-1:0] c = (t > upper) ? upper : t;
      always @(posedge clk) begin
        v1 <= in_valid; v2 <= v1; v3 <= v2; v4 <= v3; out_valid <= v4;
        val1 <= sum0; m1 <= mult; s1 <= shift;
        p2 <= prod; s2 <= s1;
        p3 <= p2; s3 <= s2;
        r4 <= r;
        y <= c[OB-1:0];
      end
    endmodule

    """
}
