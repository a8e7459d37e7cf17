/// The pickle opcodes `PickleReader` executes: what `torch.save` emits with
/// protocol 2, plus the protocol 4 framing and memo opcodes.
enum PickleOpcode: UInt8 {
  case mark = 0x28  // (
  case stop = 0x2E  // .
  case pop = 0x30  // 0
  case popMark = 0x31  // 1
  case dup = 0x32  // 2
  case binBytes = 0x42  // B
  case shortBinBytes = 0x43  // C
  case binFloat = 0x47  // G
  case binInt = 0x4A  // J
  case binInt1 = 0x4B  // K
  case binInt2 = 0x4D  // M
  case none = 0x4E  // N
  case binPersistentID = 0x51  // Q
  case reduce = 0x52  // R
  case binString = 0x54  // T
  case shortBinString = 0x55  // U
  case binUnicode = 0x58  // X
  case emptyList = 0x5D  // ]
  case append = 0x61  // a
  case build = 0x62  // b
  case global = 0x63  // c
  case dict = 0x64  // d
  case appends = 0x65  // e
  case binGet = 0x68  // h
  case longBinGet = 0x6A  // j
  case list = 0x6C  // l
  case binPut = 0x71  // q
  case longBinPut = 0x72  // r
  case setItem = 0x73  // s
  case tuple = 0x74  // t
  case setItems = 0x75  // u
  case emptyDict = 0x7D  // }
  case emptyTuple = 0x29  // )
  case proto = 0x80
  case newObject = 0x81
  case tuple1 = 0x85
  case tuple2 = 0x86
  case tuple3 = 0x87
  case newTrue = 0x88
  case newFalse = 0x89
  case long1 = 0x8A
  case shortBinUnicode = 0x8C
  case binUnicode8 = 0x8D
  case stackGlobal = 0x93
  case memoize = 0x94
  case frame = 0x95

  /// Names of the pickle opcodes this reader does not execute, for error messages.
  static let unsupportedNames: [UInt8: String] = [
    0x46: "FLOAT", 0x49: "INT", 0x4C: "LONG", 0x50: "PERSID", 0x53: "STRING", 0x56: "UNICODE",
    0x67: "GET", 0x69: "INST", 0x6F: "OBJ", 0x70: "PUT", 0x82: "EXT1", 0x83: "EXT2", 0x84: "EXT4",
    0x8B: "LONG4", 0x8E: "BINBYTES8", 0x8F: "EMPTY_SET", 0x90: "ADDITEMS", 0x91: "FROZENSET",
    0x92: "NEWOBJ_EX", 0x96: "BYTEARRAY8", 0x97: "NEXT_BUFFER", 0x98: "READONLY_BUFFER",
  ]
}

