/// Parameter initialisation shared by the layers.
enum Initialization {
  /// PyTorch's default for conv/linear weights: kaiming_uniform(a = sqrt(5)),
  /// i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)); biases use the same bound.
  static func defaultUniform(_ shape: [Int], fanIn: Int, generator: Generator) throws -> Tensor {
    let bound = 1 / Double(Swift.max(1, fanIn)).squareRoot()
    return try Tensor.uniform(shape, low: -bound, high: bound, generator: generator).requiringGrad()
  }
}
