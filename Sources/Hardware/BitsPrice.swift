import Foundation
import LichenSerialization

/// What a quantization scheme's bit widths cost in rate-distortion: its
/// BD-rate against the float models, read from a `lichen rd-plot --table`
/// CSV (e.g. `docs/results/integer/bd-vs-float.csv` from
/// `scripts/eval-integer.sh`, where each scheme is the series `SCHEME-ANCHOR`).
/// `lichen fpga dimension --bits-price` prints it beside the frame rates, so
/// widths, bits and frame rate are traded with measured numbers.
public struct BitsPrice: Codable, Sendable, Equatable {
  public var scheme: String
  /// BD-rate (PCHIP on PSNR) against the anchor, in percent; positive = more bits.
  public var bdRatePercent: Double
  public var anchor: String
  /// RD points of the series.
  public var points: Int
  /// The table it came from.
  public var source: String

  /// Reads `scheme`'s row from the table at `path` (named as given in messages and in `source`).
  public static func read(table path: String, scheme: String) throws -> BitsPrice {
    let data: Data
    do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
      throw HardwareError("cannot read BD-rate table \(path): \(error.localizedDescription)")
    }
    return try parse(data, origin: path, scheme: scheme)
  }

  /// `read(table:scheme:)` on the file's bytes; errors name `origin`, the line and the column.
  public static func parse(_ data: Data, origin: String, scheme: String) throws -> BitsPrice {
    guard let text = String(data: data, encoding: .utf8) else { throw HardwareError("\(origin) is not UTF-8 text") }
    let lines = text.split(whereSeparator: \.isNewline).map(String.init)
    guard let header = lines.first?.split(separator: ",", omittingEmptySubsequences: false).map(String.init) else {
      throw HardwareError("\(origin) is empty (expected an rd-plot --table CSV)")
    }
    let needed = ["series", "anchor", "metric", "points", "bd_rate_pchip_percent"]
    var column: [String: Int] = [:]
    for name in needed {
      guard let i = header.firstIndex(of: name) else {
        throw HardwareError("\(origin): no column '\(name)' (expected an rd-plot --table CSV with \(needed.joined(separator: ", ")))")
      }
      column[name] = i
    }
    var schemes: [String] = []
    for (number, line) in lines.enumerated().dropFirst() {
      let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
      func cell(_ name: String) throws -> String {
        guard let i = column[name], i < cells.count else { throw HardwareError("\(origin) line \(number + 1): no '\(name)' cell") }
        return cells[i]
      }
      let series = try cell("series"), anchor = try cell("anchor")
      guard try cell("metric") == "psnr", series.hasSuffix("-" + anchor), series.count > anchor.count + 1 else { continue }
      let name = String(series.dropLast(anchor.count + 1))
      schemes.append(name)
      guard name == scheme else { continue }
      guard let rate = Double(try cell("bd_rate_pchip_percent")), rate.isFinite else {
        throw HardwareError("\(origin) line \(number + 1): bd_rate_pchip_percent \(JSONDiagnostics.quoted(try cell("bd_rate_pchip_percent"))) is not a finite number")
      }
      guard let points = Int(try cell("points")), points >= 2 else {
        throw HardwareError("\(origin) line \(number + 1): points \(JSONDiagnostics.quoted(try cell("points"))) is not a count of at least 2")
      }
      return BitsPrice(scheme: scheme, bdRatePercent: rate, anchor: anchor, points: points, source: origin)
    }
    throw HardwareError("\(origin) has no PSNR row for scheme \(scheme) (schemes: \(schemes.isEmpty ? "none" : schemes.joined(separator: ", ")))")
  }
}
