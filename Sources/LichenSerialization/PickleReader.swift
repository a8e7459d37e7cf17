/// Interprets the pickle subset that `torch.save` emits (protocol 2, with the
/// protocol 4 framing opcodes tolerated) and rebuilds its tensors.
///
/// It executes no Python: known globals (OrderedDict, tensor rebuild functions,
/// storage classes) are modelled, and every other class becomes an inert
/// `PickleObject`. Input is untrusted: every read is bounds-checked, memo
/// indices are checked, nesting depth and output size are capped, and the
/// object graph is released without deep recursion.
struct PickleReader {
  /// Resolves a persistent id (torch's `('storage', type, key, location, numel)`) to a storage.
  typealias PersistentLoad = (PickleValue) throws -> TorchStorage

  /// Deepest nesting of containers in the result.
  var maxDepth = 100
  /// Most values the result may hold, counting shared sub-structures once per
  /// reference; nil means 1 Mi or 16 per pickle byte, whichever is larger.
  var maxValues: Int?

  func read(_ bytes: [UInt8], persistentLoad: PersistentLoad) throws -> PickleValue {
    let machine = PickleMachine(
      bytes: bytes, maxDepth: maxDepth,
      maxValues: maxValues ?? max(1 << 20, bytes.count.multipliedReportingOverflow(by: 16).partialValue)
    )
    defer { machine.tearDown() }
    return try machine.run(persistentLoad: persistentLoad)
  }
}

/// The interpreter state for one pickle.
final class PickleMachine {
  private var reader: ByteReader
  private let maxDepth: Int
  private var valueBudget: Int
  private var stack: [PickleItem] = []
  /// Stack heights at each MARK.
  private var marks: [Int] = []
  private var memo: [Int: PickleItem] = [:]
  /// Every node created, so none is freed (recursively) before `tearDown`.
  private var arena: [PickleNode] = []

  init(bytes: [UInt8], maxDepth: Int, maxValues: Int) {
    self.reader = ByteReader(bytes, context: "pickle")
    self.maxDepth = maxDepth
    self.valueBudget = maxValues
  }

  /// Clears every node, then releases them; each release is then shallow.
  func tearDown() {
    for node in arena { node.clear() }
    arena = []
    stack = []
    memo = [:]
  }

  func run(persistentLoad: PickleReader.PersistentLoad) throws -> PickleValue {
    while true {
      let position = reader.position
      let byte = try reader.readByte()
      guard let opcode = PickleOpcode(rawValue: byte) else {
        let name = PickleOpcode.unsupportedNames[byte].map { "\($0) " } ?? ""
        throw SerializationError(
          .unsupportedOpcode,
          "pickle opcode \(name)(0x\(String(byte, radix: 16))) at byte \(position) is not supported; torch.save files use protocol 2"
        )
      }
      if opcode == .stop {
        return try convert(pop())
      }
      try execute(opcode, persistentLoad: persistentLoad)
    }
  }

  // MARK: - Opcodes

  func execute(_ opcode: PickleOpcode, persistentLoad: PickleReader.PersistentLoad) throws {
    switch opcode {
    case .stop:
      break  // Handled by `run`.
    case .proto:
      let version = try reader.readByte()
      guard version <= 5 else { throw invalid("unknown pickle protocol \(version)") }
    case .frame:
      _ = try reader.read(UInt64.self)
    case .mark:
      marks.append(stack.count)
    case .pop:
      if stack.count > (marks.last ?? 0) {
        stack.removeLast()
      } else {
        _ = try popToMark()  // Python pops the mark when nothing is above it.
      }
    case .popMark:
      _ = try popToMark()
    case .dup:
      stack.append(try top())
    case .binPut:
      memo[Int(try reader.readByte())] = try top()
    case .longBinPut:
      memo[Int(try reader.read(UInt32.self))] = try top()
    case .memoize:
      memo[memo.count] = try top()
    case .binGet:
      stack.append(try memoItem(Int(try reader.readByte())))
    case .longBinGet:
      stack.append(try memoItem(Int(try reader.read(UInt32.self))))
    case .none:
      stack.append(.leaf(.none))
    case .newTrue:
      stack.append(.leaf(.bool(true)))
    case .newFalse:
      stack.append(.leaf(.bool(false)))
    case .binInt:
      stack.append(.leaf(.int(Int64(Int32(bitPattern: try reader.read(UInt32.self))))))
    case .binInt1:
      stack.append(.leaf(.int(Int64(try reader.readByte()))))
    case .binInt2:
      stack.append(.leaf(.int(Int64(try reader.read(UInt16.self)))))
    case .long1:
      let count = Int(try reader.readByte())
      stack.append(.leaf(Self.integer(fromLittleEndian: Array(try reader.read(count: count)))))
    case .binFloat:
      let bits = try reader.read(UInt64.self).byteSwapped  // Stored big-endian.
      stack.append(.leaf(.float(Double(bitPattern: bits))))
    case .shortBinUnicode:
      stack.append(.leaf(.string(try readString(count: Int(try reader.readByte())))))
    case .binUnicode:
      stack.append(.leaf(.string(try readString(count: Int(try reader.read(UInt32.self))))))
    case .binUnicode8:
      let count = try reader.read(UInt64.self)
      stack.append(.leaf(.string(try readString(count: Int(exactly: count) ?? -1))))
    case .shortBinString:
      stack.append(.leaf(.string(try readString(count: Int(try reader.readByte())))))
    case .binString:
      stack.append(.leaf(.string(try readString(count: Int(Int32(bitPattern: try reader.read(UInt32.self)))))))
    case .shortBinBytes:
      stack.append(.leaf(.bytes(Array(try reader.read(count: Int(try reader.readByte()))))))
    case .binBytes:
      stack.append(.leaf(.bytes(Array(try reader.read(count: Int(try reader.read(UInt32.self)))))))
    case .emptyDict:
      stack.append(.node(makeNode(.dict)))
    case .emptyList:
      stack.append(.node(makeNode(.list)))
    case .emptyTuple:
      stack.append(.node(makeNode(.tuple)))
    case .tuple:
      stack.append(.node(makeNode(.tuple, elements: try popToMark())))
    case .tuple1, .tuple2, .tuple3:
      let count = Int(opcode.rawValue - PickleOpcode.tuple1.rawValue) + 1
      var items: [PickleItem] = []
      for _ in 0..<count { items.append(try pop()) }
      stack.append(.node(makeNode(.tuple, elements: items.reversed())))
    case .list:
      stack.append(.node(makeNode(.list, elements: try popToMark())))
    case .dict:
      let node = makeNode(.dict)
      try addPairs(try popToMark(), to: node)
      stack.append(.node(node))
    case .append:
      let value = try pop()
      try append([value], to: try top())
    case .appends:
      let items = try popToMark()
      try append(items, to: try top())
    case .setItem:
      let value = try pop()
      let key = try pop()
      try addPairs([key, value], to: try dictTarget(try top()))
    case .setItems:
      let items = try popToMark()
      try addPairs(items, to: try dictTarget(try top()))
    case .build:
      let state = try pop()
      // Objects keep their state; for dicts (OrderedDict's `_metadata`),
      // tensors and everything else, attributes are irrelevant and dropped.
      if case let .node(node) = try top(), case .object = node.kind {
        node.state = state
      }
    case .global:
      let module = try readLine()
      let name = try readLine()
      stack.append(.leaf(.global(Self.normalized(module: module, name: name))))
    case .stackGlobal:
      let name = try pop()
      let module = try pop()
      guard case let .leaf(.string(nameText)) = name, case let .leaf(.string(moduleText)) = module else {
        throw invalid("STACK_GLOBAL needs two strings on the stack")
      }
      stack.append(.leaf(.global(Self.normalized(module: moduleText, name: nameText))))
    case .reduce:
      let arguments = try pop()
      let callable = try pop()
      stack.append(try apply(callable, to: arguments, depth: 0))
    case .newObject:
      let arguments = try tupleElements(try pop(), role: "NEWOBJ arguments")
      guard case let .leaf(.global(type)) = try pop() else {
        throw invalid("NEWOBJ needs a class on the stack")
      }
      stack.append(.node(Self.isDictClass(type) ? makeNode(.dict) : makeNode(.object(type), elements: arguments)))
    case .binPersistentID:
      let id = try convert(try pop())
      stack.append(.storage(try persistentLoad(id)))
    }
  }

  // MARK: - Stack helpers

  func invalid(_ message: String) -> SerializationError {
    SerializationError(.invalidPickle, "pickle at byte \(reader.position): \(message)")
  }

  func pop() throws -> PickleItem {
    guard stack.count > (marks.last ?? 0) else { throw invalid("stack underflow") }
    return stack.removeLast()
  }

  func top() throws -> PickleItem {
    guard stack.count > (marks.last ?? 0), let item = stack.last else { throw invalid("stack underflow") }
    return item
  }

  func popToMark() throws -> [PickleItem] {
    guard let mark = marks.popLast() else { throw invalid("no MARK on the stack") }
    let items = Array(stack[mark...])
    stack.removeSubrange(mark...)
    return items
  }

  func memoItem(_ index: Int) throws -> PickleItem {
    guard let item = memo[index] else { throw invalid("memo entry \(index) was never stored") }
    return item
  }

  func makeNode(_ kind: PickleNode.Kind, elements: [PickleItem] = []) -> PickleNode {
    let node = PickleNode(kind, elements: elements)
    arena.append(node)
    return node
  }

  func readString(count: Int) throws -> String {
    String(decoding: try reader.read(count: count), as: UTF8.self)
  }

  func readLine() throws -> String {
    String(decoding: try reader.readLine(maxLength: 4096), as: UTF8.self)
  }

  func append(_ items: [PickleItem], to target: PickleItem) throws {
    guard case let .node(node) = target else { throw invalid("APPEND to \(describe(target))") }
    switch node.kind {
    case .list: node.elements.append(contentsOf: items)
    case .object: node.appended.append(contentsOf: items)
    case .tuple, .dict: throw invalid("APPEND to \(describe(target))")
    }
  }

  func dictTarget(_ target: PickleItem) throws -> PickleNode {
    guard case let .node(node) = target else { throw invalid("SETITEM on \(describe(target))") }
    switch node.kind {
    case .dict, .object: return node
    case .tuple, .list: throw invalid("SETITEM on \(describe(target))")
    }
  }

  func addPairs(_ items: [PickleItem], to node: PickleNode) throws {
    guard items.count % 2 == 0 else { throw invalid("odd number of items for a dict") }
    for index in stride(from: 0, to: items.count, by: 2) {
      node.setItem(items[index], items[index + 1])
    }
  }

  func tupleElements(_ item: PickleItem, role: String) throws -> [PickleItem] {
    guard case let .node(node) = item, case .tuple = node.kind else {
      throw invalid("\(role) are \(describe(item)), not a tuple")
    }
    return node.elements
  }

  func describe(_ item: PickleItem) -> String {
    switch item {
    case let .leaf(.global(global)): return "global \(global)"
    case let .leaf(value):
      switch value {
      case .none: return "None"
      case .bool: return "a bool"
      case .int, .bigInt: return "an int"
      case .float: return "a float"
      case .string: return "a string"
      case .bytes: return "bytes"
      case .tensor: return "a tensor"
      default: return "a value"
      }
    case .storage: return "a storage"
    case let .node(node):
      switch node.kind {
      case .tuple: return "a tuple"
      case .list: return "a list"
      case .dict: return "a dict"
      case let .object(type): return "a \(type) object"
      }
    }
  }

  // MARK: - Conversion

  /// Turns the stack item into a `PickleValue`, sharing converted sub-values
  /// and charging each reference against the value budget.
  func convert(_ item: PickleItem) throws -> PickleValue {
    var converter = PickleConverter(maxDepth: maxDepth)
    return try converter.convert(item, budget: &valueBudget)
  }
}
