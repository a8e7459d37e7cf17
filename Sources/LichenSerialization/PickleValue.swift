/// A Python global (class or function) referenced by a pickle, e.g. `collections.OrderedDict`.
public struct PickleGlobal: Sendable, Hashable, CustomStringConvertible {
  public var module: String
  public var name: String

  public init(module: String, name: String) {
    self.module = module
    self.name = name
  }

  public var description: String { "\(module).\(name)" }
}

/// An instance of a class this reader does not model (`argparse.Namespace`,
/// `torch.device`, a numpy array, ...), kept as the pieces pickle built it from,
/// so loading a checkpoint never fails because of an unrelated entry.
public struct PickleObject: Sendable, Equatable {
  /// The class, or the function whose result this object stands for.
  public var type: PickleGlobal
  /// Constructor or function arguments.
  public var arguments: [PickleValue]
  /// What `BUILD` passed to `__setstate__` (usually the attribute dict), if anything.
  public var state: PickleValue?
  /// Items added with `APPEND(S)` (list subclasses).
  public var listItems: [PickleValue]
  /// Items added with `SETITEM(S)` (dict subclasses such as `EasyDict`).
  public var dictItems: [(key: PickleValue, value: PickleValue)]

  public init(
    type: PickleGlobal, arguments: [PickleValue] = [], state: PickleValue? = nil,
    listItems: [PickleValue] = [], dictItems: [(key: PickleValue, value: PickleValue)] = []
  ) {
    self.type = type
    self.arguments = arguments
    self.state = state
    self.listItems = listItems
    self.dictItems = dictItems
  }

  public static func == (lhs: PickleObject, rhs: PickleObject) -> Bool {
    PickleValue.object(lhs) == PickleValue.object(rhs)
  }
}

/// A value decoded from a PyTorch pickle.
///
/// Python's object graph is turned into plain values: shared references are
/// copied (tensors share their byte buffers copy-on-write), dicts keep their
/// insertion order, and tensors are already materialised as `TensorRecord`s.
public indirect enum PickleValue: Sendable, Equatable {
  case none
  case bool(Bool)
  case int(Int64)
  /// An integer outside `Int64`, as little-endian two's-complement bytes.
  case bigInt([UInt8])
  case float(Double)
  case string(String)
  case bytes([UInt8])
  case tuple([PickleValue])
  case list([PickleValue])
  /// A dict or `OrderedDict`, in insertion order.
  case dict([(key: PickleValue, value: PickleValue)])
  /// A class or function reference that was not called.
  case global(PickleGlobal)
  case tensor(TensorRecord)
  case object(PickleObject)

  /// Structural equality, computed with an explicit work list rather than
  /// recursion so deeply nested values compare on any thread's stack.
  public static func == (lhs: PickleValue, rhs: PickleValue) -> Bool {
    var pending: [(PickleValue, PickleValue)] = [(lhs, rhs)]
    func pushPairs(_ a: [(key: PickleValue, value: PickleValue)], _ b: [(key: PickleValue, value: PickleValue)]) -> Bool {
      guard a.count == b.count else { return false }
      for (x, y) in zip(a, b) {
        pending.append((x.key, y.key))
        pending.append((x.value, y.value))
      }
      return true
    }
    func pushAll(_ a: [PickleValue], _ b: [PickleValue]) -> Bool {
      guard a.count == b.count else { return false }
      pending.append(contentsOf: zip(a, b))
      return true
    }
    while let (a, b) = pending.popLast() {
      let same: Bool
      switch (a, b) {
      case (.none, .none): same = true
      case let (.bool(x), .bool(y)): same = x == y
      case let (.int(x), .int(y)): same = x == y
      case let (.bigInt(x), .bigInt(y)): same = x == y
      case let (.float(x), .float(y)): same = x == y || (x.isNaN && y.isNaN)
      case let (.string(x), .string(y)): same = x == y
      case let (.bytes(x), .bytes(y)): same = x == y
      case let (.tuple(x), .tuple(y)), let (.list(x), .list(y)): same = pushAll(x, y)
      case let (.dict(x), .dict(y)): same = pushPairs(x, y)
      case let (.global(x), .global(y)): same = x == y
      case let (.tensor(x), .tensor(y)): same = x == y
      case let (.object(x), .object(y)):
        switch (x.state, y.state) {
        case (nil, nil): same = true
        case let (xState?, yState?): same = pushAll([xState], [yState])
        default: same = false
        }
        guard same, x.type == y.type, pushAll(x.arguments, y.arguments), pushAll(x.listItems, y.listItems),
          pushPairs(x.dictItems, y.dictItems)
        else { return false }
        continue
      default: same = false
      }
      guard same else { return false }
    }
    return true
  }

  /// The value for a string key of a dict (or dict-like object), if any.
  public subscript(key: String) -> PickleValue? {
    dictItems?.first { $0.key == .string(key) }?.value
  }

  /// Entries of a dict, or of an object built with `SETITEM(S)` (a dict subclass).
  public var dictItems: [(key: PickleValue, value: PickleValue)]? {
    switch self {
    case let .dict(pairs): return pairs
    case let .object(object) where !object.dictItems.isEmpty: return object.dictItems
    default: return nil
    }
  }

  public var tensor: TensorRecord? {
    if case let .tensor(record) = self { return record }
    return nil
  }

  public var string: String? {
    if case let .string(text) = self { return text }
    return nil
  }

  public var integer: Int64? {
    switch self {
    case let .int(value): return value
    case let .bool(flag): return flag ? 1 : 0
    default: return nil
    }
  }

  public var double: Double? {
    switch self {
    case let .float(value): return value
    case let .int(value): return Double(value)
    default: return nil
    }
  }

  /// Elements of a tuple or list.
  public var elements: [PickleValue]? {
    switch self {
    case let .tuple(items), let .list(items): return items
    default: return nil
    }
  }
}
