import Foundation

/// The tensors and metadata of one safetensors file.
public struct SafeTensorsFile: Sendable, Equatable {
  public var tensors: [String: TensorRecord]
  /// The header's `__metadata__` string map (empty when absent).
  public var metadata: [String: String]
  /// Tensor names in data-buffer order, which for files this library writes is
  /// the writer's order (see `SafeTensors.encode`); gives callers a stable iteration order.
  public var names: [String]

  /// Builds a file value; `names` defaults to the tensor names sorted.
  public init(tensors: [String: TensorRecord], metadata: [String: String] = [:], names: [String]? = nil) {
    self.tensors = tensors
    self.metadata = metadata
    self.names = names ?? tensors.keys.sorted()
  }

  public subscript(name: String) -> TensorRecord? { tensors[name] }
}

/// Reader and writer for the safetensors format
/// (https://github.com/huggingface/safetensors): an 8-byte little-endian header
/// length N, N bytes of UTF-8 JSON describing each tensor's dtype, shape and
/// byte range, then the raw data buffer.
///
/// Validation is as strict as the reference reader's: tensors must tile the
/// data buffer exactly (no overlaps, gaps or trailing bytes), so files that
/// load here also load in Python. Dtypes Lichen has no `DType` for (F8, U16,
/// U32, U64, complex) are rejected with `.unknownDType`.
public enum SafeTensors {
  /// Largest header accepted, as in the reference implementation (100 MB).
  public static let maxHeaderSize = 100_000_000

  public static func read(from url: URL) throws -> SafeTensorsFile {
    try SerializationError.inFile(url) {
      let data = try Data(contentsOf: url, options: .mappedIfSafe)
      return try decode(data)
    }
  }

  /// A file's bytes received from elsewhere (e.g. another rank); errors name `file`.
  public static func decode(_ data: Data, file: URL) throws -> SafeTensorsFile {
    try SerializationError.inFile(file) { try decode(data) }
  }

  /// Only the `__metadata__` map, reading just the header (not the tensor data).
  public static func readMetadata(from url: URL) throws -> [String: String] {
    try SerializationError.inFile(url) {
      let handle = try FileHandle(forReadingFrom: url)
      defer { try? handle.close() }
      let prefix = [UInt8](try handle.read(upToCount: 8) ?? Data())
      let length = try headerLength(prefix)
      let header = [UInt8](try handle.read(upToCount: length) ?? Data())
      try checkHeaderPresent(length, following: header.count)
      var metadata: [String: String] = [:]
      for entry in try parseHeader(try HeaderJSON.parse(header[...])).metadata { metadata[entry.key] = entry.value }
      return metadata
    }
  }

  /// The header length from the first 8 bytes, within `maxHeaderSize`.
  private static func headerLength(_ bytes: [UInt8]) throws -> Int {
    guard let length64 = loadLittleEndian(UInt64.self, from: bytes, at: 0) else {
      throw SerializationError(.truncated, "file is \(bytes.count) bytes, too short for the 8-byte safetensors header length")
    }
    guard length64 <= UInt64(maxHeaderSize) else {
      throw SerializationError(.headerTooLarge, "header length \(length64) exceeds the \(maxHeaderSize)-byte limit; not a safetensors file?")
    }
    return Int(length64)
  }

  private static func checkHeaderPresent(_ length: Int, following available: Int) throws {
    guard length <= available else {
      throw SerializationError(
        .truncated, "header length is \(length) bytes but only \(available) follow the length field; the file is truncated")
    }
  }

  public static func decode(_ data: Data) throws -> SafeTensorsFile {
    try decode([UInt8](data))
  }

  public static func decode(_ bytes: [UInt8]) throws -> SafeTensorsFile {
    let headerLength = try headerLength(bytes)
    try checkHeaderPresent(headerLength, following: bytes.count - 8)
    let dataStart = 8 + headerLength
    let header = try HeaderJSON.parse(bytes[8..<dataStart])
    let entries = try parseHeader(header)

    let bufferSize = bytes.count - dataStart
    try checkLayout(entries, bufferSize: bufferSize)

    var tensors: [String: TensorRecord] = [:]
    var metadata: [String: String] = [:]
    for entry in entries.metadata { metadata[entry.key] = entry.value }
    for entry in entries.tensors {
      let range = (dataStart + entry.begin)..<(dataStart + entry.end)
      tensors[entry.name] = try TensorRecord(dtype: entry.dtype, shape: entry.shape, bytes: Array(bytes[range]))
    }
    let names = entries.tensors.sorted { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }.map(\.name)
    return SafeTensorsFile(tensors: tensors, metadata: metadata, names: names)
  }

  /// Serializes `tensors` to safetensors bytes.
  ///
  /// Layout matches the reference writer byte for byte: tensors ordered by
  /// dtype rank descending (wide types first, so every tensor is aligned to its
  /// element size), then by name; `__metadata__` first with keys sorted and
  /// omitted when empty; compact JSON padded with spaces to a multiple of 8.
  public static func encode(_ tensors: [String: TensorRecord], metadata: [String: String] = [:]) throws -> [UInt8] {
    for (name, record) in tensors {
      guard name != "__metadata__" else {
        throw SerializationError(.invalidTensor, "'__metadata__' is reserved and cannot name a tensor")
      }
      guard let count = checkedElementCount(of: record.shape),
        case let (size, overflow) = count.multipliedReportingOverflow(by: record.dtype.byteSize),
        !overflow, size == record.bytes.count
      else {
        throw SerializationError(
          .invalidTensor,
          "tensor '\(name)': \(record.dtype) shape \(record.shape) does not match its \(record.bytes.count) bytes"
        )
      }
    }
    let order = tensors.keys.sorted { lhs, rhs in
      let (left, right) = (rank(tensors[lhs]?.dtype), rank(tensors[rhs]?.dtype))
      return left != right ? left > right : lhs < rhs
    }

    var pairs: [(key: String, value: HeaderJSON)] = []
    if !metadata.isEmpty {
      let sorted = metadata.sorted { $0.key < $1.key }
      pairs.append(("__metadata__", .object(sorted.map { ($0.key, HeaderJSON.string($0.value)) })))
    }
    var offset = 0
    for name in order {
      guard let record = tensors[name] else { continue }
      let end = offset + record.bytes.count
      pairs.append((name, .object([
        ("dtype", .string(record.dtype.safetensorsName)),
        ("shape", .array(record.shape.map { .number(String($0)) })),
        ("data_offsets", .array([.number(String(offset)), .number(String(end))])),
      ])))
      offset = end
    }
    var header = Array(HeaderJSON.object(pairs).serialized.utf8)
    header.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - header.count % 8) % 8))
    guard header.count <= maxHeaderSize else {
      throw SerializationError(.headerTooLarge, "header would be \(header.count) bytes, over the \(maxHeaderSize)-byte limit")
    }

    var out = [UInt8]()
    out.reserveCapacity(8 + header.count + offset)
    let length = UInt64(header.count)
    for shift in stride(from: 0, to: 64, by: 8) {
      out.append(UInt8(truncatingIfNeeded: length >> UInt64(shift)))
    }
    out.append(contentsOf: header)
    for name in order {
      if let record = tensors[name] { out.append(contentsOf: record.bytes) }
    }
    return out
  }

  /// Encodes and writes atomically: the file at `url` is either untouched or complete.
  public static func write(_ tensors: [String: TensorRecord], metadata: [String: String] = [:], to url: URL) throws {
    try SerializationError.inFile(url) {
      try AtomicFile.write(try encode(tensors, metadata: metadata), to: url)
    }
  }

  // MARK: - Header validation

  private struct Entry {
    var name: String
    var dtype: DType
    var shape: [Int]
    var begin: Int
    var end: Int
  }

  private static func parseHeader(_ header: HeaderJSON) throws -> (tensors: [Entry], metadata: [(key: String, value: String)]) {
    guard case let .object(pairs) = header else {
      throw SerializationError(.invalidHeader, "header is not a JSON object")
    }
    var seen = Set<String>()
    var tensors: [Entry] = []
    var metadata: [(key: String, value: String)] = []
    for (name, value) in pairs {
      guard seen.insert(name).inserted else {
        throw SerializationError(.duplicateName, "header names '\(name)' more than once")
      }
      if name == "__metadata__" {
        metadata = try parseMetadata(value)
      } else {
        tensors.append(try parseTensor(name: name, value))
      }
    }
    return (tensors, metadata)
  }

  private static func parseMetadata(_ value: HeaderJSON) throws -> [(key: String, value: String)] {
    switch value {
    case .null:
      return []
    case let .object(pairs):
      var seen = Set<String>()
      return try pairs.map { pair in
        guard seen.insert(pair.key).inserted else {
          throw SerializationError(.duplicateName, "__metadata__ names '\(pair.key)' more than once")
        }
        guard case let .string(text) = pair.value else {
          throw SerializationError(.invalidHeader, "__metadata__ value for '\(pair.key)' is not a string")
        }
        return (pair.key, text)
      }
    default:
      throw SerializationError(.invalidHeader, "__metadata__ is not an object of strings")
    }
  }

  private static func parseTensor(name: String, _ value: HeaderJSON) throws -> Entry {
    guard case let .object(fields) = value else {
      throw SerializationError(.invalidHeader, "tensor '\(name)': entry is not a JSON object")
    }
    func field(_ key: String) throws -> HeaderJSON {
      let matches = fields.filter { $0.key == key }
      guard matches.count <= 1 else {
        throw SerializationError(.invalidHeader, "tensor '\(name)': field '\(key)' appears twice")
      }
      guard let match = matches.first else {
        throw SerializationError(.invalidHeader, "tensor '\(name)': missing field '\(key)'")
      }
      return match.value
    }
    func integers(_ key: String) throws -> [Int] {
      guard case let .array(items) = try field(key) else {
        throw SerializationError(.invalidHeader, "tensor '\(name)': '\(key)' is not an array")
      }
      return try items.map { item in
        guard case let .number(text) = item, let number = Int(text), number >= 0 else {
          throw SerializationError(.invalidHeader, "tensor '\(name)': '\(key)' holds \(item.serialized), not a non-negative integer")
        }
        return number
      }
    }

    guard case let .string(dtypeName) = try field("dtype") else {
      throw SerializationError(.invalidHeader, "tensor '\(name)': 'dtype' is not a string")
    }
    guard let dtype = DType(safetensorsName: dtypeName) else {
      throw SerializationError(.unknownDType, "tensor '\(name)': unknown or unsupported dtype '\(dtypeName)'")
    }
    let shape = try integers("shape")
    let offsets = try integers("data_offsets")
    guard offsets.count == 2 else {
      throw SerializationError(.invalidHeader, "tensor '\(name)': 'data_offsets' has \(offsets.count) values, expected 2")
    }
    let (begin, end) = (offsets[0], offsets[1])
    guard begin <= end else {
      throw SerializationError(.outOfBounds, "tensor '\(name)': data_offsets [\(begin), \(end)] are reversed")
    }
    guard let count = checkedElementCount(of: shape),
      case let (size, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize),
      !overflow, size == end - begin
    else {
      throw SerializationError(
        .shapeMismatch,
        "tensor '\(name)': \(dtypeName) shape \(shape) does not match its \(end - begin) bytes at [\(begin), \(end))"
      )
    }
    return Entry(name: name, dtype: dtype, shape: shape, begin: begin, end: end)
  }

  /// Requires the tensors to tile `0..<bufferSize` exactly, like the reference reader.
  private static func checkLayout(_ parsed: (tensors: [Entry], metadata: [(key: String, value: String)]), bufferSize: Int) throws {
    let sorted = parsed.tensors.sorted { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
    var expected = 0
    var previous: String?
    for entry in sorted {
      if entry.begin < expected {
        throw SerializationError(
          .overlap,
          "tensor '\(entry.name)' at [\(entry.begin), \(entry.end)) overlaps tensor '\(previous ?? "")' ending at \(expected)"
        )
      }
      if entry.begin > expected {
        throw SerializationError(
          .gap,
          "bytes [\(expected), \(entry.begin)) of the data buffer, before tensor '\(entry.name)', belong to no tensor"
        )
      }
      expected = entry.end
      previous = entry.name
    }
    if expected > bufferSize {
      throw SerializationError(
        .outOfBounds,
        "tensor '\(previous ?? "")' ends at byte \(expected) of the data buffer, which holds only \(bufferSize) bytes: the file is truncated or its offsets are wrong"
      )
    }
    if expected < bufferSize {
      throw SerializationError(.gap, "the data buffer has \(bufferSize - expected) trailing bytes that belong to no tensor")
    }
  }

  /// The reference writer's dtype order (its `Dtype` enum's declaration order).
  private static func rank(_ dtype: DType?) -> Int {
    switch dtype {
    case .bool: return 0
    case .uint8: return 1
    case .int8: return 2
    case .int16: return 5
    case .float16: return 7
    case .bfloat16: return 8
    case .int32: return 9
    case .float32: return 11
    case .float64: return 12
    case .int64: return 13
    case nil: return -1
    }
  }
}
