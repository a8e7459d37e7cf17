/// Errors of the RTL flow (Verilog generation, Icarus Verilog simulation,
/// Yosys synthesis): a configuration the generated hardware cannot take, a
/// missing tool (with the Debian package to install), a tool that failed
/// (with the end of its log). Kept apart from the planner's errors so the
/// RTL files stand alone.
public struct RTLError: Error, CustomStringConvertible, Sendable {
  public let message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}
