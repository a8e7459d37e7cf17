/// Random test vectors for the packed MAC and their expected outputs, the
/// plain Int64 sums sum(a * w1) and sum(a * w2) a dot product computes (not
/// the packed arithmetic: the point is that the packing reproduces them).
/// Each vector is one group of 1...beats beats. The first vectors are every
/// single-beat combination of extreme values (min, min + 1, -1, 0, 1, max of
/// each operand's bits), then the full-length groups of constant extremes
/// (min x min over every beat is the largest low-field sum, the exactness
/// bound itself), then random groups with uniform, log-uniform, extreme and
/// mostly-zero operands. Bubbles (in_valid = 0, with random operands and
/// in_last on them, which the unit must ignore) fall between and inside groups.
enum PackedMACVectors {
  struct Group {
    var a: [Int64]
    var w1: [Int64]
    var w2: [Int64]
  }

  static func make(_ c: PackedMACConfig, vectors count: Int, seed: UInt64) -> RTLStimulus {
    var rng = RTLRandom(seed: seed)
    var groups = Array(fixedGroups(c).prefix(count))
    while groups.count < count { groups.append(randomGroup(c, &rng)) }
    let expected = groups.map { g -> [Int64] in
      let s = PackedMACModel.plainSums(a: g.a, w1: g.w1, w2: g.w2)
      return [s.sum1, s.sum2]
    }
    let (layout, text, lines) = stimulus(c, groups, &rng)
    return RTLStimulus(
      unit: "packed-mac a\(c.activationBits) w\(c.weightBits) beats\(c.beats)", module: PackedMACConfig.moduleName,
      verilog: PackedMACVerilog.source(c), layout: layout, text: text, lines: lines, outputLanes: 2,
      outputBits: c.sumBits, expected: expected,
      describe: { k in "beats \(groups[k].a.count), a \(groups[k].a), w1 \(groups[k].w1), w2 \(groups[k].w2)" })
  }

  /// min, min + 1, -1, 0, 1, max of a signed `bits`-bit operand.
  static func extremes(bits: Int) -> [Int64] {
    let lo = -(Int64(1) << (bits - 1)), hi = (Int64(1) << (bits - 1)) - 1
    return Array(Set([lo, lo + 1, -1, 0, 1, hi])).sorted()
  }

  /// Every single-beat combination of extremes, then the full-length groups of constant min/max operands.
  static func fixedGroups(_ c: PackedMACConfig) -> [Group] {
    let xa = extremes(bits: c.activationBits), xw = extremes(bits: c.weightBits)
    var groups: [Group] = []
    for a in xa { for w1 in xw { for w2 in xw { groups.append(Group(a: [a], w1: [w1], w2: [w2])) } } }
    let ends = { (v: [Int64]) in [v.first!, v.last!] }
    for a in ends(xa) {
      for w1 in ends(xw) {
        for w2 in ends(xw) {
          let n = c.beats
          groups.append(Group(a: Array(repeating: a, count: n), w1: Array(repeating: w1, count: n),
                              w2: Array(repeating: w2, count: n)))
        }
      }
    }
    return groups
  }

  static func operand(bits: Int, mode: Int, _ rng: inout RTLRandom) -> Int64 {
    if mode == 4 {
      let x = extremes(bits: bits)
      return x[rng.int(0...(x.count - 1))]
    }
    return Int64(PEArrayVectors.randomOperand(bits: bits, mode: mode, &rng))
  }

  static func randomGroup(_ c: PackedMACConfig, _ rng: inout RTLRandom) -> Group {
    // long groups get rarer when the bound allows thousands of beats (small operands)
    let longest = c.beats, usual = Swift.min(longest, 64)
    let full = Swift.min(1.0, 64.0 / Double(longest))
    var beats: Int
    switch rng.int(0...99) {
    case 0...49: beats = rng.int(1...Swift.min(longest, 8))
    case 50...89: beats = rng.int(1...usual)
    default: beats = rng.chance(full) ? longest : rng.int(1...usual)
    }
    let modes = (0..<3).map { _ in rng.int(0...9) < 5 ? 0 : rng.int(1...4) }
    var g = Group(a: [], w1: [], w2: [])
    for _ in 0..<beats {
      g.a.append(operand(bits: c.activationBits, mode: modes[0], &rng))
      g.w1.append(operand(bits: c.weightBits, mode: modes[1], &rng))
      g.w2.append(operand(bits: c.weightBits, mode: modes[2], &rng))
    }
    return g
  }

  static func stimulus(_ c: PackedMACConfig, _ groups: [Group], _ rng: inout RTLRandom) -> (BitFieldLayout, [UInt8], Int) {
    var layout = BitFieldLayout()
    let fValid = layout.add("in_valid", width: 1)
    let fLast = layout.add("in_last", width: 1)
    let fA = layout.add("a", width: c.activationBits)
    let fW1 = layout.add("w1", width: c.weightBits)
    let fW2 = layout.add("w2", width: c.weightBits)
    var lines: [BitLine] = []
    func beat(valid: Bool, last: Bool, _ a: Int64, _ w1: Int64, _ w2: Int64) {
      var line = BitLine(layout)
      line.set(fValid, valid ? 1 : 0)
      line.set(fLast, last ? 1 : 0)
      line.set(fA, a)
      line.set(fW1, w1)
      line.set(fW2, w2)
      lines.append(line)
    }
    for g in groups {
      for i in g.a.indices {
        while rng.chance(0.05) {  // bubble: operands and in_last the unit must ignore
          beat(valid: false, last: rng.chance(0.5), rng.signed(bits: c.activationBits), rng.signed(bits: c.weightBits),
               rng.signed(bits: c.weightBits))
        }
        beat(valid: true, last: i == g.a.count - 1, g.a[i], g.w1[i], g.w2[i])
      }
    }
    for _ in 0...(PackedMACConfig.latency + 2) { beat(valid: false, last: false, 0, 0, 0) }
    var text: [UInt8] = []
    text.reserveCapacity(lines.count * (layout.hexDigits + 1))
    for line in lines { line.write(to: &text) }
    return (layout, text, lines.count)
  }
}
