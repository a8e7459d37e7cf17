import Compression
import Foundation

/// How a training run closes in on its teachers: each validation in the run's log as a one-point
/// BD-rate against the teachers' curve measured on the same validation images
/// (`Bjontegaard.rateChange`). Distilled students and their same-budget controls side by side show
/// where a width saturates without coding Kodak at every checkpoint.
public struct LearningCurve: Sendable, Equatable {
  /// One validation of the run.
  public struct Point: Sendable, Equatable {
    public var step: Int
    /// Estimated rate and PSNR on the validation images (the run's averaged weights where it keeps them).
    public var validation: RDPoint
    /// Rate change in percent against the teachers at equal PSNR; nil outside their PSNR range.
    public var rateChange: Double?
    /// The run's CPU hours at this step (its `cpu.csv`); nil when the run did not record them.
    public var cpuHours: Double? = nil
  }

  /// The axis a curve is drawn against: training steps, or CPU hours (what a recipe costs).
  public enum Axis: String, Sendable, CaseIterable {
    case steps
    case cpuHours = "cpu-hours"
  }

  public var name: String
  public var points: [Point]

  /// Reads a run's `log.csv` (the columns `step`, `val_bpp` and `val_psnr`; a step logged again after a
  /// resume counts once, with its last value); no rate changes yet (`against(_:)`).
  /// - Parameters:
  ///   - name: the run's label.
  ///   - log: the trainer's CSV log.
  /// - Throws: `DistillationError` naming the log that cannot be read or lacks the columns.
  public init(name: String, log: URL) throws {
    let text: String
    do { text = try String(contentsOf: log, encoding: .utf8) } catch {
      throw DistillationError("cannot read the training log \(log.path)")
    }
    var lines = text.split(whereSeparator: \.isNewline).makeIterator()
    let header = lines.next().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) } ?? []
    guard let stepColumn = header.firstIndex(of: "step"), let bppColumn = header.firstIndex(of: "val_bpp"),
          let psnrColumn = header.firstIndex(of: "val_psnr") else {
      throw DistillationError("\(log.path) is not a codec training log (no step, val_bpp and val_psnr columns)")
    }
    var byStep: [Int: RDPoint] = [:]
    while let line = lines.next() {
      let fields = line.split(separator: ",", omittingEmptySubsequences: false)
      guard fields.count > max(stepColumn, bppColumn, psnrColumn), let step = Int(fields[stepColumn]),
            let bpp = Double(fields[bppColumn]), let psnr = Double(fields[psnrColumn]),
            bpp > 0, bpp.isFinite, psnr.isFinite else { continue }
      byStep[step] = RDPoint(rate: bpp, quality: psnr)
    }
    self.name = name
    points = byStep.sorted { $0.key < $1.key }.map { Point(step: $0.key, validation: $0.value, rateChange: nil) }
  }

  /// The curve with each point's CPU hours from the trainer's `cpu.csv` (`step,cpu_seconds`; a step
  /// logged again after a resume counts with its last value). A missing file leaves the curve as it is
  /// (runs trained before the CPU time was recorded).
  /// - Throws: `DistillationError` for a file that exists but cannot be read.
  public func withCPUHours(from url: URL) throws -> LearningCurve {
    guard FileManager.default.fileExists(atPath: url.path) else { return self }
    let text: String
    do { text = try String(contentsOf: url, encoding: .utf8) } catch {
      throw DistillationError("cannot read the CPU log \(url.path)")
    }
    var seconds: [Int: Double] = [:]
    for line in text.split(whereSeparator: \.isNewline).dropFirst() {
      let fields = line.split(separator: ",")
      guard fields.count == 2, let step = Int(fields[0]), let value = Double(fields[1]), value >= 0 else { continue }
      seconds[step] = value
    }
    var curve = self
    for i in curve.points.indices { curve.points[i].cpuHours = seconds[curve.points[i].step].map { $0 / 3600 } }
    return curve
  }

  /// The curve with every point's rate change against the teachers' validation points.
  /// - Parameter teachers: four or more points, PSNR rising with rate.
  /// - Throws: the teachers' `BjontegaardError`.
  public func against(_ teachers: [RDPoint]) throws -> LearningCurve {
    var curve = self
    for i in curve.points.indices {
      curve.points[i].rateChange = try Bjontegaard.rateChange(of: curve.points[i].validation, against: teachers)
    }
    return curve
  }
}
