/// Integer 2-D convolution or transposed convolution (CompressAI's "same"
/// shapes), one image, CHW. `weights` keep PyTorch's layout ([out, in, k, k]
/// for a convolution, [in, out, k, k] for a transposed one) so exported
/// headers read like the float model.
///
/// Accumulation: sum of int16 products plus an Int64 bias, then
/// `requantization[channel]` and the output range (a fused ReLU clamps at 0).
/// A transposed convolution is computed as stride^2 ordinary convolutions, one
/// per output phase, over the kernel taps that reach that phase: no zero
/// insertion, no wasted multiplies, and every output written once.
public struct IntConvolution: Equatable, Sendable {
  public enum Kind: String, Sendable, Codable { case convolution, transposed }

  public let kind: Kind
  public let inChannels: Int
  public let outChannels: Int
  public let kernel: Int
  public let stride: Int
  public let padding: Int
  public let outputPadding: Int
  public let weights: [Int16]
  public let bias: [Int64]
  public let requantization: [FixedPointScale]
  public let outputRange: ActivationRange
  /// Largest |input| the layer is built for; decides the accumulator width.
  public let inputBound: Int
  /// Int32 accumulation over all K is provably safe (sum |w| * inputBound < 2^31 for every channel).
  public let accumulatesIn32Bits: Bool
  /// Patch rows summed in Int32 before the Int64 flush (all of K when `accumulatesIn32Bits`).
  let int32Rows: Int
  let phases: [Phase]

  struct Phase: Equatable, Sendable {
    var rowOffset: Int, colOffset: Int  // first output row/column of this phase
    var taps: [(dy: Int, dx: Int)]
    /// [out][in * taps.count + t]
    var matrix: [Int16]
    static func == (a: Phase, b: Phase) -> Bool {
      a.rowOffset == b.rowOffset && a.colOffset == b.colOffset && a.matrix == b.matrix
        && a.taps.map(\.dy) == b.taps.map(\.dy) && a.taps.map(\.dx) == b.taps.map(\.dx)
    }
  }

  public init(
    kind: Kind, inChannels: Int, outChannels: Int, kernel: Int, stride: Int, padding: Int, outputPadding: Int = 0,
    weights: [Int16], bias: [Int64], requantization: [FixedPointScale], outputRange: ActivationRange, inputBound: Int
  ) throws {
    guard inChannels > 0, outChannels > 0, kernel > 0, stride > 0, padding >= 0, outputPadding >= 0,
      outputPadding < stride, inputBound > 0, inputBound <= 1 << 15
    else {
      throw IntegerEngineError("invalid \(kind) geometry: in \(inChannels) out \(outChannels) kernel \(kernel) stride \(stride) padding \(padding)")
    }
    guard weights.count == inChannels * outChannels * kernel * kernel, bias.count == outChannels,
      requantization.count == outChannels
    else {
      throw IntegerEngineError("\(kind) \(inChannels)->\(outChannels) k\(kernel): \(weights.count) weights, \(bias.count) biases, \(requantization.count) scales do not match")
    }
    self.kind = kind
    self.inChannels = inChannels
    self.outChannels = outChannels
    self.kernel = kernel
    self.stride = stride
    self.padding = padding
    self.outputPadding = outputPadding
    self.weights = weights
    self.bias = bias
    self.requantization = requantization
    self.outputRange = outputRange
    self.inputBound = inputBound
    let k2 = kernel * kernel
    func weight(_ o: Int, _ i: Int, _ ky: Int, _ kx: Int) -> Int16 {
      kind == .convolution
        ? weights[((o * inChannels + i) * kernel + ky) * kernel + kx]
        : weights[((i * outChannels + o) * kernel + ky) * kernel + kx]
    }
    var worst = 0
    for o in 0..<outChannels {
      var s = 0
      for i in 0..<inChannels { for t in 0..<k2 { s += Int(Swift.abs(Int(weight(o, i, t / kernel, t % kernel)))) } }
      worst = Swift.max(worst, s)
    }
    accumulatesIn32Bits = worst * inputBound < Int(Int32.max)
    let maxWeight = Swift.max(1, weights.map { Swift.abs(Int($0)) }.max() ?? 1)
    int32Rows = accumulatesIn32Bits ? Int.max : Swift.max(1, Int(Int32.max) / (maxWeight * inputBound))
    var phases: [Phase] = []
    if kind == .convolution {
      let taps = (0..<k2).map { (dy: $0 / kernel - padding, dx: $0 % kernel - padding) }
      var m = [Int16](repeating: 0, count: outChannels * inChannels * k2)
      for o in 0..<outChannels { for i in 0..<inChannels { for t in 0..<k2 {
        m[(o * inChannels + i) * k2 + t] = weight(o, i, t / kernel, t % kernel)
      } } }
      phases = [Phase(rowOffset: 0, colOffset: 0, taps: taps, matrix: m)]
    } else {
      for ry in 0..<stride {
        for rx in 0..<stride {
          let kys = (0..<kernel).filter { ((ry + padding - $0) % stride + stride) % stride == 0 }
          let kxs = (0..<kernel).filter { ((rx + padding - $0) % stride + stride) % stride == 0 }
          var taps: [(dy: Int, dx: Int)] = []
          var kernelTaps: [(Int, Int)] = []
          for ky in kys { for kx in kxs {
            taps.append((dy: (ry + padding - ky) / stride, dx: (rx + padding - kx) / stride))
            kernelTaps.append((ky, kx))
          } }
          let t = taps.count
          var m = [Int16](repeating: 0, count: outChannels * inChannels * t)
          for o in 0..<outChannels { for i in 0..<inChannels { for (n, (ky, kx)) in kernelTaps.enumerated() {
            m[(o * inChannels + i) * t + n] = weight(o, i, ky, kx)
          } } }
          phases.append(Phase(rowOffset: ry, colOffset: rx, taps: taps, matrix: m))
        }
      }
    }
    self.phases = phases
  }

  public func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
    switch kind {
    case .convolution:
      return ((height + 2 * padding - kernel) / stride + 1, (width + 2 * padding - kernel) / stride + 1)
    case .transposed:
      return ((height - 1) * stride - 2 * padding + kernel + outputPadding,
              (width - 1) * stride - 2 * padding + kernel + outputPadding)
    }
  }

  /// Multiply-accumulates per image of this size (for throughput reports).
  public func macs(height: Int, width: Int) -> Int {
    let (oh, ow) = outputSize(height: height, width: width)
    if kind == .convolution { return oh * ow * outChannels * inChannels * kernel * kernel }
    return height * width * inChannels * outChannels * kernel * kernel
  }

  public func callAsFunction(_ x: IntTensor, threads: Int = 1) throws -> IntTensor {
    guard x.channels == inChannels else {
      throw IntegerEngineError("\(kind) expects \(inChannels) channels, got \(x.channels)")
    }
    let (oh, ow) = outputSize(height: x.height, width: x.width)
    guard oh > 0, ow > 0 else { throw IntegerEngineError("input \(x.height)x\(x.width) is too small for this \(kind)") }
    return compute(x, windowStart: 0, inputHeight: x.height, rows: 0..<oh, outputWidth: ow, threads: threads)
  }

  /// Output rows `rows` of an input `inputHeight` rows tall (`window.height` is ignored for the geometry):
  /// `window` holds input rows `windowStart ..< windowStart + window.height`, which must cover every
  /// in-image row those outputs read (`inputRows(for:inputHeight:)`); rows outside the image are the zero
  /// padding. The arithmetic is `callAsFunction`'s, so the rows equal the whole-tensor result's.
  public func outputRows(_ rows: Range<Int>, inputHeight: Int, window: IntTensor, windowStart: Int,
                         threads: Int = 1) throws -> IntTensor {
    guard window.channels == inChannels else {
      throw IntegerEngineError("\(kind) expects \(inChannels) channels, got \(window.channels)")
    }
    let (oh, ow) = outputSize(height: inputHeight, width: window.width)
    guard !rows.isEmpty, rows.lowerBound >= 0, rows.upperBound <= oh else {
      throw IntegerEngineError("output rows \(rows) are outside 0..<\(oh) for an input of \(inputHeight) rows")
    }
    let needed = inputRows(for: rows, inputHeight: inputHeight)
    guard needed.isEmpty || (needed.lowerBound >= windowStart && needed.upperBound <= windowStart + window.height) else {
      throw IntegerEngineError("output rows \(rows) read input rows \(needed); the window holds \(windowStart)..<\(windowStart + window.height)")
    }
    return compute(window, windowStart: windowStart, inputHeight: inputHeight, rows: rows, outputWidth: ow, threads: threads)
  }

  /// The in-image input rows that output rows `rows` read (empty when they read only padding).
  public func inputRows(for rows: Range<Int>, inputHeight: Int) -> Range<Int> {
    var low = Int.max, high = Int.min
    let step = kind == .convolution ? 1 : stride
    let inputStep = kind == .convolution ? stride : 1
    for phase in phases {
      for j in Self.ceilDiv(rows.lowerBound - phase.rowOffset, step)..<Self.ceilDiv(rows.upperBound - phase.rowOffset, step) {
        for tap in phase.taps {
          let iy = j * inputStep + tap.dy
          guard iy >= 0, iy < inputHeight else { continue }
          low = Swift.min(low, iy)
          high = Swift.max(high, iy + 1)
        }
      }
    }
    return low < high ? low..<high : 0..<0
  }

  /// ceil(a / b) for b > 0 and any sign of a.
  static func ceilDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? (a + b - 1) / b : -((-a) / b) }

  /// Output rows `rows` (of `outputWidth` columns) from `x`, which holds input rows
  /// `windowStart ..< windowStart + x.height` of an input `inputHeight` rows tall.
  private func compute(_ x: IntTensor, windowStart: Int, inputHeight: Int, rows outputRows: Range<Int>, outputWidth ow: Int,
                       threads: Int) -> IntTensor {
    var out = IntTensor(zerosChannels: outChannels, height: outputRows.count, width: ow)
    let step = kind == .convolution ? 1 : stride
    let inputStep = kind == .convolution ? stride : 1
    x.values.withUnsafeBufferPointer { input in
      out.values.withUnsafeMutableBufferPointer { output in
        let outBuf = SharedBuffer(base: output.baseAddress!)
        let inBuf = SharedBuffer(base: UnsafeMutablePointer(mutating: input.baseAddress!))
        for phase in phases {
          // Phase rows j with output row rowOffset + j * step inside outputRows.
          let first = Swift.max(0, Self.ceilDiv(outputRows.lowerBound - phase.rowOffset, step))
          let end = Self.ceilDiv(outputRows.upperBound - phase.rowOffset, step)
          let rows = end - first
          let cols = (ow - phase.colOffset + step - 1) / step
          guard rows > 0, cols > 0 else { continue }
          let rowsPerTile = Swift.max(1, 256 / cols)
          let tiles = (rows + rowsPerTile - 1) / rowsPerTile
          parallelFor(tiles, threads: threads) { tile in
            let r0 = first + tile * rowsPerTile
            let r1 = Swift.min(end, r0 + rowsPerTile)
            self.runTile(phase: phase, rows: r0..<r1, cols: cols, step: step, inputStep: inputStep,
                         input: inBuf.base, windowStart: windowStart, windowHeight: x.height, inputHeight: inputHeight,
                         inputWidth: x.width, output: outBuf.base, outputStart: outputRows.lowerBound,
                         outputHeight: outputRows.count, outputWidth: ow)
          }
        }
      }
    }
    return out
  }

  /// Gathers the tile's patches (K x P, zero outside the input) and multiplies.
  private func runTile(
    phase: Phase, rows: Range<Int>, cols: Int, step: Int, inputStep: Int,
    input: UnsafeMutablePointer<Int16>, windowStart: Int, windowHeight: Int, inputHeight: Int, inputWidth: Int,
    output: UnsafeMutablePointer<Int16>, outputStart: Int, outputHeight: Int, outputWidth: Int
  ) {
    let t = phase.taps.count
    let k = inChannels * t
    let p = rows.count * cols
    let stride = (p + 15) & ~15  // rows padded to whole 16-lane vectors
    var patches = [Int16](repeating: 0, count: k * stride)
    patches.withUnsafeMutableBufferPointer { b in
      for i in 0..<inChannels {
        let plane = input + i * windowHeight * inputWidth
        for (n, tap) in phase.taps.enumerated() {
          let row = b.baseAddress! + (i * t + n) * stride
          for (r, j) in rows.enumerated() {
            let iy = j * inputStep + tap.dy
            guard iy >= 0, iy < inputHeight, iy >= windowStart, iy < windowStart + windowHeight else { continue }
            let src = plane + (iy - windowStart) * inputWidth
            let dst = row + r * cols
            for c in 0..<cols {
              let ix = c * inputStep + tap.dx
              if ix >= 0 && ix < inputWidth { dst[c] = src[ix] }
            }
          }
        }
      }
    }
    patches.withUnsafeBufferPointer { b in
      phase.matrix.withUnsafeBufferPointer { w in
        multiply(w.baseAddress!, b.baseAddress!, k: k, p: p, stride: stride, rows: rows, cols: cols, step: step, phase: phase,
                 output: output, outputStart: outputStart, outputHeight: outputHeight, outputWidth: outputWidth)
      }
    }
  }

  /// Register-blocked kernel: 4 output channels x 16 pixels of Int32 SIMD
  /// accumulators. Products are summed in Int32 over runs of `int32Rows`
  /// patch rows (short enough that no run can overflow: rows * max|w| *
  /// inputBound < 2^31) and each run is added to Int64 totals, so the result
  /// is exact for any K while the inner loop stays 32-bit SIMD.
  @inline(__always)
  private func multiply(
    _ w: UnsafePointer<Int16>, _ b: UnsafePointer<Int16>, k: Int, p: Int, stride: Int, rows: Range<Int>, cols: Int,
    step: Int, phase: Phase, output: UnsafeMutablePointer<Int16>, outputStart: Int, outputHeight: Int, outputWidth: Int
  ) {
    let run = int32Rows
    var totals = [Int64](repeating: 0, count: 64)
    var o0 = 0
    while o0 < outChannels {
      let block = Swift.min(4, outChannels - o0)
      let w0 = w + o0 * k
      let w1 = w + Swift.min(o0 + 1, outChannels - 1) * k
      let w2 = w + Swift.min(o0 + 2, outChannels - 1) * k
      let w3 = w + Swift.min(o0 + 3, outChannels - 1) * k
      var q0 = 0
      while q0 < p {
        for i in 0..<64 { totals[i] = 0 }
        var start = 0
        while start < k {
          let end = Swift.min(k, start + run)
          var s0 = SIMD16<Int32>(), s1 = SIMD16<Int32>(), s2 = SIMD16<Int32>(), s3 = SIMD16<Int32>()
          var row = UnsafeRawPointer(b + start * stride + q0)
          for kk in start..<end {
            let v = SIMD16<Int32>(truncatingIfNeeded: row.loadUnaligned(as: SIMD16<Int16>.self))
            s0 &+= v &* Int32(w0[kk])
            s1 &+= v &* Int32(w1[kk])
            s2 &+= v &* Int32(w2[kk])
            s3 &+= v &* Int32(w3[kk])
            row += stride * 2
          }
          for l in 0..<16 {
            totals[l] &+= Int64(s0[l])
            totals[16 + l] &+= Int64(s1[l])
            totals[32 + l] &+= Int64(s2[l])
            totals[48 + l] &+= Int64(s3[l])
          }
          start = end
        }
        let qEnd = Swift.min(p, q0 + 16)
        for j in 0..<block {
          let o = o0 + j
          let scale = requantization[o]
          let b0 = bias[o]
          let plane = output + o * outputHeight * outputWidth
          for q in q0..<qEnd {
            let r = q / cols, c = q - r * cols
            let oy = phase.rowOffset + (rows.lowerBound + r) * step - outputStart
            plane[oy * outputWidth + phase.colOffset + c * step] =
              outputRange.clamp(scale.apply(totals[j * 16 + q - q0] &+ b0))
          }
        }
        q0 += 16
      }
      o0 += 4
    }
  }
}
