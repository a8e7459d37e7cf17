import IntegerEngine

/// Random test vectors for the GDN unit and their expected outputs from the
/// integer engine itself: vectors come in groups that are one small `IntGDN`
/// (2 channels x 16 pixels, random gamma, beta and per-channel output
/// scales) run on a random tensor; each (channel, pixel) gives a vector
/// (its pool P = beta_i + sum_j gamma_ij * s_j, x, the channel's scale) and
/// the expected value is `IntGDN`'s output there. Group magnitudes are drawn
/// log-uniformly so pools cover every exponent from 0 to 2^62; edge cases
/// (x = 0, the int extremes, beta = 0 so P = 0, huge beta, zero and random
/// multipliers, shifts across FixedPointScale's range) are mixed in.
enum GDNVectors {
  struct Vector {
    var pool: Int64
    var x: Int16
    var scale: FixedPointScale
  }

  static let channels = 2
  static let pixels = 16
  static let groupsPerBlock = 8

  static func make(_ c: GDNUnitConfig, vectors count: Int, seed: UInt64) throws -> RTLStimulus {
    var rng = RTLRandom(seed: seed)
    var vectors: [Vector] = []
    var expected: [[Int64]] = []
    var blockOf: [Int] = []
    var ranges: [ActivationRange] = []
    vectors.reserveCapacity(count + channels * pixels)
    while vectors.count < count {
      let range = randomRange(bits: c.outputBits, &rng)
      ranges.append(range)
      for _ in 0..<groupsPerBlock where vectors.count < count {
        let (group, outputs) = try randomGroup(c, range: range, &rng)
        let n = Swift.min(group.count, count - vectors.count)
        vectors += group.prefix(n)
        expected += outputs.prefix(n).map { [Int64($0)] }
        blockOf += [Int](repeating: ranges.count - 1, count: n)
      }
    }
    var layout = BitFieldLayout()
    let fValid = layout.add("in_valid", width: 1)
    let fPool = layout.add("pool", width: 64)
    let fX = layout.add("x", width: c.activationBits)
    let fMult = layout.add("mult", width: 31)
    let fShift = layout.add("shift", width: c.shiftBits)
    let fLower = layout.add("lower", width: c.outputBits)
    let fUpper = layout.add("upper", width: c.outputBits)
    var text: [UInt8] = []
    text.reserveCapacity((vectors.count + 64) * (layout.hexDigits + 1))
    var lines = 0
    func emit(_ range: ActivationRange, _ v: Vector?) {
      var line = BitLine(layout)
      line.set(fLower, Int64(range.lower))
      line.set(fUpper, Int64(range.upper))
      if let v {
        line.set(fValid, 1)
        line.set(fPool, v.pool)
        line.set(fX, Int64(v.x))
        line.set(fMult, v.scale.multiplier)
        line.set(fShift, Int64(v.scale.shift))
      }
      line.write(to: &text)
      lines += 1
    }
    for (k, v) in vectors.enumerated() {
      let range = ranges[blockOf[k]]
      while rng.chance(0.03) { emit(range, nil) }  // bubble
      emit(range, v)
      if k + 1 == vectors.count || blockOf[k + 1] != blockOf[k] {
        for _ in 0..<(c.latency + 2) { emit(range, nil) }  // drain before the range changes
      }
    }
    return RTLStimulus(
      unit: "gdn \(c.variant.rawValue) x\(c.activationBits) o\(c.outputBits) table \(c.indexBits)/\(c.fractionBits)",
      module: c.moduleName, verilog: try GDNUnitVerilog.source(c), layout: layout, text: text, lines: lines,
      outputLanes: 1, outputBits: c.outputBits, expected: expected,
      describe: { k in
        let v = vectors[k], r = ranges[blockOf[k]]
        return "pool \(v.pool), x \(v.x), mult \(v.scale.multiplier), shift \(v.scale.shift), range [\(r.lower), \(r.upper)]"
      })
  }

  static func randomRange(bits: Int, _ rng: inout RTLRandom) -> ActivationRange {
    let signed = ActivationRange.signed(bits: bits)
    switch rng.int(0...9) {
    case 0...5: return signed
    case 6: return signed.rectified
    case 7: return ActivationRange(lower: signed.lower - 1, upper: signed.upper)
    default:
      let a = Int32(rng.int(Int(signed.lower)...Int(signed.upper)))
      let b = Int32(rng.int(Int(signed.lower)...Int(signed.upper)))
      return ActivationRange(lower: Swift.min(a, b), upper: Swift.max(a, b))
    }
  }

  /// One IntGDN group: its vectors (channel-major) and the engine's outputs for them.
  static func randomGroup(_ c: GDNUnitConfig, range: ActivationRange, _ rng: inout RTLRandom) throws
    -> ([Vector], [Int16])
  {
    let ch = channels, px = pixels
    let xbits = c.activationBits
    let xmin = -(Int64(1) << (xbits - 1)), xmax = (Int64(1) << (xbits - 1)) - 1
    var x = [Int16](repeating: 0, count: ch * px)
    for j in 0..<ch {
      let magnitude = rng.int(0...(xbits - 1))
      for q in 0..<px {
        let v: Int64
        switch rng.int(0...19) {
        case 0: v = 0
        case 1: v = rng.chance(0.5) ? xmin : xmax
        case 2...4: v = rng.signed(bits: xbits)
        default:
          let m = magnitude == 0 ? 0 : Int64(1 << (magnitude - 1)) + Int64(rng.below(UInt64(1 << (magnitude - 1))))
          v = rng.chance(0.5) ? -m : m
        }
        x[j * px + q] = Int16(v)
      }
    }
    var gamma = [Int64](repeating: 0, count: ch * ch)
    for i in 0..<(ch * ch) { gamma[i] = rng.chance(0.2) ? 0 : Int64(rng.logUniform(bits: 24)) }
    var beta = [Int64](repeating: 0, count: ch)
    for i in 0..<ch {
      switch rng.int(0...19) {
      case 0: beta[i] = 0
      case 1: beta[i] = (Int64(1) << 62) - 1 - Int64(rng.below(1 << 20))
      default: beta[i] = Int64(rng.logUniform(bits: 62))
      }
    }
    // pools as IntGDN forms them (for the stimulus and for choosing scales)
    var pool = [Int64](repeating: 0, count: ch * px)
    for i in 0..<ch {
      for q in 0..<px {
        var p = beta[i]
        for j in 0..<ch {
          let v = Int64(x[j * px + q])
          p &+= gamma[i * ch + j] &* (c.variant.kind == .standard ? v * v : Swift.abs(v))
        }
        pool[i * px + q] = p
      }
    }
    let table = try c.table()
    var scales: [FixedPointScale] = []
    for i in 0..<ch {
      // aim the scale at the channel's median |x|, so most outputs land inside the range
      let q = (0..<px).sorted { abs(Int(x[i * px + $0])) < abs(Int(x[i * px + $1])) }[px / 2]
      scales.append(randomScale(c, table: table, pool: pool[i * px + q], x: Int64(x[i * px + q]), &rng))
    }
    let gdn: IntGDN
    do {
      gdn = try IntGDN(kind: c.variant.kind, inverse: c.variant.isInverse, channels: ch, gamma: gamma, beta: beta,
                       output: scales, outputRange: range, tableIndexBits: c.indexBits, tableFractionBits: c.fractionBits)
    } catch { throw RTLError("GDN test group: \(error)") }
    let y = try gdn(try IntTensor(channels: ch, height: 1, width: px, values: x))
    var vectors: [Vector] = []
    for i in 0..<ch {
      for q in 0..<px { vectors.append(Vector(pool: pool[i * px + q], x: x[i * px + q], scale: scales[i])) }
    }
    return (vectors, y.values)
  }

  /// Mostly a shift that lands x * f(P) near the output range; sometimes any shift or multiplier.
  static func randomScale(_ c: GDNUnitConfig, table: NormalizationTable?, pool: Int64, x: Int64, _ rng: inout RTLRandom)
    -> FixedPointScale
  {
    let multiplier: Int64
    switch rng.int(0...99) {
    case 0...2: multiplier = 0
    case 3...9: multiplier = Int64(rng.logUniform(bits: 31))
    default: multiplier = Int64(1 << 30) + Int64(rng.below(1 << 30))
    }
    let smin = Swift.max(-32, -(1 << (c.shiftBits - 1))), smax = Swift.min(120, (1 << (c.shiftBits - 1)) - 1)
    guard rng.chance(0.85) else { return FixedPointScale(multiplier: multiplier, shift: rng.int(smin...smax)) }
    // log2 |x * f(P)| in units of the result before the scale's shift
    var length = RTLMath.bitLength(Int(x.magnitude)) + RTLMath.bitLength(Int(multiplier))
    if let table {
      let (v, e) = table.evaluate(pool)
      length += RTLMath.bitLength(Int(v)) + e - table.fractionBits
    } else {
      length += RTLMath.bitLength(Int(Swift.max(pool, 0)))
    }
    let shift = Swift.min(smax, Swift.max(smin, length - (c.outputBits - 1) + rng.int(-3...3)))
    return FixedPointScale(multiplier: multiplier, shift: shift)
  }
}
