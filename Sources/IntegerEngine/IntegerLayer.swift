/// One stage of an integer transform.
public enum IntegerLayer: Equatable, Sendable {
  case convolution(IntConvolution)
  case gdn(IntGDN)

  public func callAsFunction(_ x: IntTensor, threads: Int) throws -> IntTensor {
    switch self {
    case .convolution(let c): return try c(x, threads: threads)
    case .gdn(let g): return try g(x, threads: threads)
    }
  }

  public var outputChannels: Int {
    switch self {
    case .convolution(let c): return c.outChannels
    case .gdn(let g): return g.channels
    }
  }

  /// (MACs, output height, output width) for an input of this size.
  public func macs(height: Int, width: Int) -> (macs: Int, height: Int, width: Int) {
    switch self {
    case .convolution(let c):
      let (h, w) = c.outputSize(height: height, width: width)
      return (c.macs(height: height, width: width), h, w)
    case .gdn(let g): return (g.macs(height: height, width: width), height, width)
    }
  }
}

/// A chain of integer layers (g_a, g_s, h_a or h_s).
public struct IntegerTransform: Equatable, Sendable {
  public var layers: [IntegerLayer]
  public init(_ layers: [IntegerLayer]) { self.layers = layers }

  public func callAsFunction(_ x: IntTensor, threads: Int) throws -> IntTensor {
    var h = x
    for layer in layers { h = try layer(h, threads: threads) }
    return h
  }

  public func macs(height: Int, width: Int) -> Int {
    var (h, w, total) = (height, width, 0)
    for layer in layers {
      let r = layer.macs(height: h, width: w)
      total += r.macs
      (h, w) = (r.height, r.width)
    }
    return total
  }
}
