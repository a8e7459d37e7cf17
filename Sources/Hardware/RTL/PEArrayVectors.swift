import IntegerEngine

/// Random test vectors for the PE array and their expected outputs from the
/// integer engine itself: each vector is one dot product (1...many beats of
/// PI activations x a PI x PO weight block) with per-output bias and
/// requantization, evaluated as an `IntConvolution` (1x1 kernel, L*PI input
/// channels, PO output channels) on a 1x1 image. Edge cases are mixed in:
/// extreme and zero operands, the longest dot product the accumulator
/// holds, saturating and vanishing scales, extreme biases, fused ReLU and
/// odd clamp ranges, and (for an array with the LeakyReLU unit) blocks with a negative slope, including 0 and
/// slopes just below 1. Vectors are streamed as stimulus lines with random
/// bubbles; per-lane constants sit on the line where `param_strobe` samples them.
enum PEArrayVectors {
  struct Vector {
    var beats: Int
    /// [beat * PI + lane]
    var activations: [Int16]
    /// [o][beat * PI + lane] (IntConvolution's [out][in] layout)
    var weights: [Int16]
    var bias: [Int64]
    var scales: [FixedPointScale]
  }

  struct Block {
    var lower: Int64, upper: Int64, relu: Bool
    /// The fused LeakyReLU's slope (below 1); nil for none.
    var slope: FixedPointScale? = nil
    var vectors: [Vector] = []
    var range: ActivationRange {
      let r = ActivationRange(lower: Int32(lower), upper: Int32(upper))
      return relu ? r.rectified : r
    }
  }

  static let vectorsPerBlock = 200

  static func make(_ c: PEArrayConfig, vectors count: Int, seed: UInt64) throws -> RTLStimulus {
    var rng = RTLRandom(seed: seed)
    var blocks: [Block] = []
    var made = 0
    while made < count {
      var block = randomRange(c, &rng)
      if c.hasLeakyReLU && rng.chance(0.5) {
        block.relu = false
        block.slope = randomSlope(&rng)
      }
      let n = Swift.min(vectorsPerBlock, count - made)
      for _ in 0..<n { block.vectors.append(randomVector(c, &rng)) }
      made += n
      blocks.append(block)
    }
    var expected: [[Int64]] = []
    expected.reserveCapacity(count)
    var flat: [(Block, Vector)] = []
    flat.reserveCapacity(count)
    for block in blocks {
      for v in block.vectors {
        expected.append(try engineOutput(c, v, block.range, slope: block.slope))
        flat.append((block, v))
      }
    }
    let (layout, text, lines) = stimulus(c, blocks, &rng)
    return RTLStimulus(
      unit: "pe-array PI=\(c.inputLanes) PO=\(c.outputLanes) a\(c.activationBits) w\(c.weightBits) acc\(c.accumulatorBits)"
        + (c.hasLeakyReLU ? " leaky" : ""),
      module: PEArrayConfig.arrayModuleName, verilog: PEArrayVerilog.source(c), layout: layout, text: text,
      lines: lines, outputLanes: c.outputLanes, outputBits: c.outputBits, expected: expected,
      describe: { k in describe(flat[k].0, flat[k].1) })
  }

  /// The integer engine's output for one dot product.
  static func engineOutput(_ c: PEArrayConfig, _ v: Vector, _ range: ActivationRange, slope: FixedPointScale? = nil) throws
    -> [Int64] {
    let k = v.beats * c.inputLanes
    let conv = try IntConvolution(
      kind: .convolution, inChannels: k, outChannels: c.outputLanes, kernel: 1, stride: 1, padding: 0,
      weights: v.weights, bias: v.bias, requantization: v.scales, outputRange: range,
      inputBound: 1 << (c.activationBits - 1), negativeSlope: slope)
    let x = try IntTensor(channels: k, height: 1, width: 1, values: v.activations)
    return try conv(x).values.map { Int64($0) }
  }

  static func describe(_ b: Block, _ v: Vector) -> String {
    "beats \(v.beats), act \(v.activations), weights[o][i] \(v.weights), bias \(v.bias), "
      + "mult \(v.scales.map(\.multiplier)), shift \(v.scales.map(\.shift)), range [\(b.lower), \(b.upper)] relu \(b.relu)"
      + (b.slope.map { " leaky slope \($0.multiplier) / 2^\($0.shift)" } ?? "")
  }

  // MARK: - random draws

  static func randomRange(_ c: PEArrayConfig, _ rng: inout RTLRandom) -> Block {
    let bits = c.outputBits
    let lo = -(Int64(1) << (bits - 1)), hi = (Int64(1) << (bits - 1)) - 1
    let relu = rng.chance(0.3)
    switch rng.int(0...19) {
    case 0...9: return Block(lower: lo + 1, upper: hi, relu: relu)  // ActivationRange.signed
    case 10...12: return Block(lower: lo, upper: hi, relu: relu)
    case 13...18:
      let a = rng.int(Int(lo)...Int(hi)), b = rng.int(Int(lo)...Int(hi))
      return Block(lower: Int64(Swift.min(a, b)), upper: Int64(Swift.max(a, b)), relu: relu)
    default:  // inverted range: the clamp returns `upper`, in hardware as in the engine
      let a = rng.int(Int(lo)...Int(hi)), b = rng.int(Int(lo)...Int(hi))
      return Block(lower: Int64(Swift.max(a, b)), upper: Int64(Swift.min(a, b)), relu: relu)
    }
  }

  /// A LeakyReLU slope below 1: mostly about 0.01 (CompressAI's default), sometimes 0, tiny, or just below 1.
  static func randomSlope(_ rng: inout RTLRandom) -> FixedPointScale {
    let multiplier = Int64(1 << 30) + Int64(rng.below(1 << 30))
    switch rng.int(0...9) {
    case 0: return FixedPointScale(multiplier: 0, shift: 0)
    case 1: return FixedPointScale(multiplier: (1 << 31) - 1, shift: 31)  // 1 - 2^-31
    case 2: return FixedPointScale(multiplier: multiplier, shift: rng.int(31...90))
    default: return FixedPointScale(multiplier: multiplier, shift: rng.int(36...38))  // 0.004 ... 0.03
    }
  }

  static func randomOperand(bits: Int, mode: Int, _ rng: inout RTLRandom) -> Int16 {
    let lo = -(Int64(1) << (bits - 1)), hi = (Int64(1) << (bits - 1)) - 1
    switch mode {
    case 0: return Int16(rng.signed(bits: bits))
    case 1:
      let m = Int64(rng.logUniform(bits: bits - 1))
      return Int16(rng.chance(0.5) ? -m : m)
    case 2: return Int16(rng.chance(0.5) ? lo : hi)
    default: return rng.chance(0.7) ? 0 : Int16(rng.signed(bits: bits))
    }
  }

  static func randomVector(_ c: PEArrayConfig, _ rng: inout RTLRandom) -> Vector {
    let pi = c.inputLanes, po = c.outputLanes
    let longest = Swift.min(c.maxBeats, 64)
    var beats: Int
    switch rng.int(0...99) {
    case 0...59: beats = rng.int(1...4)
    case 60...94: beats = rng.int(1...16)
    default: beats = longest
    }
    beats = Swift.min(beats, c.maxBeats)
    let k = beats * pi
    var act = [Int16](repeating: 0, count: k)
    var w = [Int16](repeating: 0, count: k * po)
    if rng.chance(0.03) {
      // the accumulator's extremes: min x min (largest positive) or min x max (most negative)
      let amin = Int16(-(Int64(1) << (c.activationBits - 1)))
      let wmin = Int16(-(Int64(1) << (c.weightBits - 1))), wmax = Int16((Int64(1) << (c.weightBits - 1)) - 1)
      beats = Swift.min(longest, c.maxBeats)
      act = [Int16](repeating: amin, count: beats * pi)
      w = (0..<(beats * pi * po)).map { i in (i / (beats * pi)) % 2 == 0 ? wmin : wmax }
    } else {
      let am = rng.int(0...9) < 6 ? 0 : rng.int(1...3)
      let wm = rng.int(0...9) < 6 ? 0 : rng.int(1...3)
      for i in 0..<k { act[i] = randomOperand(bits: c.activationBits, mode: am, &rng) }
      for i in 0..<(k * po) { w[i] = randomOperand(bits: c.weightBits, mode: wm, &rng) }
    }
    let kk = beats * pi
    var bias = [Int64](repeating: 0, count: po)
    var scales: [FixedPointScale] = []
    for o in 0..<po {
      var acc: Int64 = 0
      for i in 0..<kk { acc += Int64(act[i]) * Int64(w[o * kk + i]) }
      bias[o] = randomBias(bits: c.biasBits, accumulator: acc, &rng)
      let v = acc &+ bias[o]
      scales.append(randomScale(value: v, outputBits: c.outputBits, shiftBits: c.shiftBits, &rng))
    }
    return Vector(beats: beats, activations: act, weights: w, bias: bias, scales: scales)
  }

  static func randomBias(bits: Int, accumulator: Int64, _ rng: inout RTLRandom) -> Int64 {
    let lo = bits >= 64 ? Int64.min : -(Int64(1) << (bits - 1))
    let hi = bits >= 64 ? Int64.max : (Int64(1) << (bits - 1)) - 1
    switch rng.int(0...19) {
    case 0...1: return 0
    case 2...14:
      let magnitude = Swift.max(Int64(1), accumulator.magnitude > UInt64(Int64.max / 4) ? 1 : Int64(accumulator.magnitude) * 2)
      let m = Int64(rng.below(UInt64(Swift.min(magnitude, hi)) + 1))
      return rng.chance(0.5) ? -m : m
    case 15...16: return rng.chance(0.5) ? lo : hi
    default: return bits >= 64 ? Int64(bitPattern: rng.next()) : rng.signed(bits: bits)
    }
  }

  /// Mostly a shift that lands |v * m / 2^s| near the output range; sometimes any shift or multiplier.
  static func randomScale(value: Int64, outputBits: Int, shiftBits: Int, _ rng: inout RTLRandom) -> FixedPointScale {
    let multiplier: Int64
    switch rng.int(0...99) {
    case 0...2: multiplier = 0
    case 3...12: multiplier = Int64(rng.logUniform(bits: 31))
    default: multiplier = Int64(1 << 30) + Int64(rng.below(1 << 30))
    }
    let smin = -(1 << (shiftBits - 1)), smax = (1 << (shiftBits - 1)) - 1
    let shift: Int
    if rng.chance(0.8) {
      let length = RTLMath.bitLength(Int(value.magnitude >> 1)) + 1 + RTLMath.bitLength(Int(multiplier))
      shift = Swift.min(smax, Swift.max(smin, length - (outputBits - 1) + rng.int(-3...3)))
    } else {
      shift = rng.int(smin...smax)
    }
    return FixedPointScale(multiplier: multiplier, shift: shift)
  }

  // MARK: - stimulus lines

  static func stimulus(_ c: PEArrayConfig, _ blocks: [Block], _ rng: inout RTLRandom)
    -> (BitFieldLayout, [UInt8], Int)
  {
    var layout = BitFieldLayout()
    let fValid = layout.add("in_valid", width: 1)
    let fFirst = layout.add("in_first", width: 1)
    let fLast = layout.add("in_last", width: 1)
    let fAct = layout.add("act", width: c.inputLanes * c.activationBits)
    let fWgt = layout.add("wgt", width: c.lanes * c.weightBits)
    let fBias = layout.add("bias", width: c.outputLanes * c.biasBits)
    let fMult = layout.add("mult", width: c.outputLanes * 31)
    let fShift = layout.add("shift", width: c.outputLanes * c.shiftBits)
    let fLower = layout.add("lower", width: c.outputBits)
    let fUpper = layout.add("upper", width: c.outputBits)
    let fRelu = layout.add("relu", width: 1)
    let leakyFields = c.hasLeakyReLU
      ? (enable: layout.add("leaky", width: 1), mult: layout.add("slope_mult", width: 31),
         shift: layout.add("slope_shift", width: c.shiftBits))
      : nil
    var lines: [BitLine] = []
    func newLine(_ b: Block) -> BitLine {
      var line = BitLine(layout)
      line.set(fLower, b.lower)
      line.set(fUpper, b.upper)
      line.set(fRelu, b.relu ? 1 : 0)
      if let leakyFields, let slope = b.slope {
        line.set(leakyFields.enable, 1)
        line.set(leakyFields.mult, slope.multiplier)
        line.set(leakyFields.shift, Int64(slope.shift))
      }
      return line
    }
    let pi = c.inputLanes, po = c.outputLanes
    for block in blocks {
      var lastBeatLine = lines.count - 1
      for v in block.vectors {
        let kk = v.beats * pi
        for beat in 0..<v.beats {
          while rng.chance(0.04) { lines.append(newLine(block)) }  // bubble
          var line = newLine(block)
          line.set(fValid, 1)
          line.set(fFirst, beat == 0 ? 1 : 0)
          line.set(fLast, beat == v.beats - 1 ? 1 : 0)
          for i in 0..<pi { line.set(fAct, element: i, width: c.activationBits, Int64(v.activations[beat * pi + i])) }
          for o in 0..<po {
            for i in 0..<pi {
              line.set(fWgt, element: o * pi + i, width: c.weightBits, Int64(v.weights[o * kk + beat * pi + i]))
            }
          }
          lines.append(line)
        }
        lastBeatLine = lines.count - 1
        let strobe = lastBeatLine + PEArrayConfig.macLatency
        while lines.count <= strobe { lines.append(newLine(block)) }
        for o in 0..<po {
          lines[strobe].set(fBias, element: o, width: c.biasBits, v.bias[o])
          lines[strobe].set(fMult, element: o, width: 31, v.scales[o].multiplier)
          lines[strobe].set(fShift, element: o, width: c.shiftBits, Int64(v.scales[o].shift))
        }
      }
      // drain with this block's range before the next block changes it
      while lines.count <= lastBeatLine + c.latency + 2 { lines.append(newLine(block)) }
    }
    var text: [UInt8] = []
    text.reserveCapacity(lines.count * (layout.hexDigits + 1))
    for line in lines { line.write(to: &text) }
    return (layout, text, lines.count)
  }
}
