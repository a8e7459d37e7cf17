/// One image's activations in the integer engine: channels x height x width,
/// row-major, each value a signed integer of at most 16 bits.
public struct IntTensor: Equatable, Sendable {
  public var channels: Int
  public var height: Int
  public var width: Int
  public var values: [Int16]

  public init(channels: Int, height: Int, width: Int, values: [Int16]) throws {
    guard channels > 0, height > 0, width > 0, values.count == channels * height * width else {
      throw IntegerEngineError("tensor \(channels)x\(height)x\(width) cannot hold \(values.count) values")
    }
    self.channels = channels
    self.height = height
    self.width = width
    self.values = values
  }

  /// All zeros.
  public init(zerosChannels channels: Int, height: Int, width: Int) {
    self.channels = channels
    self.height = height
    self.width = width
    values = [Int16](repeating: 0, count: channels * height * width)
  }

  public var planeSize: Int { height * width }
  public var shape: [Int] { [channels, height, width] }

  /// |x| elementwise (saturating: -32768 becomes 32767).
  public func magnitude() -> IntTensor {
    var out = self
    for i in out.values.indices { out.values[i] = values[i] == .min ? .max : Swift.abs(values[i]) }
    return out
  }
}

/// The closed integer range an activation of `bits` signed bits may take.
public struct ActivationRange: Equatable, Sendable, Codable {
  public var lower: Int32
  public var upper: Int32

  public init(lower: Int32, upper: Int32) {
    self.lower = lower
    self.upper = upper
  }

  /// Symmetric signed range: [-(2^(b-1) - 1), 2^(b-1) - 1] (the most negative code is unused).
  public static func signed(bits: Int) -> ActivationRange {
    let q = Int32((1 << (bits - 1)) - 1)
    return ActivationRange(lower: -q, upper: q)
  }

  /// The same range with the lower end at 0 (a fused ReLU).
  public var rectified: ActivationRange { ActivationRange(lower: Swift.max(0, lower), upper: upper) }

  @inline(__always) public func clamp(_ v: Int64) -> Int16 {
    Int16(truncatingIfNeeded: Swift.min(Swift.max(v, Int64(lower)), Int64(upper)))
  }
}
