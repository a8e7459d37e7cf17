import Foundation
import Reporting


/// Training curves from a trainer's CSV log: one panel per quantity (PSNR,
/// bpp, loss), training values smoothed, validation values as markers.
enum TrainingPlot {
  static func write(log: URL, to url: URL) throws {
    let lines = try String(contentsOf: log, encoding: .utf8).split(separator: "\n").dropFirst()
    var psnr: [(Double, Double)] = [], bpp: [(Double, Double)] = [], loss: [(Double, Double)] = []
    var valPSNR: [(Double, Double)] = [], valBPP: [(Double, Double)] = [], valLoss: [(Double, Double)] = []
    for line in lines {
      let f = line.split(separator: ",", omittingEmptySubsequences: false).map { Double($0) }
      guard f.count >= 10, let step = f[0] else { continue }
      if let v = f[1] { loss.append((step, v)) }
      if let p = f[4] { psnr.append((step, p)) }
      if let b = f[3] { bpp.append((step, b)) }
      if let v = f[7] { valBPP.append((step, v)) }
      if let v = f[8] { valPSNR.append((step, v)) }
      if let v = f[9] { valLoss.append((step, v)) }
    }
    func smooth(_ points: [(Double, Double)]) -> [(x: Double, y: Double)] {
      let k = Swift.max(1, points.count / 200)
      return stride(from: 0, to: points.count, by: k).map { i in
        let chunk = points[i..<Swift.min(points.count, i + k)]
        return (chunk.map(\.0).reduce(0, +) / Double(chunk.count), chunk.map(\.1).reduce(0, +) / Double(chunk.count))
      }
    }
    func panel(_ title: String, _ unit: String, _ train: [(Double, Double)], _ validation: [(Double, Double)],
               fromZero: Bool = false) -> SVGPlot {
      var plot = SVGPlot(title: title, xLabel: "step", yLabel: unit, series: [
        .init(name: "training", points: smooth(train), markers: false),
        .init(name: "validation", points: validation.map { (x: $0.0, y: $0.1) }, emphasized: true),
      ], xFromZero: true, yFromZero: fromZero)
      plot.height = 300
      return plot
    }
    let svg = SVGPlot.stacked([
      panel("PSNR", "PSNR (dB)", psnr, valPSNR),
      panel("Rate", "bits per pixel", bpp, valBPP, fromZero: true),
      panel("Loss (training: the run's objective; validation: lambda * 255^2 * MSE + bpp)", "loss", loss, valLoss),
    ])
    try Data(svg.utf8).write(to: url, options: .atomic)
  }
}
