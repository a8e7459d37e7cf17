/// A layer or model: a tree of named parameters, buffers and children.
///
/// Names follow PyTorch's `state_dict()`: a module lists its own parameters,
/// then its own buffers, then each child's entries under `child.` prefixes;
/// `Sequential` children are named "0", "1", ... So a Lichen model and the
/// PyTorch module of the same structure produce identical keys.
public protocol Module: AnyObject {
  /// This module's own parameters (not its children's), in registration order.
  var parameters: [(name: String, tensor: Tensor)] { get }
  /// This module's own buffers (running statistics, tables), in order.
  var buffers: [(name: String, tensor: Tensor)] { get }
  /// Direct children, in registration order.
  var children: [(name: String, module: any Module)] { get }
  /// Training mode of this module alone; use `setTraining(_:)` for the tree.
  var isTraining: Bool { get set }
  /// Own buffers whose shape follows the data loaded into them (e.g. CDF
  /// tables that `update()` sizes); every other entry must match exactly.
  var resizableBufferNames: Set<String> { get }
}

extension Module {
  public var parameters: [(name: String, tensor: Tensor)] { [] }
  public var buffers: [(name: String, tensor: Tensor)] { [] }
  public var children: [(name: String, module: any Module)] { [] }
  public var resizableBufferNames: Set<String> { [] }

  /// Dotted names of every resizable buffer in the tree.
  public func namedResizableBuffers(prefix: String = "") -> Set<String> {
    var result = Set(resizableBufferNames.map { prefix + $0 })
    for child in children { result.formUnion(child.module.namedResizableBuffers(prefix: prefix + child.name + ".")) }
    return result
  }

  /// Every parameter of the tree with its dotted name.
  public func namedParameters(prefix: String = "") -> [(name: String, tensor: Tensor)] {
    var result = parameters.map { (prefix + $0.name, $0.tensor) }
    for child in children {
      result += child.module.namedParameters(prefix: prefix + child.name + ".")
    }
    return result
  }

  /// The module at a dotted path of child names (`layer1.0.bn1`); nil when there is none. The empty
  /// path is this module.
  public func module(at path: String) -> (any Module)? {
    var current: any Module = self
    for name in path.split(separator: ".", omittingEmptySubsequences: false) where !path.isEmpty {
      guard let child = current.children.first(where: { $0.name == name }) else { return nil }
      current = child.module
    }
    return current
  }

  /// Every buffer of the tree with its dotted name.
  public func namedBuffers(prefix: String = "") -> [(name: String, tensor: Tensor)] {
    var result = buffers.map { (prefix + $0.name, $0.tensor) }
    for child in children {
      result += child.module.namedBuffers(prefix: prefix + child.name + ".")
    }
    return result
  }

  /// Parameters and buffers in PyTorch's `state_dict()` order.
  public func stateDict(prefix: String = "") -> [(name: String, tensor: Tensor)] {
    var result = parameters.map { (prefix + $0.name, $0.tensor) } + buffers.map { (prefix + $0.name, $0.tensor) }
    for child in children {
      result += child.module.stateDict(prefix: prefix + child.name + ".")
    }
    return result
  }

  public var trainableParameters: [Tensor] { namedParameters().map(\.tensor) }

  /// Sets training mode on the whole tree.
  public func setTraining(_ training: Bool) {
    isTraining = training
    for child in children { child.module.setTraining(training) }
  }

  /// Number of scalar parameters.
  public var parameterCount: Int { namedParameters().reduce(0) { $0 + $1.tensor.elementCount } }

  /// Clears every parameter's gradient.
  public func zeroGrad() throws {
    for (_, p) in namedParameters() { try p.zeroGrad() }
  }
}

/// A module mapping one tensor to one tensor, usable inside `Sequential`.
public protocol Layer: Module {
  func callAsFunction(_ input: Tensor) throws -> Tensor
}
