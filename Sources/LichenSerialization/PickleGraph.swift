/// A value on the pickle stack or in the memo, before conversion to `PickleValue`.
enum PickleItem {
  case leaf(PickleValue)
  case node(PickleNode)
  case storage(TorchStorage)
}

/// A Python container under construction. Pickle mutates containers after
/// other values reference them (memo, DUP), so they need reference semantics.
final class PickleNode {
  enum Kind {
    case tuple
    case list
    case dict
    case object(PickleGlobal)
  }

  let kind: Kind
  /// Tuple or list items, or an object's constructor arguments.
  var elements: [PickleItem]
  /// Dict entries, or SETITEMs applied to an object.
  var keys: [PickleItem] = []
  var values: [PickleItem] = []
  /// Key positions, for Python's overwrite-on-duplicate-key semantics.
  var positions: [PickleKeyCode: Int] = [:]
  /// APPENDs applied to an object.
  var appended: [PickleItem] = []
  var state: PickleItem?

  init(_ kind: Kind, elements: [PickleItem] = []) {
    self.kind = kind
    self.elements = elements
  }

  func setItem(_ key: PickleItem, _ value: PickleItem) {
    if case let .leaf(leaf) = key, let code = PickleKeyCode(leaf) {
      if let position = positions[code] {
        values[position] = value
        return
      }
      positions[code] = keys.count
    }
    keys.append(key)
    values.append(value)
  }

  /// Drops all references, so releasing a node never recurses.
  func clear() {
    elements = []
    keys = []
    values = []
    positions = [:]
    appended = []
    state = nil
  }
}

/// Dict keys that Python would merge when equal; other keys are never merged.
enum PickleKeyCode: Hashable {
  case string(String)
  case int(Int64)

  init?(_ value: PickleValue) {
    switch value {
    case let .string(text): self = .string(text)
    case let .int(number): self = .int(number)
    case let .bool(flag): self = .int(flag ? 1 : 0)  // True == 1 in Python.
    default: return nil
    }
  }
}

/// Converts iteratively (an explicit stack of frames instead of recursion),
/// so even the deepest accepted nesting needs little thread stack.
struct PickleConverter {
  let maxDepth: Int
  var inProgress = Set<ObjectIdentifier>()
  /// Converted nodes with the number of values each expands to.
  var done: [ObjectIdentifier: (value: PickleValue, size: Int)] = [:]

  /// A node whose children are being converted.
  private struct Frame {
    let node: PickleNode
    /// Children in conversion order: elements, state, appended, then key/value pairs.
    let children: [PickleItem]
    var next = 0
    var results: [PickleValue] = []
    var size = 1
  }

  mutating func convert(_ root: PickleItem, budget: inout Int) throws -> PickleValue {
    var frames: [Frame] = []
    // Converts `item` if it is a leaf or already done; else opens a frame for it.
    func visit(_ item: PickleItem) throws -> (PickleValue, Int)? {
      switch item {
      case let .leaf(value):
        try charge(1, &budget)
        return (value, 1)
      case let .storage(storage):
        try charge(1, &budget)
        let type = PickleGlobal(module: "torch", name: TorchStorage.className(for: storage.dtype))
        return (.object(PickleObject(type: type, arguments: [.string(storage.key)])), 1)
      case let .node(node):
        let id = ObjectIdentifier(node)
        if let cached = done[id] {
          try charge(cached.size, &budget)
          return cached
        }
        guard frames.count < maxDepth else {
          throw SerializationError(.limitExceeded, "pickle nests containers more than \(maxDepth) deep")
        }
        guard inProgress.insert(id).inserted else {
          throw SerializationError(
            .invalidPickle, "pickle holds a container that contains itself; recursive structures are not supported")
        }
        try charge(1, &budget)
        var children = node.elements
        if let state = node.state { children.append(state) }
        children += node.appended
        for (key, value) in zip(node.keys, node.values) {
          children.append(key)
          children.append(value)
        }
        frames.append(Frame(node: node, children: children))
        return nil
      }
    }

    if let (value, _) = try visit(root) { return value }
    while var frame = frames.popLast() {
      if frame.next < frame.children.count {
        let child = frame.children[frame.next]
        frame.next += 1
        frames.append(frame)
        if let (value, size) = try visit(child) {
          frames[frames.count - 1].results.append(value)
          frames[frames.count - 1].size += size
        }
        continue
      }
      let value = assemble(frame)
      let id = ObjectIdentifier(frame.node)
      inProgress.remove(id)
      done[id] = (value, frame.size)
      guard !frames.isEmpty else { return value }
      frames[frames.count - 1].results.append(value)
      frames[frames.count - 1].size += frame.size
    }
    return .none  // Unreachable: the root frame returns above.
  }

  /// Builds a node's value from its converted children (in `Frame.children` order).
  private func assemble(_ frame: Frame) -> PickleValue {
    let node = frame.node
    var results = frame.results[...]
    func take(_ count: Int) -> [PickleValue] {
      defer { results = results.dropFirst(count) }
      return Array(results.prefix(count))
    }
    func takePairs() -> [(key: PickleValue, value: PickleValue)] {
      let flat = take(node.keys.count * 2)
      return stride(from: 0, to: flat.count - 1, by: 2).map { (key: flat[$0], value: flat[$0 + 1]) }
    }
    switch node.kind {
    case .tuple:
      return .tuple(take(node.elements.count))
    case .list:
      return .list(take(node.elements.count))
    case .dict:
      return .dict(takePairs())
    case let .object(type):
      let arguments = take(node.elements.count)
      let state = node.state == nil ? nil : take(1).first
      let listItems = take(node.appended.count)
      return .object(PickleObject(
        type: type, arguments: arguments, state: state, listItems: listItems, dictItems: takePairs()))
    }
  }

  private func charge(_ count: Int, _ budget: inout Int) throws {
    budget -= count
    guard budget >= 0 else {
      throw SerializationError(.limitExceeded, "pickle expands to too many values (shared structures repeated too often)")
    }
  }
}
