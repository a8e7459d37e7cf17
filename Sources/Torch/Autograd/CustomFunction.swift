import CTorch

/// A differentiable function whose backward is written in Swift.
///
/// The forward result is computed by the caller (any ops, under no-grad);
/// `apply` attaches a node to the autograd graph that calls `backward` with
/// the output gradient and the saved tensors, and routes one gradient (or nil)
/// to each input. The codec's straight-through rounding and lower bound are
/// built on it.
public enum CustomFunction {
  public typealias Backward = (_ gradOutput: Tensor, _ saved: [Tensor]) throws -> [Tensor?]

  public static func apply(
    output: Tensor, inputs: [Tensor], saved: [Tensor] = [], backward: @escaping Backward
  ) throws -> Tensor {
    let box = Unmanaged.passRetained(BackwardBox(backward, inputCount: inputs.count)).toOpaque()
    let inHandles: [lt_tensor?] = inputs.map { $0.handle }
    let savedHandles: [lt_tensor?] = saved.map { $0.handle }
    let result = withExtendedLifetime((inputs, saved, output)) {
      lt_custom_function(output.handle, inHandles, Int64(inHandles.count), savedHandles, Int64(savedHandles.count),
                         swiftBackwardTrampoline, swiftReleaseTrampoline, box)
    }
    return try Runtime.tensor(result)
  }
}

final class BackwardBox {
  let body: CustomFunction.Backward
  let inputCount: Int
  init(_ body: @escaping CustomFunction.Backward, inputCount: Int) {
    self.body = body
    self.inputCount = inputCount
  }
}

private let swiftBackwardTrampoline: lt_backward_callback = { context, gradOutput, saved, savedCount, gradInputs, inputCount in
  guard let context, let gradOutput, let gradInputs else { return -1 }
  let box = Unmanaged<BackwardBox>.fromOpaque(context).takeUnretainedValue()
  // The shim owns these handles; wrap shallow clones so Swift frees only its own.
  guard let grad = lt_shallow_clone(gradOutput) else { return -1 }
  let gradTensor = Tensor(handle: grad)
  var savedTensors: [Tensor] = []
  for i in 0..<Int(savedCount) {
    guard let s = saved?[i], let clone = lt_shallow_clone(s) else { return -1 }
    savedTensors.append(Tensor(handle: clone))
  }
  guard let grads = try? box.body(gradTensor, savedTensors), grads.count == Int(inputCount) else { return -1 }
  for (i, g) in grads.enumerated() {
    gradInputs[i] = g.flatMap { lt_shallow_clone($0.handle) }
  }
  return 0
}

private let swiftReleaseTrampoline: lt_release_callback = { context in
  guard let context else { return }
  Unmanaged<BackwardBox>.fromOpaque(context).release()
}
