/// The Python callables a torch pickle invokes (REDUCE, NEWOBJ), modelled in
/// Swift: dict constructors, tensor and parameter rebuilders, `torch.Size`,
/// protocol 2's bytes encoding. Any other callable yields an inert object.
extension PickleMachine {
  /// Python 3 writes some builtins under their Python 2 names in protocol 2.
  static func normalized(module: String, name: String) -> PickleGlobal {
    switch module {
    case "__builtin__": return PickleGlobal(module: "builtins", name: name)
    case "copy_reg": return PickleGlobal(module: "copyreg", name: name)
    default: return PickleGlobal(module: module, name: name)
    }
  }

  static func isDictClass(_ type: PickleGlobal) -> Bool {
    switch (type.module, type.name) {
    case ("collections", "OrderedDict"), ("builtins", "dict"), ("collections", "defaultdict"): return true
    default: return false
    }
  }

  /// Calls `callable` (REDUCE): models the functions that build dicts and
  /// tensors; anything else becomes an inert object.
  func apply(_ callable: PickleItem, to argumentsItem: PickleItem, depth: Int) throws -> PickleItem {
    guard case let .leaf(.global(function)) = callable else {
      throw invalid("REDUCE calls \(describe(callable)), not a class or function")
    }
    let arguments = try tupleElements(argumentsItem, role: "REDUCE arguments for \(function)")
    switch (function.module, function.name) {
    case ("collections", "OrderedDict"), ("builtins", "dict"), ("collections", "defaultdict"):
      let node = makeNode(.dict)
      if function.name != "defaultdict", let source = arguments.first, case let .node(items) = source {
        switch items.kind {
        case .dict:
          for (key, value) in zip(items.keys, items.values) { node.setItem(key, value) }
        case .list, .tuple:
          for pair in items.elements {
            if case let .node(pairNode) = pair, pairNode.elements.count == 2 {
              node.setItem(pairNode.elements[0], pairNode.elements[1])
            }
          }
        case .object:
          break
        }
      }
      return .node(node)
    case ("torch._utils", "_rebuild_tensor_v2"), ("torch._utils", "_rebuild_tensor"):
      return .leaf(.tensor(try rebuildTensor(function, arguments)))
    case ("torch._utils", "_rebuild_parameter"), ("torch._utils", "_rebuild_parameter_with_state"):
      guard let data = arguments.first else { throw invalid("\(function) without arguments") }
      return data  // A Parameter is its data tensor here.
    case ("torch._tensor", "_rebuild_from_type_v2"), ("torch._utils", "_rebuild_from_type_v2"):
      // (function, type, arguments, state): a Tensor subclass; rebuild the tensor.
      guard arguments.count >= 3 else { throw invalid("\(function) needs 4 arguments") }
      guard depth < 8 else {
        throw SerializationError(.limitExceeded, "pickle nests \(function) more than 8 deep")
      }
      return try apply(arguments[0], to: arguments[2], depth: depth + 1)
    case ("torch", "Size"):
      guard let first = arguments.first, case let .node(sizes) = first else {
        return .node(makeNode(.tuple))
      }
      return .node(makeNode(.tuple, elements: sizes.elements))
    case ("_codecs", "encode"):
      // Protocol 2 stores `bytes` as `_codecs.encode(text, 'latin1')`.
      if arguments.count == 2, case let .leaf(.string(text)) = arguments[0],
        case let .leaf(.string(encoding)) = arguments[1], encoding == "latin1" || encoding == "latin-1",
        text.unicodeScalars.allSatisfy({ $0.value < 256 })
      {
        return .leaf(.bytes(text.unicodeScalars.map { UInt8($0.value) }))
      }
      return .node(makeNode(.object(function), elements: arguments))
    default:
      return .node(makeNode(.object(function), elements: arguments))
    }
  }

  /// `_rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])`.
  func rebuildTensor(_ function: PickleGlobal, _ arguments: [PickleItem]) throws -> TensorRecord {
    guard arguments.count >= 4, case let .storage(storage) = arguments[0] else {
      throw invalid("\(function) needs (storage, offset, size, stride, ...)")
    }
    guard case let .leaf(.int(offset)) = arguments[1], let start = Int(exactly: offset) else {
      throw invalid("\(function): storage offset is not an integer")
    }
    let shape = try integers(arguments[2], role: "size", of: function)
    let strides = try integers(arguments[3], role: "stride", of: function)
    return try storage.tensor(offset: start, shape: shape, strides: strides)
  }

  func integers(_ item: PickleItem, role: String, of function: PickleGlobal) throws -> [Int] {
    guard case let .node(node) = item else { throw invalid("\(function): \(role) is \(describe(item)), not a tuple") }
    switch node.kind {
    case .tuple, .list: break
    default: throw invalid("\(function): \(role) is \(describe(item)), not a tuple")
    }
    return try node.elements.map { element in
      guard case let .leaf(.int(value)) = element else {
        throw invalid("\(function): \(role) holds \(describe(element)), not an int")
      }
      return Int(value)
    }
  }

  /// Converts a LONG1 payload (little-endian two's complement) to an int, or
  /// to `.bigInt` when it does not fit in 64 bits.
  static func integer(fromLittleEndian bytes: [UInt8]) -> PickleValue {
    guard let last = bytes.last else { return .int(0) }
    let negative = last & 0x80 != 0
    let fill: UInt8 = negative ? 0xFF : 0
    // Strip redundant sign-extension bytes.
    var length = bytes.count
    while length > 1, bytes[length - 1] == fill, (bytes[length - 2] & 0x80 != 0) == negative {
      length -= 1
    }
    guard length <= 8 else { return .bigInt(Array(bytes.prefix(length))) }
    var value: UInt64 = negative ? UInt64.max : 0
    for index in 0..<length {
      let shift = UInt64(8 * index)
      value &= ~(UInt64(0xFF) << shift)
      value |= UInt64(bytes[index]) << shift
    }
    return .int(Int64(bitPattern: value))
  }
}
