import CIntegerKernels

/// Integer 2-D convolution or transposed convolution (CompressAI's "same"
/// shapes), one image, CHW. `weights` keep PyTorch's layout ([out, in, k, k]
/// for a convolution, [in, out, k, k] for a transposed one) so exported
/// headers read like the float model.
///
/// Accumulation: sum of int16 products plus an Int64 bias, then
/// `requantization[channel]` and the output range (a fused ReLU clamps at 0);
/// a fused LeakyReLU (`negativeSlope`) then scales each negative output.
/// A transposed convolution is computed as stride^2 ordinary convolutions, one
/// per output phase, over the kernel taps that reach that phase: no zero
/// insertion, no wasted multiplies, and every output written once.
///
/// The arithmetic runs in the C kernels (`IntegerKernels` names the path):
/// int16 products summed two at a time in int32 runs of at most `int32Rows`
/// patch rows, each run flushed to Int64, so every path gives exactly the
/// integers of the Swift kernels kept in IntegerReference.swift.
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
  /// A fused LeakyReLU: negative outputs (after the range clamp) are multiplied by this constant below 1, in the
  /// output's units; nil for none. The mean-scale hyperprior's h_a and h_s use it.
  public let negativeSlope: FixedPointScale?
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
    /// The same in the C kernels' layout (K padded to whole pairs), with the layer's requantization.
    let operands: DerivedOperands<PhaseOperands>

    init(rowOffset: Int, colOffset: Int, taps: [(dy: Int, dx: Int)], matrix: [Int16], outChannels: Int,
         requantization: RequantizationOperands) {
      self.rowOffset = rowOffset
      self.colOffset = colOffset
      self.taps = taps
      self.matrix = matrix
      operands = DerivedOperands(storage: PhaseOperands(taps: taps, matrix: matrix, outChannels: outChannels,
                                                        requantization: requantization))
    }

    static func == (a: Phase, b: Phase) -> Bool {
      a.rowOffset == b.rowOffset && a.colOffset == b.colOffset && a.matrix == b.matrix
        && a.taps.map(\.dy) == b.taps.map(\.dy) && a.taps.map(\.dx) == b.taps.map(\.dx)
    }
  }

  /// Bias and requantization constants at stable addresses for the C kernels.
  final class RequantizationOperands: Sendable {
    let bias: KernelArray<Int64>
    let multiplier: KernelArray<Int64>
    let shift: KernelArray<Int64>

    init(bias: [Int64], scales: [FixedPointScale]) {
      self.bias = KernelArray(bias)
      multiplier = KernelArray(scales.map(\.multiplier))
      shift = KernelArray(scales.map { Int64($0.shift) })
    }
  }

  /// A phase's weights with every output row padded to an even K (the kernels
  /// multiply pairs of patch rows), the same by pairs of input channels (for
  /// stride-1 reads of a channel-paired input), and its tap offsets.
  final class PhaseOperands: Sendable {
    let kPairs: Int
    let weights: KernelArray<Int16>
    /// [out][(channel pair, tap)][2]: channels 2p and 2p + 1 of each tap.
    let pairedWeights: KernelArray<Int16>
    let tapDy: KernelArray<Int64>
    let tapDx: KernelArray<Int64>
    let requantization: RequantizationOperands

    init(taps: [(dy: Int, dx: Int)], matrix: [Int16], outChannels: Int, requantization: RequantizationOperands) {
      let k = matrix.count / Swift.max(1, outChannels)
      kPairs = (k + 1) / 2
      var padded = [Int16](repeating: 0, count: outChannels * 2 * kPairs)
      for o in 0..<outChannels { for n in 0..<k { padded[o * 2 * kPairs + n] = matrix[o * k + n] } }
      weights = KernelArray(padded)
      let t = taps.count, inChannels = t == 0 ? 0 : k / t, channelPairs = (inChannels + 1) / 2
      var paired = [Int16](repeating: 0, count: outChannels * 2 * channelPairs * t)
      for o in 0..<outChannels {
        for i in 0..<inChannels {
          for n in 0..<t { paired[o * 2 * channelPairs * t + 2 * ((i / 2) * t + n) + i % 2] = matrix[o * k + i * t + n] }
        }
      }
      pairedWeights = KernelArray(paired)
      tapDy = KernelArray(taps.map { Int64($0.dy) })
      tapDx = KernelArray(taps.map { Int64($0.dx) })
      self.requantization = requantization
    }
  }

  public init(
    kind: Kind, inChannels: Int, outChannels: Int, kernel: Int, stride: Int, padding: Int, outputPadding: Int = 0,
    weights: [Int16], bias: [Int64], requantization: [FixedPointScale], outputRange: ActivationRange, inputBound: Int,
    negativeSlope: FixedPointScale? = nil
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
    if let negativeSlope {
      guard negativeSlope.multiplier >= 0, negativeSlope.value < 1 else {
        throw IntegerEngineError("a LeakyReLU's negative slope must be in [0, 1), got \(negativeSlope.value)")
      }
    }
    self.negativeSlope = negativeSlope
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
    let constants = RequantizationOperands(bias: bias, scales: requantization)
    var phases: [Phase] = []
    if kind == .convolution {
      let taps = (0..<k2).map { (dy: $0 / kernel - padding, dx: $0 % kernel - padding) }
      var m = [Int16](repeating: 0, count: outChannels * inChannels * k2)
      for o in 0..<outChannels { for i in 0..<inChannels { for t in 0..<k2 {
        m[(o * inChannels + i) * k2 + t] = weight(o, i, t / kernel, t % kernel)
      } } }
      phases = [Phase(rowOffset: 0, colOffset: 0, taps: taps, matrix: m, outChannels: outChannels, requantization: constants)]
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
          phases.append(Phase(rowOffset: ry, colOffset: rx, taps: taps, matrix: m, outChannels: outChannels,
                              requantization: constants))
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
  /// Every phase is cut into tiles (runs of phase rows, or pieces of one row),
  /// multiplied and requantized by the C kernels. Tiles of strided reads gather
  /// their patches; with stride-1 reads (transposed phases, stride-1
  /// convolutions) wide enough rows read a channel-paired copy of the input in
  /// place, with no gather.
  private func compute(_ x: IntTensor, windowStart: Int, inputHeight: Int, rows outputRows: Range<Int>, outputWidth ow: Int,
                       threads: Int) -> IntTensor {
    var out = IntTensor(zerosChannels: outChannels, height: outputRows.count, width: ow)
    let step = kind == .convolution ? 1 : stride
    let inputStep = kind == .convolution ? stride : 1
    var tiles: [(phase: Int, tile: LichenConvolutionTile)] = []
    var pads = (top: 0, bottom: 0, left: 0, right: 0)
    var inPlace = false
    for (index, phase) in phases.enumerated() {
      // Phase rows j with output row rowOffset + j * step inside outputRows.
      let first = Swift.max(0, Self.ceilDiv(outputRows.lowerBound - phase.rowOffset, step))
      let end = Self.ceilDiv(outputRows.upperBound - phase.rowOffset, step)
      let cols = (ow - phase.colOffset + step - 1) / step
      guard end > first, cols > 0 else { continue }
      if inputStep == 1 {
        // Zero pads around the paired copy for every tap of every phase: any one-row tile may read it.
        for tap in phase.taps {
          pads = (Swift.max(pads.top, -tap.dy), Swift.max(pads.bottom, tap.dy), Swift.max(pads.left, -tap.dx),
                  Swift.max(pads.right, cols + tap.dx - x.width))
        }
      }
      if inputStep == 1 && cols >= 32 {
        // One-row tiles in place: no patch buffer bounds their width.
        inPlace = true
        let pieces = (cols + 511) / 512
        let width = ((cols + pieces - 1) / pieces + 15) & ~15
        for j in first..<end {
          for c in Swift.stride(from: 0, to: cols, by: width) {
            tiles.append((index, LichenConvolutionTile(rowFirst: Int64(j), rowCount: 1, colFirst: Int64(c),
                                                       colCount: Int64(Swift.min(width, cols - c)))))
          }
        }
        continue
      }
      let pixels = Self.tilePixels(kPairs: phase.operands.storage.kPairs, phasePixels: (end - first) * cols, threads: threads)
      if cols > pixels {
        let pieces = (cols + pixels - 1) / pixels
        let width = ((cols + pieces - 1) / pieces + 15) & ~15
        for j in first..<end {
          for c in Swift.stride(from: 0, to: cols, by: width) {
            tiles.append((index, LichenConvolutionTile(rowFirst: Int64(j), rowCount: 1, colFirst: Int64(c),
                                                       colCount: Int64(Swift.min(width, cols - c)))))
          }
        }
      } else {
        let rowsPerTile = Swift.max(1, pixels / cols)
        for j in Swift.stride(from: first, to: end, by: rowsPerTile) {
          tiles.append((index, LichenConvolutionTile(rowFirst: Int64(j), rowCount: Int64(Swift.min(rowsPerTile, end - j)),
                                                     colFirst: 0, colCount: Int64(cols))))
        }
      }
    }
    let path = lichen_kernel_active()
    x.values.withUnsafeBufferPointer { input in
      out.values.withUnsafeMutableBufferPointer { output in
        guard let inBase = input.baseAddress, let outBase = output.baseAddress else { return }
        var layers = phases.map { phase -> LichenConvolution in
          let operands = phase.operands.storage
          var c = LichenConvolution()
          c.inChannels = Int64(inChannels)
          c.outChannels = Int64(outChannels)
          c.taps = Int64(phase.taps.count)
          c.tapDy = operands.tapDy.pointer
          c.tapDx = operands.tapDx.pointer
          c.inputStep = Int64(inputStep)
          c.outputStep = Int64(step)
          c.rowOffset = Int64(phase.rowOffset)
          c.colOffset = Int64(phase.colOffset)
          c.weights = operands.weights.pointer
          c.pairedWeights = operands.pairedWeights.pointer
          c.int32Rows = Int64(int32Rows)
          c.requantization = LichenRequantization(
            bias: operands.requantization.bias.pointer, multiplier: operands.requantization.multiplier.pointer,
            shift: operands.requantization.shift.pointer, lower: outputRange.lower, upper: outputRange.upper)
          c.input = inBase
          c.windowStart = Int64(windowStart)
          c.windowHeight = Int64(x.height)
          c.inputHeight = Int64(inputHeight)
          c.inputWidth = Int64(x.width)
          c.output = outBase
          c.outputStart = Int64(outputRows.lowerBound)
          c.outputHeight = Int64(outputRows.count)
          c.outputWidth = Int64(ow)
          return c
        }
        // The channel-paired copy of the input, filled a few channel pairs per task.
        var pairedBuffer: UnsafeMutableRawPointer?
        defer { pairedBuffer?.deallocate() }
        let paired = UnsafeMutablePointer<LichenPairedInput>.allocate(capacity: 1)
        defer { paired.deallocate() }
        if inPlace, var first = layers.first {
          let (top, bottom, left, right) = (Int64(pads.top), Int64(pads.bottom), Int64(pads.left), Int64(Swift.max(0, pads.right)))
          let buffer = UnsafeMutableRawPointer.allocate(
            byteCount: Int(lichen_paired_input_bytes(&first, top, bottom, left, right)), alignment: 64)
          pairedBuffer = buffer
          let channelPairs = (inChannels + 1) / 2, perTask = 4
          let fill = ReadOnlyShare(value: (layer: first, buffer: buffer))
          runTiles((channelPairs + perTask - 1) / perTask, threads: threads, scratchBytes: 0) { task, _ in
            var layer = fill.value.layer
            var ignored = LichenPairedInput()
            lichen_paired_input(path, &layer, top, bottom, left, right, Int64(task * perTask), Int64(perTask),
                                fill.value.buffer, &ignored)
          }
          // A call for no channel pairs only describes the copy.
          lichen_paired_input(path, &first, top, bottom, left, right, Int64(channelPairs), 0, buffer, paired)
          for index in layers.indices { layers[index].paired = UnsafePointer(paired) }
        }
        var scratch = 0
        for (index, tile) in tiles {
          var layer = layers[index]
          scratch = Swift.max(scratch, Int(lichen_convolution_scratch_bytes(&layer, tile.rowCount * tile.colCount)))
        }
        let work = ReadOnlyShare(value: (layers: layers, tiles: tiles))
        runTiles(tiles.count, threads: threads, scratchBytes: scratch) { i, scratch in
          var layer = work.value.layers[work.value.tiles[i].phase]
          var tile = work.value.tiles[i].tile
          lichen_convolution_tile(path, &layer, &tile, scratch)
        }
      }
    }
    if let negativeSlope {
      for i in out.values.indices where out.values[i] < 0 {
        out.values[i] = Int16(truncatingIfNeeded: negativeSlope.apply(Int64(out.values[i])))
      }
    }
    return out
  }

  /// Pixels per tile: about 256 KiB of patches (4 bytes per pair row and pixel),
  /// so they stay in L2 while every output channel reads them; at least 64
  /// pixels (whole register blocks), and small enough to give each thread
  /// several tiles.
  static func tilePixels(kPairs: Int, phasePixels: Int, threads: Int) -> Int {
    let cache = Swift.min(4096, Swift.max(64, (1 << 16) / Swift.max(1, kPairs)))
    let balance = Swift.max(32, (phasePixels / Swift.max(1, 4 * threads) + 15) & ~15)
    return Swift.min(cache, balance)
  }
}
