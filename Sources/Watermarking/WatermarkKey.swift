import Foundation
import Torch

/// The secret: which weights carry which bit, and how bits map to values.
/// Saved as JSON; without it a model file reveals nothing about the mark.
public struct WatermarkKey: Codable, Sendable, Equatable {
  public struct Position: Codable, Sendable, Equatable, Hashable {
    /// Dotted parameter name (state-dict name).
    public var layer: String
    /// Row-major index into the parameter.
    public var index: Int
  }

  /// How a bit becomes a weight value.
  public struct Mapping: Codable, Sendable, Equatable {
    /// Marked weight = (bit ? +1 : -1) * alpha * std(layer at embedding time) * positionScales[i].
    public var alpha: Double
    /// Per-layer magnitude actually written (alpha * std), so extraction and
    /// verification do not depend on the (possibly attacked) current std.
    public var magnitudes: [String: Double]
    /// One factor per position (nil: 1 everywhere). One magnitude per layer repeats a value no trained
    /// weight repeats, which shows an attacker the key (`KeySecrecy`); factors drawn per position hide it.
    public var positionScales: [Double]?

    public init(alpha: Double, magnitudes: [String: Double], positionScales: [Double]? = nil) {
      self.alpha = alpha
      self.magnitudes = magnitudes
      self.positionScales = positionScales
    }

    /// The magnitude written at position `i` of `layer` (nil: the key has no magnitude for the layer).
    public func magnitude(layer: String, position i: Int) -> Double? {
      guard let base = magnitudes[layer] else { return nil }
      guard let scales = positionScales, scales.indices.contains(i) else { return base }
      return base * scales[i]
    }
  }

  public var version = 1
  public var seed: UInt64
  public var positions: [Position]
  public var mapping: Mapping
  /// Shapes of the layers used, to check a model before touching it.
  public var layerShapes: [String: [Int]]
  /// FNV-1a over the names and shapes of every parameter: the architecture the key belongs to.
  public var architectureHash: String
  public var code: PayloadCode
  /// Number of payload bits before the error-correcting code.
  public var payloadBits: Int
  /// Sign signatures of the channels of every permutable group, taken from the owner's final
  /// model (`ChannelPermutation.signatures`): they find the channels again after a permutation and
  /// a positive rescaling. nil in keys made without them.
  public var alignment: [String: ChannelSignature]?

  public var capacity: Int { positions.count }

  public func write(to url: URL) throws {
    try PrettyJSON.write(self, to: url)
  }

  public static func read(from url: URL) throws -> WatermarkKey {
    let data: Data
    do {
      data = try Data(contentsOf: url)
    } catch {
      throw WatermarkError("cannot read key file \(url.path): \(error.localizedDescription)")
    }
    let key: WatermarkKey
    do {
      key = try JSONDecoder().decode(WatermarkKey.self, from: data)
    } catch {
      let reason = JSONDiagnostics.describe(error, data: data) { _ = try JSONDecoder().decode(WatermarkKey.self, from: $0) }
      throw WatermarkError("\(url.path) is not a Lichen watermark key: \(reason)")
    }
    do {
      try key.validate()
    } catch let error as WatermarkError {
      throw WatermarkError("\(url.path): \(error.message)")
    }
    return key
  }

  /// The key version this build reads and writes.
  public static let currentVersion = 1

  /// Throws a `WatermarkError` naming the first field that no key made by
  /// `KeyGenerator` could hold. A key that passes can be used for extraction
  /// and embedding without any index, count or product overflowing: a key file
  /// is input, and a hostile one must give an error, not a crash.
  public func validate() throws {
    func fail(_ field: String, _ problem: String) -> WatermarkError {
      WatermarkError("invalid watermark key: \(field): \(problem)")
    }
    guard version == Self.currentVersion else {
      throw fail("version", "unknown version \(version) (this Lichen reads version \(Self.currentVersion))")
    }
    let hexDigits = Set("0123456789abcdef")
    guard architectureHash.count == 16, architectureHash.allSatisfy({ hexDigits.contains($0) }) else {
      throw fail("architectureHash", "\(JSONDiagnostics.quoted(architectureHash)) is not 16 lowercase hex digits")
    }
    // Element count of every layer the key describes, products checked.
    var elements: [String: Int] = [:]
    for (layer, shape) in layerShapes.sorted(by: { $0.key < $1.key }) {
      var count = 1
      for (d, dimension) in shape.enumerated() {
        guard dimension >= 1 else { throw fail("layerShapes[\(JSONDiagnostics.quoted(layer))][\(d)]", "dimension \(dimension) is not positive") }
        let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
        guard !overflow else { throw fail("layerShapes[\(JSONDiagnostics.quoted(layer))]", "\(shape.count) dimensions whose product overflows an Int") }
        count = product
      }
      elements[layer] = count
    }
    guard mapping.alpha.isFinite, mapping.alpha > 0 else {
      throw fail("mapping.alpha", "\(mapping.alpha) is not a finite positive number")
    }
    for (layer, magnitude) in mapping.magnitudes.sorted(by: { $0.key < $1.key }) where !(magnitude.isFinite && magnitude > 0) {
      throw fail("mapping.magnitudes[\(JSONDiagnostics.quoted(layer))]", "\(magnitude) is not a finite positive number")
    }
    guard !positions.isEmpty else { throw fail("positions", "the key has no positions") }
    if let scales = mapping.positionScales {
      guard scales.count == positions.count else {
        throw fail("mapping.positionScales", "\(scales.count) factors for \(positions.count) positions")
      }
      for (i, factor) in scales.enumerated() where !(factor.isFinite && factor > 0 && factor <= 1e6) {
        throw fail("mapping.positionScales[\(i)]", "\(factor) is not a finite positive number up to 1e6")
      }
    }
    var seen = Set<Position>()
    seen.reserveCapacity(positions.count)
    for (i, position) in positions.enumerated() {
      guard let count = elements[position.layer] else {
        throw fail("positions[\(i)].layer", "layer \(JSONDiagnostics.quoted(position.layer)) is not in layerShapes")
      }
      guard position.index >= 0, position.index < count else {
        throw fail("positions[\(i)].index", "\(position.index) is outside 0..<\(count), the elements of layer \(JSONDiagnostics.quoted(position.layer))")
      }
      guard mapping.magnitudes[position.layer] != nil else {
        throw fail("mapping.magnitudes", "no magnitude for layer \(JSONDiagnostics.quoted(position.layer)) (used by positions[\(i)])")
      }
      guard seen.insert(position).inserted else {
        throw fail("positions[\(i)]", "\(JSONDiagnostics.quoted(position.layer)) index \(position.index) is listed twice")
      }
    }
    do { try code.validate() } catch let error as WatermarkError { throw fail("code", error.message) }
    guard payloadBits >= 1 else { throw fail("payloadBits", "\(payloadBits) is not a positive number of bits") }
    let coded: Int
    do { coded = try code.codedLength(payloadBits: payloadBits) } catch let error as WatermarkError {
      throw fail("payloadBits", error.message)
    }
    guard coded == positions.count else {
      throw fail("positions", "code \(code) needs \(coded) positions for \(payloadBits) payload bits, the key has \(positions.count)")
    }
  }

  /// Whether a parameter can carry bits: a conv/linear weight (rank >= 2, name ending in "weight").
  public static func isMarkable(name: String, rank: Int) -> Bool { rank >= 2 && name.hasSuffix("weight") }

  /// FNV-1a over the names and shapes of the weights that can carry a mark
  /// (rank >= 2, named "*weight"), sorted by name. Computable from a module
  /// or from a bare state-dict file, so any exported copy can be verified.
  public static func architectureHash(of entries: [(name: String, shape: [Int])]) -> String {
    var hash = FNV1a64()
    for (name, shape) in entries.filter({ isMarkable(name: $0.name, rank: $0.shape.count) }).sorted(by: { $0.name < $1.name }) {
      hash.update(Array((name + "\(shape)").utf8))
    }
    return String(format: "%016llx", hash.value)
  }

  public static func architectureHash(of model: any Module) -> String {
    architectureHash(of: model.namedParameters().map { ($0.name, $0.tensor.shape) })
  }

  /// Throws unless the key is valid (`validate`) and the tensors (name -> shape) are the architecture
  /// and layers it was made for: after this, every key position indexes a weight of the model.
  public func check(shapes: [String: [Int]]) throws {
    try validate()
    for (layer, shape) in layerShapes.sorted(by: { $0.key < $1.key }) {
      guard let actual = shapes[layer] else { throw WatermarkError("the model has no layer \(layer) named by the key") }
      guard actual == shape else {
        throw WatermarkError("layer \(layer) has shape \(actual), the key expects \(shape): key and model do not match")
      }
    }
    let hash = Self.architectureHash(of: shapes.map { ($0.key, $0.value) })
    guard hash == architectureHash else {
      throw WatermarkError("the key was made for another architecture (hash \(architectureHash), model \(hash))")
    }
  }

  /// Throws unless `model` has the architecture and layers this key was made for.
  public func check(_ model: any Module) throws {
    try check(shapes: Dictionary(model.namedParameters().map { ($0.name, $0.tensor.shape) }, uniquingKeysWith: { a, _ in a }))
  }
}

