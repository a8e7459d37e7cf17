import Foundation
import LichenRandom
import XCTest

@testable import LichenSerialization
@testable import Torch

/// Feeds mutated, truncated and random inputs to every reader: each must
/// either decode or throw a `SerializationError`, never trap or hang.
/// Seeds are fixed, so a failure reproduces. Set LICHEN_FUZZ_SCALE=N to run
/// N times as many iterations (with other seeds) for a longer soak.
final class FuzzTests: XCTestCase {
  private let scale = max(1, Int(ProcessInfo.processInfo.environment["LICHEN_FUZZ_SCALE"] ?? "") ?? 1)

  /// Applies one random mutation; `hotRange` (e.g. the header or pickle) is
  /// where most byte flips land, since that is where the parsing logic is.
  private func mutate(_ input: [UInt8], hotRange: Range<Int>, using generator: inout SplitMix64) -> [UInt8] {
    var bytes = input
    guard !bytes.isEmpty else { return bytes }
    switch generator.next() % 10 {
    case 0:
      bytes.removeLast(Int(generator.next() % UInt64(bytes.count)))
    case 1:
      let start = Int(generator.next() % UInt64(bytes.count))
      bytes.removeSubrange(start..<min(bytes.count, start + 1 + Int(generator.next() % 16)))
    case 2:
      let start = Int(generator.next() % UInt64(bytes.count))
      bytes.insert(contentsOf: (0..<(1 + generator.next() % 8)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }, at: start)
    default:
      let flips = 1 + Int(generator.next() % 4)
      for _ in 0..<flips {
        let inHot = generator.next() % 4 != 0 && !hotRange.isEmpty
        let range = inHot ? hotRange.clamped(to: 0..<bytes.count) : 0..<bytes.count
        guard !range.isEmpty else { continue }
        let index = range.lowerBound + Int(generator.next() % UInt64(range.count))
        // Mix of random bytes and "interesting" values (0, 0xFF, small counts).
        let interesting: [UInt8] = [0, 0xFF, 0x7F, 0x80, 1, 2, 8]
        bytes[index] = generator.next() % 2 == 0
          ? UInt8(truncatingIfNeeded: generator.next())
          : interesting[Int(generator.next() % UInt64(interesting.count))]
      }
    }
    return bytes
  }

  private func expectCleanFailureOrSuccess(_ label: String, _ body: () throws -> Void) {
    do {
      try body()
    } catch is SerializationError {
    } catch {
      XCTFail("\(label): non-serialization error \(error)")
    }
  }

  func testFuzzSafeTensors() throws {
    let fixture = try Fixtures.bytes("small_state_dict.safetensors")
    let sample = try SafeTensors.encode(
      [
        "a": try TensorRecord(float32: [1, 2, 3], shape: [3]),
        "b": try TensorRecord(dtype: .int64, shape: [0], bytes: []),
        "c": try TensorRecord(float16From: [1], shape: []),
      ],
      metadata: ["k": "v"])
    var generator = SplitMix64(seed: 0x5AFE &+ UInt64(scale))
    var decoded = 0
    for iteration in 0..<(3000 * scale) {
      let base = iteration % 2 == 0 ? fixture : sample
      let headerEnd = 8 + Int(loadLittleEndian(UInt64.self, from: base, at: 0) ?? 0)
      let input = mutate(base, hotRange: 0..<headerEnd, using: &generator)
      expectCleanFailureOrSuccess("safetensors #\(iteration)") {
        _ = try SafeTensors.decode(input)
        decoded += 1
      }
    }
    // Pure noise, including plausible small header lengths.
    for iteration in 0..<(500 * scale) {
      var noise = (0..<Int(generator.next() % 64)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
      if noise.count >= 8, iteration % 2 == 0 {
        noise[0] = UInt8(noise.count - 8)
        for index in 1..<8 { noise[index] = 0 }
      }
      expectCleanFailureOrSuccess("safetensors noise #\(iteration)") { _ = try SafeTensors.decode(noise) }
    }
    XCTAssertGreaterThan(decoded, 0, "some mutations (e.g. in tensor data) still decode")
  }

  func testFuzzCheckpoints() throws {
    let bases = try ["small_state_dict.pth", "mixed_tensors.pth", "python_values_protocol4.pth", "small_state_dict_zip64.pth"]
      .map(Fixtures.bytes)
    // Flip bytes mostly inside data.pkl, where the interpreter runs.
    let pickleRanges = try bases.map { bytes -> Range<Int> in
      let archive = try ZipArchive(bytes: bytes)
      let entry = try XCTUnwrap(archive.entries.first { $0.name.hasSuffix("/data.pkl") })
      return try archive.data(of: entry).indices
    }
    var generator = SplitMix64(seed: 0xC0FFEE &+ UInt64(scale))
    for iteration in 0..<(2400 * scale) {
      let which = iteration % bases.count
      let input = mutate(bases[which], hotRange: pickleRanges[which], using: &generator)
      expectCleanFailureOrSuccess("checkpoint #\(iteration)") {
        let value = try PyTorchCheckpoint.decode(input)
        _ = try? PyTorchCheckpoint.stateDict(in: value)
      }
    }
  }

  /// Random opcode sequences drawn from the supported set, with random operands.
  func testFuzzPickleOpcodeSoup() {
    let opcodes: [UInt8] = [
      0x28, 0x2E, 0x30, 0x31, 0x32, 0x42, 0x43, 0x47, 0x4A, 0x4B, 0x4D, 0x4E, 0x51, 0x52, 0x54, 0x55, 0x58,
      0x5D, 0x61, 0x62, 0x63, 0x64, 0x65, 0x68, 0x6A, 0x6C, 0x71, 0x72, 0x73, 0x74, 0x75, 0x7D, 0x29,
      0x80, 0x81, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x8C, 0x8D, 0x93, 0x94, 0x95,
    ]
    let storage = TorchStorage(key: "0", dtype: .float32, bytes: ArraySlice(floatBytes([1, 2, 3, 4])))
    var generator = SplitMix64(seed: 42 &+ UInt64(scale))
    var decoded = 0
    for iteration in 0..<(3000 * scale) {
      var bytes: [UInt8] = [0x80, 0x02]
      for _ in 0..<(1 + Int(generator.next() % 60)) {
        bytes.append(opcodes[Int(generator.next() % UInt64(opcodes.count))])
        // Short random operands: small values keep memo indices and lengths plausible.
        for _ in 0..<Int(generator.next() % 3) {
          bytes.append(UInt8(truncatingIfNeeded: generator.next() % 4))
        }
        if generator.next() % 8 == 0 { bytes += Array("torch\nFloatStorage\n".utf8) }
      }
      bytes.append(0x2E)
      expectCleanFailureOrSuccess("soup #\(iteration)") {
        _ = try PickleReader().read(bytes) { _ in storage }
        decoded += 1
      }
    }
    XCTAssertGreaterThan(decoded, 0)
  }
}
