/// Verilog for the fused LeakyReLU of the mean-scale hyperprior's h_a and h_s (`IntConvolution.negativeSlope`):
/// after a lane's requantizer and clamp, a negative value is multiplied by the slope, a `FixedPointScale` below 1,
/// with the same rounding:
///
///     x >= 0 or enable = 0:  y = x
///     x < 0:                 y = round_half_up(x * mult / 2^shift)     (lichen_requant, bias 0)
///
/// A slope below 1 keeps y in [x, 0], so the requantizer's clamp (the whole OB-bit range) never acts, as the
/// engine's truncation to Int16 never does. It is one more `lichen_requant` on an OB-bit input beside a 5-deep
/// delay of x: latency 5 cycles, one result per cycle; `enable`, `mult` and `shift` are layer constants.
enum LeakyReLUVerilog {
  static let moduleName = "lichen_leaky"
  static let latency = RequantizerVerilog.latency

  static let source = """
    // lichen_leaky: y = (enable && x < 0) ? round_half_up(x * mult / 2^shift) : x, bit-exact with the
    // integer engine's fused LeakyReLU (IntConvolution.negativeSlope, a scale below 1).
    // Latency 5 cycles, one result per cycle. enable/mult/shift are layer constants.
    module lichen_leaky #(
      parameter SW = 8,
      parameter OB = 8
    ) (
      input  wire clk,
      input  wire in_valid,
      input  wire enable,
      input  wire signed [OB-1:0] x,
      input  wire [30:0] mult,
      input  wire signed [SW-1:0] shift,
      output wire out_valid,
      output wire signed [OB-1:0] y
    );
      wire signed [OB-1:0] scaled;
      reg signed [OB-1:0] d1, d2, d3, d4, d5;
      wire signed [OB-1:0] most_negative = {1'b1, {(OB-1){1'b0}}};
      wire signed [OB-1:0] most_positive = {1'b0, {(OB-1){1'b1}}};
      lichen_requant #(.ACCW(OB), .BIASW(2), .VW(OB + 1), .SW(SW), .OB(OB)) scale (
        .clk(clk), .in_valid(in_valid), .acc(x), .bias(2'sd0), .mult(mult), .shift(shift),
        .lower(most_negative), .upper(most_positive), .out_valid(out_valid), .y(scaled));
      always @(posedge clk) begin
        d1 <= x; d2 <= d1; d3 <= d2; d4 <= d3; d5 <= d4;
      end
      assign y = (enable && d5[OB-1]) ? scaled : d5;
    endmodule

    """
}
