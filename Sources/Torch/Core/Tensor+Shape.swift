import CTorch

// MARK: - Shape, layout, indexing and joining.

extension Tensor {
  public func to(_ dtype: DType) throws -> Tensor { try Runtime.tensor(lt_to_dtype(handle, dtype.rawValue)) }
  public func contiguous() throws -> Tensor { try Runtime.tensor(lt_contiguous(handle)) }
  /// The same 4-d tensor stored channels-last (NHWC). Convolutions on it
  /// run oneDNN's NHWC kernels without reordering the activations per call
  /// and return channels-last results; values and shape are unchanged.
  public func channelsLast() throws -> Tensor { try Runtime.tensor(lt_contiguous_channels_last(handle)) }
  /// A copy with its own storage (and autograd history back to `self`).
  public func clone() throws -> Tensor { try Runtime.tensor(lt_clone(handle)) }

  public func reshape(_ shape: [Int]) throws -> Tensor {
    let dims = shape.map(Int64.init)
    return try Runtime.tensor(lt_reshape(handle, dims, Int64(dims.count)))
  }
  public func permute(_ dims: [Int]) throws -> Tensor {
    let d = dims.map(Int64.init)
    return try Runtime.tensor(lt_permute(handle, d, Int64(d.count)))
  }
  public func transpose(_ dim0: Int, _ dim1: Int) throws -> Tensor {
    try Runtime.tensor(lt_transpose(handle, Int64(dim0), Int64(dim1)))
  }
  public func squeeze(_ dim: Int) throws -> Tensor { try Runtime.tensor(lt_squeeze(handle, Int64(dim))) }
  public func unsqueeze(_ dim: Int) throws -> Tensor { try Runtime.tensor(lt_unsqueeze(handle, Int64(dim))) }
  public func flatten(from start: Int = 0, to end: Int = -1) throws -> Tensor {
    try Runtime.tensor(lt_flatten(handle, Int64(start), Int64(end)))
  }
  /// Broadcasts to `shape` without copying (-1 keeps a dimension).
  public func expand(_ shape: [Int]) throws -> Tensor {
    let dims = shape.map(Int64.init)
    return try Runtime.tensor(lt_expand(handle, dims, Int64(dims.count)))
  }
  public func repeated(_ counts: [Int]) throws -> Tensor {
    let dims = counts.map(Int64.init)
    return try Runtime.tensor(lt_repeat(handle, dims, Int64(dims.count)))
  }
  /// A view of `length` entries from `start` along `dim`.
  public func narrow(_ dim: Int, start: Int, length: Int) throws -> Tensor {
    try Runtime.tensor(lt_narrow(handle, Int64(dim), Int64(start), Int64(length)))
  }
  /// A strided view `start..<end` along `dim` (negative indexes count from the end).
  public func slice(_ dim: Int, _ start: Int, _ end: Int, step: Int = 1) throws -> Tensor {
    try Runtime.tensor(lt_slice(handle, Int64(dim), Int64(start), Int64(end), Int64(step)))
  }
  /// Removes `dim` by picking one index.
  public func select(_ dim: Int, _ index: Int) throws -> Tensor {
    try Runtime.tensor(lt_select(handle, Int64(dim), Int64(index)))
  }
  public func indexSelect(_ dim: Int, _ index: Tensor) throws -> Tensor {
    try Runtime.tensor(lt_index_select(handle, Int64(dim), index.handle))
  }
  public func gather(_ dim: Int, _ index: Tensor) throws -> Tensor {
    try Runtime.tensor(lt_gather(handle, Int64(dim), index.handle))
  }
  public func roll(shifts: [Int], dims: [Int]) throws -> Tensor {
    guard shifts.count == dims.count else { throw TorchError(.value, "roll: \(shifts.count) shifts for \(dims.count) dims") }
    return try Runtime.tensor(lt_roll(handle, shifts.map(Int64.init), dims.map(Int64.init), Int64(dims.count)))
  }
  public func flip(_ dims: [Int]) throws -> Tensor {
    try Runtime.tensor(lt_flip(handle, dims.map(Int64.init), Int64(dims.count)))
  }
  public func argmax(dim: Int, keepDim: Bool = false) throws -> Tensor {
    try Runtime.tensor(lt_argmax(handle, Int64(dim), keepDim))
  }
  public func nonzero() throws -> Tensor { try Runtime.tensor(lt_nonzero(handle)) }

  public enum PaddingMode: Int32, Sendable { case constant = 0, reflect, replicate }
  /// Pads the last dimensions: `pads` = [left, right, top, bottom, ...] as `F.pad`.
  public func padded(_ pads: [Int], mode: PaddingMode = .constant, value: Double = 0) throws -> Tensor {
    try Runtime.tensor(lt_pad(handle, pads.map(Int64.init), Int64(pads.count), mode.rawValue, value))
  }

  public static func cat(_ tensors: [Tensor], dim: Int = 0) throws -> Tensor {
    let handles: [lt_tensor?] = tensors.map { $0.handle }
    return try withExtendedLifetime(tensors) { try Runtime.tensor(lt_cat(handles, Int64(handles.count), Int64(dim))) }
  }
  public static func stack(_ tensors: [Tensor], dim: Int = 0) throws -> Tensor {
    let handles: [lt_tensor?] = tensors.map { $0.handle }
    return try withExtendedLifetime(tensors) { try Runtime.tensor(lt_stack(handles, Int64(handles.count), Int64(dim))) }
  }

  /// Destructures a 4-D NCHW shape, failing with "expected ... got ...".
  public func size4(_ what: String = "tensor") throws -> (n: Int, c: Int, h: Int, w: Int) {
    let s = shape
    guard s.count == 4 else { throw TorchError(.value, "\(what): expected a 4-D NCHW tensor, got shape \(s)") }
    return (s[0], s[1], s[2], s[3])
  }
}

// MARK: - Reductions (an empty `dims` reduces over everything).

extension Tensor {
  public func sum(dims: [Int] = [], keepDim: Bool = false) throws -> Tensor {
    try Runtime.tensor(lt_sum(handle, dims.map(Int64.init), Int64(dims.count), keepDim))
  }
  public func mean(dims: [Int] = [], keepDim: Bool = false) throws -> Tensor {
    try Runtime.tensor(lt_mean(handle, dims.map(Int64.init), Int64(dims.count), keepDim))
  }
  public func max(dims: [Int] = [], keepDim: Bool = false) throws -> Tensor {
    try Runtime.tensor(lt_amax(handle, dims.map(Int64.init), Int64(dims.count), keepDim))
  }
  public func min(dims: [Int] = [], keepDim: Bool = false) throws -> Tensor {
    try Runtime.tensor(lt_amin(handle, dims.map(Int64.init), Int64(dims.count), keepDim))
  }
  public func variance(dims: [Int] = [], unbiased: Bool = true, keepDim: Bool = false) throws -> Tensor {
    try Runtime.tensor(lt_var(handle, dims.map(Int64.init), Int64(dims.count), unbiased, keepDim))
  }
  public func logsumexp(dims: [Int], keepDim: Bool = false) throws -> Tensor {
    try Runtime.tensor(lt_logsumexp(handle, dims.map(Int64.init), Int64(dims.count), keepDim))
  }
  public func cumsum(dim: Int) throws -> Tensor { try Runtime.tensor(lt_cumsum(handle, Int64(dim))) }
  /// The p-norm of all elements.
  public func norm(p: Double = 2) throws -> Tensor { try Runtime.tensor(lt_norm(handle, p)) }
}

// MARK: - In-place updates (names end in `_`; use them under `withNoGrad` on leaves).

extension Tensor {
  public func add_(_ other: Tensor, alpha: Double = 1) throws { try Runtime.check(lt_add_(handle, other.handle, alpha)) }
  public func add_(_ value: Double) throws { try Runtime.check(lt_add_scalar_(handle, value)) }
  public func mul_(_ other: Tensor) throws { try Runtime.check(lt_mul_(handle, other.handle)) }
  public func mul_(_ value: Double) throws { try Runtime.check(lt_mul_scalar_(handle, value)) }
  public func addcmul_(_ a: Tensor, _ b: Tensor, value: Double = 1) throws {
    try Runtime.check(lt_addcmul_(handle, a.handle, b.handle, value))
  }
  public func addcdiv_(_ a: Tensor, _ b: Tensor, value: Double = 1) throws {
    try Runtime.check(lt_addcdiv_(handle, a.handle, b.handle, value))
  }
  public func copy_(_ source: Tensor) throws { try Runtime.check(lt_copy_(handle, source.handle)) }
  /// Writes `source` rows into `index` positions along `dim`.
  public func indexCopy_(_ dim: Int, _ index: Tensor, _ source: Tensor) throws {
    try Runtime.check(lt_index_copy_(handle, Int64(dim), index.handle, source.handle))
  }
  /// Adds `source` rows into `index` positions along `dim`.
  public func indexAdd_(_ dim: Int, _ index: Tensor, _ source: Tensor) throws {
    try Runtime.check(lt_index_add_(handle, Int64(dim), index.handle, source.handle))
  }
  /// Resizes in place; contents are unspecified until overwritten.
  public func resize_(_ shape: [Int]) throws {
    try Runtime.check(lt_resize_(handle, shape.map(Int64.init), Int64(shape.count)))
  }
  public func zero_() throws { try Runtime.check(lt_zero_(handle)) }
  public func fill_(_ value: Double) throws { try Runtime.check(lt_fill_(handle, value)) }
  public func clamp_(min low: Double? = nil, max high: Double? = nil) throws {
    try Runtime.check(lt_clamp_(handle, low ?? 0, high ?? 0, low != nil, high != nil))
  }
}
