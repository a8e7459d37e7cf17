/// Read-only view of an in-memory zip archive whose entries are stored uncompressed.
///
/// `torch.save` writes its checkpoints as such archives (never compressed, data
/// aligned to 64 bytes through padding in the local headers), so this reader
/// handles exactly that: the central directory, ZIP64 records for files over
/// 4 GB, and stored entries. Compressed or encrypted entries are rejected when
/// read, not when listed, so unrelated entries do not make an archive unreadable.
struct ZipArchive {
  struct Entry {
    var name: String
    var method: UInt16
    var flags: UInt16
    var compressedSize: Int
    var uncompressedSize: Int
    var localHeaderOffset: Int
  }

  let bytes: [UInt8]
  /// Entries in central-directory order.
  let entries: [Entry]
  private let indexByName: [String: Int]

  private static let endOfCentralDirectory: UInt32 = 0x0605_4B50
  private static let zip64Locator: UInt32 = 0x0706_4B50
  private static let zip64EndOfCentralDirectory: UInt32 = 0x0606_4B50
  private static let centralHeader: UInt32 = 0x0201_4B50
  private static let localHeader: UInt32 = 0x0403_4B50

  init(bytes: [UInt8]) throws {
    self.bytes = bytes
    let directory = try Self.locateCentralDirectory(in: bytes)
    var reader = ByteReader(bytes, from: directory.offset, to: directory.offset + directory.size, context: "zip central directory")
    var entries: [Entry] = []
    var index: [String: Int] = [:]
    for _ in 0..<directory.count {
      let entry = try Self.readCentralEntry(&reader)
      if index[entry.name] == nil { index[entry.name] = entries.count }  // First of duplicates wins.
      entries.append(entry)
    }
    self.entries = entries
    self.indexByName = index
  }

  func entry(named name: String) -> Entry? {
    indexByName[name].map { entries[$0] }
  }

  /// The stored bytes of `entry`, located through its local header.
  func data(of entry: Entry) throws -> ArraySlice<UInt8> {
    guard entry.flags & 0x1 == 0 else {
      throw SerializationError(.unsupportedZip, "zip entry '\(entry.name)' is encrypted")
    }
    guard entry.method == 0 else {
      throw SerializationError(
        .unsupportedZip,
        "zip entry '\(entry.name)' is compressed (method \(entry.method)); only stored entries, as torch.save writes, are supported"
      )
    }
    guard entry.compressedSize == entry.uncompressedSize else {
      throw SerializationError(.invalidHeader, "stored zip entry '\(entry.name)' has different compressed and uncompressed sizes")
    }
    let offset = entry.localHeaderOffset
    guard offset < bytes.count else {
      throw SerializationError(.truncated, "zip entry '\(entry.name)' starts at byte \(offset), beyond the end of the file: the file is truncated")
    }
    guard loadLittleEndian(UInt32.self, from: bytes, at: offset) == Self.localHeader,
      let nameLength = loadLittleEndian(UInt16.self, from: bytes, at: offset + 26),
      let extraLength = loadLittleEndian(UInt16.self, from: bytes, at: offset + 28)
    else {
      throw SerializationError(.invalidHeader, "zip entry '\(entry.name)' has no local header at offset \(offset)")
    }
    let start = offset + 30 + Int(nameLength) + Int(extraLength)
    let (end, overflow) = start.addingReportingOverflow(entry.compressedSize)
    guard !overflow, end <= bytes.count else {
      throw SerializationError(
        .truncated,
        "zip entry '\(entry.name)' needs bytes up to \(overflow ? "beyond Int.max" : String(end)) but the file has \(bytes.count): the file is truncated"
      )
    }
    return bytes[start..<end]
  }

  // MARK: - Parsing

  private static func locateCentralDirectory(in bytes: [UInt8]) throws -> (offset: Int, size: Int, count: Int) {
    guard let eocd = findEndOfCentralDirectory(in: bytes) else {
      if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
        throw SerializationError(.truncated, "zip archive has no end-of-central-directory record: the file is truncated")
      }
      throw SerializationError(.notZip, "not a zip archive (no end-of-central-directory record)")
    }
    var reader = ByteReader(bytes, from: eocd + 4, to: eocd + 22, context: "zip end record")
    let disk = try reader.read(UInt16.self)
    let directoryDisk = try reader.read(UInt16.self)
    _ = try reader.read(UInt16.self)
    var count = UInt64(try reader.read(UInt16.self))
    var size = UInt64(try reader.read(UInt32.self))
    var offset = UInt64(try reader.read(UInt32.self))
    guard disk == 0, directoryDisk == 0 else {
      throw SerializationError(.unsupportedZip, "multi-disk zip archives are not supported")
    }

    // A ZIP64 locator sits right before the classic end record when present.
    if eocd >= 20, loadLittleEndian(UInt32.self, from: bytes, at: eocd - 20) == zip64Locator {
      var locator = ByteReader(bytes, from: eocd - 16, to: eocd, context: "zip64 locator")
      _ = try locator.read(UInt32.self)
      let recordOffset64 = try locator.read(UInt64.self)
      guard let recordOffset = checkedInt(recordOffset64), recordOffset < eocd - 20,
        loadLittleEndian(UInt32.self, from: bytes, at: recordOffset) == zip64EndOfCentralDirectory
      else {
        throw SerializationError(.invalidHeader, "zip64 locator points to \(recordOffset64), where there is no zip64 end record")
      }
      var record = ByteReader(bytes, from: recordOffset + 24, to: eocd - 20, context: "zip64 end record")
      _ = try record.read(UInt64.self)  // Entries on this disk.
      count = try record.read(UInt64.self)
      size = try record.read(UInt64.self)
      offset = try record.read(UInt64.self)
    }

    guard let start = checkedInt(offset), let length = checkedInt(size), let entries = checkedInt(count),
      start <= eocd, length <= eocd - start
    else {
      throw SerializationError(
        .truncated,
        "zip central directory (offset \(offset), \(size) bytes) lies beyond its end record: the file is truncated or corrupt"
      )
    }
    guard entries <= length / 46 else {
      throw SerializationError(.invalidHeader, "zip central directory of \(length) bytes cannot hold \(entries) entries")
    }
    return (start, length, entries)
  }

  /// Scans backwards over the last 64 KiB + 22 bytes (the largest possible comment).
  private static func findEndOfCentralDirectory(in bytes: [UInt8]) -> Int? {
    guard bytes.count >= 22 else { return nil }
    let lowest = max(0, bytes.count - 22 - 0xFFFF)
    var position = bytes.count - 22
    while position >= lowest {
      if bytes[position] == 0x50, loadLittleEndian(UInt32.self, from: bytes, at: position) == endOfCentralDirectory,
        let commentLength = loadLittleEndian(UInt16.self, from: bytes, at: position + 20),
        position + 22 + Int(commentLength) <= bytes.count
      {
        return position
      }
      position -= 1
    }
    return nil
  }

  private static func readCentralEntry(_ reader: inout ByteReader) throws -> Entry {
    guard try reader.read(UInt32.self) == centralHeader else {
      throw SerializationError(.invalidHeader, "zip central directory entry at byte \(reader.position - 4) has a bad signature")
    }
    try reader.skip(4)  // Version made by, version needed.
    let flags = try reader.read(UInt16.self)
    let method = try reader.read(UInt16.self)
    try reader.skip(8)  // Time, date, CRC-32.
    var compressed = UInt64(try reader.read(UInt32.self))
    var uncompressed = UInt64(try reader.read(UInt32.self))
    let nameLength = Int(try reader.read(UInt16.self))
    let extraLength = Int(try reader.read(UInt16.self))
    let commentLength = Int(try reader.read(UInt16.self))
    try reader.skip(8)  // Disk number, internal and external attributes.
    var localOffset = UInt64(try reader.read(UInt32.self))
    let name = String(decoding: try reader.read(count: nameLength), as: UTF8.self)
    var extra = ByteReader(reader.bytes, from: reader.position, to: reader.position + extraLength, context: "zip extra field of '\(name)'")
    try reader.skip(extraLength)
    try reader.skip(commentLength)

    // ZIP64 extended information: present fields replace those stored as 0xFFFFFFFF, in this order.
    while extra.remaining >= 4 {
      let id = try extra.read(UInt16.self)
      let size = Int(try extra.read(UInt16.self))
      var field = ByteReader(extra.bytes, from: extra.position, to: extra.position + size, context: "zip64 field of '\(name)'")
      try extra.skip(size)
      guard id == 0x0001 else { continue }
      if uncompressed == 0xFFFF_FFFF { uncompressed = try field.read(UInt64.self) }
      if compressed == 0xFFFF_FFFF { compressed = try field.read(UInt64.self) }
      if localOffset == 0xFFFF_FFFF { localOffset = try field.read(UInt64.self) }
    }

    guard let compressedSize = checkedInt(compressed), let uncompressedSize = checkedInt(uncompressed),
      let localHeaderOffset = checkedInt(localOffset)
    else {
      throw SerializationError(.invalidHeader, "zip entry '\(name)' has sizes or offsets too large for this machine")
    }
    return Entry(
      name: name, method: method, flags: flags, compressedSize: compressedSize,
      uncompressedSize: uncompressedSize, localHeaderOffset: localHeaderOffset
    )
  }
}
