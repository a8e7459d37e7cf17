import Compression
import Foundation
import Reporting

extension LearningCurve {
  /// A run to read: a label and its folder (`LABEL=FOLDER` on the command line).
  public struct Run: Sendable, Equatable {
    public var name: String
    public var folder: URL

    public init(name: String, folder: URL) {
      self.name = name
      self.folder = folder
    }

    /// Parses `LABEL=FOLDER` (the last `=` separates them, so a label may hold one: `N=64=runs/n64`).
    /// - Throws: `DistillationError` when the label or the folder is missing.
    public init(_ spec: String) throws {
      guard let eq = spec.lastIndex(of: "="), eq != spec.startIndex, spec.index(after: eq) != spec.endIndex else {
        throw DistillationError("a run is LABEL=RUN_FOLDER, got '\(spec)'")
      }
      self.init(name: String(spec[..<eq]), folder: URL(fileURLWithPath: String(spec[spec.index(after: eq)...])))
    }
  }

  /// Learning curves of several runs against one set of teachers: `lichen distill-curve`.
  public struct Report: Sendable {
    /// The teachers' validation points by name, in rate order.
    public var teachers: [(name: String, point: RDPoint)]
    public var curves: [LearningCurve]

    /// Measures the teachers on the validation images, as training validates, and reads every run's log.
    /// - Parameters:
    ///   - teachers: registry names or model files, one per lambda (four or more).
    ///   - validation: the images the runs validated on (the same split).
    ///   - runs: a label and a run folder (its `log.csv`) for each run.
    /// - Throws: `DistillationError` for no runs or a log that cannot be read; the loaders' errors for a teacher.
    public static func measure(teachers: [String], validation: ImageSet, runs: [Run]) throws
      -> Report {
      guard !runs.isEmpty else { throw DistillationError("no runs to read") }
      guard teachers.count >= Bjontegaard.minimumPointCount else {
        throw DistillationError("give \(Bjontegaard.minimumPointCount) or more teachers (one per lambda), got \(teachers.count)")
      }
      let logs = try runs.map {
        try LearningCurve(name: $0.name, log: $0.folder.appendingPathComponent("log.csv"))
          .withCPUHours(from: $0.folder.appendingPathComponent("cpu.csv"))
      }
      var measured: [(name: String, point: RDPoint)] = []
      for name in teachers {
        measured.append((name, try validation.validationPoint(of: try ModelStore.load(name).model)))
      }
      measured.sort { $0.point.rate < $1.point.rate }
      let anchor = measured.map(\.point)
      return Report(teachers: measured, curves: try logs.map { try $0.against(anchor) })
    }

    /// `run,step,val_bpp,val_psnr,rate_change_percent,cpu_hours`: the teachers first (no step), then
    /// every validation (empty fields where a value is unknown).
    public var csv: String {
      var lines = ["run,step,val_bpp,val_psnr,rate_change_percent,cpu_hours"]
      for t in teachers { lines.append("\(CSV.field(t.name)),,\(t.point.rate),\(t.point.quality),,") }
      for curve in curves {
        for p in curve.points {
          lines.append("\(CSV.field(curve.name)),\(p.step),\(p.validation.rate),\(p.validation.quality),"
            + (p.rateChange.map { String($0) } ?? "") + "," + (p.cpuHours.map { String(format: "%.4f", $0) } ?? ""))
        }
      }
      return lines.joined(separator: "\n") + "\n"
    }

    /// Rate change against the teachers over steps or CPU hours, one series per run (points outside the
    /// teachers' PSNR range, or without a CPU time on that axis, are left out).
    public func plot(title: String, axis: Axis = .steps) -> SVGPlot {
      let series = curves.enumerated().map { index, curve in
        SVGPlot.Series(name: curve.name, points: curve.points.compactMap { p in
          guard let change = p.rateChange, let x = axis == .steps ? Double(p.step) : p.cpuHours else { return nil }
          return (x: x, y: change)
        }, emphasized: index == 0)
      }
      return SVGPlot(title: title, xLabel: axis == .steps ? "training step" : "CPU hours of training",
                     yLabel: "rate vs teachers at equal validation PSNR (%)", series: series, xFromZero: true)
    }

    /// One line per teacher, then per run its last validation and its smallest rate change.
    public var summary: String {
      var lines = teachers.map {
        "teacher \($0.name): \(String(format: "%.4f", $0.point.rate)) bpp / \(String(format: "%.2f", $0.point.quality)) dB"
      }
      for curve in curves {
        guard let last = curve.points.last else {
          lines.append("\(curve.name): no validation in its log")
          continue
        }
        let change = last.rateChange.map { String(format: "%+.2f%%", $0) } ?? "outside the teachers' PSNR range"
        var line = "\(curve.name): step \(last.step) \(String(format: "%.4f", last.validation.rate)) bpp / "
          + "\(String(format: "%.2f", last.validation.quality)) dB, \(change) rate vs teachers"
        let ranked = curve.points.compactMap { p in p.rateChange.map { (step: p.step, change: $0) } }
        if let best = ranked.min(by: { $0.change < $1.change }) {
          line += String(format: " (best %+.2f%% at step %d)", best.change, best.step)
        }
        lines.append(line)
      }
      return lines.joined(separator: "\n")
    }
  }
}
