import Foundation
import XCTest

@testable import LichenSerialization
@testable import Torch

final class SafeTensorsTests: XCTestCase {
  private var directory: URL!

  override func setUpWithError() throws {
    directory = FileManager.default.temporaryDirectory.appendingPathComponent("safetensors-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws {
    try? FileManager.default.removeItem(at: directory)
  }

  /// One tensor of every dtype, plus the scalar and empty edge cases.
  private func sampleTensors() throws -> [String: TensorRecord] {
    var tensors: [String: TensorRecord] = [:]
    for dtype in DType.allCases {
      let count = 6
      let bytes = (0..<(count * dtype.byteSize)).map { UInt8(truncatingIfNeeded: $0 * 37 + Int(dtype.rawValue)) }
      tensors["t_\(dtype)"] = try TensorRecord(dtype: dtype, shape: [2, 3], bytes: bytes)
    }
    tensors["scalar"] = try TensorRecord(float32: [2.5], shape: [])
    tensors["empty"] = try TensorRecord(dtype: .float32, shape: [4, 0], bytes: [])
    tensors["empty_i64"] = try TensorRecord(dtype: .int64, shape: [0], bytes: [])
    tensors["weird \"name\"\n\u{e9}"] = try TensorRecord(float16From: [1, 2], shape: [2])
    return tensors
  }

  func testRoundTripKeepsEveryDtypeShapeAndMetadata() throws {
    let tensors = try sampleTensors()
    let metadata = ["format": "pt", "note": "quote \" backslash \\ tab \t snowman \u{2603}", "empty": ""]
    let bytes = try SafeTensors.encode(tensors, metadata: metadata)
    let file = try SafeTensors.decode(bytes)
    XCTAssertEqual(file.tensors, tensors)
    XCTAssertEqual(file.metadata, metadata)
    XCTAssertEqual(Set(file.names), Set(tensors.keys))
    XCTAssertEqual(file["scalar"]?.shape, [])
    XCTAssertEqual(try SafeTensors.decode(Data(bytes)), file)
  }

  func testEncodeLayoutFollowsReferenceWriter() throws {
    let tensors = try sampleTensors()
    let bytes = try SafeTensors.encode(tensors, metadata: ["b": "2", "a": "1"])
    let headerLength = Int(try XCTUnwrap(loadLittleEndian(UInt64.self, from: bytes, at: 0)))
    XCTAssertEqual(headerLength % 8, 0, "header padded to a multiple of 8")
    let header = String(decoding: bytes[8..<(8 + headerLength)], as: UTF8.self)
    XCTAssertTrue(
      header.hasPrefix(
        #"{"__metadata__":{"a":"1","b":"2"},"empty_i64":{"dtype":"I64","shape":[0],"data_offsets":[0,0]},"#
          + #""t_int64":{"dtype":"I64","shape":[2,3],"data_offsets":[0,48]},"#),
      header)
    // Widest dtypes first (reference order: I64, F64, F32, I32, BF16, F16, I16, I8, U8, BOOL), then by name.
    let file = try SafeTensors.decode(bytes)
    XCTAssertEqual(file.names, [
      "empty_i64", "t_int64", "t_float64", "empty", "scalar", "t_float32", "t_int32", "t_bfloat16",
      "t_float16", "weird \"name\"\n\u{e9}", "t_int16", "t_int8", "t_uint8", "t_bool",
    ])
    // Every tensor starts at a multiple of its element size.
    var offset = 8 + headerLength
    for name in file.names {
      let record = try XCTUnwrap(file[name])
      XCTAssertEqual(offset % record.dtype.byteSize, 0, name)
      offset += record.bytes.count
    }
    XCTAssertEqual(offset, bytes.count)
    // No metadata means no __metadata__ key, as the reference writer does.
    let plain = try SafeTensors.encode(["x": try TensorRecord(float32: [1], shape: [1])])
    XCTAssertEqual(String(decoding: plain[8...], as: UTF8.self).prefix(5), #"{"x":"#)
  }

  func testReferenceFixtureMatchesExpectedValues() throws {
    let expected = try Fixtures.expected("small_state_dict.json")
    let file = try SafeTensors.read(from: Fixtures.url("small_state_dict.safetensors"))
    XCTAssertEqual(file.tensors.count, expected.tensors.count)
    XCTAssertTrue(file.tensors.keys.contains("1.num_batches_tracked"))
    for tensor in expected.tensors {
      try tensor.check(file[tensor.name])
    }
    XCTAssertEqual(file.metadata, expected.metadata)
  }

  /// The fixture was laid out like the reference writer (checked against the
  /// `safetensors` package when the fixtures were made); so must our encoder.
  func testEncoderReproducesReferenceFixtureByteForByte() throws {
    let original = try Fixtures.bytes("small_state_dict.safetensors")
    let file = try SafeTensors.decode(original)
    XCTAssertEqual(try SafeTensors.encode(file.tensors, metadata: file.metadata), original)
  }

  func testWriteIsAtomicAndReplacesExistingFile() throws {
    let url = directory.appendingPathComponent("model.safetensors")
    let first = ["a": try TensorRecord(float32: [1, 2], shape: [2])]
    let second = ["b": try TensorRecord(float32: [3], shape: [1])]
    try SafeTensors.write(first, metadata: ["v": "1"], to: url)
    XCTAssertEqual(try SafeTensors.read(from: url).tensors, first)
    try SafeTensors.write(second, to: url)
    XCTAssertEqual(try SafeTensors.read(from: url).tensors, second)
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["model.safetensors"])

    // A failing encode leaves the existing file untouched and no temporary behind.
    var broken = try TensorRecord(float32: [1], shape: [1])
    broken.shape = [5]
    let error = assertThrows(.invalidTensor) { try SafeTensors.write(["bad": broken], to: url) }
    XCTAssertEqual(error?.file, url.path)
    XCTAssertTrue(error?.message.contains("'bad'") ?? false)
    XCTAssertEqual(try SafeTensors.read(from: url).tensors, second)
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["model.safetensors"])

    // An unwritable destination fails cleanly.
    let missing = directory.appendingPathComponent("no/such/dir/x.safetensors")
    assertThrows(.io) { try SafeTensors.write(first, to: missing) }
  }

  func testReadErrorsNameTheFile() throws {
    let url = directory.appendingPathComponent("broken.safetensors")
    try Data([1, 2, 3]).write(to: url)
    let error = assertThrows(.truncated) { try SafeTensors.read(from: url) }
    XCTAssertEqual(error?.file, url.path)
    XCTAssertTrue(error?.description.contains(url.path) ?? false)
    assertThrows(.io) { try SafeTensors.read(from: directory.appendingPathComponent("absent.safetensors")) }
  }

  func testReservedOrInconsistentTensorsAreRejectedByEncoder() throws {
    assertThrows(.invalidTensor) { try SafeTensors.encode(["__metadata__": try TensorRecord(float32: [1], shape: [1])]) }
    var record = try TensorRecord(float32: [1, 2], shape: [2])
    record.bytes.removeLast()
    assertThrows(.invalidTensor) { try SafeTensors.encode(["x": record]) }
  }

  // MARK: - Malformed files

  /// A file with `header` as JSON (padded like the writer) and `data` as buffer.
  private func file(_ header: String, data: [UInt8] = [], headerLength: UInt64? = nil) -> [UInt8] {
    var json = Array(header.utf8)
    json += repeatElement(0x20, count: (8 - json.count % 8) % 8)
    let length = headerLength ?? UInt64(json.count)
    return (0..<8).map { UInt8(truncatingIfNeeded: length >> (8 * UInt64($0))) } + json + data
  }

  private let eightBytes = [UInt8](repeating: 7, count: 8)

  func testValidFileBuiltByHandDecodes() throws {
    let bytes = file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"__metadata__":null}"#, data: eightBytes)
    XCTAssertEqual(try SafeTensors.decode(bytes)["a"]?.bytes, eightBytes)
  }

  func testTruncatedAndOversizedHeaders() {
    assertThrows(.truncated) { try SafeTensors.decode([UInt8]()) }
    assertThrows(.truncated) { try SafeTensors.decode([8, 0, 0, 0]) }
    assertThrows(.truncated) { try SafeTensors.decode(self.file("{}", headerLength: 64)) }
    assertThrows(.truncated) { try SafeTensors.decode(self.file("{}", headerLength: 100_000_000)) }
    let tooLarge = assertThrows(.headerTooLarge) { try SafeTensors.decode(self.file("{}", headerLength: 100_000_001)) }
    XCTAssertTrue(tooLarge?.message.contains("100000001") ?? false)
  }

  func testInvalidJSONHeaders() {
    for header in [
      "{", "[]", #"{"a":}"#, #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}"#, "{} x",
      #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],}}"#, #"{"a":"\x"}"#, "{\"a\":\"\u{01}\"}",
    ] {
      assertThrows(.invalidHeader) { try SafeTensors.decode(self.file(header, data: [0, 0, 0, 0])) }
    }
    // Invalid UTF-8 inside a string.
    var bytes = file(#"{"\#u{e9}":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0])
    if let index = bytes.firstIndex(of: 0xC3) { bytes[index] = 0xFF }
    assertThrows(.invalidHeader) { try SafeTensors.decode(bytes) }
    // Deep nesting is refused before it can exhaust the stack.
    let deep = #"{"__metadata__":"# + String(repeating: "[", count: 10_000) + "}"
    assertThrows(.limitExceeded) { try SafeTensors.decode(self.file(deep)) }
  }

  func testMalformedTensorEntries() {
    let cases: [(String, SerializationError.Kind)] = [
      (#"{"a":{"dtype":"F8_E4M3","shape":[8],"data_offsets":[0,8]}}"#, .unknownDType),
      (#"{"a":{"dtype":"float","shape":[2],"data_offsets":[0,8]}}"#, .unknownDType),
      (#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, .shapeMismatch),
      (#"{"a":{"dtype":"F64","shape":[2],"data_offsets":[0,8]}}"#, .shapeMismatch),
      (#"{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,8]}}"#, .shapeMismatch),
      (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#, .outOfBounds),
      (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"#, .gap),
      (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, .gap),
      (#"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, .outOfBounds),
      (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"U8","shape":[4],"data_offsets":[4,8]}}"#, .overlap),
      (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, .duplicateName),
      (#"{"__metadata__":{"k":"v"},"__metadata__":{}}"#, .duplicateName),
      (#"{"__metadata__":{"k":1}}"#, .invalidHeader),
      (#"{"__metadata__":[]}"#, .invalidHeader),
      (#"{"a":{"dtype":"F32","shape":[2]}}"#, .invalidHeader),
      (#"{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#, .invalidHeader),
      (#"{"a":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}}"#, .invalidHeader),
      (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8,9]}}"#, .invalidHeader),
      (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,99999999999999999999]}}"#, .invalidHeader),
      (#"{"a":{"dtype":4,"shape":[2],"data_offsets":[0,8]}}"#, .invalidHeader),
      (#"{"a":[1]}"#, .invalidHeader),
      (#"{"a":{"dtype":"F32","dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, .invalidHeader),
    ]
    for (header, kind) in cases {
      assertThrows(kind) { try SafeTensors.decode(self.file(header, data: self.eightBytes)) }
    }
    // Missing data: the header describes tensors but the buffer is empty.
    let missing = assertThrows(.outOfBounds) {
      try SafeTensors.decode(self.file(#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#))
    }
    XCTAssertTrue(missing?.message.contains("'w'") ?? false, "error names the tensor")
  }

  func testTruncatedFixtureIsRejectedAtEveryLength() throws {
    let bytes = try Fixtures.bytes("small_state_dict.safetensors")
    for length in 0..<bytes.count {
      do {
        _ = try SafeTensors.decode(Array(bytes[..<length]))
        XCTFail("truncated to \(length) bytes but decoded")
      } catch let error as SerializationError {
        XCTAssertTrue([.truncated, .outOfBounds, .invalidHeader].contains(error.kind), "\(length): \(error)")
      }
    }
  }

  func testZeroSizedTensorsMayShareAnOffset() throws {
    let header = #"{"e1":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"e2":{"dtype":"I64","shape":[3,0],"data_offsets":[8,8]}}"#
    let decoded = try SafeTensors.decode(file(header, data: eightBytes))
    XCTAssertEqual(decoded["e2"]?.shape, [3, 0])
    XCTAssertEqual(decoded.names, ["e1", "a", "e2"])
  }
}
