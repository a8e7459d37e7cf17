/// FNV-1a, 64-bit (Fowler, Noll, Vo): a fast identifier, not a security hash.
public struct FNV1a64: Sendable {
  public private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325
  public init() {}
  public mutating func update(_ bytes: [UInt8]) {
    for b in bytes {
      value ^= UInt64(b)
      value = value &* 0x100_0000_01b3
    }
  }
}
