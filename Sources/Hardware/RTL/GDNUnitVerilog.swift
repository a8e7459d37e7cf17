import IntegerEngine

/// Verilog for the hardware GDN normalization unit: given the pool
/// P = beta_i + sum_j gamma_ij * s_j (the Int64 that `IntGDN` computes; in
/// hardware a PE array computing a 1x1 convolution over s = x^2 or |x|) and
/// the input x_i, it produces `IntGDN`'s output: f(P) from
/// `NormalizationTable.evaluate` (leading-one detection, mantissa shift,
/// table ROM with linear interpolation), x * f(P), then the output
/// `FixedPointScale` with the table's extra shift and the clamp. The inverse
/// simplified GDN (f(P) = P cut to 30 significant bits) has no table.
/// Fully pipelined, one result per cycle.
public struct GDNUnitConfig: Sendable, Equatable, Codable {
  public enum Variant: String, Sendable, Codable, CaseIterable {
    case standard, inverse, simplified
    case inverseSimplified = "inverse-simplified"

    public var kind: IntGDN.Kind { self == .standard || self == .inverse ? .standard : .simplified }
    public var isInverse: Bool { self == .inverse || self == .inverseSimplified }
    var function: NormalizationTable.Function? {
      switch self {
      case .standard: return .inverseSquareRoot
      case .inverse: return .squareRoot
      case .simplified: return .reciprocal
      case .inverseSimplified: return nil
      }
    }
  }

  public var variant: Variant
  public var indexBits: Int
  public var fractionBits: Int
  /// Bits of x (the GDN's input activation).
  public var activationBits: Int
  public var outputBits: Int
  /// Signed bits of the output scale's shift.
  public var shiftBits: Int

  public init(variant: Variant = .standard, indexBits: Int = 6, fractionBits: Int = 16, activationBits: Int = 16,
              outputBits: Int? = nil, shiftBits: Int = 8) throws {
    self.variant = variant
    self.indexBits = indexBits
    self.fractionBits = fractionBits
    self.activationBits = activationBits
    self.outputBits = outputBits ?? activationBits
    self.shiftBits = shiftBits
    guard (2...16).contains(activationBits), (2...16).contains(self.outputBits) else {
      throw RTLError("GDN activation and output bits must be 2...16, got \(activationBits), \(self.outputBits)")
    }
    guard (2...12).contains(shiftBits) else { throw RTLError("shift bits must be 2...12, got \(shiftBits)") }
    _ = try table()
  }

  /// The integer engine's own table for this variant (nil: inverse simplified).
  public func table() throws -> NormalizationTable? {
    guard let function = variant.function else { return nil }
    do {
      return try NormalizationTable(function: function, indexBits: indexBits, fractionBits: fractionBits)
    } catch { throw RTLError("GDN table: \(error)") }
  }

  public var moduleName: String { "lichen_gdn_" + variant.rawValue.replacingOccurrences(of: "-", with: "_") }

  /// Cycles from `in_valid` to `out_valid`.
  public var latency: Int { (variant == .inverseSimplified ? 4 : 6) + RequantizerVerilog.latency }
  /// Bits of the table value f (unsigned): square root reaches 2 * 2^fractionBits.
  var entryBits: Int { fractionBits + 2 }
  var valueBits: Int { variant == .inverseSimplified ? 30 : entryBits }
  /// x * f, signed.
  var productBits: Int { activationBits + valueBits + 1 }
  /// shift + fractionBits - exponent.
  var totalShiftBits: Int { shiftBits + 2 }
}

enum GDNUnitVerilog {
  static func source(_ c: GDNUnitConfig) throws -> String {
    let body = try c.table().map { tableBody(c, $0) } ?? identityBody(c)
    return RequantizerVerilog.source + header(c) + body
  }

  private static func header(_ c: GDNUnitConfig) -> String {
    """

    // \(c.moduleName): IntGDN's per-element output (\(c.variant.rawValue) GDN) from its pool P and input x.
    // y = clamp(FixedPointScale(mult, shift).apply(x * f(P), extraShift)), bit-exact with the integer engine.
    // Latency \(c.latency) cycles, one result per cycle. lower/upper are layer constants.
    module \(c.moduleName) #(
      parameter XB = \(c.activationBits),
      parameter OB = \(c.outputBits),
      parameter SW = \(c.shiftBits)
    ) (
      input  wire clk,
      input  wire in_valid,
      input  wire signed [63:0] pool,
      input  wire signed [XB-1:0] x,
      input  wire [30:0] mult,
      input  wire signed [SW-1:0] shift,
      input  wire signed [OB-1:0] lower,
      input  wire signed [OB-1:0] upper,
      output wire out_valid,
      output wire signed [OB-1:0] y
    );
      localparam TW = SW + 2;
      localparam VALW = \(c.valueBits);
      localparam VW = \(c.productBits);

    """
  }

  private static func tableBody(_ c: GDNUnitConfig, _ table: NormalizationTable) -> String {
    let segments = table.entries.count - 1
    let ew = c.entryBits
    let segShift = 30 - c.indexBits
    let recip = table.function == .reciprocal
    let digits = (2 * ew + 3) / 4
    var rom = ""
    for i in 0..<segments {
      let word = (UInt64(table.entries[i + 1]) << UInt64(ew)) | UInt64(table.entries[i])
      let hex = String(word, radix: 16)
      rom += "    rom[\(i)] = \(2 * ew)'h\(String(repeating: "0", count: max(0, digits - hex.count)) + hex);\n"
    }
    let exponent: String
    switch table.function {
    case .inverseSquareRoot: exponent = "-$signed({2'b00, n5[5:1]})"  // -(n / 2)
    case .squareRoot: exponent = "$signed({2'b00, n5[5:1]})"  // n / 2
    case .reciprocal: exponent = "-$signed({1'b0, n5})"  // -n
    }
    return """
      localparam SEGSHIFT = \(segShift);
      localparam EW = \(ew);
      reg g1, g2, g3, g4, g5, g6;
      reg [62:0] p1, p2;
      // leading-one position of p1 (63 - clz); 0 for p1 = 0
      reg [5:0] msb;
      integer i;
      always @* begin
        msb = 6'd0;
        for (i = 0; i < 63; i = i + 1) if (p1[i]) msb = i;
      end
      reg signed [XB-1:0] x1, x2, x3, x4, x5;
      reg [30:0] m1, m2, m3, m4, m5, m6;
      reg signed [SW-1:0] s1, s2, s3, s4, s5;
      // stage 1: P <= 0 counts as 1
      always @(posedge clk) begin
        g1 <= in_valid; x1 <= x; m1 <= mult; s1 <= shift;
        p1 <= (pool <= 0) ? 63'd1 : pool[62:0];
      end
      // stage 2: position of the leading one (63 - clz)
      reg [5:0] l2;
      always @(posedge clk) begin
        g2 <= g1; x2 <= x1; m2 <= m1; s2 <= s1; p2 <= p1; l2 <= msb;
      end
      // stage 3: mantissa with 30 fraction bits in [1, \(recip ? 2 : 4)), split into segment index and fraction
      wire [5:0] nrm = \(recip ? "l2" : "{l2[5:1], 1'b0}");
      wire [62:0] mant = (nrm <= 30) ? (p2 << (30 - nrm)) : (p2 >> (nrm - 30));
      wire [31:0] offset = mant[31:0] - 32'h40000000;
      reg [31-SEGSHIFT:0] idx3;
      reg [SEGSHIFT-1:0] fr3;
      reg [5:0] n3;
      always @(posedge clk) begin
        g3 <= g2; x3 <= x2; m3 <= m2; s3 <= s2; n3 <= nrm;
        idx3 <= offset[31:SEGSHIFT];
        fr3 <= offset[SEGSHIFT-1:0];
      end
      // stage 4: table ROM, word i = {entry[i+1], entry[i]} (NormalizationTable.entries, \(segments + 1) knots)
      (* rom_style = "block" *) reg [2*EW-1:0] rom [0:\(segments - 1)];
      initial begin
    \(rom)  end
      reg [2*EW-1:0] q4;
      reg [SEGSHIFT-1:0] fr4;
      reg [5:0] n4;
      always @(posedge clk) begin
        g4 <= g3; x4 <= x3; m4 <= m3; s4 <= s3; n4 <= n3; fr4 <= fr3;
        q4 <= rom[idx3];
      end
      // stage 5: a + (((b - a) * fraction) >>> SEGSHIFT)
      wire signed [EW:0] ea = {1'b0, q4[EW-1:0]};
      wire signed [EW:0] eb = {1'b0, q4[2*EW-1:EW]};
      wire signed [EW:0] diff = eb - ea;
      wire signed [SEGSHIFT:0] frs = {1'b0, fr4};
      wire signed [EW+SEGSHIFT+1:0] dprod = diff * frs;
      wire signed [EW+SEGSHIFT+1:0] dshift = dprod >>> SEGSHIFT;
      wire signed [EW+SEGSHIFT+1:0] interp = ea + dshift;
      reg [VALW-1:0] val5;
      reg [5:0] n5;
      always @(posedge clk) begin
        g5 <= g4; x5 <= x4; m5 <= m4; s5 <= s4; n5 <= n4;
        val5 <= interp[VALW-1:0];
      end
      // stage 6: x * f and the total shift: shift + \(c.fractionBits) - exponent
      wire signed [VALW:0] vals = {1'b0, val5};
      wire signed [VW-1:0] xv = x5 * vals;
      wire signed [TW-1:0] e = \(exponent);
      wire signed [TW-1:0] stot = s5 + \(c.fractionBits) - e;
      reg signed [VW-1:0] v6;
      reg signed [TW-1:0] st6;
      always @(posedge clk) begin
        g6 <= g5; m6 <= m5; v6 <= xv; st6 <= stot;
      end
      lichen_requant #(.ACCW(VW), .BIASW(1), .VW(VW), .SW(TW), .OB(OB)) rq (
        .clk(clk), .in_valid(g6), .acc(v6), .bias(1'b0), .mult(m6), .shift(st6), .lower(lower), .upper(upper),
        .out_valid(out_valid), .y(y));
    endmodule

    """
  }

  /// Inverse simplified GDN: y = scale.apply(x * (P >> excess), extraShift: -excess), P cut to 30 significant bits.
  private static func identityBody(_ c: GDNUnitConfig) -> String {
    """
      reg g1, g2, g3, g4;
      reg [62:0] p1, p2;
      // leading-one position of p1 (63 - clz); 0 for p1 = 0
      reg [5:0] msb;
      integer i;
      always @* begin
        msb = 6'd0;
        for (i = 0; i < 63; i = i + 1) if (p1[i]) msb = i;
      end
      reg signed [XB-1:0] x1, x2, x3;
      reg [30:0] m1, m2, m3, m4;
      reg signed [SW-1:0] s1, s2, s3;
      // stage 1: P <= 0 counts as 0
      always @(posedge clk) begin
        g1 <= in_valid; x1 <= x; m1 <= mult; s1 <= shift;
        p1 <= (pool <= 0) ? 63'd0 : pool[62:0];
      end
      // stage 2: bit length of P
      reg [5:0] l2;
      reg z2;
      always @(posedge clk) begin
        g2 <= g1; x2 <= x1; m2 <= m1; s2 <= s1; p2 <= p1; l2 <= msb; z2 <= (p1 == 0);
      end
      // stage 3: excess = max(0, bitlength - 30), value = P >> excess
      wire [5:0] excess = (!z2 && l2 >= 30) ? (l2 - 6'd29) : 6'd0;
      wire [62:0] cut = p2 >> excess;
      reg [VALW-1:0] val3;
      reg [5:0] ex3;
      always @(posedge clk) begin
        g3 <= g2; x3 <= x2; m3 <= m2; s3 <= s2; ex3 <= excess;
        val3 <= cut[VALW-1:0];
      end
      // stage 4: x * value, total shift = shift - excess
      wire signed [VALW:0] vals = {1'b0, val3};
      wire signed [VW-1:0] xv = x3 * vals;
      wire signed [TW-1:0] stot = s3 - $signed({1'b0, ex3});
      reg signed [VW-1:0] v4;
      reg signed [TW-1:0] st4;
      always @(posedge clk) begin
        g4 <= g3; m4 <= m3; v4 <= xv; st4 <= stot;
      end
      lichen_requant #(.ACCW(VW), .BIASW(1), .VW(VW), .SW(TW), .OB(OB)) rq (
        .clk(clk), .in_valid(g4), .acc(v4), .bias(1'b0), .mult(m4), .shift(st4), .lower(lower), .upper(upper),
        .out_valid(out_valid), .y(y));
    endmodule

    """
  }
}
