/// Verilog for a pipeline stage's controller, synthesized only to measure its
/// cost for the planner (`stageControl`): the nested counters that walk a
/// convolution stage (beat within a dot product, output-channel group,
/// column, row), the first/last flags for the PE array, the weight and
/// per-channel-constant addresses, and the stall on upstream/downstream
/// handshakes. It computes no values, so it is not part of the bit-exact
/// comparison.
enum StageControlVerilog {
  static let moduleName = "lichen_stage_control"

  static let source = """
    // lichen_stage_control: walks beats x output groups x columns x rows of one stage.
    // issue/first/last drive a lichen_pe_array; waddr addresses the weight memory,
    // group the per-channel constants; the walk stalls while !(in_ready && out_ready).
    module lichen_stage_control #(
      parameter CW = 16,
      parameter AW = 16
    ) (
      input  wire clk,
      input  wire rst,
      input  wire start,
      input  wire [CW-1:0] cfg_beats,
      input  wire [CW-1:0] cfg_groups,
      input  wire [CW-1:0] cfg_cols,
      input  wire [CW-1:0] cfg_rows,
      input  wire in_ready,
      input  wire out_ready,
      output reg  busy,
      output reg  issue,
      output reg  first,
      output reg  last,
      output reg  [AW-1:0] waddr,
      output reg  [CW-1:0] group,
      output reg  [CW-1:0] col,
      output reg  [CW-1:0] row,
      output reg  row_done,
      output reg  done
    );
      reg [CW-1:0] beat;
      wire go = busy && in_ready && out_ready;
      wire end_beat = beat == cfg_beats - 1;
      wire end_group = group == cfg_groups - 1;
      wire end_col = col == cfg_cols - 1;
      wire end_row = row == cfg_rows - 1;
      always @(posedge clk) begin
        if (rst) begin
          busy <= 1'b0; issue <= 1'b0; first <= 1'b0; last <= 1'b0; done <= 1'b0; row_done <= 1'b0;
          beat <= 0; group <= 0; col <= 0; row <= 0; waddr <= 0;
        end else begin
          done <= 1'b0;
          row_done <= 1'b0;
          issue <= go;
          first <= go && beat == 0;
          last <= go && end_beat;
          if (start && !busy) begin
            busy <= 1'b1; beat <= 0; group <= 0; col <= 0; row <= 0; waddr <= 0;
          end else if (go) begin
            if (!end_beat) begin
              beat <= beat + 1; waddr <= waddr + 1;
            end else begin
              beat <= 0;
              if (!end_group) begin
                group <= group + 1; waddr <= waddr + 1;
              end else begin
                group <= 0; waddr <= 0;
                if (!end_col) col <= col + 1;
                else begin
                  col <= 0; row_done <= 1'b1;
                  if (!end_row) row <= row + 1;
                  else begin row <= 0; busy <= 1'b0; done <= 1'b1; end
                end
              end
            end
          end
        end
      end
    endmodule

    """
}
