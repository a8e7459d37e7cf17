import Foundation
import XCTest

@testable import LichenSerialization
@testable import Torch

/// Fixture files live in Tests/TorchTests/Fixtures (made by make_fixtures.py);
/// found relative to this source file so no resource bundle is needed.
enum Fixtures {
  static let directory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()
    .deletingLastPathComponent()
    .appendingPathComponent("TorchTests/Fixtures")

  static func url(_ name: String) -> URL {
    directory.appendingPathComponent(name)
  }

  static func bytes(_ name: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: url(name)))
  }

  /// The expected tensors written by make_fixtures.py next to a fixture.
  static func expected(_ jsonName: String) throws -> ExpectedFile {
    try JSONDecoder().decode(ExpectedFile.self, from: Data(contentsOf: url(jsonName)))
  }
}

struct ExpectedFile: Decodable {
  var tensors: [ExpectedTensor]
  var checkpoint: Checkpoint?
  var metadata: [String: String]?

  struct Checkpoint: Decodable {
    var epoch: Int
    var best_loss: Double
    var name: String
  }
}

/// One tensor as Python saw it: float values as doubles, integer values exactly.
struct ExpectedTensor: Decodable {
  var name: String
  var dtype: String
  var shape: [Int]
  var floatValues: [Double]
  var integerValues: [Int64]
  var bytes: [UInt8]

  enum CodingKeys: String, CodingKey {
    case name, dtype, shape, values, hex
  }

  init(from decoder: Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    name = try container.decode(String.self, forKey: .name)
    dtype = try container.decode(String.self, forKey: .dtype)
    shape = try container.decode([Int].self, forKey: .shape)
    if ["float16", "bfloat16", "float32", "float64"].contains(dtype) {
      floatValues = try container.decode([Double].self, forKey: .values)
      integerValues = []
    } else {
      integerValues = try container.decode([Int64].self, forKey: .values)
      floatValues = []
    }
    let hex = Array(try container.decode(String.self, forKey: .hex).utf8)
    bytes = stride(from: 0, to: hex.count - 1, by: 2).compactMap {
      UInt8(String(decoding: hex[$0...($0 + 1)], as: UTF8.self), radix: 16)
    }
  }

  /// Compares dtype, shape, raw bytes and decoded values of `record`.
  func check(_ record: TensorRecord?, file: StaticString = #filePath, line: UInt = #line) throws {
    let record = try XCTUnwrap(record, "missing tensor \(name)", file: file, line: line)
    XCTAssertEqual(record.dtype.description, dtype, name, file: file, line: line)
    XCTAssertEqual(record.shape, shape, name, file: file, line: line)
    XCTAssertEqual(record.bytes, bytes, "bytes of \(name)", file: file, line: line)
    if record.dtype.isFloatingPoint {
      XCTAssertEqual(try record.doubles(), floatValues, name, file: file, line: line)
    } else {
      XCTAssertEqual(try record.integers(), integerValues, name, file: file, line: line)
    }
  }
}

/// Asserts `body` throws a `SerializationError` of `kind`; returns it for more checks.
@discardableResult
func assertThrows<T>(
  _ kind: SerializationError.Kind, file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> T
) -> SerializationError? {
  do {
    _ = try body()
    XCTFail("expected a .\(kind) error, but nothing was thrown", file: file, line: line)
  } catch let error as SerializationError {
    XCTAssertEqual(error.kind, kind, "wrong kind; message: \(error.description)", file: file, line: line)
    XCTAssertFalse(error.message.isEmpty, file: file, line: line)
    return error
  } catch {
    XCTFail("expected SerializationError, got \(error)", file: file, line: line)
  }
  return nil
}

/// Builds minimal stored zip archives (the layout torch.save writes) for tests
/// that need checkpoints with hand-written pickles.
enum TestZip {
  static func make(_ entries: [(name: String, bytes: [UInt8])]) -> [UInt8] {
    var out: [UInt8] = []
    var central: [UInt8] = []
    for entry in entries {
      let name = Array(entry.name.utf8)
      let offset = out.count
      out += le32(0x0403_4B50) + le16(20) + le16(0) + le16(0) + le16(0) + le16(0)
      out += le32(0) + le32(entry.bytes.count) + le32(entry.bytes.count) + le16(name.count) + le16(0)
      out += name + entry.bytes
      central += le32(0x0201_4B50) + le16(20) + le16(20) + le16(0) + le16(0) + le16(0) + le16(0)
      central += le32(0) + le32(entry.bytes.count) + le32(entry.bytes.count) + le16(name.count)
      central += le16(0) + le16(0) + le16(0) + le16(0) + le32(0) + le32(offset) + name
    }
    let centralOffset = out.count
    out += central
    out += le32(0x0605_4B50) + le16(0) + le16(0) + le16(entries.count) + le16(entries.count)
    out += le32(central.count) + le32(centralOffset) + le16(0)
    return out
  }

  /// A checkpoint archive holding `pickle` as data.pkl plus raw storages.
  static func checkpoint(pickle: [UInt8], storages: [String: [UInt8]] = [:]) -> [UInt8] {
    var entries: [(name: String, bytes: [UInt8])] = [("archive/data.pkl", pickle)]
    for (key, bytes) in storages.sorted(by: { $0.key < $1.key }) {
      entries.append(("archive/data/\(key)", bytes))
    }
    entries.append(("archive/version", Array("3\n".utf8)))
    return make(entries)
  }

  static func le16(_ value: Int) -> [UInt8] {
    [UInt8(truncatingIfNeeded: value), UInt8(truncatingIfNeeded: value >> 8)]
  }

  static func le32(_ value: Int) -> [UInt8] {
    (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
  }
}

/// Writes pickle opcodes by name, so hand-made pickles in tests stay readable.
struct PickleBuilder {
  var bytes: [UInt8] = [0x80, 0x02]  // PROTO 2

  mutating func op(_ byte: UInt8, _ operand: [UInt8] = []) {
    bytes.append(byte)
    bytes += operand
  }

  mutating func string(_ text: String) {
    let utf8 = Array(text.utf8)
    op(0x58, TestZip.le32(utf8.count) + utf8)  // BINUNICODE
  }

  /// BININT, or LONG1 for values outside 32 bits.
  mutating func int(_ value: Int) {
    if let small = Int32(exactly: value) {
      op(0x4A, TestZip.le32(Int(small)))
    } else {
      op(0x8A, [8] + (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) })
    }
  }

  mutating func global(_ module: String, _ name: String) { op(0x63, Array("\(module)\n\(name)\n".utf8)) }
  mutating func mark() { op(0x28) }
  mutating func tuple() { op(0x74) }
  mutating func emptyTuple() { op(0x29) }
  mutating func emptyDict() { op(0x7D) }
  mutating func emptyList() { op(0x5D) }
  mutating func setItems() { op(0x75) }
  mutating func setItem() { op(0x73) }
  mutating func reduce() { op(0x52) }
  mutating func stop() { op(0x2E) }

  /// Pushes `_rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())`
  /// for a FloatStorage with `key` and `numel`.
  mutating func tensor(key: String, numel: Int, offset: Int, size: [Int], stride: [Int], storageType: String = "FloatStorage") {
    global("torch._utils", "_rebuild_tensor_v2")
    mark()
    mark()
    string("storage")
    global("torch", storageType)
    string(key)
    string("cpu")
    int(numel)
    tuple()
    op(0x51)  // BINPERSID
    int(offset)
    mark()
    for value in size { int(value) }
    tuple()
    mark()
    for value in stride { int(value) }
    tuple()
    op(0x89)  // NEWFALSE
    global("collections", "OrderedDict")
    emptyTuple()
    reduce()
    tuple()
    reduce()
  }
}

func floatBytes(_ values: [Float]) -> [UInt8] {
  values.flatMap { value in (0..<4).map { UInt8(truncatingIfNeeded: value.bitPattern >> (8 * $0)) } }
}
