/// What streaming a transform held at most.
public struct StreamStatistics: Sendable, Equatable {
  /// The most activation values the layers' line buffers held at once.
  public var mostHeldValues = 0

  public init() {}
}

extension IntegerTransform {
  /// Runs the transform band by band, the way the FPGA pipeline does: each
  /// convolution keeps only the input rows its next output rows read (a line
  /// buffer), so memory grows with the width of the image, not its area.
  /// The values are `callAsFunction`'s on the whole tensor, bit for bit: the
  /// same kernels compute each band (`IntConvolution.outputRows`).
  ///
  /// - Parameters:
  ///   - channels: Channels of the input.
  ///   - height: Rows of the whole input.
  ///   - width: Columns of the input.
  ///   - bandRows: Output rows asked for at once (the last band may be shorter).
  ///   - threads: Threads each band's kernels use.
  ///   - source: Hands out input rows, asked for in consecutive ranges from row 0, as a
  ///     `channels x rows x width` tensor.
  ///   - sink: Takes each band of output rows, in order.
  /// - Returns: The most values held at once.
  @discardableResult
  public func stream(channels: Int, height: Int, width: Int, bandRows: Int, threads: Int,
                     source: (Range<Int>) throws -> IntTensor,
                     sink: (Range<Int>, IntTensor) throws -> Void) throws -> StreamStatistics {
    guard bandRows > 0 else { throw IntegerEngineError("band of \(bandRows) rows") }
    // The input shape of every layer, and the output shape.
    var shapes = [(channels: channels, height: height, width: width)]
    for layer in layers {
      let last = shapes[shapes.count - 1]
      switch layer {
      case .convolution(let c):
        guard last.channels == c.inChannels else {
          throw IntegerEngineError("\(c.kind) expects \(c.inChannels) channels, got \(last.channels)")
        }
        let (h, w) = c.outputSize(height: last.height, width: last.width)
        guard h > 0, w > 0 else { throw IntegerEngineError("input \(last.height)x\(last.width) is too small for this \(c.kind)") }
        shapes.append((c.outChannels, h, w))
      case .gdn(let g):
        guard last.channels == g.channels else { throw IntegerEngineError("GDN expects \(g.channels) channels, got \(last.channels)") }
        shapes.append(last)
      }
    }
    var windows = shapes.dropLast().map { RowWindow(channels: $0.channels, width: $0.width) }
    var statistics = StreamStatistics()

    /// Rows `rows` of the output of layer `i` (of the input when i < 0).
    func pull(_ i: Int, _ rows: Range<Int>) throws -> IntTensor {
      guard i >= 0 else {
        let band = try source(rows)
        guard band.channels == channels, band.height == rows.count, band.width == width else {
          throw IntegerEngineError("the source gave a \(band.shape) band for input rows \(rows) of \(channels) x \(width)")
        }
        return band
      }
      switch layers[i] {
      case .gdn(let g):
        return try g(try pull(i - 1, rows), threads: threads)
      case .convolution(let c):
        let inputHeight = shapes[i].height
        let needed = c.inputRows(for: rows, inputHeight: inputHeight)
        if needed.upperBound > windows[i].end {
          let arriving = try pull(i - 1, windows[i].end..<needed.upperBound)
          try windows[i].append(arriving)
        }
        if !needed.isEmpty { windows[i].release(below: needed.lowerBound) }
        statistics.mostHeldValues = Swift.max(statistics.mostHeldValues, windows.reduce(0) { $0 + $1.values })
        return try c.outputRows(rows, inputHeight: inputHeight, window: try windows[i].tensor(),
                                windowStart: windows[i].start, threads: threads)
      }
    }

    let outputHeight = shapes[shapes.count - 1].height
    var row = 0
    while row < outputHeight {
      let rows = row..<Swift.min(row + bandRows, outputHeight)
      try sink(rows, try pull(layers.count - 1, rows))
      row = rows.upperBound
    }
    return statistics
  }
}

extension IntTensor {
  /// Rows `rows` of every channel, as a channels x rows x width tensor.
  public func rows(_ rows: Range<Int>) throws -> IntTensor {
    guard rows.lowerBound >= 0, rows.upperBound <= height, !rows.isEmpty else {
      throw IntegerEngineError("rows \(rows) are outside 0..<\(height)")
    }
    var out = IntTensor(zerosChannels: channels, height: rows.count, width: width)
    for c in 0..<channels {
      let from = (c * height + rows.lowerBound) * width, to = c * rows.count * width
      out.values.replaceSubrange(to..<to + rows.count * width, with: values[from..<from + rows.count * width])
    }
    return out
  }

  /// Writes `band` (same channels and width) over rows `rows`.
  public mutating func setRows(_ rows: Range<Int>, from band: IntTensor) throws {
    guard band.channels == channels, band.width == width, band.height == rows.count, rows.lowerBound >= 0,
      rows.upperBound <= height
    else { throw IntegerEngineError("a \(band.shape) band does not fit rows \(rows) of \(shape)") }
    for c in 0..<channels {
      let to = (c * height + rows.lowerBound) * width, from = c * rows.count * width
      values.replaceSubrange(to..<to + rows.count * width, with: band.values[from..<from + rows.count * width])
    }
  }
}
