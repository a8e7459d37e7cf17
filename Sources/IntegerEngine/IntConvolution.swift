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
  /// Int32 accumulation is provably safe (sum |w| * inputBound < 2^31 for every channel).
  public let accumulatesIn32Bits: Bool
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
    var out = IntTensor(zerosChannels: outChannels, height: oh, width: ow)
    let step = kind == .convolution ? 1 : stride
    let inputStep = kind == .convolution ? stride : 1
    x.values.withUnsafeBufferPointer { input in
      out.values.withUnsafeMutableBufferPointer { output in
        let outBuf = SharedBuffer(base: output.baseAddress!)
        let inBuf = SharedBuffer(base: UnsafeMutablePointer(mutating: input.baseAddress!))
        for phase in phases {
          let rows = (oh - phase.rowOffset + step - 1) / step
          let cols = (ow - phase.colOffset + step - 1) / step
          guard rows > 0, cols > 0 else { continue }
          let rowsPerTile = Swift.max(1, 256 / cols)
          let tiles = (rows + rowsPerTile - 1) / rowsPerTile
          parallelFor(tiles, threads: threads) { tile in
            let r0 = tile * rowsPerTile
            let r1 = Swift.min(rows, r0 + rowsPerTile)
            self.runTile(phase: phase, rows: r0..<r1, cols: cols, step: step, inputStep: inputStep,
                         input: inBuf.base, inputHeight: x.height, inputWidth: x.width,
                         output: outBuf.base, outputHeight: oh, outputWidth: ow)
          }
        }
      }
    }
    return out
  }

  /// Gathers the tile's patches (K x P, zero outside the input) and multiplies.
  private func runTile(
    phase: Phase, rows: Range<Int>, cols: Int, step: Int, inputStep: Int,
    input: UnsafeMutablePointer<Int16>, inputHeight: Int, inputWidth: Int,
    output: UnsafeMutablePointer<Int16>, outputHeight: Int, outputWidth: Int
  ) {
    let t = phase.taps.count
    let k = inChannels * t
    let p = rows.count * cols
    var patches = [Int16](repeating: 0, count: k * p)
    patches.withUnsafeMutableBufferPointer { b in
      for i in 0..<inChannels {
        let plane = input + i * inputHeight * inputWidth
        for (n, tap) in phase.taps.enumerated() {
          let row = b.baseAddress! + (i * t + n) * p
          for (r, j) in rows.enumerated() {
            let iy = j * inputStep + tap.dy
            guard iy >= 0, iy < inputHeight else { continue }
            let src = plane + iy * inputWidth
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
        if accumulatesIn32Bits {
          multiply(Int32.self, w.baseAddress!, b.baseAddress!, k: k, p: p, rows: rows, cols: cols, step: step,
                   phase: phase, output: output, outputHeight: outputHeight, outputWidth: outputWidth)
        } else {
          multiply(Int64.self, w.baseAddress!, b.baseAddress!, k: k, p: p, rows: rows, cols: cols, step: step,
                   phase: phase, output: output, outputHeight: outputHeight, outputWidth: outputWidth)
        }
      }
    }
  }

  /// Output channels in blocks of four so each patch row is loaded once per block.
  @inline(__always)
  private func multiply<A: FixedWidthInteger & SignedInteger>(
    _: A.Type, _ w: UnsafePointer<Int16>, _ b: UnsafePointer<Int16>, k: Int, p: Int, rows: Range<Int>, cols: Int,
    step: Int, phase: Phase, output: UnsafeMutablePointer<Int16>, outputHeight: Int, outputWidth: Int
  ) {
    let acc = UnsafeMutablePointer<A>.allocate(capacity: 4 * p)
    defer { acc.deallocate() }
    var o0 = 0
    while o0 < outChannels {
      let block = Swift.min(4, outChannels - o0)
      acc.initialize(repeating: 0, count: 4 * p)
      let a0 = acc, a1 = acc + p, a2 = acc + 2 * p, a3 = acc + 3 * p
      let w0 = w + o0 * k
      let w1 = w + Swift.min(o0 + 1, outChannels - 1) * k
      let w2 = w + Swift.min(o0 + 2, outChannels - 1) * k
      let w3 = w + Swift.min(o0 + 3, outChannels - 1) * k
      for kk in 0..<k {
        let c0 = A(w0[kk]), c1 = A(w1[kk]), c2 = A(w2[kk]), c3 = A(w3[kk])
        if c0 == 0 && c1 == 0 && c2 == 0 && c3 == 0 { continue }
        let row = b + kk * p
        for q in 0..<p {
          let v = A(row[q])
          a0[q] &+= c0 &* v
          a1[q] &+= c1 &* v
          a2[q] &+= c2 &* v
          a3[q] &+= c3 &* v
        }
      }
      for j in 0..<block {
        let o = o0 + j
        let a = acc + j * p
        let scale = requantization[o]
        let b0 = bias[o]
        let plane = output + o * outputHeight * outputWidth
        for (r, row) in rows.enumerated() {
          let oy = phase.rowOffset + row * step
          let dst = plane + oy * outputWidth + phase.colOffset
          for c in 0..<cols {
            dst[c * step] = outputRange.clamp(scale.apply(Int64(a[r * cols + c]) + b0))
          }
        }
      }
      o0 += 4
    }
  }
}
