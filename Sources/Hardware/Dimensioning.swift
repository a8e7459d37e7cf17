import Foundation
import IntegerCodec
import LichenSerialization

/// Auto-dimensioning: the paper's "tune one hyperparameter instead of the
/// hardware". Plans the teacher architecture at several student widths N
/// (M and the scheme kept) on every board, and returns the widest N that
/// meets a frame rate on the target board, with RD numbers from a
/// distill-sweep result file or registry students where they exist.
public struct DimensioningRow: Codable, Sendable, Equatable {
  public var n: Int
  public var macsPerFrame: Int
  /// fps per board name (nil: does not fit even at minimum parallelism).
  public var fps: [String: Double?]
  /// Why a board could not take it (short resource), per board name.
  public var infeasible: [String: String]
  /// Target-board plan summary.
  public var targetFPS: Double?
  public var targetBottleneck: String?
  public var targetMACEfficiency: Double?
  public var meetsTarget: Bool
  /// RD of the trained student (bpp, PSNR at the teacher's lambda; BD-rate vs teacher in percent), when known.
  public var bpp: Double?
  public var psnr: Double?
  public var bdRateVsTeacher: Double?
  /// Where the RD numbers come from ("sweep FILE", "registry NAME", "MAC model only").
  public var rdSource: String
}

public struct DimensioningResult: Codable, Sendable, Equatable {
  public var teacher: String
  public var board: String
  public var part: PipelinePart
  public var requested: Resolution
  public var padded: Resolution
  public var targetFPS: Double
  public var scheme: String
  public var widths: [Int]
  public var boards: [String]
  /// The widest N meeting the target on the board, nil when none does.
  public var chosenN: Int?
  public var rows: [DimensioningRow]
  /// What the scheme's bit widths cost against float, when a BD-rate table was given.
  public var bitsPrice: BitsPrice?
  public var notes: [String]
}

/// RD numbers of trained students, from `lichen distill-sweep`'s sweep.json (rows with
/// variant, n, points {key: {lambda, bpp, psnr}}, bdRateVsTeacher).
public struct StudentRD: Sendable {
  public struct Entry: Sendable, Equatable {
    public var bpp: Double?
    public var psnr: Double?
    public var bdRateVsTeacher: Double?
    public var source: String

    public init(bpp: Double?, psnr: Double?, bdRateVsTeacher: Double?, source: String) {
      self.bpp = bpp
      self.psnr = psnr
      self.bdRateVsTeacher = bdRateVsTeacher
      self.source = source
    }
  }

  public var byWidth: [Int: Entry]

  public init(byWidth: [Int: Entry] = [:]) { self.byWidth = byWidth }

  struct SweepRow: Decodable {
    var variant: String
    var n: Int
    var points: [String: Point]?
    var bdRateVsTeacher: Double?
  }

  struct Point: Decodable {
    var lambda: Double
    var bpp: Double
    var psnr: Double
  }

  /// Distilled rows of a sweep file; the point nearest `lambda` (or the first) gives bpp/PSNR.
  public static func sweep(file url: URL, lambda: Double?) throws -> StudentRD {
    let data: Data
    do { data = try Data(contentsOf: url) } catch {
      throw HardwareError("cannot read sweep file \(url.path): \(error.localizedDescription)")
    }
    return try sweep(data, origin: url.path, name: url.lastPathComponent, lambda: lambda)
  }

  /// `sweep(file:lambda:)` on the document's bytes; errors name `origin` and the field.
  public static func sweep(_ data: Data, origin: String, name: String, lambda: Double?) throws -> StudentRD {
    let rows: [SweepRow]
    do { rows = try JSONDecoder().decode([SweepRow].self, from: data) } catch {
      let reason = JSONDiagnostics.describe(error, data: data) { _ = try JSONDecoder().decode([SweepRow].self, from: $0) }
      throw HardwareError("\(origin) is not a distill-sweep sweep.json (rows with variant, n, points): \(reason)")
    }
    try validate(rows, origin: origin)
    var result = StudentRD()
    for row in rows where row.variant == "distilled" {
      let points = (row.points ?? [:]).values.sorted { $0.lambda < $1.lambda }
      let point = lambda.flatMap { l in points.min { abs($0.lambda - l) < abs($1.lambda - l) } } ?? points.first
      result.byWidth[row.n] = Entry(bpp: point?.bpp, psnr: point?.psnr, bdRateVsTeacher: row.bdRateVsTeacher,
                                    source: "sweep \(name)")
    }
    return result
  }

  /// Widths are positive (at most 65536, as a model's N), numbers finite, rates and lambdas non-negative,
  /// and no width has two distilled rows: the table and the width lookup use them as they are.
  static func validate(_ rows: [SweepRow], origin: String) throws {
    var distilled = Set<Int>()
    for (i, row) in rows.enumerated() {
      func fail(_ field: String, _ problem: String) -> HardwareError { HardwareError("\(origin): [\(i)].\(field): \(problem)") }
      guard (1...65_536).contains(row.n) else { throw fail("n", "\(row.n) is not a width in 1...65536") }
      if row.variant == "distilled" {
        guard distilled.insert(row.n).inserted else { throw fail("n", "N=\(row.n) has two distilled rows") }
      }
      if let bd = row.bdRateVsTeacher, !bd.isFinite { throw fail("bdRateVsTeacher", "\(bd) is not finite") }
      for (key, point) in (row.points ?? [:]).sorted(by: { $0.key < $1.key }) {
        for (name, value, nonNegative) in [("lambda", point.lambda, true), ("bpp", point.bpp, true), ("psnr", point.psnr, false)]
        where !value.isFinite || (nonNegative && value < 0) {
          throw fail("points[\(JSONDiagnostics.quoted(key))].\(name)", "\(value) is not a finite\(nonNegative ? " non-negative" : "") number")
        }
      }
    }
  }
}

public enum Dimensioning {
  /// Plans every width on every board; picks the widest width meeting `fps` on `board`.
  public static func run(
    teacher: HardwareModel, widths: [Int], board: Board, boards: [Board], resolution: Resolution, part: PipelinePart,
    fps: Double, scheme: String?, unitCosts: UnitCosts, options: PlannerOptions, rd: StudentRD, bitsPriceTable: String? = nil
  ) throws -> (DimensioningResult, [Int: Plan]) {
    guard !widths.isEmpty, widths.allSatisfy({ $0 > 0 && $0 <= 1024 }) else { throw HardwareError("--widths must be positive integers") }
    guard fps > 0 else { throw HardwareError("--fps must be positive") }
    let schemeText = teacher.studentScheme(scheme)
    let quantization = try QuantizationScheme(schemeText)
    let price = try bitsPriceTable.map { try BitsPrice.read(table: $0, scheme: schemeText) }
    var allBoards = boards
    if !allBoards.contains(where: { $0.name == board.name }) { allBoards.insert(board, at: 0) }
    var rows: [DimensioningRow] = []
    var plans: [Int: Plan] = [:]
    var padded = resolution.padded(to: LayerGraph.sizeMultiple)
    for n in widths.sorted() {
      var configuration = teacher.configuration
      configuration.n = n
      let graph = try LayerGraph.build(configuration: configuration, source: "\(teacher.source) N=\(n)",
                                       scheme: quantization, resolution: resolution, part: part)
      padded = graph.padded
      var fpsByBoard: [String: Double?] = [:]
      var infeasible: [String: String] = [:]
      var target: Plan? = nil
      for b in allBoards {
        var boardOptions = options
        if b.name != board.name { boardOptions.clockMHz = nil }
        do {
          let plan = try Planner.plan(graph, board: b, unitCosts: unitCosts, options: boardOptions)
          fpsByBoard[b.name] = plan.fps
          if b.name == board.name { target = plan }
        } catch let error as HardwareError {
          fpsByBoard[b.name] = .some(nil)
          infeasible[b.name] = error.message
        }
      }
      if let target { plans[n] = target }
      let known = rd.byWidth[n]
      rows.append(DimensioningRow(
        n: n, macsPerFrame: graph.macs, fps: fpsByBoard, infeasible: infeasible, targetFPS: target?.fps,
        targetBottleneck: target?.bottleneck, targetMACEfficiency: target?.macEfficiency,
        meetsTarget: (target?.fps ?? 0) >= fps, bpp: known?.bpp, psnr: known?.psnr, bdRateVsTeacher: known?.bdRateVsTeacher,
        rdSource: known?.source ?? "MAC model only"))
    }
    let chosen = rows.filter(\.meetsTarget).map(\.n).max()
    var notes: [String] = []
    if padded != resolution {
      notes.append("\(resolution) is padded to \(padded) (multiples of 64), as the codec pads images")
    }
    notes.append("students keep the teacher's architecture and M=\(teacher.configuration.m), scheme \(schemeText); fps from the exact planner with unit costs \(unitCosts.status)")
    return (DimensioningResult(
      teacher: teacher.source, board: board.name, part: part, requested: resolution, padded: padded, targetFPS: fps,
      scheme: schemeText, widths: widths.sorted(), boards: allBoards.map(\.name), chosenN: chosen, rows: rows, bitsPrice: price,
      notes: notes), plans)
  }

  /// The trade-off table as text.
  public static func text(_ r: DimensioningResult) -> String {
    var s = "teacher \(r.teacher), \(r.part.rawValue) at \(r.padded)\(r.padded == r.requested ? "" : " (requested \(r.requested))"), target \(PlanReport.fmt(r.targetFPS)) fps on \(r.board), scheme \(r.scheme)\n"
    s += PlanReport.pad("N", 5) + PlanReport.lpad("GMAC", 7)
    for b in r.boards { s += PlanReport.lpad(b, 12) }
    s += PlanReport.lpad("eff", 7) + PlanReport.lpad("bpp", 7) + PlanReport.lpad("PSNR", 7) + PlanReport.lpad("BD-rate", 9) + "  RD source\n"
    for row in r.rows {
      s += PlanReport.pad("\(row.n)", 5) + PlanReport.lpad(String(format: "%.2f", Double(row.macsPerFrame) / 1e9), 7)
      for b in r.boards {
        let v: String
        if let f = row.fps[b], let fps = f { v = String(format: "%.1f", fps) } else { v = "no fit" }
        s += PlanReport.lpad(v + (b == r.board && row.meetsTarget ? "*" : ""), 12)
      }
      s += PlanReport.lpad(row.targetMACEfficiency.map { String(format: "%.0f%%", $0 * 100) } ?? "-", 7)
      s += PlanReport.lpad(row.bpp.map { String(format: "%.3f", $0) } ?? "-", 7)
      s += PlanReport.lpad(row.psnr.map { String(format: "%.2f", $0) } ?? "-", 7)
      s += PlanReport.lpad(row.bdRateVsTeacher.map { String(format: "%+.1f%%", $0) } ?? "-", 9)
      s += "  \(row.rdSource)\n"
    }
    s += "fps columns: frames per second of the exact plan on each board at its default clock (* meets the target on \(r.board)); eff: MAC efficiency on \(r.board)\n"
    if let n = r.chosenN {
      s += "widest N meeting \(PlanReport.fmt(r.targetFPS)) fps on \(r.board): N=\(n)\n"
    } else {
      s += "no width in \(r.widths.map(String.init).joined(separator: ",")) meets \(PlanReport.fmt(r.targetFPS)) fps on \(r.board)\n"
    }
    if let p = r.bitsPrice {
      s += "bits: scheme \(p.scheme) costs \(String(format: "%+.2f%%", p.bdRatePercent)) BD-rate (PCHIP, PSNR) against \(p.anchor) over \(p.points) RD points (\(p.source))\n"
    }
    for note in r.notes { s += "note: \(note)\n" }
    return s
  }
}
