import Foundation
import LichenSerialization

/// What `lichen fpga rtl` does, as a library call (the CLI only parses
/// options): writes the unit's Verilog, compares it with the integer engine
/// on random vectors in Icarus Verilog, optionally synthesizes it with
/// Yosys, and gathers everything into one JSON-ready report.
public struct RTLRunOptions: Sendable {
  public enum Unit: String, Sendable, CaseIterable { case pe, gdn, packed }
  public var unit: Unit
  public var pe: PEArrayConfig
  /// GDN variants to run (one or all).
  public var gdn: [GDNUnitConfig]
  /// The packed two-product MAC (nil: 8x8, as many beats as stay exact).
  public var packed: PackedMACConfig?
  public var vectors: Int
  public var seed: UInt64
  public var synthesize: Bool
  public var directory: URL
  /// The command line, recorded in the report.
  public var command: String

  public init(unit: Unit, pe: PEArrayConfig, gdn: [GDNUnitConfig], packed: PackedMACConfig? = nil, vectors: Int,
              seed: UInt64, synthesize: Bool, directory: URL, command: String) {
    self.unit = unit
    self.pe = pe
    self.gdn = gdn
    self.packed = packed
    self.vectors = vectors
    self.seed = seed
    self.synthesize = synthesize
    self.directory = directory
    self.command = command
  }
}

public struct RTLReport: Codable, Sendable {
  public var command: String
  public var unit: String
  public var peArray: PEArrayConfig?
  public var gdnUnits: [GDNUnitConfig]?
  public var packedMAC: PackedMACConfig?
  /// Cycles from input to output (PE array: from the last beat).
  public var latency: [String: Int]
  public var verification: [RTLVerificationResult]
  public var synthesis: [String: SynthesisReport]
  /// Per-lane costs derived from `synthesis` (PE array: "peLane" = MAC / (PI*PO), "requantizer" per output lane;
  /// packed MAC: "packedMAC" = the unit, "product" = the unit / 2).
  public var perLane: [String: MeasuredUnitCosts.Cost]
  public var tools: [String: String]
  public var passed: Bool { verification.allSatisfy(\.passed) }

  public static func toolVersions() -> [String: String] {
    var tools: [String: String] = [:]
    for tool in [RTLTools.Tool.iverilog, .yosys] { tools[tool.rawValue] = RTLTools.version(tool) ?? "not installed" }
    return tools
  }

  public static func run(_ o: RTLRunOptions, log: (String) -> Void = { _ in }) throws -> RTLReport {
    var report = RTLReport(command: o.command, unit: o.unit.rawValue, latency: [:], verification: [], synthesis: [:],
                           perLane: [:], tools: toolVersions())
    let fm = FileManager.default
    do { try fm.createDirectory(at: o.directory, withIntermediateDirectories: true) } catch {
      throw RTLError("cannot create \(o.directory.path): \(error)")
    }
    /// Writes a unit's Verilog and says where.
    func write(_ text: String, _ name: String) throws {
      let url = o.directory.appendingPathComponent(name)
      do { try Data(text.utf8).write(to: url) } catch {
        throw RTLError("cannot write \(name) in \(o.directory.path): \(error)")
      }
      log("wrote \(url.path)")
    }
    /// Records and prints one simulation against the integer engine.
    func record(_ r: RTLVerificationResult) {
      log(r.summary + String(format: " [%.1f s simulation]", r.simulateSeconds))
      report.verification.append(r)
    }
    switch o.unit {
    case .pe:
      let c = o.pe
      report.peArray = c
      report.latency["lichen_pe_array"] = c.latency
      let name = "pe_array_\(c.inputLanes)x\(c.outputLanes)_a\(c.activationBits)w\(c.weightBits)" + (c.hasLeakyReLU ? "_leaky" : "")
      try write(PEArrayVerilog.source(c), name + ".v")
      if o.vectors > 0 {
        let r = try RTLVerification.verifyPEArray(c, vectors: o.vectors, seed: o.seed,
                                                  directory: o.directory.appendingPathComponent("sim-" + name))
        record(r)
      }
      if o.synthesize {
        let dir = o.directory.appendingPathComponent("synth-" + name)
        let array = try YosysSynthesis.run(verilog: PEArrayVerilog.source(c), top: PEArrayConfig.arrayModuleName, directory: dir)
        log("array: " + RTLUnitCosts.describe(array))
        let mac = try YosysSynthesis.run(verilog: PEArrayVerilog.source(c), top: PEArrayConfig.macModuleName, directory: dir)
        log("MAC: " + RTLUnitCosts.describe(mac))
        let rq = try YosysSynthesis.run(verilog: PEArrayVerilog.source(c), top: RequantizerVerilog.moduleName,
                                        parameters: RTLUnitCosts.requantizerParameters(c), directory: dir)
        log("requantizer: " + RTLUnitCosts.describe(rq))
        report.synthesis = ["array": array, "mac": mac, "requantizer": rq]
        report.perLane = ["peLane": MeasuredUnitCosts.Cost(mac, per: c.lanes), "requantizer": MeasuredUnitCosts.Cost(rq),
                          "array": MeasuredUnitCosts.Cost(array, per: c.lanes, bram: true)]
        if c.hasLeakyReLU {
          // One output lane's LeakyReLU unit (the planner's leakyReLU unit cost).
          let leaky = try YosysSynthesis.run(verilog: PEArrayVerilog.source(c), top: LeakyReLUVerilog.moduleName,
                                             parameters: RTLUnitCosts.leakyReLUParameters(c), directory: dir)
          log("LeakyReLU: " + RTLUnitCosts.describe(leaky))
          report.synthesis["leakyReLU"] = leaky
          report.perLane["leakyReLU"] = MeasuredUnitCosts.Cost(leaky)
        }
      }
    case .gdn:
      report.gdnUnits = o.gdn
      for g in o.gdn {
        report.latency[g.moduleName] = g.latency
        let source = try GDNUnitVerilog.source(g)
        try write(source, g.moduleName + ".v")
        if o.vectors > 0 {
          let r = try RTLVerification.verifyGDN(g, vectors: o.vectors, seed: o.seed,
                                                directory: o.directory.appendingPathComponent("sim-" + g.moduleName))
          record(r)
        }
        if o.synthesize {
          let s = try YosysSynthesis.run(verilog: source, top: g.moduleName,
                                         directory: o.directory.appendingPathComponent("synth-" + g.moduleName))
          log("\(g.variant.rawValue): " + RTLUnitCosts.describe(s))
          report.synthesis[g.variant.rawValue] = s
          report.perLane[g.variant.rawValue] = MeasuredUnitCosts.Cost(s, bram: true)
        }
      }
    case .packed:
      let c = try o.packed ?? PackedMACConfig()
      report.packedMAC = c
      report.latency[PackedMACConfig.moduleName] = PackedMACConfig.latency
      let name = "packed_mac_a\(c.activationBits)w\(c.weightBits)_beats\(c.beats)"
      let source = PackedMACVerilog.source(c)
      try write(source, name + ".v")
      if o.vectors > 0 {
        let r = try RTLVerification.verifyPackedMAC(c, vectors: o.vectors, seed: o.seed,
                                                    directory: o.directory.appendingPathComponent("sim-" + name))
        record(r)
      }
      if o.synthesize {
        let s = try YosysSynthesis.run(verilog: source, top: PackedMACConfig.moduleName,
                                       directory: o.directory.appendingPathComponent("synth-" + name))
        log("packed MAC: " + RTLUnitCosts.describe(s))
        report.synthesis["packed"] = s
        report.perLane = ["packedMAC": MeasuredUnitCosts.Cost(s), "product": MeasuredUnitCosts.Cost(s, per: 2)]
      }
    }
    return report
  }

  /// Pretty, key-sorted JSON (the measured files in docs/results/fpga).
  public static func json<T: Encodable>(_ value: T) throws -> Data {
    try PrettyJSON.encode(value)
  }
}

extension RTLReport {
  /// "  mismatch: vector V lane L: expected E, got G; INPUTS" for the first `limit` mismatches of each verified unit.
  public func mismatchLines(limit: Int = 5) -> [String] {
    verification.flatMap { result in
      result.firstMismatches.prefix(limit).map { m in
        "  mismatch: vector \(m.vector) lane \(m.lane): expected \(m.expected), "
          + "got \(m.got.map(String.init) ?? "x"); \(m.inputs)"
      }
    }
  }
}

extension GDNUnitConfig.Variant {
  /// The variants a command line names: one by its name, or every one for "all"; nil for any other name.
  public static func named(_ name: String) -> [Self]? {
    name == "all" ? allCases : Self(rawValue: name).map { [$0] }
  }
}
