import Foundation

/// Reader for files written by `torch.save` (the zip format, default since PyTorch 1.6).
///
/// Pure Swift because libtorch 1.13's C++ `pickle_load` rejects ordinary
/// `torch.save(model.state_dict())` files (it cannot apply the OrderedDict
/// `_metadata` BUILD). The archive holds `<archive>/data.pkl` (the pickled
/// object), `<archive>/data/<key>` (one raw storage per key) and
/// `<archive>/version`, where `<archive>` is any top-level folder name.
public enum PyTorchCheckpoint {
  /// Keys under which `stateDict` looks for the model weights in a training
  /// checkpoint, in this order.
  public static let stateDictKeys = ["state_dict", "model_state_dict", "model"]

  /// The whole pickled object, tensors materialised.
  public static func read(from url: URL) throws -> PickleValue {
    try SerializationError.inFile(url) {
      let data = try Data(contentsOf: url, options: .mappedIfSafe)
      return try decode([UInt8](data))
    }
  }

  /// The flat tensor dictionary of a checkpoint; see `stateDict(in:)`.
  public static func stateDict(from url: URL) throws -> [(name: String, tensor: TensorRecord)] {
    let value = try read(from: url)
    return try SerializationError.inFile(url) { try stateDict(in: value) }
  }

  /// Decodes checkpoint bytes (a `torch.save` zip archive).
  public static func decode(_ bytes: [UInt8]) throws -> PickleValue {
    try rejectNonZip(bytes)
    let archive = try ZipArchive(bytes: bytes)
    let pickleEntry = try findPickle(in: archive)
    let prefix = String(pickleEntry.name.dropLast("data.pkl".count))
    if let byteOrder = archive.entry(named: prefix + "byteorder") {
      let order = String(decoding: try archive.data(of: byteOrder), as: UTF8.self)
      guard order.trimmingCharacters(in: .whitespacesAndNewlines) == "little" else {
        throw SerializationError(.invalidHeader, "checkpoint was saved with byte order '\(order)'; only little-endian is supported")
      }
    }
    let pickle = Array(try archive.data(of: pickleEntry))

    var storages: [String: TorchStorage] = [:]
    return try PickleReader().read(pickle) { id in
      if case let .tuple(parts) = id, let key = parts.count > 2 ? parts[2].string : nil, let cached = storages[key] {
        return cached
      }
      let storage = try loadStorage(id, archive: archive, prefix: prefix)
      storages[storage.key] = storage
      return storage
    }
  }

  /// The named tensors of a decoded checkpoint, in pickle order.
  ///
  /// Looks, in order, for: a top-level dict whose values are all tensors (a
  /// plain `torch.save(model.state_dict())`); a dict under one of
  /// `stateDictKeys` (a training checkpoint); else any tensors in the
  /// top-level dict. Nested dicts are flattened with dotted names; non-tensor
  /// entries are skipped.
  public static func stateDict(in value: PickleValue) throws -> [(name: String, tensor: TensorRecord)] {
    guard let top = value.dictItems else {
      throw SerializationError(.noStateDict, "checkpoint holds \(summary(of: value)), not a dict of tensors")
    }
    if !top.isEmpty, top.allSatisfy({ $0.value.tensor != nil }) {
      return flatten(top, prefix: "")
    }
    for key in stateDictKeys {
      if let nested = value[key]?.dictItems {
        return flatten(nested, prefix: "")
      }
    }
    let tensors = flatten(top, prefix: "")
    guard !tensors.isEmpty || top.isEmpty else {
      let keys = top.compactMap { $0.key.string }.prefix(20).joined(separator: ", ")
      let module = top.first { if case .object = $0.value { return true } else { return false } }
      let hint = module.map { ": '\($0.key.string ?? "?")' is a pickled \(summary(of: $0.value)); save its state_dict() instead" } ?? ""
      throw SerializationError(
        .noStateDict,
        "no state dict found: no tensors at the top level or under \(stateDictKeys.map { "'\($0)'" }.joined(separator: ", ")) (top-level keys: \(keys))\(hint)"
      )
    }
    return tensors
  }

  // MARK: - Helpers

  private static func rejectNonZip(_ bytes: [UInt8]) throws {
    if bytes.starts(with: [0x50, 0x4B]) { return }
    // The legacy format is a bare pickle stream (starting with PROTO) or, before
    // that, a tar archive ("ustar" at offset 257).
    let isTar = bytes.count > 262 && Array(bytes[257..<262]) == Array("ustar".utf8)
    if bytes.first == 0x80 || isTar {
      throw SerializationError(
        .legacyFormat,
        "this is the legacy (pre-1.6, non-zip) torch.save format, which is not supported; re-save it with a current PyTorch: torch.save(torch.load(path), path)"
      )
    }
    throw SerializationError(.notZip, "not a PyTorch checkpoint: torch.save files are zip archives, and this file does not start with a zip signature")
  }

  private static func findPickle(in archive: ZipArchive) throws -> ZipArchive.Entry {
    let candidates = archive.entries.filter { entry in
      let parts = entry.name.split(separator: "/", omittingEmptySubsequences: false)
      return parts.count == 2 && parts[1] == "data.pkl" && !parts[0].isEmpty
    }
    if let first = candidates.first { return first }
    if archive.entries.contains(where: { $0.name.hasSuffix("/constants.pkl") || $0.name.contains("/code/") }) {
      throw SerializationError(
        .missingEntry, "this is a TorchScript archive (torch.jit.save), not a torch.save checkpoint; save the model's state_dict() instead")
    }
    throw SerializationError(.missingEntry, "zip archive has no '<archive>/data.pkl' entry; not a torch.save checkpoint")
  }

  /// Resolves `('storage', storage_type, key, location, numel)` to the bytes of `<archive>/data/<key>`.
  private static func loadStorage(_ id: PickleValue, archive: ZipArchive, prefix: String) throws -> TorchStorage {
    guard case let .tuple(parts) = id, parts.count >= 5, parts[0].string == "storage",
      case let .global(type) = parts[1], let key = parts[2].string, let numel = parts[4].integer
    else {
      throw SerializationError(.invalidPickle, "unexpected persistent id \(id); expected ('storage', type, key, location, numel)")
    }
    let dtype: DType
    if let known = TorchStorage.dtypesByClass[type.name], type.module == "torch" {
      dtype = known
    } else if type.module == "torch", type.name == "UntypedStorage" {
      dtype = .uint8
    } else {
      throw SerializationError(.unknownDType, "storage '\(key)' has unsupported type \(type)")
    }
    let name = prefix + "data/" + key
    guard let entry = archive.entry(named: name) else {
      throw SerializationError(.missingEntry, "checkpoint refers to storage '\(key)' but the archive has no entry '\(name)'")
    }
    let bytes = try archive.data(of: entry)
    let (needed, overflow) = Int(clamping: numel).multipliedReportingOverflow(by: dtype.byteSize)
    guard numel >= 0, !overflow, needed <= bytes.count else {
      throw SerializationError(
        .truncated, "storage '\(key)' should hold \(numel) \(dtype) elements but entry '\(name)' has only \(bytes.count) bytes")
    }
    return TorchStorage(key: key, dtype: dtype, bytes: bytes)
  }

  private static func flatten(_ pairs: [(key: PickleValue, value: PickleValue)], prefix: String) -> [(name: String, tensor: TensorRecord)] {
    var result: [(name: String, tensor: TensorRecord)] = []
    for (key, value) in pairs {
      let part: String
      switch key {
      case let .string(text): part = text
      case let .int(number): part = String(number)
      default: continue
      }
      let name = prefix.isEmpty ? part : prefix + "." + part
      if let tensor = value.tensor {
        result.append((name, tensor))
      } else if let nested = value.dictItems {
        result.append(contentsOf: flatten(nested, prefix: name))
      }
    }
    return result
  }

  private static func summary(of value: PickleValue) -> String {
    switch value {
    case .none: return "None"
    case .bool: return "a bool"
    case .int, .bigInt: return "an int"
    case .float: return "a float"
    case .string: return "a string"
    case .bytes: return "bytes"
    case .tuple: return "a tuple"
    case .list: return "a list"
    case .dict: return "a dict"
    case let .global(global): return "a reference to \(global)"
    case .tensor: return "a single tensor"
    case let .object(object): return "\(object.type) object"
    }
  }
}
