/// Hardware: from a Lichen codec model to a pipelined FPGA design.
///
/// Job: the board catalog (`Board`, `BoardCatalog`), the per-layer stage graph
/// of a float or quantized model (`LayerGraph`), the documented resource/cycle
/// cost model, the exact pipeline planner and auto-dimensioning, the
/// row-level pipeline simulator (values from the integer engine, so its
/// output is bit-identical to it), the Verilog generators for the GDN unit
/// and a convolution PE array (checked with Icarus Verilog, sized with
/// Yosys), and the HLS header export. Depends on Compression, Quantization,
/// IntegerEngine and Imaging; nothing depends on it but the CLI.
public enum Hardware {}
