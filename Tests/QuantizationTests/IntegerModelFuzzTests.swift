import Compression
import EntropyCoding
import Foundation
import IntegerEngine
import LichenTestSupport
import Torch
import XCTest

@testable import IntegerCodec
@testable import Quantization

/// Hostile integer model files: the layer structure JSON they carry
/// (`lichen.integer`) mutated field by field (extreme and overflowing numbers,
/// wrong types, missing, unknown and reordered layers, huge arrays) and
/// byte by byte, plus edited N/M/GDN metadata. Each must either be refused
/// with a one-line `QuantizationError` naming the field, or load and then
/// encode and decode an image without trapping. Seeds are fixed;
/// LICHEN_FUZZ_SCALE=N runs N times as many mutations.
final class IntegerModelFuzzTests: XCTestCase {
  private let scale = max(1, Int(ProcessInfo.processInfo.environment["LICHEN_FUZZ_SCALE"] ?? "") ?? 1)

  /// The tensors and metadata `IntegerModelFile.save` writes for the tiny int8 model, and its structure as a tree.
  static func contents(_ file: IntegerModelFile) throws -> (SafeTensorsFile, FuzzJSON) {
    let (tensors, structure) = try IntegerModelFile.encode(file.model)
    let metadata = [
      "lichen.format": IntegerModelFile.format, "lichen.architecture": file.configuration.architecture.rawValue,
      "lichen.N": String(file.configuration.n), "lichen.M": String(file.configuration.m),
      "lichen.gdn": file.configuration.gdnVariant.rawValue, "lichen.integer": structure,
    ]
    return (SafeTensorsFile(tensors: tensors, metadata: metadata), try FuzzJSON.parse(Data(structure.utf8)))
  }

  private static func pixels() throws -> IntTensor {
    var values = [Int16](repeating: 0, count: 3 * 64 * 64)
    for i in values.indices { values[i] = Int16((i * 7 + i / 64) % 256) }
    return try IntTensor(channels: 3, height: 64, width: 64, values: values)
  }

  private func expectOneLine(_ message: String, _ label: @autoclosure () -> String) {
    if message.isEmpty || message.contains(where: \.isNewline) { XCTFail("\(label()): not a one-line message: \(message)") }
  }

  func testFuzzIntegerModelStructure() throws {
    try fuzz(try QuantizationTests.integerFile("int8").0, iterations: 1000 * scale, seed: 0x494E_5445_47 &+ UInt64(scale))
  }

  /// The mean-scale structure, with its mean path (meansToFine, yFractionBits, yHatRange) and LeakyReLU slopes.
  func testFuzzMeanScaleIntegerModelStructure() throws {
    let file = try MeanScaleIntegerTests.integerFile("int8", for: try MeanScaleIntegerTests.model())
    try fuzz(file, iterations: 300 * scale, seed: 0x4D45_414E &+ UInt64(scale))
  }

  func fuzz(_ file: IntegerModelFile, iterations: Int, seed: UInt64) throws {
    let (contents, document) = try Self.contents(file)
    XCTAssertEqual(try IntegerModelFile.load(contents, origin: "tiny").model, file.model)
    let pixels = try Self.pixels()
    let reference = try file.model.decompress(try file.model.compress(pixels: pixels))
    let extra: [FuzzJSON] = ["convolution", "transposed", "gdn", "simplified-gdn", "g_a.0", "h_s.1", "meansToFine"].map { .string($0) }
      + ["12", "8", "15", "16", "32767", "32768", "-32768", "-32769", "2147483647", "-2147483648", "2147483648", "14", "120",
         "121", "-33"].map { .number($0) }
    var g = SplitMix64(seed: seed)
    var accepted = 0, coded = 0
    let clock = ContinuousClock()
    let start = clock.now
    for iteration in 0..<iterations {
      let label = "structure mutation #\(iteration)"
      var mutated = contents
      if g.below(5) == 0 {
        mutated.metadata["lichen.integer"] = String(decoding: damaged(document.data, using: &g), as: UTF8.self)
      } else {
        var tree = document
        for _ in 0..<(1 + g.below(3)) { tree = tree.mutated(using: &g, extra: extra) }
        mutated.metadata["lichen.integer"] = tree.text
      }
      if g.below(10) == 0 {
        let key = ["lichen.N", "lichen.M", "lichen.gdn"][g.below(3)]
        mutated.metadata[key] = ["0", "-1", "12", "8", "99999999999999999999", "gdn", "simplified", ""][g.below(8)]
      }
      let loaded: IntegerModelFile
      do {
        loaded = try IntegerModelFile.load(mutated, origin: "tiny.safetensors")
        accepted += 1
      } catch let error as QuantizationError {
        expectOneLine(error.message, label)
        continue
      } catch {
        XCTFail("\(label): non-quantization error \(type(of: error)): \(error)")
        continue
      }
      // Downstream: encode and decode an image (the first 20 accepted mutants: each takes a while in a debug
      // build, as does each accepted load, which rebuilds the entropy coder's tables).
      guard coded < 20 else { continue }
      coded += 1
      do {
        let decoded = try loaded.model.decompress(try loaded.model.compress(pixels: pixels))
        if loaded.model == file.model { XCTAssertEqual(decoded, reference, label) }
      } catch is IntegerEngineError {
      } catch is EntropyCodingError {
      } catch {
        XCTFail("\(label): the codec threw \(type(of: error)): \(error)")
      }
    }
    print("integer model fuzz: \(iterations) mutated structures, \(accepted) accepted, \(coded) coded in \(clock.now - start)")
    XCTAssertGreaterThan(accepted, 0)
    XCTAssertLessThan(accepted, iterations / 2, "most mutations break the structure")
  }

  /// Structures that hung, trapped or overflowed before the structure was validated, each refused
  /// with the field named; and the same through a file on disk.
  func testHostileStructuresNameTheField() throws {
    let (file, _) = try QuantizationTests.integerFile("int8")
    let (contents, document) = try Self.contents(file)
    func layer(_ t: String, _ i: Int, _ field: String) -> [FuzzJSON.Step] { [.key("transforms"), .key(t), .index(i), .key(field)] }
    let edits: [(path: [FuzzJSON.Step], value: FuzzJSON?, expected: String)] = [
      (layer("g_s", 0, "stride"), .number("4611686018427387904"), "transforms.g_s[0].stride"),  // stride^2 phases: a hang
      (layer("g_a", 0, "padding"), .number("9223372036854775807"), "transforms.g_a[0].padding"),  // 2 * padding overflowed
      (layer("g_a", 0, "inputBound"), .number("0"), "transforms.g_a[0].inputBound"),
      (layer("g_a", 0, "lower"), .number("40000"), "transforms.g_a[0].lower...upper"),
      (layer("g_a", 1, "kind"), .string("fft"), "transforms.g_a[1].kind"),
      (layer("g_a", 0, "inChannels"), .number("4"), "transforms.g_a[0].inChannels"),
      (layer("h_a", 0, "name"), .string("g_a.0"), "transforms.h_a[0].name"),
      (layer("g_a", 0, "kernel"), .string("5"), "transforms.g_a[0].kernel: expected Int"),
      ([.key("zToFine"), .key("shift")], .number("-9223372036854775808"), "zToFine.shift"),
      ([.key("zToFine"), .key("multiplier")], .number("-1"), "zToFine.multiplier"),
      ([.key("zFractionBits")], .number("64"), "zFractionBits"),
      ([.key("ySymbolRange")], nil, "ySymbolRange: missing"),
    ]
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("lichen-int-fuzz-\(UUID()).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    for edit in edits {
      var mutated = contents
      let tree = try XCTUnwrap(document.replacing(at: edit.path[...], with: edit.value))
      mutated.metadata["lichen.integer"] = tree.text
      XCTAssertThrowsError(try IntegerModelFile.load(mutated, origin: "tiny.safetensors"), edit.expected) { error in
        XCTAssertTrue("\(error)".contains(edit.expected), "\(error)")
        XCTAssertFalse("\(error)".contains(where: \.isNewline), "\(error)")
      }
      try SafeTensors.write(mutated.tensors, metadata: mutated.metadata, to: url)
      XCTAssertThrowsError(try IntegerModelFile.load(from: url)) { XCTAssertTrue("\($0)".contains(edit.expected), "\($0)") }
    }
    guard case .object(let transforms)? = document.value(at: [.key("transforms")][...]) else { return XCTFail("no transforms") }
    var unknown = contents
    unknown.metadata["lichen.integer"] = document.replacing(at: [.key("transforms")][...], with: .object(transforms + [("h_x", .array([]))]))?.text
    XCTAssertThrowsError(try IntegerModelFile.load(unknown, origin: "tiny")) { XCTAssertTrue("\($0)".contains("unknown transform \"h_x\""), "\($0)") }
    // Tensor values the structure points at: shifts and scale thresholds.
    var shifted = contents
    shifted.tensors["g_a.0.shift"] = try IntegerModelFile.record([Int64.min] + Array(repeating: 0, count: 7), .int64, shape: [8])
    XCTAssertThrowsError(try IntegerModelFile.load(shifted, origin: "tiny")) { XCTAssertTrue("\($0)".contains("g_a.0"), "\($0)") }
    var medians = contents
    let zChannels = try XCTUnwrap(contents.tensors["entropy_bottleneck.medians"]).shape[0]
    medians.tensors["entropy_bottleneck.medians"] = try IntegerModelFile.record(
      [Int64.min] + Array(repeating: 0, count: zChannels - 1), .int64, shape: [zChannels])
    XCTAssertThrowsError(try IntegerModelFile.load(medians, origin: "tiny")) { XCTAssertTrue("\($0)".contains("medians"), "\($0)") }
  }
}
