import Foundation

/// Runs the external hardware tools (Icarus Verilog's `iverilog` and `vvp`,
/// `yosys`) with Foundation.Process: finds them on PATH, reports a missing
/// one with the Debian package to install, and turns a failure into an
/// error carrying the end of the tool's output.
public enum RTLTools {
  public enum Tool: String, Sendable {
    case iverilog, vvp, yosys
    var package: String { self == .yosys ? "yosys" : "iverilog" }
  }

  /// The executable's path, or nil when it is not on PATH.
  public static func find(_ tool: Tool) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for dir in path.split(separator: ":") + ["/usr/bin", "/usr/local/bin"] {
      let candidate = "\(dir)/\(tool.rawValue)"
      if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
  }

  public static func require(_ tool: Tool) throws -> String {
    guard let path = find(tool) else { throw RTLError(missingMessage(tool)) }
    return path
  }

  static func missingMessage(_ tool: Tool) -> String {
    "\(tool.rawValue) was not found on PATH: install the Debian package '\(tool.package)' (apt-get install \(tool.package))"
  }

  /// Runs a tool in `directory`; returns stdout and stderr together. Throws when it exits non-zero.
  @discardableResult
  public static func run(_ tool: Tool, _ arguments: [String], in directory: URL) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try require(tool))
    process.arguments = arguments
    process.currentDirectoryURL = directory
    let logURL = directory.appendingPathComponent("\(tool.rawValue).log")
    _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
    let log = try FileHandle(forWritingTo: logURL)
    process.standardOutput = log
    process.standardError = log
    do { try process.run() } catch { throw RTLError("cannot start \(tool.rawValue): \(error)") }
    process.waitUntilExit()
    try? log.close()
    let output = (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
    guard process.terminationStatus == 0 else {
      throw RTLError("\(tool.rawValue) \(arguments.joined(separator: " ")) failed (exit \(process.terminationStatus)) in \(directory.path):\n\(output.suffix(3000))")
    }
    return output
  }

  /// The first line of `tool -V` (recorded with measured results).
  public static func version(_ tool: Tool) -> String? {
    guard let path = find(tool) else { return nil }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = tool == .vvp ? ["-V"] : ["-V"]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    guard (try? process.run()) != nil else { return nil }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self).split(separator: "\n").first.map(String.init)
  }
}
