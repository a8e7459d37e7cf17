import LichenRandom
import XCTest

@testable import EntropyCoding

/// The encoder replaces `x / freq` with a reciprocal multiply; check it agrees
/// with true division for every 16-bit frequency over the state range it sees.
final class EncoderArithmeticTests: XCTestCase {
  func testReciprocalEncodingMatchesDivisionForEveryFrequency() {
    var rng = SplitMix64(seed: 3)
    for frequency in UInt32(1)...65536 {
      let start = UInt32(65536) - frequency
      let symbol = EncodingSymbol(start: start, frequency: frequency)
      let maxState = symbol.maxState  // states are below this after renormalisation
      var states: [UInt64] = [Rans64.lowerBound, maxState - 1, maxState / 2 + 1]
      states.append(UInt64.random(in: Rans64.lowerBound..<maxState, using: &rng))
      for x in states where x >= 1 << 15 && x < maxState {
        var writer = RansWriter(expectedSymbols: 0)
        writer.state = x
        writer.put(symbol)
        let f = UInt64(frequency)
        let expected = ((x / f) << 16) + (x % f) + UInt64(start)
        if writer.state != expected || !writer.words.isEmpty {
          XCTFail("frequency \(frequency), state \(x): got \(writer.state), want \(expected)")
          return
        }
      }
    }
  }
}
