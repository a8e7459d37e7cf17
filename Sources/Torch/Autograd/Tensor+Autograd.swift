import CTorch

// MARK: - Autograd on tensors.

extension Tensor {
  public var requiresGrad: Bool {
    get { lt_requires_grad(handle) == 1 }
  }

  /// Marks a leaf tensor as a variable to differentiate.
  @discardableResult
  public func requiringGrad(_ value: Bool = true) throws -> Tensor {
    try Runtime.check(lt_set_requires_grad(handle, value))
    return self
  }

  /// Accumulates d(self)/d(leaves) into each leaf's `grad`.
  public func backward(_ gradient: Tensor? = nil, retainGraph: Bool = false) throws {
    try Runtime.check(lt_backward(handle, gradient?.handle, retainGraph))
  }

  /// The accumulated gradient, or nil when none has been computed.
  public var grad: Tensor? {
    var out: lt_tensor? = nil
    guard lt_grad(handle, &out) == 0, let out else {
      _ = lt_error_take().map { free($0) }
      return nil
    }
    return Tensor(handle: out)
  }

  /// Replaces (or clears, with nil) the accumulated gradient.
  public func setGrad(_ gradient: Tensor?) throws { try Runtime.check(lt_set_grad(handle, gradient?.handle)) }

  /// Clears the gradient (PyTorch's `zero_grad(set_to_none=True)`).
  public func zeroGrad() throws { try setGrad(nil) }

  /// The same values, cut from the autograd graph.
  public func detach() throws -> Tensor { try Runtime.tensor(lt_detach(handle)) }
}

public enum Autograd {
  /// Gradients of `outputs` with respect to `inputs` without touching `.grad`
  /// (torch.autograd.grad); nil where an input is unused.
  public static func gradients(
    of outputs: [Tensor], withRespectTo inputs: [Tensor], outputGradients: [Tensor]? = nil,
    createGraph: Bool = false, retainGraph: Bool = false
  ) throws -> [Tensor?] {
    let outHandles: [lt_tensor?] = outputs.map { $0.handle }
    let inHandles: [lt_tensor?] = inputs.map { $0.handle }
    let gradHandles: [lt_tensor?]? = outputGradients?.map { $0.handle }
    var results = [lt_tensor?](repeating: nil, count: inputs.count)
    let status = withExtendedLifetime((outputs, inputs, outputGradients)) {
      lt_autograd_grad(outHandles, gradHandles, Int64(outHandles.count), inHandles, Int64(inHandles.count),
                       createGraph, retainGraph, &results)
    }
    try Runtime.check(status)
    return results.map { $0.map(Tensor.init(handle:)) }
  }
}

/// Runs `body` with gradient recording off, restoring the previous mode after
/// (also when `body` throws). Thread-local, like PyTorch's `no_grad`.
public func withNoGrad<R>(_ body: () throws -> R) rethrows -> R {
  let previous = lt_is_grad_enabled() == 1
  lt_set_grad_enabled(false)
  defer { lt_set_grad_enabled(previous) }
  return try body()
}

/// Runs `body` with gradient recording on.
public func withGrad<R>(_ body: () throws -> R) rethrows -> R {
  let previous = lt_is_grad_enabled() == 1
  lt_set_grad_enabled(true)
  defer { lt_set_grad_enabled(previous) }
  return try body()
}

import Foundation
