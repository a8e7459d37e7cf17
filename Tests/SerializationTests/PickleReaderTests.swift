import Foundation
import XCTest

@testable import LichenSerialization
@testable import Torch

/// Hand-written pickles for the interpreter's corners that torch fixtures do not reach.
final class PickleReaderTests: XCTestCase {
  /// Decodes `pickle` as a checkpoint's data.pkl.
  private func decode(_ pickle: [UInt8], storages: [String: [UInt8]] = [:]) throws -> PickleValue {
    try PyTorchCheckpoint.decode(TestZip.checkpoint(pickle: pickle, storages: storages))
  }

  private func decode(_ build: (inout PickleBuilder) -> Void, storages: [String: [UInt8]] = [:]) throws -> PickleValue {
    var builder = PickleBuilder()
    build(&builder)
    return try decode(builder.bytes, storages: storages)
  }

  /// Decodes raw pickle bytes directly, with no storages available.
  private func decodeRaw(_ bytes: [UInt8]) throws -> PickleValue {
    try Self.decodeRaw(bytes)
  }

  private static func decodeRaw(_ bytes: [UInt8]) throws -> PickleValue {
    try PickleReader().read(bytes) { _ in throw SerializationError(.missingEntry, "no storages here") }
  }

  // MARK: - Tensor views

  /// Twelve floats 0...11 in storage "0".
  private let storage = ["0": floatBytes((0..<12).map(Float.init))]

  /// What `_rebuild_tensor_v2` should produce, computed naively.
  private func naiveView(offset: Int, size: [Int], stride: [Int]) -> [Float] {
    var result: [Float] = []
    func walk(_ dimension: Int, _ position: Int) {
      if dimension == size.count {
        result.append(Float(position))
        return
      }
      for index in 0..<size[dimension] { walk(dimension + 1, position + index * stride[dimension]) }
    }
    walk(0, offset)
    return result
  }

  func testStridedViewsAreMaterialisedRowMajor() throws {
    let views: [(name: String, offset: Int, size: [Int], stride: [Int])] = [
      ("contiguous", 2, [2, 3], [3, 1]),
      ("transposed", 0, [3, 2], [1, 3]),
      ("strided3d", 1, [2, 2, 2], [6, 1, 3]),
      ("innerStep", 0, [2, 3], [1, 4]),
      ("expanded", 9, [2, 3], [0, 1]),
      ("hugeStrideOnSizeOne", 4, [1, 2], [1 << 40, 1]),
      ("empty", 0, [0, 5], [5, 1]),
      ("scalar", 7, [], []),
      ("whole", 0, [12], [1]),
      ("reversedDims", 0, [2, 2, 3], [1, 2, 4]),
    ]
    let value = try decode({ pickle in
      pickle.emptyDict()
      pickle.mark()
      for view in views {
        pickle.string(view.name)
        pickle.tensor(key: "0", numel: 12, offset: view.offset, size: view.size, stride: view.stride)
      }
      pickle.setItems()
      pickle.stop()
    }, storages: storage)
    for view in views {
      let tensor = try XCTUnwrap(value[view.name]?.tensor, view.name)
      XCTAssertEqual(tensor.shape, view.size, view.name)
      XCTAssertEqual(try tensor.floats(), naiveView(offset: view.offset, size: view.size, stride: view.stride), view.name)
    }
  }

  func testViewsOutsideTheStorageAreRejected() {
    let cases: [(offset: Int, size: [Int], stride: [Int], kind: SerializationError.Kind)] = [
      (0, [13], [1], .outOfBounds),
      (11, [2], [1], .outOfBounds),
      (0, [2, 2], [6, 6], .outOfBounds),
      (0, [3], [-1], .invalidTensor),
      (-1, [3], [1], .invalidTensor),
      (0, [3, 1], [1], .invalidTensor),
      (0, [1 << 40], [0], .limitExceeded),
      (0, [1 << 62, 4], [0, 0], .limitExceeded),
      (0, [1 << 20, 2], [1 << 40, 1], .outOfBounds),
    ]
    for view in cases {
      assertThrows(view.kind) {
        try self.decode({ pickle in
          pickle.tensor(key: "0", numel: 12, offset: view.offset, size: view.size, stride: view.stride)
          pickle.stop()
        }, storages: self.storage)
      }
    }
  }

  func testStorageProblems() {
    func load(numel: Int, type: String = "FloatStorage", storages: [String: [UInt8]]) throws -> PickleValue {
      try decode({ pickle in
        pickle.tensor(key: "0", numel: numel, offset: 0, size: [1], stride: [1], storageType: type)
        pickle.stop()
      }, storages: storages)
    }
    assertThrows(.truncated) { try load(numel: 13, storages: self.storage) }
    assertThrows(.missingEntry) { try load(numel: 1, storages: [:]) }
    assertThrows(.unknownDType) { try load(numel: 1, type: "ComplexFloatStorage", storages: self.storage) }
    let shorts = try? load(numel: 3, type: "ShortStorage", storages: ["0": [1, 0, 0xFF, 0xFF, 2, 0]])
    XCTAssertEqual(try shorts?.tensor?.integers(), [1])
    XCTAssertEqual(shorts?.tensor?.dtype, .int16)
  }

  func testSharedStorageIsReadOnce() throws {
    let value = try decode({ pickle in
      pickle.mark()
      pickle.tensor(key: "0", numel: 12, offset: 0, size: [2], stride: [1])
      pickle.tensor(key: "0", numel: 12, offset: 10, size: [2], stride: [1])
      pickle.tuple()
      pickle.stop()
    }, storages: storage)
    XCTAssertEqual(try value.elements?.map { try $0.tensor?.floats() }, [[0, 1], [10, 11]])
  }

  func testParameterAndSubclassRebuilds() throws {
    let value = try decode({ pickle in
      pickle.mark()
      // torch._utils._rebuild_parameter(tensor, True, OrderedDict())
      pickle.global("torch._utils", "_rebuild_parameter")
      pickle.mark()
      pickle.tensor(key: "0", numel: 12, offset: 0, size: [2], stride: [1])
      pickle.op(0x88)
      pickle.global("collections", "OrderedDict")
      pickle.emptyTuple()
      pickle.reduce()
      pickle.tuple()
      pickle.reduce()
      // torch._tensor._rebuild_from_type_v2(_rebuild_tensor_v2, MyTensor, (args...), {})
      pickle.global("torch._tensor", "_rebuild_from_type_v2")
      pickle.mark()
      pickle.global("torch._utils", "_rebuild_tensor_v2")
      pickle.global("my.module", "MyTensor")
      pickle.mark()
      pickle.mark()
      pickle.string("storage")
      pickle.global("torch", "FloatStorage")
      pickle.string("0")
      pickle.string("cpu")
      pickle.int(12)
      pickle.tuple()
      pickle.op(0x51)
      pickle.int(3)
      pickle.mark(); pickle.int(2); pickle.tuple()
      pickle.mark(); pickle.int(1); pickle.tuple()
      pickle.op(0x89)
      pickle.emptyDict()
      pickle.tuple()
      pickle.emptyDict()
      pickle.tuple()
      pickle.reduce()
      pickle.tuple()
      pickle.stop()
    }, storages: storage)
    XCTAssertEqual(try value.elements?.map { try $0.tensor?.floats() }, [[0, 1], [3, 4]])
  }

  // MARK: - Python semantics

  func testMemoSharesMutableContainers() throws {
    // d = {}; l = []; d["first"] = l; d["second"] = l; l.append(5)
    let value = try decode { pickle in
      pickle.emptyDict()
      pickle.mark()
      pickle.string("first")
      pickle.emptyList()
      pickle.op(0x71, [1])  // BINPUT 1
      pickle.string("second")
      pickle.op(0x68, [1])  // BINGET 1
      pickle.setItems()
      pickle.op(0x68, [1])
      pickle.op(0x4B, [5])  // BININT1
      pickle.op(0x61)  // APPEND
      pickle.op(0x30)  // POP
      pickle.stop()
    }
    XCTAssertEqual(value, .dict([(.string("first"), .list([.int(5)])), (.string("second"), .list([.int(5)]))]))
  }

  func testDictFlavours() throws {
    let value = try decode { pickle in
      pickle.mark()
      // OrderedDict with a BUILD of its attributes (torch's `_metadata`), ignored.
      pickle.global("collections", "OrderedDict")
      pickle.emptyTuple()
      pickle.reduce()
      pickle.string("k")
      pickle.int(1)
      pickle.setItem()
      pickle.emptyDict()
      pickle.string("_metadata")
      pickle.emptyDict()
      pickle.setItem()
      pickle.op(0x62)  // BUILD
      // OrderedDict([("a", 1), ("b", 2)]) built from a list of pairs.
      pickle.global("collections", "OrderedDict")
      pickle.mark()
      pickle.mark()
      pickle.string("a"); pickle.int(1); pickle.op(0x86)
      pickle.string("b"); pickle.int(2); pickle.op(0x86)
      pickle.op(0x6C)  // LIST
      pickle.tuple()
      pickle.reduce()
      // defaultdict(list) filled with SETITEMS; duplicate keys overwrite.
      pickle.global("collections", "defaultdict")
      pickle.mark()
      pickle.global("__builtin__", "list")
      pickle.tuple()
      pickle.reduce()
      pickle.mark()
      pickle.string("x"); pickle.int(1)
      pickle.string("x"); pickle.int(2)
      pickle.op(0x88); pickle.string("true key")
      pickle.int(1); pickle.string("one")
      pickle.setItems()
      // DICT opcode.
      pickle.mark()
      pickle.string("p"); pickle.op(0x4E)
      pickle.op(0x64)
      pickle.tuple()
      pickle.stop()
    }
    XCTAssertEqual(value, .tuple([
      .dict([(.string("k"), .int(1))]),
      .dict([(.string("a"), .int(1)), (.string("b"), .int(2))]),
      .dict([(.string("x"), .int(2)), (.bool(true), .string("one"))]),
      .dict([(.string("p"), .none)]),
    ]))
  }

  func testUnknownClassesBecomeObjects() throws {
    let value = try decode { pickle in
      pickle.mark()
      pickle.global("__builtin__", "set")
      pickle.mark(); pickle.mark(); pickle.int(1); pickle.op(0x6C); pickle.tuple()
      pickle.reduce()
      // A dict subclass: NEWOBJ, SETITEMS, APPENDS and BUILD all kept.
      pickle.global("easydict", "EasyDict")
      pickle.emptyTuple()
      pickle.op(0x81)
      pickle.mark(); pickle.string("k"); pickle.int(7); pickle.setItems()
      pickle.mark(); pickle.int(8); pickle.op(0x65)  // APPENDS
      pickle.emptyDict(); pickle.string("attr"); pickle.int(9); pickle.setItem()
      pickle.op(0x62)
      pickle.global("torch", "float32")
      pickle.tuple()
      pickle.stop()
    }
    let set = PickleObject(type: PickleGlobal(module: "builtins", name: "set"), arguments: [.list([.int(1)])])
    let easy = PickleObject(
      type: PickleGlobal(module: "easydict", name: "EasyDict"), state: .dict([(.string("attr"), .int(9))]),
      listItems: [.int(8)], dictItems: [(.string("k"), .int(7))])
    XCTAssertEqual(value, .tuple([.object(set), .object(easy), .global(PickleGlobal(module: "torch", name: "float32"))]))
    XCTAssertEqual(value.elements?[1]["k"], .int(7))
  }

  func testScalarOpcodes() throws {
    var pickle: [UInt8] = [0x80, 0x04, 0x95] + [UInt8](repeating: 0, count: 8)  // PROTO 4, FRAME
    pickle += [0x28]  // MARK
    pickle += [0x4B, 0xFF]  // BININT1 255
    pickle += [0x4D, 0x34, 0x12]  // BININT2 0x1234
    pickle += [0x4A, 0xFE, 0xFF, 0xFF, 0xFF]  // BININT -2
    pickle += [0x8A, 0x00]  // LONG1 0
    pickle += [0x8A, 0x01, 0xFF]  // LONG1 -1
    pickle += [0x8A, 0x02, 0xFF, 0x00]  // LONG1 255
    pickle += [0x8A, 0x09] + [UInt8](repeating: 0xFF, count: 9)  // LONG1 -1, redundant sign bytes
    pickle += [0x8A, 0x09] + [UInt8](repeating: 0, count: 8) + [0x01]  // LONG1 2**64
    pickle += [0x47, 0x3F, 0xF8, 0, 0, 0, 0, 0, 0]  // BINFLOAT 1.5 (big-endian)
    pickle += [0x8C, 0x02, 0x68, 0x69]  // SHORT_BINUNICODE "hi"
    pickle += [0x8D] + [2, 0, 0, 0, 0, 0, 0, 0] + Array("yo".utf8)  // BINUNICODE8
    pickle += [0x55, 0x01, 0x41]  // SHORT_BINSTRING "A"
    pickle += [0x54, 0x01, 0, 0, 0, 0x42]  // BINSTRING "B"
    pickle += [0x43, 0x02, 0x00, 0x01]  // SHORT_BINBYTES
    pickle += [0x42, 0x01, 0, 0, 0, 0x02]  // BINBYTES
    pickle += [0x8C, 0x03] + Array("mod".utf8) + [0x94] + [0x8C, 0x01, 0x66, 0x94, 0x93]  // STACK_GLOBAL
    pickle += [0x89, 0x88, 0x4E]  // NEWFALSE NEWTRUE NONE
    pickle += [0x4B, 0x01, 0x32, 0x72, 0x10, 0, 0, 0, 0x30, 0x6A, 0x10, 0, 0, 0]  // DUP, LONG_BINPUT, POP, LONG_BINGET
    pickle += [0x28, 0x4B, 0x09, 0x31]  // MARK 9 POP_MARK
    pickle += [0x4E, 0x85, 0x4E, 0x4E, 0x4E, 0x87]  // TUPLE1, TUPLE3
    pickle += [0x74, 0x2E]  // TUPLE STOP
    let value = try decodeRaw(pickle)
    XCTAssertEqual(value, .tuple([
      .int(255), .int(0x1234), .int(-2), .int(0), .int(-1), .int(255), .int(-1),
      .bigInt([0, 0, 0, 0, 0, 0, 0, 0, 1]), .float(1.5), .string("hi"), .string("yo"), .string("A"),
      .string("B"), .bytes([0, 1]), .bytes([2]), .global(PickleGlobal(module: "mod", name: "f")),
      .bool(false), .bool(true), .none, .int(1), .int(1), .tuple([.none]), .tuple([.none, .none, .none]),
    ]))
  }

  // MARK: - Malformed pickles

  func testUnsupportedOpcodesAreNamed() {
    let error = assertThrows(.unsupportedOpcode) { try self.decodeRaw([0x80, 0x02, 0x8F, 0x2E]) }
    XCTAssertTrue(error?.message.contains("EMPTY_SET") ?? false, error?.message ?? "")
    assertThrows(.unsupportedOpcode) { try self.decodeRaw([0x80, 0x02, 0xFF]) }
    assertThrows(.unsupportedOpcode) { try self.decodeRaw(Array("I12\n.".utf8)) }
  }

  func testMalformedPicklesFailCleanly() {
    let cases: [([UInt8], SerializationError.Kind)] = [
      ([0x80, 0x02, 0x68, 0x05, 0x2E], .invalidPickle),  // BINGET of an unset memo slot
      ([0x80, 0x02, 0x2E], .invalidPickle),  // STOP on an empty stack
      ([0x80, 0x02, 0x30, 0x2E], .invalidPickle),  // POP with no mark
      ([0x80, 0x02, 0x5D, 0x61, 0x2E], .invalidPickle),  // APPEND underflow
      ([0x80, 0x02, 0x28, 0x4E, 0x71, 0x00, 0x28, 0x71, 0x01, 0x2E], .invalidPickle),  // BINPUT above mark only
      ([0x80, 0x02, 0x4E, 0x4E, 0x61, 0x2E], .invalidPickle),  // APPEND to None
      ([0x80, 0x02, 0x29, 0x4E, 0x4E, 0x73, 0x2E], .invalidPickle),  // SETITEM on a tuple
      ([0x80, 0x02, 0x4E, 0x29, 0x52, 0x2E], .invalidPickle),  // REDUCE on None
      ([0x80, 0x02, 0x28, 0x4E, 0x64, 0x2E], .invalidPickle),  // DICT with odd items
      ([0x80, 0x02, 0x4E, 0x4E, 0x93, 0x2E], .invalidPickle),  // STACK_GLOBAL of non-strings
      ([0x80, 0x09], .invalidPickle),  // Unknown protocol
      ([0x80, 0x02, 0x4E], .truncated),  // No STOP
      ([0x80, 0x02, 0x58, 0xFF, 0xFF, 0xFF, 0x7F], .truncated),  // String longer than the data
      ([0x80, 0x02, 0x54, 0xFF, 0xFF, 0xFF, 0xFF], .truncated),  // Negative BINSTRING length
      ([0x80, 0x02, 0x63, 0x61], .truncated),  // GLOBAL without newline
      ([0x80, 0x02, 0x5D, 0x71, 0x00, 0x68, 0x00, 0x61, 0x2E], .invalidPickle),  // A list containing itself
    ]
    for (bytes, kind) in cases {
      assertThrows(kind) { try self.decodeRaw(bytes) }
    }
  }

  func testNestingAndExpansionLimits() {
    // 10,000 nested one-tuples (one byte each) must not overflow the stack.
    let deepTuples: [UInt8] = [0x80, 0x02, 0x4E] + [UInt8](repeating: 0x85, count: 10_000) + [0x2E]
    assertThrows(.limitExceeded) { try self.decodeRaw(deepTuples) }
    // A chain of 100,000 lists built on the stack, each appended into the previous.
    let chain: [UInt8] = [0x80, 0x02] + [UInt8](repeating: 0x5D, count: 100_000)
      + [UInt8](repeating: 0x61, count: 99_999) + [0x2E]
    assertThrows(.limitExceeded) { try self.decodeRaw(chain) }
    // 80 levels of (x, x): tiny pickle, 2^80 values once shared references are expanded.
    let doubling: [UInt8] = [0x80, 0x02, 0x4E] + Array([[UInt8]](repeating: [0x32, 0x86], count: 80).joined()) + [0x2E]
    assertThrows(.limitExceeded) { try self.decodeRaw(doubling) }
    // Moderate sharing is fine and converted once.
    let shared: [UInt8] = [0x80, 0x02, 0x4E] + Array([[UInt8]](repeating: [0x32, 0x86], count: 10).joined()) + [0x2E]
    XCTAssertNoThrow(try self.decodeRaw(shared))
  }

  /// The deepest nesting accepted must still decode, compare and be released
  /// on a thread with a small (512 KiB) stack, as secondary threads have.
  func testDeepestAcceptedNestingFitsASmallStack() {
    let depth = PickleReader().maxDepth - 1
    let nested: [UInt8] = [0x80, 0x02] + [UInt8](repeating: 0x5D, count: depth)
      + [UInt8](repeating: 0x61, count: depth - 1) + [0x2E]
    let finished = expectation(description: "decoded on a small stack")
    let thread = Thread {
      do {
        let value = try Self.decodeRaw(nested)
        var level = value
        var count = 1
        while let inner = level.elements?.first {
          level = inner
          count += 1
        }
        XCTAssertEqual(count, depth)
        XCTAssertEqual(value, try Self.decodeRaw(nested))
      } catch {
        XCTFail("\(error)")
      }
      finished.fulfill()
    }
    thread.stackSize = 512 * 1024
    thread.start()
    wait(for: [finished], timeout: 30)
  }

  func testArchiveProblems() throws {
    var pickle = PickleBuilder()
    pickle.op(0x4E)
    pickle.stop()
    // No data.pkl at all, or a TorchScript archive.
    assertThrows(.missingEntry) { try PyTorchCheckpoint.decode(TestZip.make([("archive/version", [0x33])])) }
    let script = assertThrows(.missingEntry) {
      try PyTorchCheckpoint.decode(TestZip.make([("m/constants.pkl", pickle.bytes), ("m/code/m.py", [])]))
    }
    XCTAssertTrue(script?.message.contains("TorchScript") ?? false)
    // Big-endian archives are refused.
    assertThrows(.invalidHeader) {
      try PyTorchCheckpoint.decode(TestZip.make([("a/data.pkl", pickle.bytes), ("a/byteorder", Array("big".utf8))]))
    }
    XCTAssertEqual(
      try PyTorchCheckpoint.decode(TestZip.make([("a/data.pkl", pickle.bytes), ("a/byteorder", Array("little".utf8))])), .none)
    // Encrypted entries are refused.
    var encrypted = TestZip.checkpoint(pickle: pickle.bytes)
    let central = try XCTUnwrap(firstIndex(of: [0x50, 0x4B, 0x01, 0x02], in: encrypted))
    encrypted[central + 8] = 1
    assertThrows(.unsupportedZip) { try PyTorchCheckpoint.decode(encrypted) }
    // A central directory pointing past its end record.
    var broken = TestZip.checkpoint(pickle: pickle.bytes)
    broken[broken.count - 6] = 0xFF
    assertThrows(.truncated) { try PyTorchCheckpoint.decode(broken) }
  }

  private func firstIndex(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
    guard haystack.count >= needle.count else { return nil }
    return (0...(haystack.count - needle.count)).first { Array(haystack[$0..<($0 + needle.count)]) == needle }
  }
}
