import Torch

/// Multi-head self-attention inside non-overlapping windows, with a learned
/// relative position bias and, for shifted blocks, a cyclic shift plus a
/// mask that keeps tokens from attending across the wrapped-around seams.
/// A line-by-line port of torchvision's `shifted_window_attention` (v1),
/// including its padding of maps smaller than a window and its switching off
/// of the shift when the window covers the whole map.
final class ShiftedWindowAttention: Module {
  let qkv: Linear, proj: Linear
  /// [(2W-1)^2, heads]: one bias per relative offset and head.
  let relativePositionBiasTable: Tensor
  /// [W^4] int64: which table row each (query, key) pair of a window uses.
  let relativePositionIndex: Tensor
  let heads: Int, windowSize: Int, shiftSize: Int
  var isTraining = true

  init(dimension: Int, heads: Int, windowSize: Int, shiftSize: Int, generator: Generator) throws {
    qkv = try Linear(dimension, 3 * dimension, generator: generator)
    proj = try Linear(dimension, dimension, generator: generator)
    self.heads = heads
    self.windowSize = windowSize
    self.shiftSize = shiftSize
    let span = 2 * windowSize - 1
    relativePositionBiasTable = try Tensor.zeros([span * span, heads])
    try Initialize.normal(relativePositionBiasTable, std: 0.02, generator: generator)
    try relativePositionBiasTable.requiringGrad()
    relativePositionIndex = try Tensor(Self.relativePositionIndices(windowSize))
  }

  var parameters: [(name: String, tensor: Tensor)] { [("relative_position_bias_table", relativePositionBiasTable)] }
  var buffers: [(name: String, tensor: Tensor)] { [("relative_position_index", relativePositionIndex)] }
  var children: [(name: String, module: any Module)] { [("qkv", qkv), ("proj", proj)] }

  /// torchvision's `define_relative_position_index`, flattened.
  static func relativePositionIndices(_ w: Int) -> [Int64] {
    var result: [Int64] = []
    result.reserveCapacity(w * w * w * w)
    for p in 0..<(w * w) {
      for q in 0..<(w * w) {
        let dy = p / w - q / w + w - 1, dx = p % w - q % w + w - 1
        result.append(Int64(dy * (2 * w - 1) + dx))
      }
    }
    return result
  }

  /// The additive mask [windows, N, N] of a shifted padded map: 0 within a
  /// region, -100 across regions.
  static func attentionMask(height: Int, width: Int, window: Int, shift: (Int, Int)) -> [Float] {
    func region(_ i: Int, _ size: Int, _ shift: Int) -> Int { i < size - window ? 0 : (i < size - shift ? 1 : 2) }
    let rows = height / window, columns = width / window, n = window * window
    var mask = [Float](repeating: 0, count: rows * columns * n * n)
    for r in 0..<rows {
      for c in 0..<columns {
        let ids = (0..<n).map { p in
          region(r * window + p / window, height, shift.0) * 3 + region(c * window + p % window, width, shift.1)
        }
        let base = (r * columns + c) * n * n
        for p in 0..<n { for q in 0..<n where ids[p] != ids[q] { mask[base + p * n + q] = -100 } }
      }
    }
    return mask
  }

  /// NHWC in, NHWC out.
  func callAsFunction(_ input: Tensor) throws -> Tensor {
    let (b, h, w, c) = try input.size4("window attention input")
    let ws = windowSize
    let padRight = (ws - w % ws) % ws, padBottom = (ws - h % ws) % ws
    var x = try input.padded([0, 0, 0, padRight, 0, padBottom])
    let ph = h + padBottom, pw = w + padRight
    let shift = (ws >= ph ? 0 : shiftSize, ws >= pw ? 0 : shiftSize)
    let shifted = shift.0 + shift.1 > 0
    if shifted { x = try x.roll(shifts: [-shift.0, -shift.1], dims: [1, 2]) }
    let windows = (ph / ws) * (pw / ws), n = ws * ws
    x = try x.reshape([b, ph / ws, ws, pw / ws, ws, c]).permute([0, 1, 3, 2, 4, 5]).reshape([b * windows, n, c])
    let qkvOut = try qkv(x).reshape([b * windows, n, 3, heads, c / heads]).permute([2, 0, 3, 1, 4])
    let q = try qkvOut.select(0, 0) * (1 / Double(c / heads).squareRoot())
    let k = try qkvOut.select(0, 1), v = try qkvOut.select(0, 2)
    var attention = try q.matmul(k.transpose(2, 3))
    let bias = try relativePositionBiasTable.indexSelect(0, relativePositionIndex).reshape([n, n, heads])
      .permute([2, 0, 1]).unsqueeze(0)
    attention = try attention + bias
    if shifted {
      let mask = try Tensor(
        Self.attentionMask(height: ph, width: pw, window: ws, shift: shift), shape: [1, windows, 1, n, n])
      attention = try (attention.reshape([b, windows, heads, n, n]) + mask).reshape([b * windows, heads, n, n])
    }
    x = try attention.softmax(dim: -1).matmul(v).transpose(1, 2).reshape([b * windows, n, c])
    x = try proj(x)
    x = try x.reshape([b, ph / ws, pw / ws, ws, ws, c]).permute([0, 1, 3, 2, 4, 5]).reshape([b, ph, pw, c])
    if shifted { x = try x.roll(shifts: [shift.0, shift.1], dims: [1, 2]) }
    if padRight > 0 || padBottom > 0 { x = try x.narrow(1, start: 0, length: h).narrow(2, start: 0, length: w) }
    return try x.contiguous()
  }
}
