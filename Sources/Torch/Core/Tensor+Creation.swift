import CTorch

// MARK: - Creation and conversion to and from Swift arrays and raw buffers.

extension Tensor {
  /// A tensor holding a copy of `values`, laid out row-major in `shape`.
  public convenience init<T: TensorScalar>(_ values: [T], shape: [Int]) throws {
    Runtime.bootstrap()
    let expected = shape.reduce(1, *)
    guard shape.allSatisfy({ $0 >= 0 }), expected == values.count else {
      throw TorchError(.value, "shape \(shape) needs \(expected) values, got \(values.count)")
    }
    let dims = shape.map(Int64.init)
    let handle = values.withUnsafeBytes { raw in
      lt_from_data(raw.baseAddress, raw.count, dims, Int64(dims.count), T.dtype.rawValue)
    }
    guard let handle else { throw Runtime.takeError() }
    self.init(handle: handle)
  }

  /// A 1-D tensor holding a copy of `values`.
  public convenience init<T: TensorScalar>(_ values: [T]) throws {
    try self.init(values, shape: [values.count])
  }

  /// A tensor whose bytes are copied from a raw little-endian buffer.
  public convenience init(bytes: UnsafeRawBufferPointer, shape: [Int], dtype: DType) throws {
    Runtime.bootstrap()
    let dims = shape.map(Int64.init)
    guard let handle = lt_from_data(bytes.baseAddress, bytes.count, dims, Int64(dims.count), dtype.rawValue) else {
      throw Runtime.takeError()
    }
    self.init(handle: handle)
  }

  public static func zeros(_ shape: [Int], dtype: DType = .float32) throws -> Tensor {
    Runtime.bootstrap()
    let dims = shape.map(Int64.init)
    return try Runtime.tensor(lt_zeros(dims, Int64(dims.count), dtype.rawValue))
  }

  public static func ones(_ shape: [Int], dtype: DType = .float32) throws -> Tensor {
    Runtime.bootstrap()
    let dims = shape.map(Int64.init)
    return try Runtime.tensor(lt_ones(dims, Int64(dims.count), dtype.rawValue))
  }

  public static func full(_ shape: [Int], _ value: Double, dtype: DType = .float32) throws -> Tensor {
    Runtime.bootstrap()
    let dims = shape.map(Int64.init)
    return try Runtime.tensor(lt_full(dims, Int64(dims.count), value, dtype.rawValue))
  }

  /// Uninitialised memory: only for outputs that are overwritten at once.
  public static func empty(_ shape: [Int], dtype: DType = .float32) throws -> Tensor {
    Runtime.bootstrap()
    let dims = shape.map(Int64.init)
    return try Runtime.tensor(lt_empty(dims, Int64(dims.count), dtype.rawValue))
  }

  public static func arange(_ start: Double, _ end: Double, step: Double = 1, dtype: DType = .float32) throws -> Tensor {
    Runtime.bootstrap()
    return try Runtime.tensor(lt_arange(start, end, step, dtype.rawValue))
  }

  public static func linspace(_ start: Double, _ end: Double, count: Int, dtype: DType = .float32) throws -> Tensor {
    Runtime.bootstrap()
    return try Runtime.tensor(lt_linspace(start, end, Int64(count), dtype.rawValue))
  }

  public static func eye(_ n: Int, dtype: DType = .float32) throws -> Tensor {
    Runtime.bootstrap()
    return try Runtime.tensor(lt_eye(Int64(n), dtype.rawValue))
  }

  /// A 0-dimensional tensor.
  public static func scalar(_ value: Double, dtype: DType = .float32) throws -> Tensor {
    Runtime.bootstrap()
    return try Runtime.tensor(lt_scalar_tensor(value, dtype.rawValue))
  }

  public static func zeros(like other: Tensor) throws -> Tensor { try zeros(other.shape, dtype: other.dtype) }
  public static func ones(like other: Tensor) throws -> Tensor { try ones(other.shape, dtype: other.dtype) }

  // MARK: - Out

  /// The elements in row-major order. Throws when `T` is not the tensor's dtype.
  public func scalars<T: TensorScalar>(as type: T.Type = T.self) throws -> [T] {
    guard T.dtype == dtype else {
      throw TorchError(.type, "tensor holds \(dtype), asked for \(T.dtype); convert with to(_:) first")
    }
    let count = elementCount
    return try [T](unsafeUninitializedCapacity: count) { buffer, initialized in
      let status = lt_copy_to(handle, buffer.baseAddress, count * MemoryLayout<T>.stride)
      initialized = status == 0 ? count : 0
      if status != 0 { throw Runtime.takeError() }
    }
  }

  /// The elements as `Float`, converting from any dtype.
  public func floats() throws -> [Float] {
    try (dtype == .float32 ? self : to(.float32)).scalars(as: Float.self)
  }

  /// The contiguous little-endian bytes of the tensor.
  public func bytes() throws -> [UInt8] {
    let count = elementCount * dtype.byteSize
    return try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
      let status = lt_copy_to(handle, buffer.baseAddress, count)
      initialized = status == 0 ? count : 0
      if status != 0 { throw Runtime.takeError() }
    }
  }

  /// The value of a one-element tensor.
  public func item() throws -> Double {
    var value = 0.0
    try Runtime.check(lt_item(handle, &value))
    return value
  }
}
