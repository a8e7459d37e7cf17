import Compression
import Foundation

/// One width and variant of a distillation sweep (`sweep.json` is an array of them; `lichen fpga
/// dimension --sweep` reads the distilled rows).
public struct DistillationSweepRow: Codable, Sendable, Equatable {
  /// One RD point of the row: the model trained at `lambda`, mean over the evaluation images.
  public struct Point: Codable, Sendable, Equatable {
    public var lambda: Double
    public var bpp: Double
    public var psnr: Double
    public var msSSIM: Double?
  }

  /// "teacher", "distilled" or "control".
  public var variant: String
  public var n: Int
  public var parameters: Int
  /// MACs per pixel of the encoder, the decoder and each transform (g_a, h_a, h_s, g_s).
  public var macsPerPixel: [String: Double]
  /// Points by lambda (as text).
  public var points: [String: Point]
  public var bdRateVsTeacher: Double?
  public var bdPSNRVsTeacher: Double?
  /// Why the BD numbers are missing (e.g. a curve whose PSNR does not rise with rate).
  public var bdNote: String?
  public var encodeSeconds: Double
  public var decodeSeconds: Double

  /// The row's RD curve, by rate.
  public var curve: [RDPoint] { points.values.sorted { $0.bpp < $1.bpp }.map { RDPoint(rate: $0.bpp, quality: $0.psnr) } }

  /// The rows sorted (widest first) with each non-teacher row's BD-rate and BD-PSNR against the
  /// teacher's curve (both need 4 points; a failure is noted in `bdNote`).
  public static func comparedWithTeacher(_ unsorted: [DistillationSweepRow]) -> [DistillationSweepRow] {
    var rows = unsorted.sorted { ($0.n, $0.variant) > ($1.n, $1.variant) }
    guard let teacher = rows.first(where: { $0.variant == "teacher" }), teacher.curve.count >= 4 else { return rows }
    for i in rows.indices where rows[i].variant != "teacher" && rows[i].curve.count >= 4 {
      do {
        rows[i].bdRateVsTeacher = try Bjontegaard.deltaRate(of: rows[i].curve, against: teacher.curve)
        rows[i].bdPSNRVsTeacher = try Bjontegaard.deltaQuality(of: rows[i].curve, against: teacher.curve)
        rows[i].bdNote = nil
      } catch {
        rows[i].bdNote = "\(rows[i].variant) N=\(rows[i].n): no BD-rate vs the teacher: \(error)"
      }
    }
    return rows
  }

  /// The rows as CSV, one line per RD point.
  public static func csv(_ rows: [DistillationSweepRow]) -> String {
    var csv = "variant,N,parameters,encoder_macs_per_pixel,decoder_macs_per_pixel,g_a,h_a,h_s,g_s,lambda,bpp,psnr,ms_ssim,bd_rate_vs_teacher,bd_psnr_vs_teacher,encode_s,decode_s\n"
    for row in rows {
      for point in row.points.values.sorted(by: { $0.lambda < $1.lambda }) {
        let macs = ["encoder", "decoder", "g_a", "h_a", "h_s", "g_s"].map { String(row.macsPerPixel[$0] ?? 0) }
        csv += ([row.variant, String(row.n), String(row.parameters)] + macs
          + [String(point.lambda), String(point.bpp), String(point.psnr), point.msSSIM.map { String($0) } ?? "",
             row.bdRateVsTeacher.map { String($0) } ?? "", row.bdPSNRVsTeacher.map { String($0) } ?? "",
             String(row.encodeSeconds), String(row.decodeSeconds)]).joined(separator: ",") + "\n"
      }
    }
    return csv
  }

  /// The rows as a fixed-width text table, with the BD notes after it.
  public static func text(_ rows: [DistillationSweepRow]) -> String {
    func pad(_ s: String, _ width: Int) -> String { s.count >= width ? s : String(repeating: " ", count: width - s.count) + s }
    var text = ["variant", "N", "params", "encMAC/px", "decMAC/px", "lambda", "bpp", "PSNR", "MS-SSIM", "BD-rate"]
      .map { pad($0, 10) }.joined(separator: " ") + "\n"
    for row in rows {
      for point in row.points.values.sorted(by: { $0.lambda < $1.lambda }) {
        let bd = row.bdRateVsTeacher.map { String(format: "%.2f%%", $0) } ?? "-"
        text += [row.variant, String(row.n), String(row.parameters),
                 String(format: "%.0f", row.macsPerPixel["encoder"] ?? 0), String(format: "%.0f", row.macsPerPixel["decoder"] ?? 0),
                 String(format: "%.4f", point.lambda), String(format: "%.4f", point.bpp), String(format: "%.2f", point.psnr),
                 point.msSSIM.map { String(format: "%.4f", $0) } ?? "-", bd].map { pad($0, 10) }.joined(separator: " ") + "\n"
      }
    }
    for note in rows.compactMap(\.bdNote) { text += "note: \(note)\n" }
    return text
  }
}
