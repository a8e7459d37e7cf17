import IntegerEngine

/// Rows flowing between simulated stages, pulled one at a time: a row is
/// the C x W activations of one image row, channel-major (channel c at
/// [c*W, (c+1)*W)). Each stage keeps only its line buffer, so values move
/// through the pipeline the way the hardware moves them; the arithmetic is
/// the integer engine's (IntConvolution.outputRows, IntGDN, and the
/// IntegerHyperprior pointwise steps), never a second implementation.
class RowStream {
  let channels: Int
  let width: Int
  let height: Int
  /// Rows handed out so far.
  private(set) var delivered = 0

  init(channels: Int, width: Int, height: Int) {
    self.channels = channels
    self.width = width
    self.height = height
  }

  /// The next row of the frame.
  final func next() throws -> [Int16] {
    guard delivered < height else { throw HardwareError("read past the last of \(height) rows") }
    let row = try produce()
    delivered += 1
    return row
  }

  func produce() throws -> [Int16] { fatalError("subclass") }

  /// Every remaining row, as a tensor.
  final func drain() throws -> IntTensor {
    var values = [Int16](repeating: 0, count: channels * height * width)
    let plane = height * width
    while delivered < height {
      let r = delivered
      let row = try next()
      for c in 0..<channels { values.replaceSubrange(c * plane + r * width..<c * plane + (r + 1) * width, with: row[c * width..<(c + 1) * width]) }
    }
    return try IntTensor(channels: channels, height: height, width: width, values: values)
  }
}

/// The rows of a tensor in memory (the image, or z_hat / y_hat from the CPU's entropy decoder).
final class TensorRows: RowStream {
  let tensor: IntTensor
  init(_ tensor: IntTensor) {
    self.tensor = tensor
    super.init(channels: tensor.channels, width: tensor.width, height: tensor.height)
  }

  override func produce() throws -> [Int16] {
    let r = delivered, plane = height * width
    var row = [Int16](repeating: 0, count: channels * width)
    for c in 0..<channels { row.replaceSubrange(c * width..<(c + 1) * width, with: tensor.values[c * plane + r * width..<c * plane + (r + 1) * width]) }
    return row
  }
}

/// A convolution or transposed convolution stage: line buffer, window, engine rows.
final class ConvolutionRows: RowStream {
  let layer: IntConvolution
  let schedule: RowSchedule
  let upstream: RowStream
  var buffer: RowWindow
  var step = 0
  var pending: [[Int16]] = []

  init(_ layer: IntConvolution, schedule: RowSchedule, upstream: RowStream) throws {
    guard upstream.channels == layer.inChannels, upstream.height == schedule.inputHeight else {
      throw HardwareError("convolution stage expects \(layer.inChannels) x \(schedule.inputHeight) rows, gets \(upstream.channels) x \(upstream.height)")
    }
    let (h, w) = layer.outputSize(height: upstream.height, width: upstream.width)
    guard h == schedule.outputHeight else { throw HardwareError("convolution writes \(h) rows, the plan \(schedule.outputHeight)") }
    self.layer = layer
    self.schedule = schedule
    self.upstream = upstream
    buffer = RowWindow(channels: layer.inChannels, width: upstream.width)
    super.init(channels: layer.outChannels, width: w, height: h)
  }

  override func produce() throws -> [Int16] {
    if pending.isEmpty {
      guard step < schedule.steps else { throw HardwareError("convolution ran out of row steps") }
      while buffer.end < schedule.needEnd[step] {
        // A row is channel-major (channel c at [c*W, (c+1)*W)): a 1-row CHW tensor.
        try buffer.append(IntTensor(channels: upstream.channels, height: 1, width: upstream.width, values: try upstream.next()))
      }
      buffer.release(below: schedule.keepFrom[step])
      let rows = schedule.outputRows(of: step)
      let out = try layer.outputRows(rows, inputHeight: schedule.inputHeight, window: try buffer.tensor(), windowStart: buffer.start)
      for r in 0..<rows.count {
        var row = [Int16](repeating: 0, count: channels * width)
        for c in 0..<channels {
          let src = (c * rows.count + r) * width
          row.replaceSubrange(c * width..<(c + 1) * width, with: out.values[src..<src + width])
        }
        pending.append(row)
      }
      step += 1
    }
    return pending.removeFirst()
  }

  /// The most input rows the line buffer held.
  var mostBufferedRows: Int { buffer.mostRows }
}

/// A GDN / IGDN stage: one row in, one row out (the pool mixes channels of a pixel only).
final class GDNRows: RowStream {
  let layer: IntGDN
  let upstream: RowStream

  init(_ layer: IntGDN, upstream: RowStream) throws {
    guard upstream.channels == layer.channels else { throw HardwareError("GDN of \(layer.channels) channels gets \(upstream.channels)") }
    self.layer = layer
    self.upstream = upstream
    super.init(channels: layer.channels, width: upstream.width, height: upstream.height)
  }

  override func produce() throws -> [Int16] {
    let row = try IntTensor(channels: channels, height: 1, width: width, values: try upstream.next())
    return try layer(row).values
  }
}

/// A pointwise step between stages (|y|, z -> z symbol -> z_hat, scale -> index): `transform(channel, value)`.
final class PointwiseRows: RowStream {
  let upstream: RowStream
  let transform: (Int, Int16) -> Int16

  init(upstream: RowStream, _ transform: @escaping (Int, Int16) -> Int16) {
    self.upstream = upstream
    self.transform = transform
    super.init(channels: upstream.channels, width: upstream.width, height: upstream.height)
  }

  override func produce() throws -> [Int16] {
    var row = try upstream.next()
    for c in 0..<channels { for x in 0..<width { row[c * width + x] = transform(c, row[c * width + x]) } }
    return row
  }
}

/// Passes rows through and keeps a copy of each (as `record(channel, value)` makes it) in CHW order.
final class TapRows: RowStream {
  let upstream: RowStream
  let record: (Int, Int16) -> Int32
  private(set) var values: [Int32]

  init(upstream: RowStream, _ record: @escaping (Int, Int16) -> Int32) {
    self.upstream = upstream
    self.record = record
    values = [Int32](repeating: 0, count: upstream.channels * upstream.height * upstream.width)
    super.init(channels: upstream.channels, width: upstream.width, height: upstream.height)
  }

  override func produce() throws -> [Int16] {
    let r = delivered, plane = height * width
    let row = try upstream.next()
    for c in 0..<channels { for x in 0..<width { values[c * plane + r * width + x] = record(c, row[c * width + x]) } }
    return row
  }
}
