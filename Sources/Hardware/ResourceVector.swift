/// Counts of the five FPGA resources the planner budgets (DSP slices, 36 Kb
/// block RAMs, UltraRAMs, LUTs, flip-flops), with the arithmetic the planner
/// needs: sums, fits-within, and the first resource that does not fit.
public struct ResourceVector: Codable, Sendable, Equatable {
  public var dsp: Int
  public var bram36: Int
  public var uram: Int
  public var lut: Int
  public var ff: Int

  public init(dsp: Int = 0, bram36: Int = 0, uram: Int = 0, lut: Int = 0, ff: Int = 0) {
    self.dsp = dsp
    self.bram36 = bram36
    self.uram = uram
    self.lut = lut
    self.ff = ff
  }

  public static let zero = ResourceVector()
  /// Display names, in the order of `values`.
  public static let names = ["DSP", "BRAM36", "URAM", "LUT", "FF"]

  public var values: [Int] { [dsp, bram36, uram, lut, ff] }

  public static func + (a: ResourceVector, b: ResourceVector) -> ResourceVector {
    ResourceVector(dsp: a.dsp + b.dsp, bram36: a.bram36 + b.bram36, uram: a.uram + b.uram, lut: a.lut + b.lut, ff: a.ff + b.ff)
  }

  public static func += (a: inout ResourceVector, b: ResourceVector) { a = a + b }

  /// Every count <= the budget's (also: `budget` dominates `self`).
  public func fits(in budget: ResourceVector) -> Bool {
    dsp <= budget.dsp && bram36 <= budget.bram36 && uram <= budget.uram && lut <= budget.lut && ff <= budget.ff
  }

  /// The element-wise minimum.
  public static func minimum(_ a: ResourceVector, _ b: ResourceVector) -> ResourceVector {
    ResourceVector(dsp: Swift.min(a.dsp, b.dsp), bram36: Swift.min(a.bram36, b.bram36), uram: Swift.min(a.uram, b.uram),
                   lut: Swift.min(a.lut, b.lut), ff: Swift.min(a.ff, b.ff))
  }

  /// Sum of the counts: strictly increasing in each, so a vector can only be dominated by one with a smaller sum.
  var total: Int { dsp + bram36 + uram + lut + ff }

  /// `self` scaled by `fraction`, rounded down (a utilization cap).
  public func capped(at fraction: Double) -> ResourceVector {
    func f(_ v: Int) -> Int { Int((Double(v) * fraction).rounded(.down)) }
    return ResourceVector(dsp: f(dsp), bram36: f(bram36), uram: f(uram), lut: f(lut), ff: f(ff))
  }
}
