/// Parameters named "0", "1", ... (PyTorch's `nn.ParameterList`).
public final class ParameterList: Module {
  public let tensors: [Tensor]
  public var isTraining = true

  public init(_ tensors: [Tensor]) { self.tensors = tensors }

  public var parameters: [(name: String, tensor: Tensor)] {
    tensors.enumerated().map { (String($0.offset), $0.element) }
  }

  public subscript(index: Int) -> Tensor { tensors[index] }
  public var count: Int { tensors.count }
}
