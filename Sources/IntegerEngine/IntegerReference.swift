/// The pure-Swift integer kernels the C kernels replaced, kept as the reference
/// the kernel paths are tested against (they must agree bit for bit).
extension IntConvolution {
  /// `callAsFunction` computed by the Swift kernels.
  func reference(_ x: IntTensor, threads: Int = 1) throws -> IntTensor {
    guard x.channels == inChannels else {
      throw IntegerEngineError("\(kind) expects \(inChannels) channels, got \(x.channels)")
    }
    let (oh, ow) = outputSize(height: x.height, width: x.width)
    guard oh > 0, ow > 0 else { throw IntegerEngineError("input \(x.height)x\(x.width) is too small for this \(kind)") }
    return referenceCompute(x, windowStart: 0, inputHeight: x.height, rows: 0..<oh, outputWidth: ow, threads: threads)
  }

  /// Output rows `rows` (of `outputWidth` columns) from `x`, which holds input rows
  /// `windowStart ..< windowStart + x.height` of an input `inputHeight` rows tall.
  func referenceCompute(_ x: IntTensor, windowStart: Int, inputHeight: Int, rows outputRows: Range<Int>,
                        outputWidth ow: Int, threads: Int) -> IntTensor {
    var out = IntTensor(zerosChannels: outChannels, height: outputRows.count, width: ow)
    let step = kind == .convolution ? 1 : stride
    let inputStep = kind == .convolution ? stride : 1
    x.values.withUnsafeBufferPointer { input in
      out.values.withUnsafeMutableBufferPointer { output in
        guard let inBase = input.baseAddress, let outBase = output.baseAddress else { return }
        let outBuf = SharedBuffer(base: outBase)
        let inBuf = SharedBuffer(base: UnsafeMutablePointer(mutating: inBase))
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
            self.referenceTile(phase: phase, rows: r0..<r1, cols: cols, step: step, inputStep: inputStep,
                               input: inBuf.base, windowStart: windowStart, windowHeight: x.height,
                               inputHeight: inputHeight, inputWidth: x.width, output: outBuf.base,
                               outputStart: outputRows.lowerBound, outputHeight: outputRows.count, outputWidth: ow)
          }
        }
      }
    }
    return out
  }

  /// Gathers the tile's patches (K x P, zero outside the input) and multiplies.
  private func referenceTile(
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
      guard let base = b.baseAddress else { return }
      for i in 0..<inChannels {
        let plane = input + i * windowHeight * inputWidth
        for (n, tap) in phase.taps.enumerated() {
          let row = base + (i * t + n) * stride
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
        guard let wBase = w.baseAddress, let bBase = b.baseAddress else { return }
        referenceMultiply(wBase, bBase, k: k, p: p, stride: stride, rows: rows, cols: cols, step: step, phase: phase,
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
  private func referenceMultiply(
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

extension IntGDN {
  /// `callAsFunction` computed by the Swift kernels.
  func reference(_ x: IntTensor, threads: Int = 1) throws -> IntTensor {
    guard x.channels == channels else { throw IntegerEngineError("GDN expects \(channels) channels, got \(x.channels)") }
    var out = x
    let plane = x.planeSize
    let tile = 256
    let tiles = (plane + tile - 1) / tile
    x.values.withUnsafeBufferPointer { input in
      out.values.withUnsafeMutableBufferPointer { output in
        guard let inBase = input.baseAddress, let outBase = output.baseAddress else { return }
        let inBuf = SharedBuffer(base: UnsafeMutablePointer(mutating: inBase))
        let outBuf = SharedBuffer(base: outBase)
        parallelFor(tiles, threads: threads) { t in
          let p0 = t * tile
          self.referenceTile(p0..<Swift.min(plane, p0 + tile), plane: plane, input: inBuf.base, output: outBuf.base)
        }
      }
    }
    return out
  }

  private func referenceTile(_ pixels: Range<Int>, plane: Int, input: UnsafeMutablePointer<Int16>,
                             output: UnsafeMutablePointer<Int16>) {
    let p = pixels.count
    var s = [Int64](repeating: 0, count: channels * p)
    for j in 0..<channels {
      let src = input + j * plane + pixels.lowerBound
      for q in 0..<p {
        let v = Int64(src[q])
        s[j * p + q] = kind == .standard ? v * v : Swift.abs(v)
      }
    }
    var pool = [Int64](repeating: 0, count: p)
    s.withUnsafeBufferPointer { sb in
      pool.withUnsafeMutableBufferPointer { acc in
        guard let sBase = sb.baseAddress else { return }
        for i in 0..<channels {
          for q in 0..<p { acc[q] = beta[i] }
          for j in 0..<channels {
            let g = gamma[i * channels + j]
            if g == 0 { continue }
            let row = sBase + j * p
            for q in 0..<p { acc[q] &+= g &* row[q] }
          }
          let src = input + i * plane + pixels.lowerBound
          let dst = output + i * plane + pixels.lowerBound
          let scale = self.output[i]
          for q in 0..<p {
            let xv = Int64(src[q])
            let y: Int64
            if let table {
              let (v, e) = table.evaluate(acc[q])
              y = scale.apply(xv * v, extraShift: table.fractionBits - e)
            } else {
              // Inverse simplified GDN: x * P, with P cut to 30 significant bits.
              let pv = Swift.max(acc[q], 0)
              let excess = Swift.max(0, (64 - pv.leadingZeroBitCount) - 30)
              y = scale.apply(xv * (pv >> Int64(excess)), extraShift: -excess)
            }
            dst[q] = outputRange.clamp(y)
          }
        }
      }
    }
  }
}
