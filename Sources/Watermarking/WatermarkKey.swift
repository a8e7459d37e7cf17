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
    /// Marked weight = (bit ? +1 : -1) * alpha * std(layer at embedding time).
    public var alpha: Double
    /// Per-layer magnitude actually written (alpha * std), so extraction and
    /// verification do not depend on the (possibly attacked) current std.
    public var magnitudes: [String: Double]
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

  public var capacity: Int { positions.count }

  public func write(to url: URL) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    try encoder.encode(self).write(to: url, options: .atomic)
  }

  public static func read(from url: URL) throws -> WatermarkKey {
    let data: Data
    do {
      data = try Data(contentsOf: url)
    } catch {
      throw WatermarkError("cannot read key file \(url.path): \(error.localizedDescription)")
    }
    do {
      return try JSONDecoder().decode(WatermarkKey.self, from: data)
    } catch {
      throw WatermarkError("\(url.path) is not a Lichen watermark key: \(error)")
    }
  }

  /// FNV-1a over the names and shapes of the weights that can carry a mark
  /// (rank >= 2, named "*weight"), sorted by name. Computable from a module
  /// or from a bare state-dict file, so any exported copy can be verified.
  public static func architectureHash(of entries: [(name: String, shape: [Int])]) -> String {
    var hash = FNV1a64()
    for (name, shape) in entries.filter({ $0.shape.count >= 2 && $0.name.hasSuffix("weight") }).sorted(by: { $0.name < $1.name }) {
      hash.update(Array((name + "\(shape)").utf8))
    }
    return String(format: "%016llx", hash.value)
  }

  public static func architectureHash(of model: any Module) -> String {
    architectureHash(of: model.namedParameters().map { ($0.name, $0.tensor.shape) })
  }

  /// Throws unless the tensors (name -> shape) are the architecture and layers this key was made for.
  public func check(shapes: [String: [Int]]) throws {
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
