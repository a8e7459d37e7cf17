import Foundation
import LichenSerialization

/// Per-unit LUT/FF/DSP/BRAM costs of the hardware building blocks (a PE
/// lane by operand widths, a requantizer, the GDN normalizer, per-stage
/// control, a scale-index unit), read from `Resources/unit-costs.json`.
/// `status` says whether the numbers are estimates or Yosys measurements of
/// the generated RTL; plans carry it so reports say which they used.
public struct UnitCosts: Codable, Sendable, Equatable {
  public struct Cost: Codable, Sendable, Equatable {
    public var lut: Double
    public var ff: Double
    public var dsp: Double
    public var bram36: Double

    public init(lut: Double, ff: Double, dsp: Double = 0, bram36: Double = 0) {
      self.lut = lut
      self.ff = ff
      self.dsp = dsp
      self.bram36 = bram36
    }

    enum CodingKeys: String, CodingKey { case lut, ff, dsp, bram36 }

    public init(from decoder: any Decoder) throws {
      let c = try decoder.container(keyedBy: CodingKeys.self)
      lut = try c.decode(Double.self, forKey: .lut)
      ff = try c.decode(Double.self, forKey: .ff)
      dsp = try c.decodeIfPresent(Double.self, forKey: .dsp) ?? 0
      bram36 = try c.decodeIfPresent(Double.self, forKey: .bram36) ?? 0
    }
  }

  public static let format = "lichen-unit-costs-1"
  /// Lane classes by (activation bits x weight bits).
  public static let laneClasses = ["8x8", "16x8", "16x16"]

  public var format: String
  public var status: String
  public var source: String
  /// One multiplier lane with its share of the adder tree and accumulator, by class ("8x8", "16x8", "16x16").
  public var peLane: [String: Cost]
  public var requantizer: Cost
  public var gdnNormalizer: Cost
  public var stageControl: Cost
  /// One Gaussian scale-index unit (comparisons against the 63 scale thresholds; one element per cycle).
  public var scaleIndex: Cost?
  /// One LeakyReLU unit after a requantizer (the mean-scale hyperprior's h_a and h_s); nil: priced as a second
  /// requantizer.
  public var leakyReLU: Cost?

  public init(format: String = UnitCosts.format, status: String, source: String, peLane: [String: Cost], requantizer: Cost,
              gdnNormalizer: Cost, stageControl: Cost, scaleIndex: Cost?, leakyReLU: Cost? = nil) {
    self.format = format
    self.status = status
    self.source = source
    self.peLane = peLane
    self.requantizer = requantizer
    self.gdnNormalizer = gdnNormalizer
    self.stageControl = stageControl
    self.scaleIndex = scaleIndex
    self.leakyReLU = leakyReLU
  }

  /// Default scale-index unit when the file has none (a pipelined 6-step binary search with its threshold ROM).
  public static let defaultScaleIndex = Cost(lut: 220, ff: 140)

  public var scaleIndexUnit: Cost { scaleIndex ?? Self.defaultScaleIndex }

  /// The LeakyReLU unit: measured when the file has it, else a second requantizer (an upper bound: the unit is a
  /// requantizer of a narrower value).
  public var leakyReLUUnit: Cost { leakyReLU ?? requantizer }

  /// The bundled file.
  public static func bundled() throws -> UnitCosts {
    guard let url = Bundle.module.url(forResource: "unit-costs", withExtension: "json", subdirectory: "Resources")
      ?? Bundle.module.url(forResource: "unit-costs", withExtension: "json")
    else { throw HardwareError("the bundled unit costs (Resources/unit-costs.json) are missing from this build") }
    return try load(file: url)
  }

  public static func load(file url: URL) throws -> UnitCosts {
    let data: Data
    do { data = try Data(contentsOf: url) } catch {
      throw HardwareError("cannot read unit costs \(url.path): \(error.localizedDescription)")
    }
    return try parse(data, origin: url.path)
  }

  /// Decodes and validates a unit-cost document; errors name `origin` and the field.
  public static func parse(_ data: Data, origin: String) throws -> UnitCosts {
    let costs: UnitCosts
    do { costs = try JSONDecoder().decode(UnitCosts.self, from: data) } catch {
      let reason = JSONDiagnostics.describe(error, data: data) { _ = try JSONDecoder().decode(UnitCosts.self, from: $0) }
      throw HardwareError("cannot read unit costs \(origin): \(reason)")
    }
    do { try costs.validate() } catch let error as HardwareError { throw HardwareError("\(origin): \(error.message)") }
    return costs
  }

  /// Largest LUT/FF/DSP/BRAM count of one unit: far above any real unit, low enough that the cost
  /// model's products with lane counts stay finite and convert to Int.
  public static let maxUnitCost = 1e7

  /// Throws unless the format is known, the status is "estimated" or "measured", every lane class is
  /// present and every cost is a finite number in 0...`maxUnitCost` (the planner rounds them to Int).
  public func validate() throws {
    guard format == Self.format else { throw HardwareError("format must be \(Self.format), got \(JSONDiagnostics.quoted(format))") }
    guard ["estimated", "measured"].contains(status) else {
      throw HardwareError("status must be estimated or measured, got \(JSONDiagnostics.quoted(status))")
    }
    for name in Self.laneClasses where peLane[name] == nil {
      throw HardwareError("peLane has no \"\(name)\" entry")
    }
    var costs = [("requantizer", requantizer), ("gdnNormalizer", gdnNormalizer), ("stageControl", stageControl)]
    costs += peLane.sorted { $0.key < $1.key }.map { ("peLane[\(JSONDiagnostics.quoted($0.key))]", $0.value) }
    if let scaleIndex { costs.append(("scaleIndex", scaleIndex)) }
    if let leakyReLU { costs.append(("leakyReLU", leakyReLU)) }
    for (field, cost) in costs {
      for (name, value) in [("lut", cost.lut), ("ff", cost.ff), ("dsp", cost.dsp), ("bram36", cost.bram36)]
      where !(value.isFinite && value >= 0 && value <= Self.maxUnitCost) {
        throw HardwareError("\(field).\(name): \(value) is not a finite number in 0...\(Int(Self.maxUnitCost))")
      }
    }
  }

  /// The lane class of a product of `activationBits` x `weightBits` operands.
  public static func laneClass(activationBits: Int, weightBits: Int) -> String {
    if activationBits <= 8 && weightBits <= 8 { return "8x8" }
    if weightBits <= 8 { return "16x8" }
    return "16x16"
  }

  public func lane(activationBits: Int, weightBits: Int) -> Cost {
    peLane[Self.laneClass(activationBits: activationBits, weightBits: weightBits)] ?? peLane["16x16"]
      ?? Cost(lut: 60, ff: 80)
  }
}
