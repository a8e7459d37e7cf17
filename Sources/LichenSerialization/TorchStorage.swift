/// One storage (flat typed buffer) of a PyTorch checkpoint, and the strided
/// views that tensors take of it.
///
/// Several tensors may view one storage with their own offset and strides
/// (slices, transposes, expands); `tensor(offset:shape:strides:)` copies a
/// view out into the contiguous row-major layout `TensorRecord` promises.
struct TorchStorage {
  /// The archive's name for the storage (`<archive>/data/<key>`).
  var key: String
  var dtype: DType
  var bytes: ArraySlice<UInt8>

  /// Elements in the storage.
  var count: Int { bytes.count / dtype.byteSize }

  /// Storage classes `torch.save` names in persistent ids, by dtype.
  static let dtypesByClass: [String: DType] = [
    "FloatStorage": .float32, "DoubleStorage": .float64, "HalfStorage": .float16,
    "BFloat16Storage": .bfloat16, "LongStorage": .int64, "IntStorage": .int32,
    "ShortStorage": .int16, "CharStorage": .int8, "ByteStorage": .uint8, "BoolStorage": .bool,
  ]

  static func className(for dtype: DType) -> String {
    dtypesByClass.first { $0.value == dtype }?.key ?? "UntypedStorage"
  }

  /// A materialised view cannot exceed this many times its storage's size
  /// (plus 1 MiB): stride-0 views repeat data, and a corrupt file must not be
  /// able to request terabytes from a few bytes.
  static let maxExpansion = 64

  /// Copies the view `(offset, shape, strides)`, counted in elements, into a
  /// contiguous tensor, after checking every element it reads lies in the storage.
  func tensor(offset: Int, shape: [Int], strides: [Int]) throws -> TensorRecord {
    let what = "tensor view of storage '\(key)'"
    guard shape.count == strides.count else {
      throw SerializationError(.invalidTensor, "\(what) has \(shape.count) sizes but \(strides.count) strides")
    }
    guard shape.count <= 64 else {
      throw SerializationError(.limitExceeded, "\(what) has \(shape.count) dimensions")
    }
    guard offset >= 0, shape.allSatisfy({ $0 >= 0 }), strides.allSatisfy({ $0 >= 0 }) else {
      throw SerializationError(
        .invalidTensor, "\(what) has a negative offset, size or stride (offset \(offset), size \(shape), stride \(strides))")
    }
    guard let count = checkedElementCount(of: shape) else {
      throw SerializationError(.limitExceeded, "\(what) of size \(shape) has too many elements")
    }
    if count == 0 {
      return try TensorRecord(dtype: dtype, shape: shape, bytes: [])
    }
    // Largest element index the view touches.
    var last = offset
    for (size, stride) in zip(shape, strides) {
      let (step, overflow1) = (size - 1).multipliedReportingOverflow(by: stride)
      let (sum, overflow2) = last.addingReportingOverflow(step)
      guard !overflow1, !overflow2 else {
        throw SerializationError(.outOfBounds, "\(what) reaches beyond any storage (size \(shape), stride \(strides))")
      }
      last = sum
    }
    guard last < self.count else {
      throw SerializationError(
        .outOfBounds,
        "\(what) (offset \(offset), size \(shape), stride \(strides)) reads element \(last) but the storage holds \(self.count)"
      )
    }
    let elementSize = dtype.byteSize
    let (byteCount, overflow) = count.multipliedReportingOverflow(by: elementSize)
    guard !overflow, byteCount <= bytes.count * Self.maxExpansion + (1 << 20) else {
      throw SerializationError(
        .limitExceeded, "\(what) of size \(shape) would expand \(bytes.count) stored bytes to \(overflow ? "too many" : String(byteCount))")
    }

    // A size-1 dimension is never stepped along, so its stride is irrelevant
    // (and may be huge); zero it so the walk below cannot overflow.
    let strides = zip(shape, strides).map { $0 == 1 ? 0 : $1 }
    if isContiguous(shape: shape, strides: strides) {
      let start = bytes.startIndex + offset * elementSize
      return try TensorRecord(dtype: dtype, shape: shape, bytes: Array(bytes[start..<(start + byteCount)]))
    }
    return try TensorRecord(dtype: dtype, shape: shape, bytes: gather(offset: offset, shape: shape, strides: strides, byteCount: byteCount))
  }

  /// True when the strides are the row-major ones (size-1 dimensions may have any stride).
  private func isContiguous(shape: [Int], strides: [Int]) -> Bool {
    var expected = 1
    for (size, stride) in zip(shape, strides).reversed() where size != 1 {
      guard stride == expected else { return false }
      expected *= size
    }
    return true
  }

  /// Walks the view in row-major order with an odometer over the indices,
  /// copying one element (or one contiguous innermost row) at a time.
  private func gather(offset: Int, shape: [Int], strides: [Int], byteCount: Int) -> [UInt8] {
    let elementSize = dtype.byteSize
    let rank = shape.count
    // Innermost dimension: copied as one block when its stride is 1.
    let rowLength = rank == 0 ? 1 : shape[rank - 1]
    let rowStride = rank == 0 ? 1 : strides[rank - 1]
    let outerRank = max(rank - 1, 0)
    var output = [UInt8](repeating: 0, count: byteCount)
    bytes.withUnsafeBytes { source in
      output.withUnsafeMutableBytes { destination in
        guard let sourceBase = source.baseAddress, let destinationBase = destination.baseAddress else { return }
        var index = [Int](repeating: 0, count: outerRank)
        var rowStart = offset
        var written = 0
        while written < byteCount {
          if rowStride == 1 {
            let length = rowLength * elementSize
            (destinationBase + written).copyMemory(from: sourceBase + rowStart * elementSize, byteCount: length)
            written += length
          } else {
            var element = rowStart
            for _ in 0..<rowLength {
              (destinationBase + written).copyMemory(from: sourceBase + element * elementSize, byteCount: elementSize)
              written += elementSize
              element += rowStride
            }
          }
          // Advance the odometer over the outer dimensions.
          var dimension = outerRank - 1
          while dimension >= 0 {
            index[dimension] += 1
            rowStart += strides[dimension]
            if index[dimension] < shape[dimension] { break }
            rowStart -= strides[dimension] * shape[dimension]
            index[dimension] = 0
            dimension -= 1
          }
          if dimension < 0 { break }
        }
      }
    }
    return output
  }
}
