import CTorch

/// An n-dimensional array on libtorch's CPU backend, with autograd.
///
/// A `Tensor` owns exactly one libtorch handle and frees it in `deinit`.
/// Views (`reshape`, `transpose`, `narrow`...) share storage with their
/// base; in-place methods end in an underscore, as in PyTorch. Not
/// `Sendable`: two handles may share one storage.
public final class Tensor {
  package let handle: lt_tensor

  package init(handle: lt_tensor) {
    self.handle = handle
  }

  deinit {
    lt_free(handle)
  }

  /// The sizes of each dimension.
  public var shape: [Int] {
    var sizes = [Int64](repeating: 0, count: 16)
    let count = lt_sizes(handle, &sizes, 16)
    if count > 16 {
      sizes = [Int64](repeating: 0, count: Int(count))
      _ = lt_sizes(handle, &sizes, count)
    }
    return sizes.prefix(Swift.max(0, Int(count))).map { Int($0) }
  }

  public var rank: Int { Int(lt_dim(handle)) }
  public var elementCount: Int { Int(lt_numel(handle)) }

  public var dtype: DType {
    // The shim only creates tensors of the dtypes DType lists.
    DType(rawValue: lt_dtype(handle)) ?? .float32
  }

  public var isContiguous: Bool { lt_is_contiguous(handle) == 1 }

  /// A second handle on the same storage and autograd history.
  public func alias() throws -> Tensor { try Runtime.tensor(lt_shallow_clone(handle)) }
}

extension Tensor: CustomStringConvertible {
  public var description: String {
    let values = (try? self.to(.float64).scalars(as: Double.self)) ?? []
    let preview = values.prefix(8).map { String(format: "%.4g", $0) }.joined(separator: ", ")
    return "Tensor(\(dtype), shape: \(shape), [\(preview)\(values.count > 8 ? ", ..." : "")])"
  }
}

import Foundation
