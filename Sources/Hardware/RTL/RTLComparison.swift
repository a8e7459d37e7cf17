/// The bit-for-bit comparison of simulator output against the integer
/// engine: output word i must equal vector i's expected lanes exactly. Kept
/// separate from running the simulator so a test can feed it a deliberately
/// wrong expectation and see the mismatch reported.
enum RTLComparison {
  struct Outcome {
    var compared = 0
    var mismatches = 0
    var outputWords = 0
    var first: [RTLMismatch] = []
  }

  static func compare(output: String, expected: [[Int64]], lanes: Int, bits: Int, keep: Int = 10,
                      describe: (Int) -> String) -> Outcome {
    var outcome = Outcome()
    let words = output.split(separator: "\n", omittingEmptySubsequences: true)
    outcome.outputWords = words.count
    func record(_ vector: Int, _ lane: Int, _ want: Int64, _ got: Int64?) {
      outcome.mismatches += 1
      if outcome.first.count < keep {
        outcome.first.append(RTLMismatch(vector: vector, lane: lane, expected: want, got: got, inputs: describe(vector)))
      }
    }
    for (k, want) in expected.enumerated() {
      outcome.compared += want.count
      let got = k < words.count ? HexLanes.decode(words[k], lanes: lanes, bits: bits) : nil
      for lane in 0..<want.count {
        let value = got?[lane]
        if value != want[lane] { record(k, lane, want[lane], value) }
      }
    }
    return outcome
  }
}
