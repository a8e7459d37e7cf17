/// A codec's architecture and sizes: enough to build it.
public struct ModelConfiguration: Codable, Sendable, Equatable {
  public var architecture: Architecture
  public var n: Int
  public var m: Int
  public var gdnVariant: GDNVariant

  public init(architecture: Architecture, n: Int, m: Int, gdnVariant: GDNVariant = .standard) {
    self.architecture = architecture
    self.n = n
    self.m = m
    self.gdnVariant = gdnVariant
  }
}
