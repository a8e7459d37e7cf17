/// The `.lic` container (format version 1; byte layout in docs/format.md).
///
/// Everything is little-endian. The decoder checks the magic, version,
/// checksum, every length against the bytes that remain, and every size
/// against hard limits before allocating, so a truncated, bit-flipped or
/// absurd file is a `CodecError.invalidBitstream`, never a crash or an
/// out-of-memory.
public struct Bitstream: Equatable, Sendable {
  public static let magic: [UInt8] = Array("LICN".utf8)
  public static let version: UInt8 = 1
  /// Largest image side accepted (PNG's limit is larger; ours keeps tensors sane).
  public static let maxSide = 65_535
  public static let maxPixels = 1 << 28

  public var architecture: Architecture
  public var n: Int
  public var m: Int
  public var gdnVariant: GDNVariant
  public var weightsHash: UInt64
  public var width: Int
  public var height: Int
  public var paddedWidth: Int
  public var paddedHeight: Int
  public var latents: CompressedLatents

  public init(model: ModelConfiguration, weightsHash: UInt64, width: Int, height: Int, paddedWidth: Int,
              paddedHeight: Int, latents: CompressedLatents) {
    architecture = model.architecture
    n = model.n
    m = model.m
    gdnVariant = model.gdnVariant
    self.weightsHash = weightsHash
    self.width = width
    self.height = height
    self.paddedWidth = paddedWidth
    self.paddedHeight = paddedHeight
    self.latents = latents
  }

  public var modelConfiguration: ModelConfiguration {
    ModelConfiguration(architecture: architecture, n: n, m: m, gdnVariant: gdnVariant)
  }

  /// Throws unless the header names exactly this model: its architecture, N,
  /// M and GDN variant, then its weights (docs/format.md, decoding step 5).
  /// Every decoder, float or integer, checks this before touching the latents.
  public func checkMadeBy(_ configuration: ModelConfiguration, weightsHash: UInt64, source: String) throws {
    guard modelConfiguration == configuration else {
      throw CodecError.invalidBitstream(
        "file was made by \(architecture.rawValue) N=\(n) M=\(m) \(gdnVariant.rawValue) GDN, not by the loaded model "
          + "\(source) (\(configuration.architecture.rawValue) N=\(configuration.n) M=\(configuration.m) "
          + "\(configuration.gdnVariant.rawValue) GDN)")
    }
    guard self.weightsHash == weightsHash else {
      throw CodecError.invalidBitstream(String(
        format: "file was made by another model's weights (hash %016llx, loaded %@ has %016llx)",
        self.weightsHash, source, weightsHash))
    }
  }

  static func code(of a: Architecture) -> UInt8 {
    switch a {
    case .scaleHyperprior: return 1
    case .factorizedPrior: return 2
    case .meanScaleHyperprior: return 3
    }
  }
  static func code(of g: GDNVariant) -> UInt8 {
    switch g {
    case .standard: return 0
    case .simplified: return 1
    case .hardware: return 2
    }
  }

  public func encoded() throws -> [UInt8] {
    var w = ByteWriter()
    w.bytes(Self.magic)
    w.u8(Self.version)
    w.u8(Self.code(of: architecture))
    w.u8(Self.code(of: gdnVariant))
    w.u16(UInt16(n))
    w.u16(UInt16(m))
    w.u64(weightsHash)
    w.u32(UInt32(width))
    w.u32(UInt32(height))
    w.u32(UInt32(paddedWidth))
    w.u32(UInt32(paddedHeight))
    w.u32(UInt32(latents.latentHeight))
    w.u32(UInt32(latents.latentWidth))
    w.u8(UInt8(latents.strings.count))
    for perLatent in latents.strings {
      guard perLatent.count == 1 else { throw CodecError.invalidInput("a .lic file holds one image") }
      w.u32(UInt32(perLatent[0].count))
      w.bytes(perLatent[0])
    }
    w.u32(CRC32.checksum(w.data))
    return w.data
  }

  public init(decoding bytes: [UInt8]) throws {
    guard bytes.count >= 4, Array(bytes[0..<4]) == Self.magic else {
      throw CodecError.invalidBitstream("not a Lichen .lic file (bad magic)")
    }
    guard bytes.count >= 48 else { throw CodecError.invalidBitstream("file is truncated (\(bytes.count) bytes)") }
    let stored = bytes.suffix(4).enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * $1.offset) }
    guard CRC32.checksum(bytes.dropLast(4)) == stored else {
      throw CodecError.invalidBitstream("checksum mismatch: the file is truncated or corrupted")
    }
    var r = ByteReader(bytes.dropLast(4))
    _ = try r.bytes(4)
    let version = try r.u8()
    guard version == Self.version else {
      throw CodecError.invalidBitstream("format version \(version) is not supported (this build reads \(Self.version))")
    }
    switch try r.u8() {
    case 1: architecture = .scaleHyperprior
    case 2: architecture = .factorizedPrior
    case 3: architecture = .meanScaleHyperprior
    case let c: throw CodecError.invalidBitstream("unknown architecture code \(c)")
    }
    switch try r.u8() {
    case 0: gdnVariant = .standard
    case 1: gdnVariant = .simplified
    case 2: gdnVariant = .hardware
    case let c: throw CodecError.invalidBitstream("unknown GDN code \(c)")
    }
    n = Int(try r.u16())
    m = Int(try r.u16())
    weightsHash = try r.u64()
    width = Int(try r.u32())
    height = Int(try r.u32())
    paddedWidth = Int(try r.u32())
    paddedHeight = Int(try r.u32())
    let latentHeight = Int(try r.u32())
    let latentWidth = Int(try r.u32())
    guard width > 0, height > 0, width <= Self.maxSide, height <= Self.maxSide, width * height <= Self.maxPixels else {
      throw CodecError.invalidBitstream("absurd image size \(width)x\(height)")
    }
    let factor = architecture.downsamplingFactor
    let expectedW = (width + factor - 1) / factor * factor, expectedH = (height + factor - 1) / factor * factor
    guard paddedWidth == expectedW, paddedHeight == expectedH else {
      throw CodecError.invalidBitstream("padded size \(paddedWidth)x\(paddedHeight) does not match \(width)x\(height)")
    }
    guard latentHeight == paddedHeight / factor, latentWidth == paddedWidth / factor else {
      throw CodecError.invalidBitstream("latent size \(latentWidth)x\(latentHeight) does not match the image")
    }
    let count = Int(try r.u8())
    guard count == architecture.stringCount else {
      throw CodecError.invalidBitstream("\(count) latent strings for \(architecture.rawValue)")
    }
    var strings: [[[UInt8]]] = []
    for _ in 0..<count {
      let length = Int(try r.u32())
      strings.append([try r.bytes(length)])
    }
    guard r.isAtEnd else { throw CodecError.invalidBitstream("\(r.remaining) unexpected bytes after the last string") }
    latents = CompressedLatents(strings: strings, latentHeight: latentHeight, latentWidth: latentWidth)
  }
}

struct ByteWriter {
  var data: [UInt8] = []
  mutating func u8(_ v: UInt8) { data.append(v) }
  mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { data += $0 } }
  mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { data += $0 } }
  mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { data += $0 } }
  mutating func bytes(_ b: [UInt8]) { data += b }
}

struct ByteReader {
  let data: ArraySlice<UInt8>
  var position: Int

  init(_ data: ArraySlice<UInt8>) {
    self.data = data
    position = data.startIndex
  }

  var remaining: Int { data.endIndex - position }
  var isAtEnd: Bool { remaining == 0 }

  mutating func bytes(_ count: Int) throws -> [UInt8] {
    guard count >= 0, count <= remaining else {
      throw CodecError.invalidBitstream("file is truncated: needs \(count) bytes, \(remaining) left")
    }
    defer { position += count }
    return Array(data[position..<(position + count)])
  }

  mutating func u8() throws -> UInt8 { try bytes(1)[0] }
  mutating func u16() throws -> UInt16 { try bytes(2).reversed().reduce(0) { $0 << 8 | UInt16($1) } }
  mutating func u32() throws -> UInt32 { try bytes(4).reversed().reduce(0) { $0 << 8 | UInt32($1) } }
  mutating func u64() throws -> UInt64 { try bytes(8).reversed().reduce(0) { $0 << 8 | UInt64($1) } }
}
