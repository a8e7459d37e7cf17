/// One tensor's raw data, independent of libtorch.
///
/// The serialization readers and writers produce and consume this so they can
/// be tested (and used by tools) without loading libtorch. `bytes` holds the
/// elements contiguous, row-major and little-endian; a scalar has shape `[]`.
public struct TensorRecord: Sendable, Equatable {
  public var dtype: DType
  public var shape: [Int]
  public var bytes: [UInt8]

  /// Checks that `bytes` holds exactly `product(shape) * dtype.byteSize` bytes.
  public init(dtype: DType, shape: [Int], bytes: [UInt8]) throws {
    guard let count = checkedElementCount(of: shape) else {
      throw SerializationError(.invalidTensor, "shape \(shape) has a negative dimension or too many elements")
    }
    let (expected, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
    guard !overflow, expected == bytes.count else {
      throw SerializationError(
        .invalidTensor,
        "\(dtype) tensor of shape \(shape) needs \(overflow ? "too many" : String(expected)) bytes, got \(bytes.count)"
      )
    }
    self.dtype = dtype
    self.shape = shape
    self.bytes = bytes
  }

  /// A float32 tensor holding `values` in row-major order.
  public init(float32 values: [Float], shape: [Int]) throws {
    var bytes = [UInt8]()
    bytes.reserveCapacity(values.count * 4)
    for value in values {
      let bits = value.bitPattern
      for shift in stride(from: 0, to: 32, by: 8) {
        bytes.append(UInt8(truncatingIfNeeded: bits >> shift))
      }
    }
    try self.init(dtype: .float32, shape: shape, bytes: bytes)
  }

  /// A float16 tensor holding `values` rounded to half precision (nearest, ties to even).
  public init(float16From values: [Float], shape: [Int]) throws {
    var bytes = [UInt8]()
    bytes.reserveCapacity(values.count * 2)
    for value in values {
      let bits = HalfPrecision.halfBits(from: value)
      bytes.append(UInt8(truncatingIfNeeded: bits))
      bytes.append(UInt8(truncatingIfNeeded: bits >> 8))
    }
    try self.init(dtype: .float16, shape: shape, bytes: bytes)
  }

  /// Number of elements (1 for a scalar, 0 if any dimension is 0).
  public var elementCount: Int {
    shape.reduce(1) { $0 &* max($1, 0) }
  }

  /// The elements as `Float`, widening float16/bfloat16 exactly and narrowing
  /// float64 with rounding. Integer and bool tensors throw: use `integers()`.
  public func floats() throws -> [Float] {
    let count = try validatedCount()
    switch dtype {
    case .float32:
      return words(UInt32.self, count: count).map { Float(bitPattern: $0) }
    case .float64:
      return words(UInt64.self, count: count).map { Float(Double(bitPattern: $0)) }
    case .float16:
      return words(UInt16.self, count: count).map(HalfPrecision.float(fromHalfBits:))
    case .bfloat16:
      return words(UInt16.self, count: count).map(HalfPrecision.float(fromBFloat16Bits:))
    default:
      throw SerializationError(.invalidTensor, "floats() needs a floating-point tensor, not \(dtype)")
    }
  }

  /// The elements as `Double` (exact for every floating-point dtype).
  public func doubles() throws -> [Double] {
    let count = try validatedCount()
    if dtype == .float64 {
      return words(UInt64.self, count: count).map { Double(bitPattern: $0) }
    }
    return try floats().map(Double.init)
  }

  /// The elements of an integer or bool tensor, sign-extended to `Int64`.
  public func integers() throws -> [Int64] {
    let count = try validatedCount()
    switch dtype {
    case .uint8, .bool:
      return bytes.prefix(count).map { Int64($0) }
    case .int8:
      return bytes.prefix(count).map { Int64(Int8(bitPattern: $0)) }
    case .int16:
      return words(UInt16.self, count: count).map { Int64(Int16(bitPattern: $0)) }
    case .int32:
      return words(UInt32.self, count: count).map { Int64(Int32(bitPattern: $0)) }
    case .int64:
      return words(UInt64.self, count: count).map { Int64(bitPattern: $0) }
    default:
      throw SerializationError(.invalidTensor, "integers() needs an integer or bool tensor, not \(dtype)")
    }
  }

  /// Element count, re-checked because the stored properties are mutable.
  private func validatedCount() throws -> Int {
    guard let count = checkedElementCount(of: shape),
      case let (size, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize),
      !overflow, size == bytes.count
    else {
      throw SerializationError(.invalidTensor, "\(dtype) tensor of shape \(shape) has \(bytes.count) bytes")
    }
    return count
  }

  /// The first `count` little-endian words of width `T`; callers have validated
  /// that `bytes` holds them.
  private func words<T: FixedWidthInteger & UnsignedInteger>(_: T.Type, count: Int) -> [T] {
    let size = MemoryLayout<T>.size
    return bytes.withUnsafeBytes { raw in
      (0..<min(count, raw.count / size)).map {
        T(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * size, as: T.self))
      }
    }
  }
}
