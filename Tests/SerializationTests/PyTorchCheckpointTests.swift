import Foundation
import XCTest

@testable import LichenSerialization
@testable import Torch

/// Loads the files torch 1.13 wrote (see make_fixtures.py) and compares them
/// value by value with what Python saw.
final class PyTorchCheckpointTests: XCTestCase {
  private func checkStateDict(
    _ tensors: [(name: String, tensor: TensorRecord)], file: StaticString = #filePath, line: UInt = #line
  ) throws {
    let expected = try Fixtures.expected("small_state_dict.json")
    XCTAssertEqual(tensors.map(\.name), expected.tensors.map(\.name), file: file, line: line)
    for (entry, want) in zip(tensors, expected.tensors) {
      try want.check(entry.tensor, file: file, line: line)
    }
  }

  func testPlainStateDictMatchesPython() throws {
    let tensors = try PyTorchCheckpoint.stateDict(from: Fixtures.url("small_state_dict.pth"))
    try checkStateDict(tensors)
    let tracked = try XCTUnwrap(tensors.first { $0.name == "1.num_batches_tracked" }?.tensor)
    XCTAssertEqual(tracked.dtype, .int64)
    XCTAssertEqual(tracked.shape, [])
    XCTAssertEqual(try tracked.integers(), [2])
  }

  func testTrainingCheckpointMatchesPython() throws {
    let url = Fixtures.url("small_checkpoint.pth.tar")
    try checkStateDict(try PyTorchCheckpoint.stateDict(from: url))

    let value = try PyTorchCheckpoint.read(from: url)
    let expected = try XCTUnwrap(try Fixtures.expected("small_state_dict.json").checkpoint)
    XCTAssertEqual(value["epoch"], .int(Int64(expected.epoch)))
    XCTAssertEqual(value["best_loss"], .float(expected.best_loss))
    XCTAssertEqual(value["name"], .string(expected.name))

    // argparse.Namespace: NEWOBJ then BUILD with its attribute dict.
    guard case let .object(args)? = value["args"] else { return XCTFail("args is \(String(describing: value["args"]))") }
    XCTAssertEqual(args.type, PickleGlobal(module: "argparse", name: "Namespace"))
    XCTAssertEqual(args.state?["lr"], .float(0.1))
    XCTAssertEqual(args.state?["layers"], .list([.int(3), .int(4)]))
    guard case let .object(device)? = value["device"] else { return XCTFail("device is not an object") }
    XCTAssertEqual(device.type, PickleGlobal(module: "torch", name: "device"))
    XCTAssertEqual(device.arguments, [.string("cpu")])

    // SGD momentum buffers, keyed by parameter index, shaped like the parameters.
    let optimizer = try XCTUnwrap(value["optimizer"])
    let state = try XCTUnwrap(optimizer["state"]?.dictItems)
    XCTAssertEqual(state.map(\.key), (0..<6).map { .int(Int64($0)) })
    let parameterNames = ["0.weight", "0.bias", "1.weight", "1.bias", "4.weight", "4.bias"]
    let stateDict = try PyTorchCheckpoint.stateDict(in: value)
    for (entry, name) in zip(state, parameterNames) {
      let buffer = try XCTUnwrap(entry.value["momentum_buffer"]?.tensor)
      XCTAssertEqual(buffer.shape, stateDict.first { $0.name == name }?.tensor.shape, name)
    }
    let groups = try XCTUnwrap(optimizer["param_groups"]?.elements)
    XCTAssertEqual(groups.first?["lr"], .float(0.1))
    XCTAssertEqual(groups.first?["momentum"], .float(0.9))
    XCTAssertEqual(groups.first?["params"], .list((0..<6).map { .int(Int64($0)) }))
  }

  func testZip64ArchiveWithOtherPrefixMatchesPython() throws {
    try checkStateDict(try PyTorchCheckpoint.stateDict(from: Fixtures.url("small_state_dict_zip64.pth")))
  }

  func testSafetensorsAndCheckpointAgree() throws {
    let safetensors = try SafeTensors.read(from: Fixtures.url("small_state_dict.safetensors"))
    let checkpoint = try PyTorchCheckpoint.stateDict(from: Fixtures.url("small_state_dict.pth"))
    XCTAssertEqual(checkpoint.count, safetensors.tensors.count)
    for (name, tensor) in checkpoint {
      XCTAssertEqual(safetensors[name], tensor, name)
    }
  }

  func testViewsAndDtypesMatchPython() throws {
    let expected = try Fixtures.expected("mixed_tensors.json")
    let tensors = try PyTorchCheckpoint.stateDict(from: Fixtures.url("mixed_tensors.pth"))
    XCTAssertEqual(tensors.map(\.name), expected.tensors.map(\.name))
    for (entry, want) in zip(tensors, expected.tensors) {
      try want.check(entry.tensor)
    }
    let byName = Dictionary(uniqueKeysWithValues: tensors.map { ($0.name, $0.tensor) })
    // Spot checks that do not rely on the JSON: a transposed view and a float16 view.
    XCTAssertEqual(try byName["transposed"]?.floats().prefix(4), [0, 0.75, 1.5, 2.25])
    XCTAssertEqual(byName["transposed"]?.shape, [6, 4])
    XCTAssertEqual(try byName["sliced"]?.floats(), [0.75, 1, 1.25, 1.5, 1.75, 2, 2.25, 2.5, 2.75])
    XCTAssertEqual(byName["half_transposed"]?.dtype, .float16)
    XCTAssertEqual(byName["expanded"].flatMap { try? $0.floats() }, [1, 2, 1, 2, 1, 2])
    XCTAssertEqual(byName["scalar"]?.shape, [])
    XCTAssertEqual(byName["empty"]?.shape, [0, 3])
  }

  func testPythonValuesDecodeInBothProtocols() throws {
    let tensor = try TensorRecord(float32: [1.5, -2], shape: [2])
    let expected: PickleValue = .dict([
      (.string("tensor"), .tensor(tensor)),
      (.string("none"), .none),
      (.string("true"), .bool(true)),
      (.string("false"), .bool(false)),
      (.string("small"), .int(5)),
      (.string("negative"), .int(-300)),
      (.string("int32"), .int(70000)),
      (.string("big"), .bigInt([0, 0, 0, 0, 0, 0, 0, 0, 0x40])),
      (.string("negative_big"), .int(.min)),
      (.string("float"), .float(0.1)),
      (.string("text"), .string("h\u{e9}llo \u{2603}")),
      (.string("bytes"), .bytes([0, 1, 0xFF])),
      (.string("tuple"), .tuple([.int(1), .string("two"), .float(3)])),
      (.string("list"), .list([.list([]), .dict([]), .tuple([])])),
      (.string("nested"), .dict([(.string("a"), .dict([(.string("b"), .list([.int(1)]))]))])),
      (.int(1), .string("int key")),
    ])
    for name in ["python_values.pth", "python_values_protocol4.pth"] {
      let value = try PyTorchCheckpoint.read(from: Fixtures.url(name))
      XCTAssertEqual(value, expected, name)
      let tensors = try PyTorchCheckpoint.stateDict(in: value)
      XCTAssertEqual(tensors.map(\.name), ["tensor"], name)
    }
  }

  // MARK: - Errors

  func testLegacyFormatIsExplained() {
    let error = assertThrows(.legacyFormat) { try PyTorchCheckpoint.read(from: Fixtures.url("legacy_format.pth")) }
    XCTAssertTrue(error?.message.contains("re-save") ?? false)
    XCTAssertEqual(error?.file, Fixtures.url("legacy_format.pth").path)
  }

  func testCompressedEntriesAreRejected() {
    let error = assertThrows(.unsupportedZip) { try PyTorchCheckpoint.read(from: Fixtures.url("compressed_entries.pth")) }
    XCTAssertTrue(error?.message.contains("compressed") ?? false)
  }

  func testMissingStorageEntryIsNamed() {
    let error = assertThrows(.missingEntry) { try PyTorchCheckpoint.stateDict(from: Fixtures.url("missing_entry.pth")) }
    XCTAssertTrue(error?.message.contains("_small/data/1") ?? false, error?.message ?? "")
  }

  func testNotAZip() {
    assertThrows(.notZip) { try PyTorchCheckpoint.decode(Array("hello, this is text".utf8)) }
    assertThrows(.notZip) { try PyTorchCheckpoint.decode([]) }
    assertThrows(.notZip) { try PyTorchCheckpoint.decode(Array("PK but not really a zip".utf8)) }
    assertThrows(.io) { try PyTorchCheckpoint.read(from: Fixtures.url("does_not_exist.pth")) }
  }

  func testTruncatedCheckpointsFail() throws {
    let bytes = try Fixtures.bytes("small_state_dict.pth")
    assertThrows(.truncated) { try PyTorchCheckpoint.decode(Array(bytes.prefix(bytes.count / 2))) }
    // Every cut fails with a SerializationError (mostly .truncated), never a crash.
    for length in stride(from: 0, to: bytes.count, by: 7) {
      XCTAssertThrowsError(try PyTorchCheckpoint.decode(Array(bytes.prefix(length)))) { error in
        XCTAssertTrue(error is SerializationError, "\(length): \(error)")
      }
    }
  }

  func testNoStateDict() throws {
    var pickle = PickleBuilder()
    pickle.emptyDict()
    pickle.mark()
    pickle.string("epoch")
    pickle.int(3)
    pickle.string("model")
    pickle.global("torchvision.models.resnet", "ResNet")
    pickle.op(0x29)
    pickle.op(0x81)  // NEWOBJ
    pickle.setItems()
    pickle.stop()
    let error = assertThrows(.noStateDict) {
      try PyTorchCheckpoint.stateDict(in: try PyTorchCheckpoint.decode(TestZip.checkpoint(pickle: pickle.bytes)))
    }
    XCTAssertTrue(error?.message.contains("epoch, model") ?? false, error?.message ?? "")
    XCTAssertTrue(error?.message.contains("ResNet") ?? false, error?.message ?? "")
    assertThrows(.noStateDict) { try PyTorchCheckpoint.stateDict(in: .list([])) }
  }

  func testStateDictSelection() throws {
    let a = try TensorRecord(float32: [1], shape: [1])
    let b = try TensorRecord(float32: [2], shape: [1])
    // A training checkpoint: the weights under "model_state_dict", nested dicts flattened.
    let checkpoint: PickleValue = .dict([
      (.string("epoch"), .int(1)),
      (.string("ema"), .dict([(.string("w"), .tensor(b))])),
      (.string("model_state_dict"), .dict([
        (.string("encoder"), .dict([(.string("conv"), .dict([(.string("weight"), .tensor(a))]))])),
        (.string("layers"), .dict([(.int(0), .tensor(b))])),
        (.string("note"), .string("skipped")),
      ])),
    ])
    let tensors = try PyTorchCheckpoint.stateDict(in: checkpoint)
    XCTAssertEqual(tensors.map(\.name), ["encoder.conv.weight", "layers.0"])
    XCTAssertEqual(tensors.map(\.tensor), [a, b])
    // No known key: tensors found anywhere in the top-level dict.
    let loose: PickleValue = .dict([(.string("step"), .int(3)), (.string("w"), .tensor(a))])
    XCTAssertEqual(try PyTorchCheckpoint.stateDict(in: loose).map(\.name), ["w"])
    // A dict subclass (object with SETITEMs) counts as a dict.
    let easyDict: PickleValue = .object(PickleObject(
      type: PickleGlobal(module: "easydict", name: "EasyDict"), dictItems: [(.string("w"), .tensor(a))]))
    XCTAssertEqual(try PyTorchCheckpoint.stateDict(in: easyDict).map(\.name), ["w"])
    XCTAssertEqual(try PyTorchCheckpoint.stateDict(in: .dict([])).count, 0)
  }
}
