/// The input rows one streamed layer holds between bands (its line buffer):
/// consecutive rows of one activation, appended at the bottom as they are
/// computed upstream and released from the top once no later output reads
/// them. Memory is the rows held times the row width, whatever the height.
/// The streamed transforms and the FPGA pipeline simulator both hold their rows in it.
public struct RowWindow {
  public let channels: Int
  public let width: Int
  /// Activation row number of the first row held.
  public private(set) var start = 0
  /// Held bands, oldest first; each is channels x rows x width.
  private var bands: [IntTensor] = []
  /// Rows of `bands[0]` already released.
  private var skipped = 0
  /// Rows held now.
  public private(set) var rows = 0
  /// The most rows held at once.
  public private(set) var mostRows = 0

  public init(channels: Int, width: Int) {
    self.channels = channels
    self.width = width
  }

  /// One past the last row held.
  public var end: Int { start + rows }

  /// Values held now (the line buffer's size).
  public var values: Int { rows * channels * width }

  /// Appends the rows `end ..< end + band.height`.
  public mutating func append(_ band: IntTensor) throws {
    guard band.channels == channels, band.width == width else {
      throw IntegerEngineError("a band of \(band.shape) does not continue rows of \(channels) x \(width)")
    }
    bands.append(band)
    rows += band.height
    mostRows = Swift.max(mostRows, rows)
  }

  /// Drops every row above `row`.
  public mutating func release(below row: Int) {
    var drop = Swift.min(rows, Swift.max(0, row - start))
    start += drop
    rows -= drop
    while drop > 0, let first = bands.first {
      let left = first.height - skipped
      if drop >= left {
        bands.removeFirst()
        skipped = 0
        drop -= left
      } else {
        skipped += drop
        drop = 0
      }
    }
  }

  /// The held rows as one channels x rows x width tensor (one row of zeros when none is held).
  public func tensor() throws -> IntTensor {
    guard rows > 0 else { return IntTensor(zerosChannels: channels, height: 1, width: width) }
    if bands.count == 1, skipped == 0 { return bands[0] }
    var values = [Int16](repeating: 0, count: channels * rows * width)
    values.withUnsafeMutableBufferPointer { out in
      var row = 0
      for (b, band) in bands.enumerated() {
        let first = b == 0 ? skipped : 0, count = band.height - first
        band.values.withUnsafeBufferPointer { source in
          guard let from = source.baseAddress, let to = out.baseAddress else { return }
          for c in 0..<channels {
            (to + (c * rows + row) * width).update(from: from + (c * band.height + first) * width, count: count * width)
          }
        }
        row += count
      }
    }
    return try IntTensor(channels: channels, height: rows, width: width, values: values)
  }
}
