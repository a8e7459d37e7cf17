import IntegerEngine

/// The rows a stage's window generator holds: consecutive input rows of one
/// frame, appended as they arrive and released from the top once no later
/// step reads them (a ring of row slots in hardware). It hands the held rows
/// to the integer engine as one window tensor.
struct LineBuffer {
  let channels: Int
  let width: Int
  /// Frame row number of the oldest row held.
  private(set) var first = 0
  private var rows: [[Int16]] = []
  /// The most rows held at once.
  private(set) var mostRows = 0

  init(channels: Int, width: Int) {
    self.channels = channels
    self.width = width
  }

  /// One past the newest row held.
  var end: Int { first + rows.count }

  mutating func push(_ row: [Int16]) throws {
    guard row.count == channels * width else {
      throw HardwareError("line buffer row of \(row.count) values, expected \(channels) x \(width)")
    }
    rows.append(row)
    mostRows = Swift.max(mostRows, rows.count)
  }

  /// Drops the rows above frame row `row`.
  mutating func release(below row: Int) {
    let drop = Swift.min(rows.count, Swift.max(0, row - first))
    rows.removeFirst(drop)
    first += drop
  }

  /// The held rows as a channels x rows x width tensor (the window the engine computes from).
  func window() throws -> IntTensor {
    let h = rows.count
    guard h > 0 else { throw HardwareError("empty line buffer") }
    var values = [Int16](repeating: 0, count: channels * h * width)
    for (r, row) in rows.enumerated() {
      for c in 0..<channels {
        values.replaceSubrange((c * h + r) * width..<(c * h + r + 1) * width, with: row[c * width..<(c + 1) * width])
      }
    }
    return try IntTensor(channels: channels, height: h, width: width, values: values)
  }
}
